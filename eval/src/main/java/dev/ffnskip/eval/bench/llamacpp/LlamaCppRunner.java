package dev.ffnskip.eval.bench.llamacpp;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link LlamaCppPeer} in a separate JVM (same java executable, same class path) and reads its JSON back. The
 * llama.cpp native library never loads into the calling JVM, so it cannot clash with Jlama's native code there.
 *
 * <p>The child's stdout and stderr (progress and llama.cpp's own log) go to {@code llamacpp-peer.log} in the work
 * directory; a failure or timeout throws {@link LlamaCppException} naming that file.
 */
public final class LlamaCppRunner {
    /**
     * Flags of the child JVM: native access for the bindings' System.load; a small serial-GC heap and C1 only, so the
     * JVM's own GC and JIT threads take as little CPU from llama.cpp's threads as possible.
     */
    static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(60);
    private static volatile Availability availability;

    private LlamaCppRunner() {}

    /**
     * One peer run.
     *
     * @param workDir where the prompt file, the result JSON and the log go; null for a fresh temporary directory
     * @param ignoreEos generate exactly {@code maxTokens} tokens, end-of-generation tokens suppressed (for random-weight
     *     models, whose greedy answers may hit one at any point)
     */
    public record Config(Path model, int threads, int maxTokens, int rounds, int warmup, int ctxSize, int seed, Duration timeout, Path workDir,
                         boolean ignoreEos) {
        public Config {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(timeout, "timeout");
            if (threads <= 0 || maxTokens <= 0 || rounds <= 0 || warmup < 0 || ctxSize <= 0) {
                throw new IllegalArgumentException("threads, maxTokens, rounds and ctxSize must be positive, warmup non-negative");
            }
        }

        /** Defaults: all cores, 64 tokens, 1 round, 1 warmup generation, 2048 context, seed 42, 10 minute timeout, stop at EOS. */
        public static Config of(Path model) {
            return new Config(model, Math.max(1, Runtime.getRuntime().availableProcessors()), 64, 1, 1, 2048, 42, Duration.ofMinutes(10), null, false);
        }

        public Config withThreads(int n) {
            return new Config(model, n, maxTokens, rounds, warmup, ctxSize, seed, timeout, workDir, ignoreEos);
        }

        public Config withMaxTokens(int n) {
            return new Config(model, threads, n, rounds, warmup, ctxSize, seed, timeout, workDir, ignoreEos);
        }

        public Config withRounds(int n) {
            return new Config(model, threads, maxTokens, n, warmup, ctxSize, seed, timeout, workDir, ignoreEos);
        }

        public Config withWarmup(int n) {
            return new Config(model, threads, maxTokens, rounds, n, ctxSize, seed, timeout, workDir, ignoreEos);
        }

        public Config withCtxSize(int n) {
            return new Config(model, threads, maxTokens, rounds, warmup, n, seed, timeout, workDir, ignoreEos);
        }

        public Config withSeed(int n) {
            return new Config(model, threads, maxTokens, rounds, warmup, ctxSize, n, timeout, workDir, ignoreEos);
        }

        public Config withTimeout(Duration t) {
            return new Config(model, threads, maxTokens, rounds, warmup, ctxSize, seed, t, workDir, ignoreEos);
        }

        public Config withWorkDir(Path dir) {
            return new Config(model, threads, maxTokens, rounds, warmup, ctxSize, seed, timeout, dir, ignoreEos);
        }

        public Config withIgnoreEos(boolean ignore) {
            return new Config(model, threads, maxTokens, rounds, warmup, ctxSize, seed, timeout, workDir, ignore);
        }
    }

    /** The peer process failed or timed out; {@link #logFile()} holds its output. */
    public static final class LlamaCppException extends RuntimeException {
        private final transient Path logFile;

        LlamaCppException(String message, Path logFile, Throwable cause) {
            super(message, cause);
            this.logFile = logFile;
        }

        public Path logFile() {
            return logFile;
        }
    }

    /** Whether the bundled llama.cpp library loads here; {@code reason} says why not (or what loaded). */
    public record Availability(boolean ok, String reason) {}

    /** True when the bundled llama.cpp native library loads on this OS and architecture (checked in a child JVM). */
    public static boolean available() {
        return availability().ok();
    }

    /**
     * {@link #available()} with the reason. First the bundled library for this os.name/os.arch must exist on the class
     * path, then a child JVM must load it ({@code LlamaCppPeer --probe}); the answer is cached.
     */
    public static Availability availability() {
        Availability a = availability;
        if (a == null) {
            synchronized (LlamaCppRunner.class) {
                a = availability;
                if (a == null) availability = a = checkAvailability();
            }
        }
        return a;
    }

    private static Availability checkAvailability() {
        String resource = nativeResource();
        if (resource == null) {
            return new Availability(false, "de.kherud:llama bundles no llama.cpp build for os.name=" + System.getProperty("os.name")
                + ", os.arch=" + System.getProperty("os.arch"));
        }
        if (LlamaCppRunner.class.getClassLoader().getResource(resource) == null) {
            return new Availability(false, "native library " + resource + " not on the class path (is de.kherud:llama 4.2.0 a dependency?)");
        }
        Path log = null;
        try {
            log = Files.createTempFile("llamacpp-probe-", ".log");
            Process p = start(List.of("--probe"), log);
            if (!p.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                return new Availability(false, "probe JVM did not finish in " + PROBE_TIMEOUT.toSeconds() + " s");
            }
            String out = Files.readString(log, StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 ? new Availability(true, out)
                : new Availability(false, "probe JVM exited with " + p.exitValue() + ": " + tail(out, 15));
        } catch (IOException e) {
            return new Availability(false, "could not start the probe JVM: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Availability(false, "interrupted while probing");
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a leftover temp file
                }
            }
        }
    }

    /** The class path resource de.kherud:llama loads for this platform, null when it has none. */
    static String nativeResource() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osDir, lib;
        if (os.contains("linux")) {
            osDir = "Linux";
            lib = "libjllama.so";
        } else if (os.contains("mac") || os.contains("darwin")) {
            osDir = "Mac";
            lib = "libjllama.dylib";
        } else if (os.contains("windows")) {
            osDir = "Windows";
            lib = "jllama.dll";
        } else {
            return null;
        }
        String archDir = switch (arch) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            case "x86", "i386", "i486", "i586", "i686" -> "x86";
            default -> null;
        };
        return archDir == null ? null : "de/kherud/llama/" + osDir + "/" + archDir + "/" + lib;
    }

    /** Runs the prompts (chat template already applied) through llama.cpp in a child JVM. */
    public static LlamaCppResult run(Config c, List<LlamaCppPrompt> prompts) throws IOException {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
        Path dir = c.workDir() != null ? Files.createDirectories(c.workDir()) : Files.createTempDirectory("ffnskip-llamacpp-");
        Path promptFile = dir.resolve("llamacpp-prompts.jsonl");
        Path json = dir.resolve("llamacpp-result.json");
        Path log = dir.resolve("llamacpp-peer.log");
        Files.deleteIfExists(json);

        ObjectMapper mapper = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (LlamaCppPrompt p : prompts) lines.append(mapper.writeValueAsString(p)).append('\n');
        Files.writeString(promptFile, lines, StandardCharsets.UTF_8);

        List<String> args = new ArrayList<>(List.of(
            "--model", c.model().toAbsolutePath().toString(),
            "--threads", Integer.toString(c.threads()),
            "--max-tokens", Integer.toString(c.maxTokens()),
            "--rounds", Integer.toString(c.rounds()),
            "--warmup", Integer.toString(c.warmup()),
            "--ctx-size", Integer.toString(c.ctxSize()),
            "--seed", Integer.toString(c.seed()),
            "--prompts", promptFile.toString(),
            "--json", json.toString()
        ));
        if (c.ignoreEos()) args.add("--ignore-eos");
        Process p = start(args, log);
        try {
            if (!p.waitFor(c.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new LlamaCppException("llama.cpp peer timed out after " + c.timeout().toSeconds() + " s; its log: " + log
                    + lastLines(log), log, null);
            }
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new LlamaCppException("interrupted while waiting for the llama.cpp peer; its log: " + log, log, e);
        }
        if (p.exitValue() != 0) {
            throw new LlamaCppException("llama.cpp peer exited with code " + p.exitValue() + "; its log: " + log + lastLines(log), log, null);
        }
        if (!Files.isRegularFile(json)) {
            throw new LlamaCppException("llama.cpp peer exited normally but wrote no " + json + "; its log: " + log + lastLines(log), log, null);
        }
        try {
            return LlamaCppResult.mapper().readValue(json.toFile(), LlamaCppResult.class);
        } catch (IOException e) {
            throw new LlamaCppException("unreadable llama.cpp peer result " + json + ": " + e.getMessage() + "; its log: " + log, log, e);
        }
    }

    /** The child command line: this JVM's java executable and class path, {@link #JVM_FLAGS}, then the peer. */
    static List<String> command(List<String> peerArgs) {
        String java = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", isWindows() ? "java.exe" : "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(JVM_FLAGS);
        // A private extraction directory for libjllama, so concurrent runs of other tools do not race on /tmp/libjllama.so.
        cmd.add("-Dde.kherud.llama.tmpdir=" + nativeDir());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LlamaCppPeer.class.getName());
        cmd.addAll(peerArgs);
        return cmd;
    }

    private static Process start(List<String> peerArgs, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(peerArgs))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File(isWindows() ? "NUL" : "/dev/null")));
        return pb.start();
    }

    private static String nativeDir() {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "ffnskip-llamacpp-native-" + System.getProperty("user.name", "user"));
        try {
            return Files.createDirectories(dir).toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("windows");
    }

    private static String lastLines(Path log) {
        try {
            return "\n--- last lines of " + log.getFileName() + " ---\n" + tail(Files.readString(log, StandardCharsets.UTF_8), 20);
        } catch (IOException e) {
            return "";
        }
    }

    static String tail(String text, int n) {
        String[] lines = text.split("\\R");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - n), lines.length));
    }

    /**
     * By hand: the first rows of a chat JSONL rendered as SmolLM2 ChatML, through llama.cpp.
     *
     * <pre>
     * LlamaCppRunner --model FILE.gguf --chat-prompts FILE.jsonl [--limit 8] [--threads N] [--max-tokens 64]
     *                [--rounds 1] [--out DIR]
     * </pre>
     */
    public static void main(String[] argv) throws IOException {
        Path model = null, chat = null, out = null;
        int limit = 8, threads = Math.max(1, Runtime.getRuntime().availableProcessors()), maxTokens = 64, rounds = 1;
        for (int i = 0; i + 1 < argv.length; i += 2) {
            String v = argv[i + 1];
            switch (argv[i]) {
                case "--model" -> model = Path.of(v);
                case "--chat-prompts" -> chat = Path.of(v);
                case "--limit" -> limit = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--max-tokens" -> maxTokens = Integer.parseInt(v);
                case "--rounds" -> rounds = Integer.parseInt(v);
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + argv[i]);
            }
        }
        if (model == null || chat == null) {
            System.err.println("usage: LlamaCppRunner --model FILE.gguf --chat-prompts FILE.jsonl [--limit 8] [--threads N] [--max-tokens 64] [--rounds 1] [--out DIR]");
            System.exit(2);
        }
        Availability a = availability();
        if (!a.ok()) {
            System.err.println("llama.cpp not available: " + a.reason());
            System.exit(3);
        }
        List<LlamaCppPrompt> prompts = LlamaCppPrompt.fromChatJsonl(chat, limit, LlamaCppPrompt.SMOLLM2_DEFAULT_SYSTEM);
        Config c = Config.of(model).withThreads(threads).withMaxTokens(maxTokens).withRounds(rounds).withWorkDir(out);
        LlamaCppResult r = run(c, prompts);
        for (LlamaCppResult.PromptResult p : r.prompts()) {
            System.out.printf(Locale.ROOT, "%-14s prompt %4d tok  prefill %7.1f ms  gen %3d tok (%s)  decode %7.1f ms  %6.1f tok/s%n",
                p.id(), p.promptTokens(), p.prefillMs(), p.generatedTokens(), p.stop(), p.decodeMs(), p.decodeTokensPerSecond());
        }
        System.out.printf(Locale.ROOT, "median decode %.1f tok/s, aggregate %.1f tok/s, median prefill %.1f ms (%.1f tok/s), %d threads%n%s%n%s%n",
            r.medianDecodeTokensPerSecond(), r.aggregateDecodeTokensPerSecond(), r.medianPrefillMs(), r.medianPrefillTokensPerSecond(),
            r.threads(), r.llamaCppBuild(), r.systemInfo());
    }
}
