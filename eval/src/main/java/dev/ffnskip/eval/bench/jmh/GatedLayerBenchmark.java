package dev.ffnskip.eval.bench.jmh;

import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import dev.ffnskip.eval.bench.ModelShape;
import dev.ffnskip.eval.bench.SyntheticLlama;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoader;
import dev.ffnskip.jlama.load.StockJlama;
import dev.ffnskip.jlama.model.GatedLlamaModel;
import dev.ffnskip.jlama.model.GatedTransformerBlock;
import dev.ffnskip.jlama.model.ResidualCosine;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decoder layer for one token (Q4 weights, I8 activations where the shape allows), ours vs stock Jlama's
 * {@code TransformerBlock} on the same Q4 folder: {@code computeGateOn} (FFN computed and its cosine measured, what the
 * gate does for a computed layer), {@code computeGateOff} (no signal: the gate-off path), {@code skipFfn} (attention
 * only) and {@code stockLayer}. With {@code -prof gc} the allocation per layer of {@code computeGateOn} equals
 * {@code computeGateOff} and {@code stockLayer}: the gate adds no allocation (what is allocated is Jlama's own, per
 * matmul task). Layer 1, position 64 (KV reads of 65 positions).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp eval/target/ffn-skip-eval.jar \
 *     org.openjdk.jmh.Main GatedLayerBenchmark -prof gc -p shape=llama-3.2-1b
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = { "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED" })
public class GatedLayerBenchmark {
    private static final int LAYER = 1;
    private static final int POSITION = 64;

    /** A {@link ModelShape} name; generated (and Q4-quantized) in the cache folder on first use. */
    @Param({ "tiny" })
    String shape;

    private FfnSkipModel ours;
    private StockJlama stock;
    private GatedTransformerBlock block;
    private TransformerBlock stockBlock;
    private KvBufferCache.KvBuffer kv;
    private KvBufferCache.KvBuffer stockKv;
    private AbstractTensor input;
    private final ResidualCosine signal = new ResidualCosine();

    @Setup(Level.Trial)
    public void setUp() {
        Path cache = LoadOptions.defaultCacheDirectory();
        Path folder = SyntheticLlama.folder(ModelShape.named(shape), cache);
        LoadOptions options = LoadOptions.builder().quantizeToQ4(true).cacheDirectory(cache).build();
        ours = FfnSkipModel.load(folder, options);
        stock = StockJlama.loadInMemory(ModelLoader.prepare(folder, options));
        GatedLlamaModel model = ours.jlama();
        block = model.block(LAYER);
        stockBlock = stock.transformerBlock(LAYER);
        stockKv = stock.newKvBuffer();
        kv = model.newKvBuffer();
        int hidden = model.getConfig().embeddingLength;
        input = model.makeDenseTensor(1, hidden);
        Random random = new Random(7);
        for (int i = 0; i < hidden; i++) input.set((float) random.nextGaussian(), 0, i);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kv.close();
        stockKv.close();
        stock.close();
        ours.close();
    }

    @Benchmark
    public float computeGateOn() {
        AbstractTensor out = block.forward(input, POSITION, kv, LayerAction.COMPUTE, signal);
        out.close();
        return signal.cosine();
    }

    @Benchmark
    public void computeGateOff() {
        block.forward(input, POSITION, kv, LayerAction.COMPUTE, null).close();
    }

    @Benchmark
    public void skipFfn() {
        block.forward(input, POSITION, kv, LayerAction.SKIP_FFN, signal).close();
    }

    @Benchmark
    public void stockLayer() {
        stockBlock.forward(input, POSITION, stockKv).close();
    }
}
