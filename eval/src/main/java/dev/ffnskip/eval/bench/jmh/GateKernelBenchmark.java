package dev.ffnskip.eval.bench.jmh;

import com.github.tjake.jlama.tensor.FloatBufferTensor;
import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.FixedLayerSkip;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.model.GatedLlamaModel;
import dev.ffnskip.jlama.model.ResidualCosine;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The gate's per-token work, in isolation: the cosine kernel ({@link ResidualCosine#measure}, the vectorised pass over
 * h_mid and h_out), and the per-layer decision of a whole decode step (begin step, then per layer {@code action},
 * {@code observe} for computed FFNs and the recorder call, as {@link GatedLlamaModel#decodeStep} makes them). Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} must be 0 B/op.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp eval/target/ffn-skip-eval.jar \
 *     org.openjdk.jmh.Main GateKernelBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED" })
public class GateKernelBenchmark {

    /** Hidden sizes: Llama-3.2-1B and 3B. */
    @Param({ "2048", "3072" })
    int width;

    private FloatBufferTensor hMid;
    private FloatBufferTensor hOut;
    private final ResidualCosine signal = new ResidualCosine();

    private static final int LAYERS = 16;
    private FfnGate adaptive;
    private FfnGate fixed;
    private final float[] cosines = new float[LAYERS];
    private final CountingRecorder recorder = new CountingRecorder();
    private int step;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(42);
        hMid = new FloatBufferTensor(1, width);
        hOut = new FloatBufferTensor(1, width);
        for (int i = 0; i < width; i++) {
            float x = (float) random.nextGaussian();
            hMid.set(x, 0, i);
            hOut.set(x + 0.1f * (float) random.nextGaussian(), 0, i);
        }
        // the paper's gate: saturates at the third layer's cosine here, then skips layers 3..13
        adaptive = PaperGatePolicy.builder().threshold(0.98).protectFirst(2).protectLast(2).warmupTokens(0).build().newGate(LAYERS);
        fixed = FixedLayerSkip.middleLayers(LAYERS, 0.4, 0).newGate(LAYERS);
        for (int l = 0; l < LAYERS; l++) cosines[l] = l < 2 ? 0.9f : 0.99f;
    }

    @Benchmark
    public float cosine() {
        signal.measure(hMid, hOut, width);
        return signal.cosine() + signal.updateToResidualNorm();
    }

    /** One decode step of the adaptive gate's decisions over 16 layers (no tensor work). */
    @Benchmark
    public void adaptiveGateStep(Blackhole bh) {
        bh.consume(runStep(adaptive));
    }

    /** One decode step of the forced benchmark policy's decisions over 16 layers. */
    @Benchmark
    public void fixedGateStep(Blackhole bh) {
        bh.consume(runStep(fixed));
    }

    /** Cosine measured for every computed FFN plus the decisions: the gate's whole per-token cost for 16 layers. */
    @Benchmark
    public void adaptiveGateStepWithCosines(Blackhole bh) {
        FfnGate gate = adaptive;
        gate.beginStep(step++);
        int computed = 0;
        for (int layer = 0; layer < LAYERS; layer++) {
            LayerAction action = gate.action(layer);
            if (action == LayerAction.COMPUTE) {
                signal.measure(hMid, hOut, width);
                gate.observe(layer, signal.cosine(), signal.updateToResidualNorm());
                computed++;
            }
            recorder.record(layer, action, action == LayerAction.COMPUTE ? signal.cosine() : Float.NaN);
        }
        bh.consume(computed);
    }

    private int runStep(FfnGate gate) {
        gate.beginStep(step++);
        int skipped = 0;
        for (int layer = 0; layer < LAYERS; layer++) {
            LayerAction action = gate.action(layer);
            if (action == LayerAction.COMPUTE) gate.observe(layer, cosines[layer], 0.1f);
            else skipped++;
            recorder.record(layer, action, action == LayerAction.COMPUTE ? cosines[layer] : Float.NaN);
        }
        return skipped;
    }

    /** What {@code StatsRecorder} does per layer without per-step records: per-layer counters. */
    static final class CountingRecorder implements GatedLlamaModel.LayerRecorder {
        final long[] computed = new long[LAYERS];
        final long[] skipped = new long[LAYERS];
        long skippedThisStep;

        @Override
        public void record(int layer, LayerAction action, float cosine) {
            switch (action) {
                case COMPUTE -> computed[layer]++;
                case SKIP_FFN -> {
                    skipped[layer]++;
                    skippedThisStep++;
                }
                case DROP_LAYER -> {}
            }
        }
    }
}
