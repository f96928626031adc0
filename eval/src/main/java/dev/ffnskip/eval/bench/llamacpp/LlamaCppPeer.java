package dev.ffnskip.eval.bench.llamacpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp as a speed peer: loads a GGUF model through the de.kherud:llama bindings, warms up, then runs each prompt
 * greedily to the model's end-of-sequence token or the token limit and writes the measurements as JSON
 * ({@link LlamaCppResult}).
 *
 * <p>Meant to run in its own JVM ({@link LlamaCppRunner} starts it): the bundled llama.cpp native library must not share
 * a process with Jlama's native code, and its server thread keeps the JVM alive, so this main ends with
 * {@link System#exit}.
 *
 * <pre>
 * LlamaCppPeer --model FILE.gguf --threads N --max-tokens N (--prompts FILE.jsonl | --prompt TEXT)
 *              [--rounds R] [--warmup W] [--ctx-size C] [--seed S] [--json OUT] [--ignore-eos]
 * LlamaCppPeer --probe        (loads the native library only; exit 0 when it loads)
 * </pre>
 *
 * {@code --prompts} lines are {@code {"id": ..., "prompt": ...}} with the chat template already applied. Without
 * {@code --json} the JSON goes to stdout; progress and llama.cpp's own log go to stderr.
 */
public final class LlamaCppPeer {
    /** Exit codes: usage error, run failure, native library not loadable. */
    static final int EXIT_USAGE = 2, EXIT_FAILED = 1, EXIT_NO_NATIVE = 3;

    private static final Pattern PROMPT_EVAL = Pattern.compile("(?m)^\\s*prompt eval time =\\s*([0-9.]+) ms /\\s*(\\d+) tokens");
    private static final Pattern EVAL = Pattern.compile("(?m)^\\s*eval time =\\s*([0-9.]+) ms /\\s*(\\d+) tokens");
    private static final Pattern TOTAL = Pattern.compile("(?m)^\\s*total time =");

    private LlamaCppPeer() {}

    static final class Args {
        Path model;
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        int maxTokens = 64;
        Path promptsFile;
        String prompt;
        int rounds = 1;
        int warmup = 1;
        int ctxSize = 2048;
        int seed = 42;
        Path json;
        boolean probe;
        boolean ignoreEos;

        static Args parse(String[] argv) {
            Args a = new Args();
            for (int i = 0; i < argv.length; i++) {
                String k = argv[i];
                if (k.equals("--probe")) {
                    a.probe = true;
                    continue;
                }
                if (k.equals("--ignore-eos")) {
                    a.ignoreEos = true;
                    continue;
                }
                if (i + 1 >= argv.length) throw new IllegalArgumentException("missing value for " + k);
                String v = argv[++i];
                switch (k) {
                    case "--model" -> a.model = Path.of(v);
                    case "--threads" -> a.threads = positive(k, v);
                    case "--max-tokens" -> a.maxTokens = positive(k, v);
                    case "--prompts" -> a.promptsFile = Path.of(v);
                    case "--prompt" -> a.prompt = v;
                    case "--rounds" -> a.rounds = positive(k, v);
                    case "--warmup" -> a.warmup = nonNegative(k, v);
                    case "--ctx-size" -> a.ctxSize = positive(k, v);
                    case "--seed" -> a.seed = Integer.parseInt(v);
                    case "--json" -> a.json = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + k);
                }
            }
            if (a.probe) return a;
            if (a.model == null) throw new IllegalArgumentException("--model is required");
            if ((a.promptsFile == null) == (a.prompt == null)) throw new IllegalArgumentException("give exactly one of --prompts and --prompt");
            return a;
        }

        private static int positive(String k, String v) {
            int n = Integer.parseInt(v);
            if (n <= 0) throw new IllegalArgumentException(k + " must be positive: " + v);
            return n;
        }

        private static int nonNegative(String k, String v) {
            int n = Integer.parseInt(v);
            if (n < 0) throw new IllegalArgumentException(k + " must not be negative: " + v);
            return n;
        }
    }

    public static void main(String[] argv) {
        int code;
        try {
            Args a = Args.parse(argv);
            code = a.probe ? probe() : run(a);
        } catch (IllegalArgumentException e) {
            System.err.println("llamacpp-peer: " + e.getMessage());
            System.err.println("usage: LlamaCppPeer --model FILE.gguf --threads N --max-tokens N (--prompts FILE.jsonl | --prompt TEXT) "
                + "[--rounds R] [--warmup W] [--ctx-size C] [--seed S] [--json OUT] [--ignore-eos]  |  LlamaCppPeer --probe");
            code = EXIT_USAGE;
        } catch (UnsatisfiedLinkError e) {
            System.err.println("llamacpp-peer: llama.cpp native library did not load: " + e);
            code = EXIT_NO_NATIVE;
        } catch (Throwable t) {
            System.err.println("llamacpp-peer: failed: " + t);
            t.printStackTrace();
            code = EXIT_FAILED;
        }
        System.out.flush();
        System.err.flush();
        // The bindings' server thread is attached to the JVM as a non-daemon thread: without exit the JVM never ends.
        System.exit(code);
    }

    /** Loads the native library (LlamaModel's static initializer does) and reports. */
    static int probe() throws ClassNotFoundException {
        Class.forName("de.kherud.llama.LlamaModel", true, LlamaCppPeer.class.getClassLoader());
        System.out.println("llama.cpp native library loaded (os.name=" + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch") + ")");
        return 0;
    }

    static List<LlamaCppPrompt> readPrompts(Args a) throws IOException {
        if (a.prompt != null) return List.of(new LlamaCppPrompt("prompt-0", a.prompt));
        ObjectMapper json = new ObjectMapper();
        List<LlamaCppPrompt> out = new ArrayList<>();
        for (String line : Files.readAllLines(a.promptsFile, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            JsonNode row = json.readTree(line);
            JsonNode text = row.hasNonNull("prompt") ? row.get("prompt") : row.get("text");
            if (text == null || !text.isTextual()) throw new IOException("prompt line without a \"prompt\" string in " + a.promptsFile + ": " + line);
            String id = row.hasNonNull("id") ? row.get("id").asText() : "prompt-" + out.size();
            out.add(new LlamaCppPrompt(id, text.asText()));
        }
        if (out.isEmpty()) throw new IOException("no prompts in " + a.promptsFile);
        return out;
    }

    static int run(Args a) throws IOException {
        if (!Files.isRegularFile(a.model)) throw new IOException("model file not found: " + a.model.toAbsolutePath());
        List<LlamaCppPrompt> prompts = readPrompts(a);

        // llama.cpp's log goes to stderr and, here, to a file the peer reads back: the build line, the system info
        // line and the per-request timings with exact token counts.
        Path nativeLog = Files.createTempFile("llamacpp-peer-", ".log");
        try {
            ModelParameters mp = new ModelParameters()
                .setModel(a.model.toAbsolutePath().toString())
                .setThreads(a.threads)
                .setThreadsBatch(a.threads)
                .setCtxSize(a.ctxSize)
                .setParallel(1)
                .setSeed(a.seed)
                .setLogFile(nativeLog.toString());
            NativeLog log = new NativeLog(nativeLog);

            long t0 = System.nanoTime();
            try (LlamaModel model = new LlamaModel(mp)) {
                double loadMs = (System.nanoTime() - t0) / 1e6;
                String header = log.waitFor(Pattern.compile("(?m)^system_info: .*$"), 2000);
                String build = firstLine(header, "^build: (.*)$");
                String systemInfo = firstLine(header, "^(system_info: .*?)\\s*$");
                System.err.printf(Locale.ROOT, "llamacpp-peer: loaded %s in %.0f ms; %s%n", a.model.getFileName(), loadMs, systemInfo);

                for (int w = 0; w < a.warmup; w++) {
                    Measured m = measure(model, log, prompts.get(0).prompt(), a);
                    System.err.printf(Locale.ROOT, "llamacpp-peer: warmup %d: %d tokens, %.1f tok/s%n", w + 1, m.generated(), m.decodeTokensPerSecond());
                }

                List<List<Measured>> byPrompt = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++) byPrompt.add(new ArrayList<>());
                for (int r = 0; r < a.rounds; r++) {
                    for (int i = 0; i < prompts.size(); i++) {
                        Measured m = measure(model, log, prompts.get(i).prompt(), a);
                        byPrompt.get(i).add(m);
                        System.err.printf(Locale.ROOT, "llamacpp-peer: %s round %d: prompt %d tok, prefill %.1f ms, %d tok (%s), decode %.1f ms = %.1f tok/s%n",
                            prompts.get(i).id(), r + 1, m.promptTokens(), m.prefillMs(), m.generated(), m.stop(), m.decodeMs(), m.decodeTokensPerSecond());
                    }
                }

                List<LlamaCppResult.PromptResult> results = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++) results.add(summarize(prompts.get(i).id(), byPrompt.get(i)));
                LlamaCppResult result = aggregate(a, build, systemInfo, loadMs, results);
                String text = LlamaCppResult.mapper().writeValueAsString(result);
                if (a.json != null) {
                    if (a.json.toAbsolutePath().getParent() != null) Files.createDirectories(a.json.toAbsolutePath().getParent());
                    Files.writeString(a.json, text, StandardCharsets.UTF_8);
                } else {
                    System.out.println(text);
                }
                System.err.printf(Locale.ROOT, "llamacpp-peer: median decode %.1f tok/s over %d prompts%n", result.medianDecodeTokensPerSecond(), results.size());
            }
        } finally {
            Files.deleteIfExists(nativeLog);
        }
        return 0;
    }

    /** One greedy generation. Token counts: llama.cpp's timing log when found, else the streamed outputs. */
    record Measured(int promptTokens, int generated, double prefillMs, double decodeMs, String stop, String tokenCounts,
                    double nativePromptEvalMs, double nativeEvalMs, String text) {
        int decodeSteps() {
            return Math.max(0, generated - 1);
        }

        double decodeTokensPerSecond() {
            return decodeSteps() == 0 || decodeMs <= 0 ? Double.NaN : decodeSteps() / (decodeMs / 1000);
        }

        double prefillTokensPerSecond() {
            return prefillMs <= 0 ? Double.NaN : promptTokens / (prefillMs / 1000);
        }
    }

    static Measured measure(LlamaModel model, NativeLog log, String prompt, Args a) throws IOException {
        InferenceParameters ip = new InferenceParameters(prompt)
            .setNPredict(a.maxTokens)
            .setTemperature(0f) // llama.cpp: temperature <= 0 keeps only the arg-max token
            .setRepeatPenalty(1f)
            .setFrequencyPenalty(0f)
            .setPresencePenalty(0f)
            .setSeed(a.seed)
            .setIgnoreEos(a.ignoreEos) // llama.cpp then masks every end-of-generation token
            .setCachePrompt(false); // every request prefills its whole prompt
        log.mark();

        StringBuilder text = new StringBuilder();
        int streamed = 0;
        long tFirst = -1, tLast = -1;
        long t0 = System.nanoTime();
        LlamaIterator it = model.generate(ip).iterator();
        while (it.hasNext()) {
            LlamaOutput out = it.next();
            long t = System.nanoTime();
            if (tFirst < 0) tFirst = t;
            text.append(out.text);
            if (it.hasNext()) { // every output but the final (stop) one carries one sampled token
                streamed++;
                tLast = t;
            } else if (tLast < 0) {
                tLast = t;
            }
        }
        if (tFirst < 0) throw new IllegalStateException("llama.cpp returned no output");

        int promptTokens;
        int generated;
        String source;
        double nativePrompt = Double.NaN, nativeEval = Double.NaN;
        String timings = log.waitFor(TOTAL, 2000);
        Matcher pm = PROMPT_EVAL.matcher(timings);
        Matcher em = EVAL.matcher(timings);
        if (pm.find() && em.find()) {
            nativePrompt = Double.parseDouble(pm.group(1));
            promptTokens = Integer.parseInt(pm.group(2));
            nativeEval = Double.parseDouble(em.group(1));
            generated = Integer.parseInt(em.group(2));
            source = "llama.cpp";
        } else {
            promptTokens = model.encode(prompt).length;
            generated = Math.max(streamed, 1);
            source = "stream";
        }
        String stop = generated < a.maxTokens ? "eos" : "limit";
        return new Measured(promptTokens, generated, (tFirst - t0) / 1e6, (tLast - tFirst) / 1e6, stop, source,
            nativePrompt, nativeEval, text.toString());
    }

    static LlamaCppResult.PromptResult summarize(String id, List<Measured> rounds) {
        Measured first = rounds.get(0);
        double prefill = LlamaCppResult.median(rounds.stream().mapToDouble(Measured::prefillMs).toArray());
        double decode = LlamaCppResult.median(rounds.stream().mapToDouble(Measured::decodeMs).toArray());
        List<Double> samples = rounds.stream().map(Measured::decodeTokensPerSecond).toList();
        double rate = LlamaCppResult.median(samples.stream().mapToDouble(Double::doubleValue).toArray());
        double prefillRate = LlamaCppResult.median(rounds.stream().mapToDouble(Measured::prefillTokensPerSecond).toArray());
        return new LlamaCppResult.PromptResult(id, first.promptTokens(), first.generated(), first.decodeSteps(), prefill, decode,
            prefillRate, rate, samples, first.stop(), first.tokenCounts(),
            LlamaCppResult.median(rounds.stream().mapToDouble(Measured::nativePromptEvalMs).toArray()),
            LlamaCppResult.median(rounds.stream().mapToDouble(Measured::nativeEvalMs).toArray()),
            first.text());
    }

    static LlamaCppResult aggregate(Args a, String build, String systemInfo, double loadMs, List<LlamaCppResult.PromptResult> prompts) {
        double steps = prompts.stream().mapToDouble(LlamaCppResult.PromptResult::decodeSteps).sum();
        double decodeMs = prompts.stream().mapToDouble(LlamaCppResult.PromptResult::decodeMs).sum();
        return new LlamaCppResult(
            LlamaCppResult.ENGINE, a.model.toAbsolutePath().toString(), a.threads, a.maxTokens, a.rounds, a.warmup, a.ctxSize,
            build, systemInfo, loadMs, prompts,
            LlamaCppResult.median(prompts.stream().mapToDouble(LlamaCppResult.PromptResult::prefillMs).toArray()),
            LlamaCppResult.median(prompts.stream().mapToDouble(LlamaCppResult.PromptResult::decodeMs).toArray()),
            LlamaCppResult.median(prompts.stream().mapToDouble(LlamaCppResult.PromptResult::prefillTokensPerSecond).toArray()),
            LlamaCppResult.median(prompts.stream().mapToDouble(LlamaCppResult.PromptResult::decodeTokensPerSecond).toArray()),
            decodeMs > 0 ? steps / (decodeMs / 1000) : Double.NaN,
            prompts.stream().mapToInt(LlamaCppResult.PromptResult::generatedTokens).sum());
    }

    private static String firstLine(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        return m.find() ? m.group(1) : null;
    }

    /**
     * The llama.cpp log file, read incrementally: {@link #mark()} before a request, then {@link #waitFor} returns what
     * was appended since (llama.cpp writes it from its own logging thread, so a line may land a moment later).
     */
    static final class NativeLog {
        private final Path file;
        private long mark;

        NativeLog(Path file) {
            this.file = file;
        }

        void mark() throws IOException {
            mark = Files.size(file);
        }

        /** Text appended since the mark once it matches {@code until}, or whatever is there after {@code timeoutMs}. */
        String waitFor(Pattern until, long timeoutMs) throws IOException {
            long deadline = System.nanoTime() + timeoutMs * 1_000_000;
            while (true) {
                String s = sinceMark();
                if (until.matcher(s).find() || System.nanoTime() > deadline) return s;
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return s;
                }
            }
        }

        private String sinceMark() throws IOException {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                long n = f.length() - mark;
                if (n <= 0) return "";
                byte[] b = new byte[(int) Math.min(n, 1 << 24)];
                f.seek(mark);
                f.readFully(b);
                return new String(b, StandardCharsets.UTF_8);
            }
        }
    }
}
