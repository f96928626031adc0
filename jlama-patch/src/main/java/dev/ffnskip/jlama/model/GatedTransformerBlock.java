package dev.ffnskip.jlama.model;

import com.github.tjake.jlama.model.CausalSelfAttention;
import com.github.tjake.jlama.model.LayerNorm;
import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.model.functions.FeedForward;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import dev.ffnskip.jlama.gate.LayerAction;
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
    private final int width;

    GatedTransformerBlock(
        GatedLlamaModel model,
        int layerIndex,
        LayerNorm inputNorm,
        CausalSelfAttention attention,
        LayerNorm postAttentionNorm,
        FeedForward ffn
    ) {
        super(model, layerIndex, inputNorm, attention, postAttentionNorm, ffn);
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
        try (AbstractTensor quantized = model.quantizeForMatmul(ffnIn)) {
            output = ffn.forward(quantized, Optional.empty());
        } finally {
            ffnIn.close();
        }
        ops.accumulate(output, residual, 0, width);

        if (signal != null) signal.measure(residual, output, width);
        residual.close();
        return output;
    }
}
