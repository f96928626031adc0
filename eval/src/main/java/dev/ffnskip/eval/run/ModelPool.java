package dev.ffnskip.eval.run;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.load.LoadOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code threads} replicas of one model, one per worker thread (a Jlama model runs one sequence at a time). Jlama's
 * matmul thread pool is one per JVM and all replicas submit to it, so it gets {@code threads} workers too (with one
 * worker the replicas' matmuls would run one after the other).
 */
public final class ModelPool implements AutoCloseable {
    public enum Precision {
        /** Weights as stored, float32 activations: exact, the setting for quality evals. */
        F32,
        /** Jlama's default: weights as stored, I8 activation request (BF16 for BF16 weights). */
        STORED,
        /** Weights pre-quantized to Q4 (cached), I8 activations. */
        Q4;

        public static Precision parse(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }

        /** Load options for this precision, Jlama's thread count left at its default. */
        public LoadOptions options() {
            return options(LoadOptions.builder());
        }

        public LoadOptions options(int jlamaThreads) {
            return options(LoadOptions.builder().threadCount(jlamaThreads));
        }

        private LoadOptions options(LoadOptions.Builder b) {
            return switch (this) {
                case F32 -> b.workingQuantizationType(DType.F32).build();
                case STORED -> b.build();
                case Q4 -> b.quantizeToQ4(true).build();
            };
        }
    }

    private final List<FfnSkipModel> replicas = new ArrayList<>();
    private final Path dir;
    private final Precision precision;

    public ModelPool(Path dir, Precision precision, int threads) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, was " + threads);
        this.dir = dir;
        this.precision = precision;
        LoadOptions options = precision.options(threads);
        for (int i = 0; i < threads; i++) replicas.add(FfnSkipModel.load(dir, options));
    }

    public FfnSkipModel first() {
        return replicas.get(0);
    }

    public List<FfnSkipModel> replicas() {
        return replicas;
    }

    public int size() {
        return replicas.size();
    }

    public Path dir() {
        return dir;
    }

    public Precision precision() {
        return precision;
    }

    public int layers() {
        return first().info().layers();
    }

    public String modelName() {
        return first().info().name();
    }

    @Override
    public void close() {
        replicas.forEach(FfnSkipModel::close);
    }
}
