package dev.ffnskip.jlama.model;

import com.github.tjake.jlama.model.CausalSelfAttention;
import com.github.tjake.jlama.model.LayerNorm;
import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.model.functions.FeedForward;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import dev.ffnskip.jlama.gate.ChannelCriterion;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.kernels.ChannelSparseFfn;
import dev.ffnskip.jlama.kernels.ColumnQ4Matrix;
import dev.ffnskip.jlama.kernels.ColumnQ8Matrix;
import dev.ffnskip.jlama.kernels.Q4DecodeMatmul;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A pre-norm Llama-family decoder layer whose FFN can be skipped per token.
 *
 * <p>Jlama's {@link TransformerBlock} always runs its FFN and keeps its parts package-private, so the gated layer is
 * written here from Jlama's public parts (RMSNorm, {@link CausalSelfAttention}, MLP). With {@link LayerAction#COMPUTE}
 * it performs exactly the stock sequence of tensor operations, which is why the gate-off path is token-for-token
 * identical to stock Jlama. A skipped FFN never touches its weights: the layer returns the post-attention residual.
 */
public final class GatedTransformerBlock extends TransformerBlock {
    private final GatedLlamaModel model;
    private final int layerIndex;
    private final LayerNorm inputNorm;
    private final CausalSelfAttention attention;
    private final LayerNorm postAttentionNorm;
    private final FeedForward ffn;
    private final FfnWeights ffnWeights;
    private final List<AbstractTensor> matmulWeights;
    private final int width;
    private final float[] sparseIn;
    private final float[] sparseOut;
    private final ChannelSparseFfn.Stats sparseStats = new ChannelSparseFfn.Stats();
    private volatile ChannelSparseFfn sparseFfn;
    /** Our decode-row FFN, set by the model once its FFN weights run on our native kernel; null otherwise. */
    private NativeDecodeFfn nativeFfn;
    private float[] probeMid;

    /** The FFN's projections as Jlama loaded them ([intermediate, hidden] for gate and up, [hidden, intermediate] for down). */
    record FfnWeights(AbstractTensor gate, AbstractTensor up, AbstractTensor down) {}

    GatedTransformerBlock(
        GatedLlamaModel model,
        int layerIndex,
        LayerNorm inputNorm,
        CausalSelfAttention attention,
        LayerNorm postAttentionNorm,
        FeedForward ffn,
        FfnWeights ffnWeights,
        List<AbstractTensor> matmulWeights
    ) {
        super(model, layerIndex, inputNorm, attention, postAttentionNorm, ffn);
        this.matmulWeights = List.copyOf(matmulWeights);
        this.ffnWeights = ffnWeights;
        this.sparseIn = new float[model.getConfig().embeddingLength];
        this.sparseOut = new float[model.getConfig().embeddingLength];
        this.model = model;
        this.layerIndex = layerIndex;
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.ffn = ffn;
        this.width = model.getConfig().embeddingLength;
    }

    public int layerIndex() {
        return layerIndex;
    }

    /** The weights of this layer's seven matmuls (q, k, v, o, gate, up, down). */
    List<AbstractTensor> matmulWeights() {
        return matmulWeights;
    }

    /** Dense forward, used by Jlama's own batch (prefill) path. */
    @Override
    public AbstractTensor forward(
        AbstractTensor embedding,
        int position,
        KvBufferCache.KvBuffer kvBuffer,
        Optional<Consumer<List<AbstractTensor>>> tensorReducer
    ) {
        return forward(embedding, position, kvBuffer, LayerAction.COMPUTE, null);
    }

    /**
     * Runs this layer for the rows of {@code input} starting at {@code position}.
     *
     * @param signal when not null and the FFN is computed, receives cos(h_mid, h_out) of the first row
     * @return the layer output; for {@link LayerAction#DROP_LAYER} that is {@code input} itself (the caller keeps
     *     ownership), otherwise a new tensor the caller must close
     */
    public AbstractTensor forward(
        AbstractTensor input,
        int position,
        KvBufferCache.KvBuffer kvBuffer,
        LayerAction action,
        ResidualCosine signal
    ) {
        return forward(input, position, kvBuffer, action, signal, 0f, 0f, ChannelCriterion.MAGNITUDE);
    }

    /**
     * {@link #forward(AbstractTensor, int, KvBufferCache.KvBuffer, LayerAction, ResidualCosine)} with FFN channel
     * skipping: when either threshold is above 0 (single-row input only), the FFN runs on our channel-sparse kernel
     * ({@link ChannelSparseFfn}) and reads only the weight columns of the channels at or above the thresholds; with
     * both 0 it is Jlama's stock FFN. {@code criterion} says what the thresholds are compared with. The kept counts
     * are in {@link #lastChannelStats()} afterwards.
     */
    public AbstractTensor forward(
        AbstractTensor input,
        int position,
        KvBufferCache.KvBuffer kvBuffer,
        LayerAction action,
        ResidualCosine signal,
        float inputThreshold,
        float intermediateThreshold,
        ChannelCriterion criterion
    ) {
        var ops = TensorOperationsProvider.get();
        AbstractTensor attentionIn = inputNorm.forward(input);
        AbstractTensor residual; // h_mid = input + attention(norm(input))
        try (AbstractTensor quantized = model.quantizeForMatmul(attentionIn)) {
            residual = attention.forward(quantized, position, kvBuffer, Optional.empty());
        } finally {
            attentionIn.close();
        }

        if (action == LayerAction.DROP_LAYER) {
            // The K/V of this layer were written from the exit state above; the hidden state passes through unchanged.
            residual.close();
            return input;
        }

        ops.accumulate(residual, input, 0, width);
        if (action == LayerAction.SKIP_FFN) return residual;

        AbstractTensor ffnIn = postAttentionNorm.forward(residual);
        AbstractTensor output; // h_out = h_mid + ffn(norm(h_mid))
        ChannelProbe probe = model.channelProbe();
        if ((inputThreshold > 0f || intermediateThreshold > 0f || probe != null) && residual.shape().first() == 1) {
            output = sparseFfn(ffnIn, inputThreshold, intermediateThreshold, criterion, probe, residual);
        } else {
            NativeDecodeFfn fast = residual.shape().first() == 1 ? nativeFfn : null;
            try (AbstractTensor quantized = model.quantizeForMatmul(ffnIn)) {
                output = fast != null ? fast.forward(quantized) : ffn.forward(quantized, Optional.empty());
            } finally {
                ffnIn.close();
            }
        }
        ops.accumulate(output, residual, 0, width);

        if (signal != null) signal.measure(residual, output, width);
        residual.close();
        return output;
    }

    private AbstractTensor sparseFfn(AbstractTensor ffnIn, float inputThreshold, float intermediateThreshold, ChannelCriterion criterion, ChannelProbe probe, AbstractTensor residual) {
        try {
            for (int j = 0; j < width; j++) sparseIn[j] = ffnIn.get(0, j);
        } finally {
            ffnIn.close();
        }
        if (probe != null && probeMid == null) probeMid = new float[model.getConfig().hiddenLength];
        channelSparse().forward(sparseIn, inputThreshold, intermediateThreshold, criterion == ChannelCriterion.WEIGHTED, sparseOut, sparseStats, probe != null ? probeMid : null);
        if (probe != null) {
            double norm = 0;
            for (int j = 0; j < width; j++) norm += (double) residual.get(0, j) * residual.get(0, j);
            probe.sample(layerIndex, sparseIn, probeMid, Math.sqrt(norm));
        }
        AbstractTensor output = model.makeDenseTensor(1, width);
        for (int j = 0; j < width; j++) output.set(sparseOut[j], 0, j);
        return output;
    }

    /**
     * Called by the model's constructor once it has handed its weights to our kernel: when all three FFN weights of
     * this layer went, decode rows run their FFN on {@link NativeDecodeFfn}.
     */
    void useNativeFfnIfAdopted() {
        FfnWeights w = ffnWeights;
        if (Q4DecodeMatmul.isAdopted(w.gate()) && Q4DecodeMatmul.isAdopted(w.up()) && Q4DecodeMatmul.isAdopted(w.down())) {
            nativeFfn = new NativeDecodeFfn(model, model.getConfig().activationFunction, w.gate(), w.up(), w.down());
        }
    }

    /** Kept channel counts of the last channel-sparse FFN this layer ran. */
    public ChannelSparseFfn.Stats lastChannelStats() {
        return sparseStats;
    }

    /**
     * The FFN in our column-major layout, built on first use from the weights Jlama loaded: a Q4_1 GGUF file's own
     * blocks when every FFN weight is one ({@link ColumnQ4Matrix#exactly}: the very weights the dense decode uses),
     * else their values re-quantized to Q8_0 along each column (about 0.01% perplexity on SmolLM2, but enough to move
     * greedy answers; against 31% for Q4_0).
     */
    ChannelSparseFfn channelSparse() {
        ChannelSparseFfn f = sparseFfn;
        if (f != null) return f;
        synchronized (this) {
            if (sparseFfn == null) {
                int inter = model.getConfig().hiddenLength;
                float[] gate = values(ffnWeights.gate(), inter, width), up = values(ffnWeights.up(), inter, width);
                float[] down = values(ffnWeights.down(), width, inter);
                Optional<ColumnQ4Matrix> gateUp4 = width % ColumnQ4Matrix.BLOCK == 0 && inter % ColumnQ4Matrix.BLOCK == 0
                    ? ColumnQ4Matrix.exactlyInterleaved(gate, up, inter, width) : Optional.empty();
                Optional<ColumnQ4Matrix> down4 = gateUp4.flatMap(g -> ColumnQ4Matrix.exactly(down, width, inter));
                sparseFfn = down4.isPresent()
                    ? new ChannelSparseFfn(gateUp4.get(), down4.get(), model.channelKernelConfig(), model.channelTeam())
                    : new ChannelSparseFfn(ColumnQ8Matrix.quantizeInterleaved(gate, up, inter, width),
                        ColumnQ8Matrix.quantize(down, width, inter), model.channelKernelConfig(), model.channelTeam());
            }
            return sparseFfn;
        }
    }

    private static float[] values(AbstractTensor t, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) v[r * cols + c] = t.get(r, c);
        }
        return v;
    }
}
