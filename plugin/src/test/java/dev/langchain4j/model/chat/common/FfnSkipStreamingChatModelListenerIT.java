package dev.langchain4j.model.chat.common;

import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/**
 * LangChain4j's {@link AbstractStreamingChatModelListenerIT} on {@code FfnSkipStreamingChatModel}; one subclass per
 * {@link ConformanceModel}. The failing model is a busy one: the generation cannot get the model and
 * {@code onError} receives a {@link RateLimitException}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FfnSkipStreamingChatModelListenerIT extends AbstractStreamingChatModelListenerIT {
    private final List<ConformanceModel.Busy> busy = new ArrayList<>();

    protected abstract ConformanceModel conformanceModel();

    @Override
    protected StreamingChatModel createModel(ChatModelListener listener) {
        ChatRequestParameters parameters = ChatRequestParameters.builder()
            .temperature(temperature())
            .topP(topP())
            .maxOutputTokens(maxTokens())
            .build();
        return conformanceModel().streamingChatModel(parameters).listeners(listener).build();
    }

    @Override
    protected String modelName() {
        return conformanceModel().modelName();
    }

    @Override
    protected StreamingChatModel createFailingModel(ChatModelListener listener) {
        FfnSkipStreamingChatModel model = conformanceModel().streamingChatModel().shareModel(false).listeners(listener).build();
        busy.add(ConformanceModel.Busy.holding(model));
        return model;
    }

    /** Per model: only a chat template with a tool format gets tools (ConformanceModel says which). */
    @Override
    protected boolean supportsTools() {
        return conformanceModel().supportsTools();
    }

    @Override
    protected Class<? extends Exception> expectedExceptionClass() {
        return RateLimitException.class;
    }

    @AfterAll
    void releaseBusyModels() throws Exception {
        for (ConformanceModel.Busy b : busy) b.close();
    }
}
