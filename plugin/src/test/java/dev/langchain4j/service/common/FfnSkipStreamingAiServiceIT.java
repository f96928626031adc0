package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import java.util.List;

/** LangChain4j's {@link AbstractStreamingAiServiceIT} on {@code FfnSkipStreamingChatModel}; one subclass per {@link ConformanceModel}. */
public abstract class FfnSkipStreamingAiServiceIT extends AbstractStreamingAiServiceIT {
    private StreamingChatModel model;

    protected abstract ConformanceModel conformanceModel();

    @Override
    protected List<StreamingChatModel> models() {
        if (model == null) model = conformanceModel().streamingChatModel().build();
        return List.of(model);
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(StreamingChatModel streamingChatModel) {
        return FfnSkipChatResponseMetadata.class;
    }
}
