package dev.ffnskip.testing;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.kernels.DecodeKernels;
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
        /** Pre-quantized Q4 weights with I8 activations where Jlama supports them, on Jlama's kernels (the stock-parity path). */
        Q4(DType.I8, true, DecodeKernels.STOCK),
        /** The same weights and activations with decode on our native kernel (the default for users). */
        Q4_NATIVE(DType.I8, true, DecodeKernels.NATIVE);

        final DType working;
        final boolean q4;
        final DecodeKernels kernels;

        Precision(DType working, boolean q4) {
            this(working, q4, DecodeKernels.STOCK);
        }

        Precision(DType working, boolean q4, DecodeKernels kernels) {
            this.working = working;
            this.q4 = q4;
            this.kernels = kernels;
        }

        public LoadOptions options() {
            return LoadOptions.builder().workingQuantizationType(working).quantizeToQ4(q4).decodeKernels(kernels).cacheDirectory(cacheDir()).build();
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
