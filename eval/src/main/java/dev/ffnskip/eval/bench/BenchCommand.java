package dev.ffnskip.eval.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppRunner;
import dev.ffnskip.eval.cli.CommandText;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.ops.CorrectedTensorOperations;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: decode speed of FFN skipping against stock Jlama on a synthetic model of a real shape.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar eval/target/ffn-skip-eval.jar \
 *     bench --shape llama-3.2-1b --skip-ratios 0,0.3,0.4 --json OUT
 * </pre>
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
        "Decode benchmark: stock Jlama vs ours with the gate off vs ours at forced FFN skip ratios (raw model and LangChain4j ChatModel),",
        "interleaved in one process on a synthetic, Q4-quantized model, and llama.cpp on the same weights (Q4_0 GGUF) in its own process;",
        "every variant also as a fraction of the bandwidth limit measured on the machine. Writes JSON, a Markdown summary and a PNG (same base name)."
    }
)
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--shape", paramLabel = "NAME", defaultValue = "llama-3.2-1b", description = "llama-3.2-1b, llama-3.2-3b or tiny (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--skip-ratios", paramLabel = "S,...", split = ",", defaultValue = "0.1,0.2,0.3,0.4,0.5", description = "Forced FFN skip ratios, each in [0, 1) (default: ${DEFAULT-VALUE}).")
    List<Double> skipRatios;

    @Option(names = "--channel-sparsities", paramLabel = "S,...", split = ",",
        description = "Also run FFN channel skipping (ChannelSkipPolicy) at these sparsities, each in [0, 1): per layer, the s-quantiles of the input and "
            + "intermediate magnitudes of one dense decode of the bench prompt (default: none).")
    List<Double> channelSparsities;

    @Option(names = "--json", paramLabel = "FILE", required = true, description = "The result JSON; the .md and .png are written beside it.")
    Path json;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "64", description = "Prompt length in tokens (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--decode-steps", paramLabel = "N", defaultValue = "64", description = "Decode steps per run (default: ${DEFAULT-VALUE}).")
    int decodeSteps;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "5", description = "Measured rounds; every variant runs once per round (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--warmup-rounds", paramLabel = "N", defaultValue = "1", description = "Unrecorded rounds first, for the JIT (default: ${DEFAULT-VALUE}).")
    int warmupRounds;

    @Option(names = "--chat", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Also measure through the LangChain4j ChatModel (default: on; --no-chat skips it).")
    boolean chat;

    @Option(names = "--stock-generate", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Also time stock Jlama's own generate() as a cross-check of the stock loop (default: on; --no-stock-generate skips it).")
    boolean stockGenerate;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where generated and quantized models live (default: ~/.cache/ffn-skip, or -Dffnskip.cache.dir / FFNSKIP_CACHE_DIR).")
    Path cacheDir;

    @Option(names = "--threads", paramLabel = "N", description = "Jlama worker threads (default: Jlama's, one per physical core).")
    Integer threads;

    @Option(names = "--split-size", paramLabel = "N",
        description = "Row chunks per matmul for both stock and ours (sets -Dffnskip.ops.splitSize; default: the ffn-skip default).")
    Integer splitSize;

    @Option(names = "--quantized-head",
        description = "Our model runs its output head on the I8-quantized hidden state (LoadOptions.quantizeHeadInput); stock Jlama keeps its F32 x Q4 head.")
    boolean quantizedHead;

    @Option(names = "--llama-cpp", negatable = true,
        description = "Also run llama.cpp (de.kherud:llama, its own process) on a Q4_0 GGUF of the same weights once per measured round "
            + "(default: on when llama.cpp loads on this machine; --no-llama-cpp skips it).")
    Boolean llamaCpp;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (splitSize != null) applySplitSize(splitSize);
        BenchRunner.Config config = new BenchRunner.Config(
            ModelShape.named(shape),
            skipRatios,
            channelSparsities != null ? channelSparsities : List.of(),
            promptTokens,
            decodeSteps,
            repeats,
            warmupRounds,
            chat,
            stockGenerate,
            cacheDir != null ? cacheDir : LoadOptions.defaultCacheDirectory(),
            threads,
            quantizedHead,
            llamaCpp()
        );
        BenchRunner.Result result = BenchRunner.run(config, out);
        ObjectNode o = BenchReport.json(result, CommandText.of(spec));
        BenchReport.write(o, json);
        out.printf(Locale.ROOT, "bench: stock %.2f tok/s, gate_off %.2f tok/s (x%.3f)%n",
            o.get("stock").get("decode_tokens_per_s").asDouble(), o.get("gate_off").get("decode_tokens_per_s").asDouble(),
            o.get("gate_off").get("speedup_vs_stock").asDouble());
        for (var run : o.get("runs")) {
            out.printf(Locale.ROOT, "bench: s=%s %.2f tok/s x%.3f vs stock, ideal x%.3f (%.1f%%)%n", BenchRunner.fmt(run.get("s").asDouble()),
                run.get("decode_tokens_per_s").asDouble(), run.get("speedup_vs_stock").asDouble(), run.get("ideal_speedup").asDouble(),
                100 * run.get("fraction_of_ideal").asDouble());
        }
        for (var ch : o.path("channel")) {
            out.printf(Locale.ROOT, "bench: channel s=%s %.2f tok/s x%.3f vs gate_off, FFN work skipped %.3f%n", BenchRunner.fmt(ch.get("s").asDouble()),
                ch.get("decode_tokens_per_s").asDouble(), ch.get("speedup_vs_gate_off").asDouble(), ch.get("ffn_work_skipped").asDouble());
        }
        if (o.has("llama_cpp")) {
            out.printf(Locale.ROOT, "bench: llama.cpp %.2f tok/s (x%.3f vs stock)%n", o.get("llama_cpp").get("decode_tokens_per_s").asDouble(),
                o.get("llama_cpp").get("speedup_vs_stock").asDouble());
        }
        out.println("bench: " + json);
        out.flush();
        return 0;
    }

    /** Explicit --llama-cpp on a machine where llama.cpp does not load is an error; no option means "when it loads". */
    private boolean llamaCpp() {
        if (llamaCpp == null) return LlamaCppRunner.available();
        if (llamaCpp && !LlamaCppRunner.available()) {
            throw new ParameterException(spec.commandLine(), "--llama-cpp: llama.cpp is not available here: " + LlamaCppRunner.availability().reason());
        }
        return llamaCpp;
    }

    /** The split size is read once, when the corrected operations are installed; too late is an error, not a silent no-op. */
    private static void applySplitSize(int n) {
        if (n < 1) throw new IllegalArgumentException("--split-size must be >= 1, was " + n);
        System.setProperty("ffnskip.ops.splitSize", Integer.toString(n));
        if (TensorOperationsProvider.get() instanceof CorrectedTensorOperations ops && ops.parallelSplitSize() != n) {
            throw new IllegalStateException("--split-size " + n + ": the tensor operations of this JVM are already installed with split size " + ops.parallelSplitSize());
        }
    }
}
