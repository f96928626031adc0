package dev.ffnskip.eval.bench.jmh;

import dev.ffnskip.jlama.kernels.ChannelSparseFfn;
import dev.ffnskip.jlama.kernels.ColumnQ4Matrix;
import dev.ffnskip.jlama.kernels.ColumnQ8Matrix;
import dev.ffnskip.jlama.kernels.WorkerTeam;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * The channel-sparse FFN ({@link ChannelSparseFfn}, Q8 or Q4_1 column layout) for one token vs sparsity, on the SmolLM2-135M (hidden 576,
 * inter 1536) and Llama-3.2-1B (2048, 8192) shapes. The same fraction {@code sparsity} of input and of intermediate
 * channels is dropped: thresholds are quantiles of |x| (x gaussian) and of |silu(g) * u| over 16 sample tokens.
 *
 * <p>Like decoding, every call reads weights that are not in cache: the benchmark cycles through enough independent
 * random layers to exceed {@code weightMb} MB of weights (one Llama-3.2-1B FFN is 57 MB in Q8, SmolLM2's 3.3 MB), and
 * through the 16 inputs, so the kept channel sets differ from call to call. All layers share one {@link WorkerTeam}.
 * {@code weightMb = 0} uses one layer (cache-warm, for the small shape an L2/L3 number).
 *
 * <p>"Fraction of ideal" at sparsity s is {@code t(0) * (1 - s) / t(s)} (1 = time proportional to bytes read).
 * {@link DenseF32} is a plain row-major float32 Vector API FFN (4x the bytes) on the same team, for context.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp eval/target/ffn-skip-eval.jar \
 *     org.openjdk.jmh.Main ChannelSparseFfnBenchmark -f 1 -wi 3 -i 5 -r 1s
 * </pre>
 *
 * With {@code -prof gc}, {@code gc.alloc.rate.norm} is ~0 B/op (nothing allocated per call).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g" })
public class ChannelSparseFfnBenchmark {
    static final int INPUTS = 16;

    /** {@code smollm2} (576 x 1536) or {@code llama-3.2-1b} (2048 x 8192). */
    @Param({ "smollm2", "llama-3.2-1b" })
    String shape;

    /** Fraction of input and of intermediate channels dropped. */
    @Param({ "0", "0.1", "0.25", "0.4", "0.5", "0.7" })
    double sparsity;

    @Param({ "2" })
    int threads;

    /** {@code SPIN} or {@code FORK_JOIN} ({@link WorkerTeam.Handoff}). */
    @Param({ "SPIN" })
    String handoff;

    /**
     * The kernel's weight layout: {@code q8} ({@link ColumnQ8Matrix}, 1.125 bytes per weight) or {@code q4}
     * ({@link ColumnQ4Matrix}, a Q4_1 file's blocks, 0.75 bytes per weight).
     */
    @Param({ "q8", "q4" })
    String layout;

    /** Distinct weights cycled through, in MB (0: a single layer). */
    @Param({ "160" })
    int weightMb;

    private WorkerTeam team;
    private ChannelSparseFfn[] layers;
    private float[][] inputs;
    private float tIn;
    private float tMid;
    float[] out;
    final ChannelSparseFfn.Stats stats = new ChannelSparseFfn.Stats();
    private int call;
    private long keptIn;
    private long keptMid;
    private long calls;

    static int[] dims(String shape) {
        return switch (shape) {
            case "smollm2" -> new int[] { 576, 1536 };
            case "llama-3.2-1b" -> new int[] { 2048, 8192 };
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        };
    }

    /** How many independent layers of {@code bytesPerLayer} exceed {@code weightMb} MB. */
    static int layerCount(int weightMb, long bytesPerLayer) {
        if (weightMb <= 0) return 1;
        return (int) Math.max(1, Math.min(256, ((long) weightMb << 20) / bytesPerLayer + 1));
    }

    static float[] gaussian(Random r, int n, double sigma) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * sigma);
        return a;
    }

    static float[][] inputs(int hidden) {
        Random r = new Random(7);
        float[][] xs = new float[INPUTS][];
        for (int k = 0; k < INPUTS; k++) xs[k] = gaussian(r, hidden, 1);
        return xs;
    }

    /** The value below which a fraction {@code s} of {@code |v|} lies (0 for s = 0). */
    static float quantile(float[] absValues, double s) {
        if (s <= 0) return 0f;
        float[] m = absValues.clone();
        Arrays.sort(m);
        return m[(int) Math.min(m.length - 1, Math.round(s * m.length))];
    }

    @Setup(Level.Trial)
    public void setUp() {
        int[] d = dims(shape);
        int hidden = d[0], inter = d[1];
        boolean q4 = switch (layout) {
            case "q8" -> false;
            case "q4" -> true;
            default -> throw new IllegalArgumentException("unknown layout " + layout);
        };
        long bytes = q4 ? 3L * hidden * inter * 3 / 4 : 3L * hidden * inter * 9 / 8;
        int n = layerCount(weightMb, bytes);
        ChannelSparseFfn.Config config = ChannelSparseFfn.Config.of(threads)
                .withHandoff(WorkerTeam.Handoff.valueOf(handoff), WorkerTeam.DEFAULT_SPIN_NANOS);
        team = WorkerTeam.create(threads, config.handoff(), config.spinNanos());
        layers = new ChannelSparseFfn[n];
        Random r = new Random(42);
        for (int l = 0; l < n; l++) {
            float[] gate = gaussian(r, inter * hidden, 1 / Math.sqrt(hidden));
            float[] up = gaussian(r, inter * hidden, 1 / Math.sqrt(hidden));
            float[] down = gaussian(r, hidden * inter, 1 / Math.sqrt(inter));
            layers[l] = q4
                ? new ChannelSparseFfn(ColumnQ4Matrix.quantizeInterleaved(gate, up, inter, hidden),
                    ColumnQ4Matrix.quantize(down, hidden, inter), config, team)
                : ChannelSparseFfn.quantize(gate, up, down, hidden, inter, config, team);
        }
        inputs = inputs(hidden);
        float[] absX = new float[INPUTS * hidden];
        for (int k = 0; k < INPUTS; k++) for (int j = 0; j < hidden; j++) absX[k * hidden + j] = Math.abs(inputs[k][j]);
        tIn = quantile(absX, sparsity);
        out = new float[hidden];
        float[] mid = new float[inter];
        float[] absA = new float[INPUTS * inter];
        for (int k = 0; k < INPUTS; k++) {
            layers[k % n].forward(inputs[k], tIn, 0f, out, null, mid);
            for (int i = 0; i < inter; i++) absA[k * inter + i] = Math.abs(mid[i]);
        }
        tMid = quantile(absA, sparsity);
    }

    @Benchmark
    public float sparseFfn() {
        int c = call++;
        ChannelSparseFfn ffn = layers[c % layers.length];
        ffn.forward(inputs[(c / layers.length) % INPUTS], tIn, tMid, out, stats);
        keptIn += stats.keptIn;
        keptMid += stats.keptMid;
        calls++;
        return out[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (calls > 0) {
            System.out.printf("%n[%s %s s=%.2f] %d layers, realized sparsity: input %.3f, intermediate %.3f%n", shape, layout,
                    sparsity, layers.length, 1 - (double) keptIn / calls / stats.hidden,
                    1 - (double) keptMid / calls / stats.intermediate);
        }
        for (ChannelSparseFfn f : layers) f.close();
        team.close();
    }

    /**
     * Context: a dense row-major float32 FFN (gate/up/down each a plain {@code FloatVector} dot product per output row),
     * rows split over the same kind of team as the sparse FFN, weights cycled like above.
     */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = { "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g" })
    public static class DenseF32 {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        @Param({ "smollm2", "llama-3.2-1b" })
        String shape;

        @Param({ "2" })
        int threads;

        @Param({ "160" })
        int weightMb;

        private WorkerTeam team;
        private float[][] gate, up, down;
        private float[][] inputs;
        private float[] act, out;
        private int hidden, inter, call;
        private float[] x, wg, wu, wd;
        private final WorkerTeam.Job job = this::part;

        @Setup(Level.Trial)
        public void setUp() {
            int[] d = dims(shape);
            hidden = d[0];
            inter = d[1];
            if (hidden % F.length() != 0 || inter % F.length() != 0) throw new IllegalStateException("shape");
            int n = layerCount(weightMb, 3L * hidden * inter * 4);
            Random r = new Random(42);
            gate = new float[n][];
            up = new float[n][];
            down = new float[n][];
            for (int l = 0; l < n; l++) {
                gate[l] = gaussian(r, inter * hidden, 1 / Math.sqrt(hidden));
                up[l] = gaussian(r, inter * hidden, 1 / Math.sqrt(hidden));
                down[l] = gaussian(r, hidden * inter, 1 / Math.sqrt(inter));
            }
            inputs = inputs(hidden);
            act = new float[inter];
            out = new float[hidden];
            team = WorkerTeam.create(threads, WorkerTeam.Handoff.SPIN, WorkerTeam.DEFAULT_SPIN_NANOS);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            team.close();
        }

        private static float dot(float[] w, int off, float[] x, int n) {
            FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
            int L = F.length(), i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                acc0 = FloatVector.fromArray(F, w, off + i).fma(FloatVector.fromArray(F, x, i), acc0);
                acc1 = FloatVector.fromArray(F, w, off + i + L).fma(FloatVector.fromArray(F, x, i + L), acc1);
            }
            for (; i < n; i += L) acc0 = FloatVector.fromArray(F, w, off + i).fma(FloatVector.fromArray(F, x, i), acc0);
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }

        private void part(int t, int phase) {
            int T = team.threads();
            if (phase == 0) {
                int from = (int) ((long) inter * t / T), to = (int) ((long) inter * (t + 1) / T);
                for (int i = from; i < to; i++) {
                    float g = dot(wg, i * hidden, x, hidden);
                    float u = dot(wu, i * hidden, x, hidden);
                    act[i] = g / (1f + (float) Math.exp(-g)) * u;
                }
            } else {
                int from = (int) ((long) hidden * t / T), to = (int) ((long) hidden * (t + 1) / T);
                for (int r = from; r < to; r++) out[r] = dot(wd, r * inter, act, inter);
            }
        }

        @Benchmark
        public float denseF32RowMajor() {
            int c = call++;
            int l = c % gate.length;
            wg = gate[l];
            wu = up[l];
            wd = down[l];
            x = inputs[(c / gate.length) % INPUTS];
            team.run(job, 2);
            return out[0];
        }
    }

    /**
     * The bare cost of one team job (hand-off and join) with no work in it: what the sparse FFN pays per call on top of
     * its kernels, per hand-off kind ({@code threads = 1}: a direct call).
     */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = { "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g" })
    public static class TeamHandoff {
        @Param({ "SPIN", "FORK_JOIN" })
        String handoff;

        @Param({ "2" })
        int threads;

        private WorkerTeam team;
        private final int[] work = new int[64];
        private final WorkerTeam.Job job = (t, phase) -> work[t * 16 + phase]++;

        @Setup(Level.Trial)
        public void setUp() {
            team = WorkerTeam.create(threads, WorkerTeam.Handoff.valueOf(handoff), WorkerTeam.DEFAULT_SPIN_NANOS);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            team.close();
        }

        @Benchmark
        @OutputTimeUnit(TimeUnit.NANOSECONDS)
        public int emptyJob() {
            team.run(job, 1);
            return work[0];
        }
    }
}
