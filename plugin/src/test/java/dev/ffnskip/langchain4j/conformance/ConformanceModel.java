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
 * that names a model. Each suite has an abstract base in LangChain4j's package ({@code FfnSkip*IT}) and one subclass
 * per model ({@code Skipbench*IT}) that says which suite tests the model cannot pass ({@code @Disabled("model: ...")});
 * a second model is a constant here plus one subclass per suite.
 *
 * <p>Every chat model is the provider as users get it (the model's shipped default FFN-skip gate), with greedy decoding
 * so that runs are reproducible, float32 activations (shared with the plugin's other tests: one load) and at most
 * {@link #MAX_OUTPUT_TOKENS} tokens per answer unless a test sets its own.
 */
public enum ConformanceModel {
    /** The project's 28M test model: factoids, context QA, 9 trained tools (see shared/README.md); no capital cities. */
    SKIPBENCH_28M("skipbench-28m", SharedAssets::skipbench);

    /** Default answer length of the suites' models: enough for every expected answer and tool call, cheap when the model rambles. */
    public static final int MAX_OUTPUT_TOKENS = 64;

    private final String modelName;
    private final Supplier<Path> folder;

    ConformanceModel(String modelName, Supplier<Path> folder) {
        this.modelName = modelName;
        this.folder = folder;
    }

    /** The name the chat models report (request parameters and response metadata). */
    public String modelName() {
        return modelName;
    }

    public Path folder() {
        return folder.get();
    }

    /** The suites' defaults (greedy, {@link #MAX_OUTPUT_TOKENS}) overridden by {@code parameters}. */
    public ChatRequestParameters defaults(ChatRequestParameters parameters) {
        ChatRequestParameters base = ChatRequestParameters.builder().temperature(0.0).maxOutputTokens(MAX_OUTPUT_TOKENS).build();
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
