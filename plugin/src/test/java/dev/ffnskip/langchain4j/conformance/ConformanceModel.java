package dev.ffnskip.langchain4j.conformance;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipModelBuilder;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.SharedAssets;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The models LangChain4j's provider suites run on, and how the suites' chat models are built from them: the one place
 * that names a model, and the one place for what differs between models: whether the provider offers it tools, and its
 * default answer length. Each suite has an abstract base in LangChain4j's package ({@code FfnSkip*IT}) and one
 * subclass per model ({@code Skipbench*IT}, {@code SmolLm2*IT}) that says which suite tests the model cannot pass
 * ({@code @Disabled("model: ...")}); provider-wide capability switches are {@code ProviderCapabilities}'.
 *
 * <p>Every chat model is the provider as users get it (the model's default FFN-skip gate: skipbench-28m's calibrated
 * one; SmolLM2 has no calibration here, so it runs dense), with greedy decoding so that runs are reproducible, float32
 * activations (shared with the plugin's other tests: one load per model) and at most {@link #maxOutputTokens()} tokens
 * per answer unless a test sets its own.
 */
public enum ConformanceModel {
    /**
     * The project's 28M test model: factoids, context QA, 9 trained tools (see shared/README.md); no capital cities.
     * 64 tokens: enough for every expected answer and tool call, cheap when the model rambles.
     */
    SKIPBENCH_28M("skipbench-28m", SharedAssets::skipbench, true, 64),

    /**
     * SmolLM2-135M-Instruct (its Q4_1 GGUF file, converted to float32 once): a real general model. Its chat template is
     * plain ChatML with no tool format, so the provider refuses tools for it ({@code UnsupportedFeatureException}) and
     * the suites' "fails if tools are not supported" tests check that. 32 tokens: its expected answers come in the
     * first sentence, and it decodes about 5x slower than skipbench-28m.
     */
    SMOLLM2_135M("SmolLM2-135M-Instruct.Q4_1", SharedAssets::smollm2, false, 32);

    private final String modelName;
    private final Supplier<Path> folder;
    private final boolean tools;
    private final int maxOutputTokens;

    ConformanceModel(String modelName, Supplier<Path> folder, boolean tools, int maxOutputTokens) {
        this.modelName = modelName;
        this.folder = folder;
        this.tools = tools;
        this.maxOutputTokens = maxOutputTokens;
    }

    /** The suites' {@code supportsTools} switch: whether the provider offers this model tools (its template has a tool format). */
    public boolean supportsTools() {
        return tools;
    }

    /** Default answer length of the suites' models. */
    public int maxOutputTokens() {
        return maxOutputTokens;
    }

    /** The name the chat models report (request parameters and response metadata). */
    public String modelName() {
        return modelName;
    }

    public Path folder() {
        return folder.get();
    }

    /** The suites' defaults (greedy, {@link #maxOutputTokens()}) overridden by {@code parameters}. */
    public ChatRequestParameters defaults(ChatRequestParameters parameters) {
        ChatRequestParameters base = ChatRequestParameters.builder().temperature(0.0).maxOutputTokens(maxOutputTokens).build();
        return parameters == null ? base : base.overrideWith(parameters);
    }

    public FfnSkipChatModel.Builder chatModel(ChatRequestParameters parameters) {
        return configure(FfnSkipChatModel.builder(), parameters);
    }

    public FfnSkipChatModel.Builder chatModel() {
        return chatModel(null);
    }

    public FfnSkipStreamingChatModel.Builder streamingChatModel(ChatRequestParameters parameters) {
        return configure(FfnSkipStreamingChatModel.builder(), parameters);
    }

    public FfnSkipStreamingChatModel.Builder streamingChatModel() {
        return streamingChatModel(null);
    }

    private <B extends FfnSkipModelBuilder<B>> B configure(B builder, ChatRequestParameters parameters) {
        return builder.modelPath(folder()).workingQuantizedType(DType.F32).defaultRequestParameters(defaults(parameters));
    }

    /**
     * A private copy of the model that is permanently busy: it admits no waiting callers and a session holds it, so
     * every request fails with LangChain4j's {@code RateLimitException}, blocking or streaming (the listener suites'
     * "failing model"; a local model has no server to be unreachable). {@link #close()} frees it.
     */
    public static final class Busy implements AutoCloseable {
        private final AutoCloseable owner;
        private final DecodeSession holder;

        private Busy(AutoCloseable owner, FfnSkipModel model) {
            this.owner = owner;
            model.setMaxWaiting(0);
            this.holder = model.openSession(GatePolicy.DENSE, false);
        }

        public static Busy holding(FfnSkipChatModel privateCopy) {
            return new Busy(privateCopy, privateCopy.model());
        }

        public static Busy holding(FfnSkipStreamingChatModel privateCopy) {
            return new Busy(privateCopy, privateCopy.model());
        }

        @Override
        public void close() throws Exception {
            holder.close();
            owner.close();
        }
    }
}
