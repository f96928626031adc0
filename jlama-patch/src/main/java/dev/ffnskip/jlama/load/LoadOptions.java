package dev.ffnskip.jlama.load;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.kernels.DecodeKernels;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * How to load a model folder.
 *
 * @param workingQuantizationType what activations are quantized to before each matmul: I8 (Jlama's fast path, used
 *     with Q4 weights when the hidden sizes allow it), BF16, or F32 (exact float32 activations, the most accurate)
 * @param quantizeToQ4 pre-quantize the weights to Jlama Q4 into {@code cacheDirectory} (once) and load that copy
 * @param cacheDirectory where pre-quantized copies live
 * @param threadCount Jlama worker threads, or null for Jlama's default (one per physical core); fixed per JVM
 * @param workingDirectory accepted for Jlama compatibility; KV caches live in memory, so it is only checked to exist
 * @param quantizeHeadInput run the output head on the hidden state quantized to {@code workingQuantizationType}, as
 *     every layer matmul runs. Stock Jlama multiplies the float32 hidden state, which with Q4 weights is its slow
 *     F32 x Q4 kernel (about 29% of a Llama-3.2-1B decode step on 2 cores); quantized, the head runs the Q4 x I8
 *     kernel. Off by default: the logits then differ from stock Jlama's by the activation rounding, so gate-off
 *     output is no longer guaranteed token-identical to stock. No effect when activations stay float32.
 * @param decodeKernels the kernels of single-token products ({@link DecodeKernels}); {@link DecodeKernels#NATIVE}
 *     (the default, or {@code -Dffnskip.kernels}) runs Q4 x I8 decode matmuls, the head included, on our kernel
 */
public record LoadOptions(
    DType workingQuantizationType,
    boolean quantizeToQ4,
    Path cacheDirectory,
    Integer threadCount,
    Path workingDirectory,
    boolean quantizeHeadInput,
    DecodeKernels decodeKernels
) {
    private static final Set<DType> WORKING_TYPES = Set.of(DType.I8, DType.BF16, DType.F32);

    public LoadOptions {
        Objects.requireNonNull(workingQuantizationType, "workingQuantizationType");
        Objects.requireNonNull(cacheDirectory, "cacheDirectory");
        Objects.requireNonNull(decodeKernels, "decodeKernels");
        if (!WORKING_TYPES.contains(workingQuantizationType)) {
            throw new IllegalArgumentException("workingQuantizationType must be one of I8, BF16, F32, was " + workingQuantizationType);
        }
        if (threadCount != null && threadCount < 1) throw new IllegalArgumentException("threadCount must be >= 1, was " + threadCount);
    }

    public static Path defaultCacheDirectory() {
        String configured = System.getProperty("ffnskip.cache.dir", System.getenv("FFNSKIP_CACHE_DIR"));
        return configured != null ? Path.of(configured) : Path.of(System.getProperty("user.home"), ".cache", "ffn-skip");
    }

    /** I8 working quantization, weights as stored, default cache. */
    public static LoadOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
            .workingQuantizationType(workingQuantizationType)
            .quantizeToQ4(quantizeToQ4)
            .cacheDirectory(cacheDirectory)
            .threadCount(threadCount)
            .workingDirectory(workingDirectory)
            .quantizeHeadInput(quantizeHeadInput)
            .decodeKernels(decodeKernels);
    }

    public static final class Builder {
        private DType workingQuantizationType = DType.I8;
        private boolean quantizeToQ4;
        private Path cacheDirectory = defaultCacheDirectory();
        private Integer threadCount;
        private Path workingDirectory;
        private boolean quantizeHeadInput;
        private DecodeKernels decodeKernels = DecodeKernels.configured();

        private Builder() {}

        public Builder workingQuantizationType(DType type) {
            this.workingQuantizationType = type;
            return this;
        }

        public Builder quantizeToQ4(boolean quantize) {
            this.quantizeToQ4 = quantize;
            return this;
        }

        public Builder cacheDirectory(Path dir) {
            this.cacheDirectory = dir;
            return this;
        }

        public Builder threadCount(Integer threads) {
            this.threadCount = threads;
            return this;
        }

        public Builder workingDirectory(Path dir) {
            this.workingDirectory = dir;
            return this;
        }

        /** See {@link LoadOptions#quantizeHeadInput()}. */
        public Builder quantizeHeadInput(boolean quantize) {
            this.quantizeHeadInput = quantize;
            return this;
        }

        /** See {@link LoadOptions#decodeKernels()}. */
        public Builder decodeKernels(DecodeKernels kernels) {
            this.decodeKernels = kernels;
            return this;
        }

        public LoadOptions build() {
            return new LoadOptions(workingQuantizationType, quantizeToQ4, cacheDirectory, threadCount, workingDirectory, quantizeHeadInput, decodeKernels);
        }
    }
}
