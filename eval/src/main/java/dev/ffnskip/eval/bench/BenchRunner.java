package dev.ffnskip.eval.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import dev.ffnskip.eval.channel.ChannelStatistics;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.ChannelSkipPolicy;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.generate.GenerationStats;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoader;
import dev.ffnskip.jlama.load.StockJlama;
import dev.ffnskip.jlama.ops.TensorOperationsGuard;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The decode benchmark: stock Jlama, our decoder with the gate off, at forced skip ratios (raw model and LangChain4j
 * chat model) and, when asked for, channel-skipping at given sparsities (uniform quantiles of one dense decode, {@link ChannelStatistics#uniformPolicy}), all in one process on the same Q4 folder, tensor operations and worker pool, interleaved
 * round by round (the order rotates every round) after unrecorded warm-up rounds; llama.cpp, when asked for, joins the
 * measured rounds in its own process on a Q4_0 GGUF of the same weights ({@link SyntheticGguf}, {@link LlamaCppRound}).
 * Before the rounds the machine's read bandwidth is measured with the same thread count ({@link ReadBandwidth}).
 */
public final class BenchRunner {

    /** What to measure. */
    public record Config(
        ModelShape shape,
        List<Double> skipRatios,
        List<Double> channelSparsities,
        int promptTokens,
        int decodeSteps,
        int repeats,
        int warmupRounds,
        boolean chat,
        boolean stockGenerate,
        Path cacheDir,
        Integer threads,
        boolean quantizedHead,
        boolean llamaCpp
    ) {
        public Config {
            skipRatios = List.copyOf(skipRatios);
            for (double s : skipRatios) {
                if (!(s >= 0 && s < 1)) throw new IllegalArgumentException("skip ratios must be in [0, 1), was " + s);
            }
            channelSparsities = List.copyOf(channelSparsities);
            for (double s : channelSparsities) {
                if (!(s >= 0 && s < 1)) throw new IllegalArgumentException("channel sparsities must be in [0, 1), was " + s);
            }
            if (promptTokens < 2) throw new IllegalArgumentException("--prompt-tokens must be >= 2, was " + promptTokens);
            if (decodeSteps < 1) throw new IllegalArgumentException("--decode-steps must be >= 1, was " + decodeSteps);
            if (repeats < 1) throw new IllegalArgumentException("--repeats must be >= 1, was " + repeats);
            if (warmupRounds < 0) throw new IllegalArgumentException("--warmup-rounds must be >= 0, was " + warmupRounds);
            if (promptTokens + decodeSteps + 8 > shape.contextLength() - 2 * shape.kvHeads()) {
                throw new IllegalArgumentException("--prompt-tokens + --decode-steps exceed the " + shape.contextLength() + "-position context of " + shape.name());
            }
        }
    }

    /**
     * The llama.cpp peer's setup, when it ran.
     *
     * @param build llama.cpp's build line, {@code systemInfo} its system info line (CPU features, threads)
     */
    public record LlamaCppInfo(Path gguf, long ggufBytes, int threads, String build, String systemInfo) {}

    /** One measured variant: its samples in round order. */
    public record Measured(String key, String group, double s, String policy, List<Sample> samples) {}

    /** Everything a report needs. */
    public record Result(
        Config config,
        Path sourceFolder,
        Path q4Folder,
        String weightType,
        String workingQuantization,
        String operations,
        int splitSize,
        int threads,
        List<Measured> variants,
        Map<String, Double> rssMb,
        double peakRssMb,
        double[] loadBefore,
        double[] loadAfter,
        double wallSeconds,
        int chatPromptTokens,
        int rawPromptTokens,
        ReadBandwidth.Result bandwidth,
        LlamaCppInfo llamaCpp
    ) {
        public Measured variant(String key) {
            for (Measured m : variants) if (m.key().equals(key)) return m;
            return null;
        }
    }

    public static final String STOCK = "stock";
    public static final String STOCK_GENERATE = "stock_generate";
    public static final String GATE_OFF = "gate_off";
    public static final String CHAT_GATE_OFF = "chat:gate_off";
    public static final String LLAMA_CPP = "llama_cpp";
    /** The bandwidth probe: a buffer far beyond any cache, read twice per run, best of five runs. */
    static final long BANDWIDTH_BUFFER_BYTES = 256L << 20;
    private static final int BANDWIDTH_PASSES = 2, BANDWIDTH_RUNS = 5;
    private static final Duration LLAMA_CPP_TIMEOUT = Duration.ofMinutes(15);

    public static String rawKey(double s) {
        return "raw:" + fmt(s);
    }

    public static String chatKey(double s) {
        return "chat:" + fmt(s);
    }

    /** {@code channel_0.50}: at least two decimals, so that the key reads as a share. */
    public static String channelKey(double s) {
        String f = String.format(Locale.ROOT, "%.3f", s);
        return "channel_" + (f.endsWith("0") ? f.substring(0, f.length() - 1) : f);
    }

    static String fmt(double s) {
        return String.format(Locale.ROOT, "%.3f", s).replaceAll("0+$", "").replaceAll("\\.$", ".0");
    }

    @FunctionalInterface
    private interface Run {
        Sample run(int round);
    }

    /** @param inWarmup whether it also runs in the warm-up rounds (llama.cpp does not: a fresh process every round) */
    private record Variant(String key, String group, double s, String policy, Run run, List<Sample> samples, boolean inWarmup) {
        Variant(String key, String group, double s, String policy, Run run, List<Sample> samples) {
            this(key, group, s, policy, run, samples, true);
        }
    }

    private BenchRunner() {}

    public static Result run(Config config, PrintWriter log) {
        long wallStart = System.nanoTime();
        double[] loadBefore = ProcStatus.loadAverage();
        Map<String, Double> rss = new LinkedHashMap<>();

        log.printf(Locale.ROOT, "bench: %s%n", SyntheticLlama.describe(config.shape()));
        Path source = SyntheticLlama.folder(config.shape(), config.cacheDir());
        // Stock Jlama always runs its own head; --quantized-head changes ours only (raw and ChatModel variants alike).
        LoadOptions options = LoadOptions.builder()
            .quantizeToQ4(true)
            .cacheDirectory(config.cacheDir())
            .threadCount(config.threads())
            .quantizeHeadInput(config.quantizedHead())
            .build();
        ModelLoader.Prepared prepared = ModelLoader.prepare(source, options);
        log.printf("bench: Q4 folder %s%n", prepared.folder().path());
        // written once (cached) and before the models load, so the conversion (one tensor on the heap at a time) is done first
        Path gguf = config.llamaCpp() ? SyntheticGguf.file(prepared.folder().path(), config.cacheDir()) : null;
        if (gguf != null) log.printf("bench: llama.cpp GGUF %s%n", gguf);
        rss.put("after_prepare", ProcStatus.rssMb());

        try (FfnSkipModel ours = FfnSkipModel.load(source, options)) {
            rss.put("after_load_ours", ProcStatus.rssMb());
            try (StockJlama stock = StockJlama.loadInMemory(prepared)) {
                AbstractModel stockModel = stock.model();
                rss.put("after_load_stock", ProcStatus.rssMb());
                int layers = ours.info().layers();

                String text = promptText(config.promptTokens() - 1);
                int[] prompt = ours.encode(PromptContext.of(text));
                if (prompt.length != config.promptTokens()) {
                    throw new IllegalStateException("the prompt encodes to " + prompt.length + " tokens, not " + config.promptTokens() + ": is the folder's tokenizer byte-level?");
                }
                int threads = PhysicalCoreExecutor.instance.get().getCoreCount();
                log.printf(Locale.ROOT, "bench: prompt %d tokens, %d decode steps, %d layers, ops %s (split %d), %d threads%n",
                    prompt.length, config.decodeSteps(), layers, TensorOperationsGuard.activeName(),
                    TensorOperationsProvider.get().parallelSplitSize(), threads);
                ReadBandwidth.Result bandwidth = ReadBandwidth.measure(threads, BANDWIDTH_BUFFER_BYTES, BANDWIDTH_PASSES, BANDWIDTH_RUNS);
                log.printf(Locale.ROOT, "bench: read bandwidth %.2f GB/s (%d threads, %d MB buffer, best of %d)%n",
                    bandwidth.gigabytesPerSecond(), threads, bandwidth.bufferBytes() >> 20, BANDWIDTH_RUNS);

                List<Variant> variants = new ArrayList<>();
                variants.add(new Variant(STOCK, "stock", 0, "stock Jlama LlamaModel", round -> stockDecode(stock, round, prompt, config.decodeSteps()), new ArrayList<>()));
                variants.add(new Variant(GATE_OFF, "raw", 0, GatePolicy.DENSE.describe(), round -> runOurs(ours, GatePolicy.DENSE, round, prompt, config.decodeSteps()), new ArrayList<>()));
                for (double s : config.skipRatios()) {
                    GatePolicy policy = ForcedSkip.exact(s);
                    variants.add(new Variant(rawKey(s), "raw", s, policy.describe(), round -> runOurs(ours, policy, round, prompt, config.decodeSteps()), new ArrayList<>()));
                }
                if (!config.channelSparsities().isEmpty()) {
                    // thresholds from the very decode the variants measure, densely, before any round
                    ChannelStatistics thresholds = ChannelStatistics.collect(ours, List.of(prompt), config.decodeSteps());
                    log.printf(Locale.ROOT, "bench: channel thresholds from one dense decode of the bench prompt (%d tokens per layer)%n", thresholds.samples(0));
                    for (double s : config.channelSparsities()) {
                        ChannelSkipPolicy policy = thresholds.uniformPolicy(s, 0);
                        variants.add(new Variant(channelKey(s), "channel", s, policy.describe() + " (uniform quantiles of one dense decode of the bench prompt)",
                            round -> runOurs(ours, policy, round, prompt, config.decodeSteps()), new ArrayList<>()));
                    }
                }
                if (config.stockGenerate()) {
                    variants.add(new Variant(STOCK_GENERATE, "stock_generate", 0, "stock Jlama AbstractModel.generate (ms timings)",
                        round -> stockGenerate(stockModel, text, prompt.length, config.decodeSteps(), round), new ArrayList<>()));
                }
                LlamaCppRound llamaCpp = null;
                if (gguf != null) {
                    LlamaCppRound peer = new LlamaCppRound(gguf, threads, config.shape().contextLength(), text, prompt.length, config.decodeSteps(), layers,
                        tempDirectory("bench-llamacpp-"), LLAMA_CPP_TIMEOUT);
                    llamaCpp = peer;
                    variants.add(new Variant(LLAMA_CPP, "llama.cpp", 0, "llama.cpp (de.kherud:llama) on the same weights as Q4_0 GGUF, own process",
                        peer::run, new ArrayList<>(), false));
                }
                int[] chatPromptTokens = { 0 };
                List<FfnSkipChatModel> chatModels = new ArrayList<>();
                if (config.chat()) {
                    String chatText = promptText(Math.max(1, config.promptTokens() - chatTemplateOverhead(ours)));
                    // disabled; protect 0+0 because the chat model validates even a disabled policy against the depth (tiny has 4 layers)
                    PaperGatePolicy disabled = PaperGatePolicy.builder().enabled(false).protectFirst(0).protectLast(0).build();
                    FfnSkipChatModel off = chatModel(ours, disabled, config.decodeSteps());
                    chatModels.add(off);
                    variants.add(new Variant(CHAT_GATE_OFF, "chat", 0, disabled.describe(), round -> chat(off, chatText, layers, round, chatPromptTokens), new ArrayList<>()));
                    for (double s : config.skipRatios()) {
                        PaperGatePolicy effective = ForcedSkip.asSkipPolicy(s, layers);
                        FfnSkipChatModel m = chatModel(ours, effective, config.decodeSteps());
                        chatModels.add(m);
                        variants.add(new Variant(chatKey(s), "chat", s, effective.describe() + " (skips " + ForcedSkip.skippedPerStep(s, layers) + " middle layers per step)",
                            round -> chat(m, chatText, layers, round, chatPromptTokens), new ArrayList<>()));
                    }
                }

                int rounds = config.warmupRounds() + config.repeats();
                for (int r = 0; r < rounds; r++) {
                    boolean warm = r < config.warmupRounds();
                    int round = r - config.warmupRounds();
                    StringBuilder line = new StringBuilder(warm ? "warm-up " + (r + 1) + "/" + config.warmupRounds() : "round " + (round + 1) + "/" + config.repeats());
                    line.append(':');
                    for (int i = 0; i < variants.size(); i++) {
                        // rotate the order every round so no variant always runs first (or right after another)
                        Variant v = variants.get((i + r) % variants.size());
                        if (warm && !v.inWarmup()) continue;
                        Sample sample = v.run().run(round);
                        if (!warm) v.samples().add(sample);
                        line.append(String.format(Locale.ROOT, " %s=%.2f", v.key(), sample.decodeTokensPerSecond()));
                    }
                    log.println(line);
                    log.flush();
                }
                rss.put("end", ProcStatus.rssMb());
                if (llamaCpp != null) llamaCpp.deleteWorkDir();

                List<Measured> measured = new ArrayList<>();
                for (Variant v : variants) measured.add(new Measured(v.key(), v.group(), v.s(), v.policy(), List.copyOf(v.samples())));
                for (FfnSkipChatModel m : chatModels) m.close();
                return new Result(
                    config,
                    source,
                    prepared.folder().path(),
                    ours.info().weightType(),
                    ours.info().workingQuantizationType(),
                    TensorOperationsGuard.activeName(),
                    TensorOperationsProvider.get().parallelSplitSize(),
                    PhysicalCoreExecutor.instance.get().getCoreCount(),
                    measured,
                    rss,
                    ProcStatus.peakRssMb(),
                    loadBefore,
                    ProcStatus.loadAverage(),
                    (System.nanoTime() - wallStart) / 1e9,
                    chatPromptTokens[0],
                    prompt.length,
                    bandwidth,
                    llamaCpp == null ? null : llamaCppInfo(llamaCpp, threads)
                );
            }
        }
    }

    private static Path tempDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary directory for the llama.cpp peer: " + e.getMessage(), e);
        }
    }

    private static LlamaCppInfo llamaCppInfo(LlamaCppRound peer, int threads) {
        var last = peer.last();
        long bytes;
        try {
            bytes = Files.size(peer.gguf());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new LlamaCppInfo(peer.gguf(), bytes, threads, last == null ? null : last.llamaCppBuild(), last == null ? null : last.systemInfo());
    }

    private static Sample stockDecode(StockJlama stock, int round, int[] prompt, int steps) {
        StockJlama.Timing t = stock.decodeGreedy(prompt, steps);
        return new Sample(round, t.prefillNanos(), prompt.length, t.decodeNanos(), steps, 0, stock.model().getConfig().numberOfLayers, t.totalNanos(), t.headNanos());
    }

    private static Sample runOurs(FfnSkipModel model, GatePolicy policy, int round, int[] prompt, int steps) {
        long start = System.nanoTime();
        try (DecodeSession session = model.openSession(policy, false)) {
            long t0 = System.nanoTime();
            session.prefill(prompt);
            int next = session.argmax();
            long t1 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                session.step(next);
                next = session.argmax();
            }
            long t2 = System.nanoTime();
            GenerationStats stats = session.stats();
            return new Sample(round, t1 - t0, prompt.length, t2 - t1, stats.decodeSteps(), stats.ffnSkipped(), stats.layers(), System.nanoTime() - start, 0,
                stats.ffnWorkSkipped());
        }
    }

    private static Sample stockGenerate(AbstractModel model, String text, int promptIds, int steps, int round) {
        long start = System.nanoTime();
        Generator.Response r = model.generate(UUID.randomUUID(), PromptContext.of(text), 0f, promptIds + steps, (t, ms) -> {});
        return new Sample(round, r.promptTimeMs * 1_000_000L, promptIds, r.generateTimeMs * 1_000_000L, r.generatedTokens, 0, model.getConfig().numberOfLayers, System.nanoTime() - start);
    }

    private static FfnSkipChatModel chatModel(FfnSkipModel model, PaperGatePolicy policy, int decodeSteps) {
        // n tokens cost n - 1 decode steps; temperature 0 (the default would be Jlama's 0.3)
        return FfnSkipChatModel.builder().model(model).skipPolicy(policy).temperature(0.0).maxTokens(decodeSteps + 1).build();
    }

    private static Sample chat(FfnSkipChatModel model, String text, int layers, int round, int[] promptTokens) {
        long start = System.nanoTime();
        ChatResponse response = model.chat(ChatRequest.builder().messages(UserMessage.from(text)).build());
        long wall = System.nanoTime() - start;
        FfnSkipChatResponseMetadata m = (FfnSkipChatResponseMetadata) response.metadata();
        int prompt = m.tokenUsage().inputTokenCount();
        promptTokens[0] = prompt;
        return new Sample(round, Math.round(m.prefillMillis() * 1e6), prompt, Math.round(m.decodeMillis() * 1e6), m.decodeSteps(), m.ffnSkipped(), layers, wall);
    }

    /** Chat template tokens around a user message (so that the chat prompt has about as many tokens as the raw one). */
    private static int chatTemplateOverhead(FfnSkipModel model) {
        var support = model.promptSupport().orElseThrow(() -> new IllegalStateException("the benchmark model has no chat template"));
        PromptContext rendered = support.builder().addUserMessage("x").build();
        return Math.max(0, model.encode(rendered).length - 1);
    }

    /** Deterministic English text of {@code chars} characters (one token per byte with the synthetic tokenizer). */
    static String promptText(int chars) {
        String base = "The quick brown fox jumps over the lazy dog while the benchmark counts bytes that never leave memory. ";
        StringBuilder b = new StringBuilder(chars);
        while (b.length() < chars) b.append(base);
        b.setLength(chars);
        return b.toString();
    }
}
