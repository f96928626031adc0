package dev.ffnskip.eval.bench.jmh;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.tensor.Q8ByteBufferTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import dev.ffnskip.jlama.kernels.NativeQ4Kernel;
import dev.ffnskip.jlama.kernels.Q4DecodeMatmul;
import dev.ffnskip.jlama.ops.TensorOperationsGuard;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One token's matmul with a Q4 weight on one thread: Jlama's kernel ({@code jlama}: the process-wide operations,
 * native SIMD here) against ours ({@code native}: {@link NativeQ4Kernel} through {@link Q4DecodeMatmul}), same
 * weights, same I8 activations, through the same {@code TensorOperations.dotProductChunk} call that the model makes.
 * Shapes are Llama-3.2-1B's: q/o ({@code 2048x2048}), gate/up ({@code 8192x2048}), down ({@code 2048x8192}). Each call
 * takes the next of several independent random weights (about 160 MB in all), so weights come from memory as in decoding.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp eval/target/ffn-skip-eval.jar \
 *     org.openjdk.jmh.Main DecodeKernelBenchmark -f 1 -wi 3 -i 5 -r 1s -prof gc
 * </pre>
 *
 * {@code gc.alloc.rate.norm} is the allocation per call (0 in steady state for ours).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED" })
public class DecodeKernelBenchmark {
    @Param({ "2048x2048", "8192x2048", "2048x8192" })
    public String shape;

    @Param({ "jlama", "native" })
    public String kernel;

    /** Megabytes of distinct weights cycled through (much more than the caches hold). */
    @Param({ "160" })
    public int workingSetMb;

    private final List<AbstractTensor> weights = new ArrayList<>();
    private Q8ByteBufferTensor x;
    private FloatBufferTensor out;
    private TensorOperations ops;
    private int rows, cols, next;

    @Setup
    public void setUp() {
        ops = TensorOperationsGuard.ensureCorrect();
        String[] rc = shape.split("x");
        rows = Integer.parseInt(rc[0]);
        cols = Integer.parseInt(rc[1]);
        if (kernel.equals("native") && !NativeQ4Kernel.available()) {
            throw new IllegalStateException("native kernel not available: " + NativeQ4Kernel.unavailableReason().orElse("?"));
        }
        Random r = new Random(42);
        long bytesPerMatrix = (long) rows * cols * 5 / 8; // Q4: half a byte per weight + a float32 scale per 32
        int count = (int) Math.max(2, ((long) workingSetMb << 20) / bytesPerMatrix);
        FloatBufferTensor f = new FloatBufferTensor(rows, cols);
        for (int m = 0; m < count; m++) {
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) f.set((float) (r.nextGaussian() * 0.02), i, j);
            Q4ByteBufferTensor w = new Q4ByteBufferTensor(f);
            if (kernel.equals("native") && !Q4DecodeMatmul.adopt(w)) throw new IllegalStateException("shape not taken: " + shape);
            weights.add(w);
        }
        FloatBufferTensor xf = new FloatBufferTensor(1, cols);
        for (int j = 0; j < cols; j++) xf.set((float) r.nextGaussian(), 0, j);
        x = new Q8ByteBufferTensor(xf);
        out = new FloatBufferTensor(1, rows);
    }

    @TearDown
    public void tearDown() {
        Q4DecodeMatmul.release(weights);
    }

    @Benchmark
    public float matmul() {
        AbstractTensor w = weights.get(next);
        next = next + 1 == weights.size() ? 0 : next + 1;
        ops.dotProductChunk(out, x, w, 0, cols, 0, rows);
        return out.get(0, rows - 1);
    }
}
