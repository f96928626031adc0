package dev.ffnskip.jlama.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.model.CausalSelfAttention;
import com.github.tjake.jlama.model.MLPBlock;
import com.github.tjake.jlama.model.RMSNorm;
import com.github.tjake.jlama.model.functions.FeedForward;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.testing.TestModels;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A skipped FFN is never called: no FFN weight is read and no FFN arithmetic is done. */
class GatedTransformerBlockTest {

    @Test
    void skippedFfnIsNeverInvokedAndTheOutputIsThePostAttentionResidual() {
        GatedLlamaModel model = TestModels.skipbench().jlama();
        AtomicInteger ffnCalls = new AtomicInteger();
        GatedTransformerBlock block = layerWithCountingFfn(model, 5, ffnCalls);
        int width = model.getConfig().embeddingLength;

        AbstractTensor input = model.makeDenseTensor(1, width);
        for (int i = 0; i < width; i++) input.set((float) Math.sin(i), 0, i);

        try (KvBufferCache.KvBuffer kv = model.newKvBuffer()) {
            AbstractTensor skipped = block.forward(input, 0, kv, LayerAction.SKIP_FFN, new ResidualCosine());
            assertThat(ffnCalls).hasValue(0);

            ResidualCosine signal = new ResidualCosine();
            AbstractTensor computed = block.forward(input, 0, kv, LayerAction.COMPUTE, signal);
            assertThat(ffnCalls).hasValue(1);

            // h_out = h_mid + ffn(h_mid): the skipped output is exactly h_mid, so the cosine can be recomputed from both.
            double dot = 0, a = 0, b = 0;
            for (int i = 0; i < width; i++) {
                dot += skipped.get(0, i) * computed.get(0, i);
                a += skipped.get(0, i) * skipped.get(0, i);
                b += computed.get(0, i) * computed.get(0, i);
            }
            assertThat((double) signal.cosine()).isCloseTo(dot / Math.sqrt(a * b), org.assertj.core.data.Offset.offset(1e-5));
            assertThat(signal.cosine()).isLessThan(1f);
        }
    }

    @Test
    void droppedLayerPassesTheHiddenStateThroughAndStillWritesItsKvEntry() {
        GatedLlamaModel model = TestModels.skipbench().jlama();
        AtomicInteger ffnCalls = new AtomicInteger();
        GatedTransformerBlock block = layerWithCountingFfn(model, 7, ffnCalls);
        int width = model.getConfig().embeddingLength;
        AbstractTensor input = model.makeDenseTensor(1, width);
        for (int i = 0; i < width; i++) input.set((float) Math.cos(i), 0, i);
        try (KvBufferCache.KvBuffer kv = model.newKvBuffer()) {
            assertThat(block.forward(input, 3, kv, LayerAction.DROP_LAYER, null)).isSameAs(input);
            assertThat(ffnCalls).hasValue(0);
            AbstractTensor key = kv.getKeyTensorForPosition(7, 3);
            double norm = 0;
            for (int i = 0; i < key.shape().last(); i++) norm += Math.abs(key.get(0, i));
            assertThat(norm).isGreaterThan(0);
        }
    }

    /** Layer {@code layer} of the model rebuilt from its weights, with the FFN wrapped to count calls. */
    private static GatedTransformerBlock layerWithCountingFfn(GatedLlamaModel model, int layer, AtomicInteger calls) {
        WeightLoader w = model.getWeights();
        var c = model.getConfig();
        String p = "model.layers." + layer + ".";
        var type = model.weightType();
        CausalSelfAttention attention = new CausalSelfAttention(
            model,
            layer,
            w.load(p + "self_attn.q_proj.weight", c.dctx(), true, false).quantize(type),
            w.load(p + "self_attn.k_proj.weight", c.dctx(), true, false).quantize(type),
            w.load(p + "self_attn.v_proj.weight", c.dctx(), true, false).quantize(type),
            w.load(p + "self_attn.o_proj.weight", c.dctx(), false, true).quantize(type)
        );
        AbstractTensor gate = w.load(p + "mlp.gate_proj.weight", c.dctx(), true, false).quantize(type);
        AbstractTensor down = w.load(p + "mlp.down_proj.weight", c.dctx(), false, true).quantize(type);
        AbstractTensor up = w.load(p + "mlp.up_proj.weight", c.dctx(), true, false).quantize(type);
        MLPBlock mlp = new MLPBlock(model, c.activationFunction, gate, down, up);
        FeedForward counting = new FeedForward() {
            @Override
            public AbstractTensor forward(AbstractTensor input, Optional<Consumer<List<AbstractTensor>>> reducer) {
                calls.incrementAndGet();
                return mlp.forward(input, reducer);
            }
        };
        return new GatedTransformerBlock(
            model,
            layer,
            new RMSNorm(model, w.load(p + "input_layernorm.weight").quantize(type)),
            attention,
            new RMSNorm(model, w.load(p + "post_attention_layernorm.weight").quantize(type)),
            counting,
            new GatedTransformerBlock.FfnWeights(gate, up, down),
            List.of(gate, up, down)
        );
    }
}
