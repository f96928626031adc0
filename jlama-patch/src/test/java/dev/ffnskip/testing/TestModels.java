package dev.ffnskip.testing;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoader;
import dev.ffnskip.jlama.load.StockJlama;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Models shared by all tests of one JVM (Surefire runs a module's tests in one JVM), loaded once. */
public final class TestModels {
    private static final Map<String, FfnSkipModel> GATED = new ConcurrentHashMap<>();
    private static final Map<String, StockJlama> STOCK = new ConcurrentHashMap<>();

    private TestModels() {}

    /** The weight/activation setups the parity tests cover. */
    public enum Precision {
        /** Weights as stored, float32 activations (the most exact Jlama setup). */
        F32(DType.F32, false),
        /** Weights as stored, Jlama's default I8 request (BF16 activations for BF16 weights). */
        STORED(DType.I8, false),
        /** Pre-quantized Q4 weights with I8 activations where Jlama supports them. */
        Q4(DType.I8, true);

        final DType working;
        final boolean q4;

        Precision(DType working, boolean q4) {
            this.working = working;
            this.q4 = q4;
        }

        public LoadOptions options() {
            return LoadOptions.builder().workingQuantizationType(working).quantizeToQ4(q4).cacheDirectory(cacheDir()).build();
        }
    }

    public static Path cacheDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "ffn-skip-test-cache");
    }

    public static FfnSkipModel gated(Path dir, Precision precision) {
        return GATED.computeIfAbsent(dir + "|" + precision, k -> FfnSkipModel.load(dir, precision.options()));
    }

    public static StockJlama stock(Path dir, Precision precision) {
        return STOCK.computeIfAbsent(dir + "|" + precision, k -> StockJlama.load(ModelLoader.prepare(dir, precision.options())));
    }

    public static FfnSkipModel skipbench() {
        return gated(SharedAssets.skipbench(), Precision.F32);
    }
}
