package dev.langchain4j.model.chat.common;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.atLeastOnce;

import dev.ffnskip.langchain4j.FfnSkipChatRequestParameters;
import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.List;
import org.mockito.InOrder;

/**
 * LangChain4j's {@link AbstractStreamingChatModelIT} on {@code FfnSkipStreamingChatModel}; one subclass per
 * {@link ConformanceModel}. Tool calls are streamed: {@code onPartialToolCall} pieces as the arguments are decoded, then
 * {@code onCompleteToolCall}, so the suite's partial-tool-call checks are on.
 */
public abstract class FfnSkipStreamingChatModelIT extends AbstractStreamingChatModelIT {
    private StreamingChatModel model;

    protected abstract ConformanceModel conformanceModel();

    @Override
    protected List<StreamingChatModel> models() {
        if (model == null) model = conformanceModel().streamingChatModel().build();
        return List.of(model);
    }

    @Override
    protected StreamingChatModel createModelWith(ChatRequestParameters parameters) {
        return conformanceModel().streamingChatModel(parameters).build();
    }

    @Override
    public StreamingChatModel createModelWith(ChatModelListener listener) {
        return conformanceModel().streamingChatModel().listeners(listener).build();
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return FfnSkipChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(StreamingChatModel model) {
        return FfnSkipChatResponseMetadata.class;
    }

    @Override
    protected boolean supportsPartialToolStreaming(StreamingChatModel model) {
        return true;
    }

    @Override
    protected boolean supportsStreamingCancellation() {
        return true;
    }

    /** Our order for one call: the arguments in pieces, then the complete call (no text before it). */
    @Override
    protected void verifyToolCallbacks(StreamingChatResponseHandler handler, InOrder io, String id) {
        io.verify(handler, atLeastOnce()).onPartialToolCall(argThat(call -> call.index() == 0 && id.equals(call.id())), any());
        io.verify(handler).onCompleteToolCall(argThat(call -> call.index() == 0 && id.equals(call.toolExecutionRequest().id())));
    }

    /** Two calls in one answer: each call's pieces in the order written, then both complete calls. */
    @Override
    protected void verifyToolCallbacks(StreamingChatResponseHandler handler, InOrder io, String id1, String id2) {
        io.verify(handler, atLeastOnce()).onPartialToolCall(argThat(call -> call.index() == 0 && id1.equals(call.id())), any());
        io.verify(handler, atLeastOnce()).onPartialToolCall(argThat(call -> call.index() == 1 && id2.equals(call.id())), any());
        io.verify(handler).onCompleteToolCall(argThat(call -> call.index() == 0 && id1.equals(call.toolExecutionRequest().id())));
        io.verify(handler).onCompleteToolCall(argThat(call -> call.index() == 1 && id2.equals(call.toolExecutionRequest().id())));
    }

    @Override
    protected String catImageUrl() {
        return ProviderCapabilities.catImageUrl();
    }

    @Override
    protected String diceImageUrl() {
        return ProviderCapabilities.diceImageUrl();
    }

    /** Per model: only a chat template with a tool format gets tools (ConformanceModel says which). */
    @Override
    protected boolean supportsTools() {
        return conformanceModel().supportsTools();
    }

    @Override
    protected boolean supportsModelNameParameter() {
        return ProviderCapabilities.MODEL_NAME_PARAMETER;
    }

    @Override
    protected boolean supportsToolChoiceRequired() {
        return ProviderCapabilities.TOOL_CHOICE_REQUIRED;
    }

    @Override
    protected boolean supportsJsonResponseFormat() {
        return ProviderCapabilities.JSON_RESPONSE_FORMAT;
    }

    @Override
    protected boolean supportsJsonResponseFormatWithSchema() {
        return ProviderCapabilities.JSON_RESPONSE_FORMAT;
    }

    @Override
    protected boolean supportsJsonResponseFormatWithRawSchema() {
        return ProviderCapabilities.JSON_RESPONSE_FORMAT;
    }

    @Override
    protected boolean supportsToolsAndJsonResponseFormatWithSchema() {
        return ProviderCapabilities.TOOLS_AND_JSON_RESPONSE_FORMAT;
    }

    @Override
    protected boolean supportsSingleImageInputAsBase64EncodedString() {
        return ProviderCapabilities.IMAGE_INPUTS;
    }

    @Override
    protected boolean supportsSingleImageInputAsPublicURL() {
        return ProviderCapabilities.IMAGE_INPUTS;
    }
}
