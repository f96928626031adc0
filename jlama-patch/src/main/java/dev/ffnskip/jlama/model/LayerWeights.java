package dev.ffnskip.jlama.model;

import com.github.tjake.jlama.model.DistributedContext;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The tensors of one decoder layer, read by one loop over a table of the Hugging Face Llama layout (Mistral and Qwen2
 * share it; Qwen2 adds the attention biases).
 *
 * <p>Why our own loader: Jlama's {@code LlamaModel} loads a layer straight into a stock {@code TransformerBlock}, whose
 * parts (and the FFN weights inside {@code MLPBlock}) are package-private or private with no accessor, so its loading
 * cannot be reused for a block that must read the FFN weights itself (skipping, channel-sparse kernels). What a layer
 * holds is written here once, as data: the tensor names, whether the tensor is required, and how a distributed
 * context shards it; {@link GatedLlamaModel} assembles Jlama's public components from the result.
 */
final class LayerWeights {
    /** How Jlama's {@code DistributedContext} splits a tensor across workers. */
    enum Shard {
        NONE,
        /** by output rows (the projections into attention heads and into the FFN's intermediate channels) */
        ROWS,
        /** by input columns (the projections back into the residual stream) */
        COLUMNS
    }

    enum Tensor {
        ATTENTION_NORM("input_layernorm.weight", Shard.NONE, true),
        QUERY("self_attn.q_proj.weight", Shard.ROWS, true),
        KEY("self_attn.k_proj.weight", Shard.ROWS, true),
        VALUE("self_attn.v_proj.weight", Shard.ROWS, true),
        OUTPUT("self_attn.o_proj.weight", Shard.COLUMNS, true),
        QUERY_BIAS("self_attn.q_proj.bias", Shard.NONE, false),
        KEY_BIAS("self_attn.k_proj.bias", Shard.NONE, false),
        VALUE_BIAS("self_attn.v_proj.bias", Shard.NONE, false),
        FFN_NORM("post_attention_layernorm.weight", Shard.NONE, true),
        FFN_GATE("mlp.gate_proj.weight", Shard.ROWS, true),
        FFN_UP("mlp.up_proj.weight", Shard.ROWS, true),
        FFN_DOWN("mlp.down_proj.weight", Shard.COLUMNS, true);

        final String suffix;
        final Shard shard;
        final boolean required;

        Tensor(String suffix, Shard shard, boolean required) {
            this.suffix = suffix;
            this.shard = shard;
            this.required = required;
        }
    }

    private final Map<Tensor, AbstractTensor> tensors;

    private LayerWeights(Map<Tensor, AbstractTensor> tensors) {
        this.tensors = tensors;
    }

    /** Every tensor of layer {@code layer} present in {@code weights}, converted to {@code type} (a no-op if stored so). */
    static LayerWeights load(WeightLoader weights, DistributedContext dctx, int layer, DType type) {
        Map<Tensor, AbstractTensor> tensors = new EnumMap<>(Tensor.class);
        for (Tensor t : Tensor.values()) {
            String name = "model.layers." + layer + "." + t.suffix;
            if (!t.required && !weights.isWeightPresent(name)) continue;
            AbstractTensor stored = weights.load(name, t.shard == Shard.NONE ? null : dctx, t.shard == Shard.ROWS, t.shard == Shard.COLUMNS);
            tensors.put(t, stored.quantize(type));
        }
        return new LayerWeights(tensors);
    }

    AbstractTensor get(Tensor t) {
        return tensors.get(t);
    }

    Optional<AbstractTensor> optional(Tensor t) {
        return Optional.ofNullable(tensors.get(t));
    }
}
