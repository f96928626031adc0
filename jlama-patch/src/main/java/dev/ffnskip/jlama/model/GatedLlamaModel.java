package dev.ffnskip.jlama.model;

import com.github.tjake.jlama.model.CausalSelfAttention;
import com.github.tjake.jlama.model.LayerNorm;
import com.github.tjake.jlama.model.MLPBlock;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.RMSNorm;
import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.model.functions.SampleOutput;
import com.github.tjake.jlama.model.llama.LlamaModel;
import com.github.tjake.jlama.model.mistral.MistralConfig;
import com.github.tjake.jlama.model.qwen2.Qwen2Config;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.kernels.ChannelSparseFfn;
import dev.ffnskip.jlama.kernels.DecodeKernels;
import dev.ffnskip.jlama.kernels.NativeQ4Kernel;
import dev.ffnskip.jlama.kernels.Q4DecodeMatmul;
import dev.ffnskip.jlama.kernels.WorkerTeam;
import dev.ffnskip.jlama.model.LayerWeights.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jlama's Llama model (also Mistral and Qwen2, which share its layer layout) with {@link GatedTransformerBlock}s and a
 * gated single-token decode step.
 *
 * <p>Weights, embeddings, output head and prefill are Jlama's own; only the decoder layers are ours. Not thread-safe:
 * like every Jlama model it shares scratch buffers between calls, so one generation runs at a time.
 */
public final class GatedLlamaModel extends LlamaModel {
    private static final Logger logger = LoggerFactory.getLogger(GatedLlamaModel.class);
    private final boolean quantizeHeadInput;
    private final List<AbstractTensor> nativeWeights;
    /** Single-row activations are quantized to I8 by us: Jlama keeps them float32 for this model's sizes. */
    private final boolean quantizesDecodeRows;

    /**
     * @param quantizeHeadInput see {@link dev.ffnskip.jlama.load.LoadOptions#quantizeHeadInput()}
     * @param decodeKernels see {@link dev.ffnskip.jlama.load.LoadOptions#decodeKernels()}
     */
    public GatedLlamaModel(
        InferenceType inferenceType,
        Config config,
        WeightLoader weights,
        Tokenizer tokenizer,
        DType workingDType,
        DType workingQType,
        Optional<DType> modelQType,
        boolean quantizeHeadInput,
        DecodeKernels decodeKernels
    ) {
        super(inferenceType, config, weights, tokenizer, workingDType, workingQType, modelQType);
        this.nativeWeights = adoptForNativeKernel(decodeKernels);
        this.quantizesDecodeRows = !nativeWeights.isEmpty() && this.workingQType != DType.I8;
        // our kernel takes I8 inputs only: with it, the head's input is quantized like every other matmul input
        this.quantizeHeadInput = (quantizeHeadInput || nativeWeights.contains(headWeights()))
            && sampleOutput != null
            && (this.workingQType == DType.I8 || quantizesDecodeRows)
            && sampleOutput.getOutputLogitsWeights().dType() == DType.Q4;
        // Jlama's sample() multiplies whatever the output norm returns by the head: a norm that also quantizes its
        // result makes the head run the Q4 x I8 kernel, with stock sample() (argmax, soft-capping) unchanged.
        if (this.quantizeHeadInput) sampleOutput = withQuantizedNormOutput(sampleOutput);
    }

    private AbstractTensor headWeights() {
        return sampleOutput == null ? null : sampleOutput.getOutputLogitsWeights();
    }

    /**
     * Hands this model's Q4 matmul weights to our decode kernel ({@link Q4DecodeMatmul}) when asked for and possible:
     * Q4 weights, I8 activations, the kernel available. Returns the adopted weights (released again on close).
     */
    private List<AbstractTensor> adoptForNativeKernel(DecodeKernels kernels) {
        if (kernels != DecodeKernels.NATIVE || (workingQType != DType.I8 && workingQType != DType.F32)) return List.of();
        List<AbstractTensor> candidates = new ArrayList<>();
        for (TransformerBlock b : transformerBlocks) candidates.addAll(((GatedTransformerBlock) b).matmulWeights());
        if (headWeights() != null) candidates.add(headWeights());
        if (candidates.stream().noneMatch(Q4DecodeMatmul::fits)) return List.of();
        // Jlama keeps float32 activations with Q4 weights unless the hidden sizes are multiples of 16 blocks (AVX-512);
        // our kernel needs 2 blocks, so we quantize decode rows ourselves, but only if every matmul then runs on it
        // (Jlama's own Q4 x I8 kernel refuses these sizes)
        if (workingQType == DType.F32 && !candidates.stream().allMatch(Q4DecodeMatmul::fits)) return List.of();
        if (!NativeQ4Kernel.available()) {
            logger.info("Decode runs Jlama's kernels: ffn-skip's native Q4 kernel is not available ({})", NativeQ4Kernel.unavailableReason().orElse("?"));
            return List.of();
        }
        List<AbstractTensor> adopted = candidates.stream().filter(Q4DecodeMatmul::adopt).toList();
        for (TransformerBlock b : transformerBlocks) ((GatedTransformerBlock) b).useNativeFfnIfAdopted();
        logger.info("Decode runs ffn-skip's native Q4 x I8 kernel for {} of {} weight matrices (-Dffnskip.kernels=stock for Jlama's)",
            adopted.size(), candidates.size());
        return adopted;
    }

    private SampleOutput withQuantizedNormOutput(SampleOutput stock) {
        LayerNorm norm = stock.getOutputLayerNorm();
        LayerNorm quantizing = new LayerNorm(this, null, null) {
            @Override
            public AbstractTensor forward(AbstractTensor input) {
                try (AbstractTensor normed = norm.forward(input)) {
                    return maybeQuantize(normed);
                }
            }

            @Override
            public AbstractTensor forward(AbstractTensor input, int offset, int length) {
                try (AbstractTensor normed = norm.forward(input, offset, length)) {
                    return maybeQuantize(normed);
                }
            }
        };
        AbstractTensor head = stock.getOutputLogitsWeights();
        return new SampleOutput() {
            @Override
            public LayerNorm getOutputLayerNorm() {
                return quantizing;
            }

            @Override
            public AbstractTensor getOutputLogitsWeights() {
                return head;
            }
        };
    }

    /** Our layers from our own table-driven loader ({@link LayerWeights}: why not Jlama's), built of Jlama's public parts. */
    @Override
    protected TransformerBlock[] loadTransformerBlockWeights() {
        // Runs inside Jlama's constructor: only fields of AbstractModel may be used here.
        DType type = modelQType.orElse(modelDType);
        TransformerBlock[] blocks = new TransformerBlock[c.dctx().numberOfLayers];
        IntStream.range(c.dctx().layerStart, c.dctx().layerEnd).parallel().forEach(layer -> {
            int relative = layer - c.dctx().layerStart;
            LayerWeights w = LayerWeights.load(weights, c.dctx(), layer, type);
            var ffn = new GatedTransformerBlock.FfnWeights(w.get(Tensor.FFN_GATE), w.get(Tensor.FFN_UP), w.get(Tensor.FFN_DOWN));
            blocks[relative] = new GatedTransformerBlock(
                this,
                relative,
                new RMSNorm(this, w.get(Tensor.ATTENTION_NORM)),
                new CausalSelfAttention(
                    this,
                    relative,
                    w.optional(Tensor.QUERY_BIAS),
                    w.optional(Tensor.KEY_BIAS),
                    w.optional(Tensor.VALUE_BIAS),
                    w.get(Tensor.QUERY),
                    w.get(Tensor.KEY),
                    w.get(Tensor.VALUE),
                    Optional.empty(),
                    w.get(Tensor.OUTPUT)
                ),
                new RMSNorm(this, w.get(Tensor.FFN_NORM)),
                new MLPBlock(this, c.activationFunction, ffn.gate(), ffn.down(), ffn.up()),
                ffn,
                List.of(w.get(Tensor.QUERY), w.get(Tensor.KEY), w.get(Tensor.VALUE), w.get(Tensor.OUTPUT), ffn.gate(), ffn.up(), ffn.down())
            );
        });
        return blocks;
    }

    @Override
    public ModelSupport.ModelType getModelType() {
        if (c instanceof Qwen2Config) return ModelSupport.ModelType.QWEN2;
        if (c instanceof MistralConfig) return ModelSupport.ModelType.MISTRAL;
        return ModelSupport.ModelType.LLAMA;
    }

    /**
     * Positions this model can actually use. Jlama 0.8.4 looks up the RoPE table of head {@code h} at
     * {@code position + 2h} (queries and keys alike, so attention is unaffected), which runs past the table for the
     * last {@code 2 x (heads - 1)} positions; those positions cannot be used.
     */
    public int usableContextLength() {
        int rotatedHeads = c.isGQA ? c.numberOfKeyValueHeads : c.numberOfHeads;
        return c.contextLength - 2 * (rotatedHeads - 1);
    }

    public int numberOfLayers() {
        return transformerBlocks.length;
    }

    public GatedTransformerBlock block(int layer) {
        return (GatedTransformerBlock) transformerBlocks[layer];
    }

    /** The type activations are quantized to before each matmul, after Jlama's own fallbacks. */
    public DType workingQuantizationType() {
        return workingQType;
    }

    /** The weight type of the decoder layers. (Asking Jlama for F32 never widens stored weights; it only keeps activations F32.) */
    public DType weightType() {
        return modelQType.filter(q -> q != DType.F32).orElse(modelDType);
    }

    /**
     * Jlama's activation quantization before a matmul (the working type), except that single rows go to I8 when our
     * decode kernel takes every matmul of a model Jlama would keep float32 ({@link #quantizesDecodeRows}).
     */
    @Override
    protected AbstractTensor maybeQuantize(AbstractTensor t) {
        if (quantizesDecodeRows && t.dType() == DType.F32 && t.dims() == 2 && t.shape().first() == 1
            && t.shape().last() % NativeQ4Kernel.COLUMN_MULTIPLE == 0) {
            return TensorOperationsProvider.get().quantize(t, DType.I8, 0, t.shape().last());
        }
        return super.maybeQuantize(t);
    }

    /** Activation quantization as Jlama does it before every matmul. */
    AbstractTensor quantizeForMatmul(AbstractTensor t) {
        return maybeQuantize(t);
    }

    /**
     * Whether the output head runs on the I8-quantized hidden state: asked for, and the layers themselves run Q4
     * weights with I8 activations (the only pair this applies to).
     */
    public boolean quantizesHeadInput() {
        return quantizeHeadInput;
    }

    /** A fresh in-memory KV cache for one request; the caller closes it. */
    public KvBufferCache.KvBuffer newKvBuffer() {
        return kvBufferCache.getEphemeralKvBuffer();
    }

    /** The input embedding of {@code token} at {@code position} (what {@link #decodeStep} starts from); the caller closes it. */
    public AbstractTensor embed(int token, int position) {
        return embedInput.inputTokenToEmbedding(token, position);
    }

    /**
     * One gated single-token forward: attention in every layer, the FFN as {@code gate} decides.
     *
     * @param recorder receives every layer's action and, for computed FFNs, its signal
     * @return the final hidden state (before the output norm); the caller closes it
     */
    public AbstractTensor decodeStep(
        int token,
        int position,
        KvBufferCache.KvBuffer kvBuffer,
        FfnGate gate,
        ResidualCosine signal,
        LayerRecorder recorder
    ) {
        AbstractTensor hidden = embedInput.inputTokenToEmbedding(token, position);
        for (int layer = 0; layer < transformerBlocks.length; layer++) {
            LayerAction action = gate.action(layer);
            float tIn = action == LayerAction.COMPUTE ? gate.inputThreshold(layer) : 0f;
            float tMid = action == LayerAction.COMPUTE ? gate.intermediateThreshold(layer) : 0f;
            GatedTransformerBlock block = block(layer);
            AbstractTensor next = block.forward(hidden, position, kvBuffer, action, signal, tIn, tMid, gate.channelCriterion());
            if (action == LayerAction.COMPUTE && signal != null) {
                gate.observe(layer, signal.cosine(), signal.updateToResidualNorm());
            }
            recorder.record(layer, action, action == LayerAction.COMPUTE && signal != null ? signal.cosine() : Float.NaN);
            if (tIn > 0f || tMid > 0f) {
                ChannelSparseFfn.Stats s = block.lastChannelStats();
                recorder.recordChannels(layer, s.keptIn, s.hidden, s.keptMid, s.intermediate);
            }
            if (next != hidden) {
                hidden.close();
                hidden = next;
            }
        }
        return hidden;
    }

    /** Receives what each layer did during a decode step. */
    @FunctionalInterface
    public interface LayerRecorder {
        void record(int layer, LayerAction action, float cosine);

        /** For an FFN computed channel-sparse: kept input channels of {@code hidden}, kept intermediate of {@code intermediate}. */
        default void recordChannels(int layer, int keptIn, int hidden, int keptMid, int intermediate) {}
    }

    private volatile WorkerTeam channelTeam;
    private volatile ChannelProbe channelProbe;

    /**
     * Routes every single-token FFN through the channel-sparse kernel and shows each one's input and intermediate
     * activations to {@code probe} (null to stop): how calibration measures channel magnitudes. Not for serving.
     */
    public void setChannelProbe(ChannelProbe probe) {
        this.channelProbe = probe;
    }

    ChannelProbe channelProbe() {
        return channelProbe;
    }

    /** The channel-sparse FFN of {@code layer}, built on first use (for calibration and benchmarks). */
    public ChannelSparseFfn channelSparseFfn(int layer) {
        return block(layer).channelSparse();
    }

    /** Thread layout of the channel-sparse FFN kernels: as many threads as Jlama's matmul pool. */
    ChannelSparseFfn.Config channelKernelConfig() {
        return ChannelSparseFfn.Config.of(PhysicalCoreExecutor.instance.get().getCoreCount());
    }

    /** One worker team for all layers' channel-sparse FFNs (they run one at a time, like every Jlama layer). */
    synchronized WorkerTeam channelTeam() {
        if (channelTeam == null) {
            ChannelSparseFfn.Config k = channelKernelConfig();
            channelTeam = WorkerTeam.create(k.threads(), k.handoff(), k.spinNanos());
        }
        return channelTeam;
    }

    /** Whether single-token products run on our native kernel (see {@link DecodeKernels#NATIVE}). */
    public boolean usesNativeDecodeKernel() {
        return !nativeWeights.isEmpty();
    }

    @Override
    public void close() {
        try {
            Q4DecodeMatmul.release(nativeWeights);
            if (channelTeam != null) channelTeam.close();
        } finally {
            super.close();
        }
    }
}
