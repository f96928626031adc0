package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.langchain4j.model.chat.ChatModel;
import java.util.List;

/**
 * LangChain4j's {@link AbstractAiServiceIT} on {@code FfnSkipChatModel}; one subclass per {@link ConformanceModel}.
 * The switch below gates the suite's tool-then-structured-output test only: structured output works (StructuredOutputTest),
 * but tools and a JSON response format in one request are refused, so that test stays off.
 */
public abstract class FfnSkipAiServiceIT extends AbstractAiServiceIT {
    private ChatModel model;

    protected abstract ConformanceModel conformanceModel();

    @Override
    protected List<ChatModel> models() {
        if (model == null) model = conformanceModel().chatModel().build();
        return List.of(model);
    }

    /** Per model: only a chat template with a tool format gets tools (ConformanceModel says which). */
    @Override
    protected boolean supportsTools() {
        return conformanceModel().supportsTools();
    }

    @Override
    protected boolean supportsJsonResponseFormatWithSchema() {
        return false;
    }
}
