package dev.langchain4j.model.chat.common;

import dev.ffnskip.langchain4j.FfnSkipChatRequestParameters;
import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import java.util.List;

/**
 * LangChain4j's {@link AbstractChatModelIT} on {@code FfnSkipChatModel}, with the capability switches saying what the
 * provider supports; one subclass per {@link ConformanceModel}. In LangChain4j's package so that subclasses can disable
 * a suite test the model cannot pass, package-private ones included.
 */
public abstract class FfnSkipChatModelIT extends AbstractChatModelIT {
    private ChatModel model;

    /** The model the suite runs on. */
    protected abstract ConformanceModel conformanceModel();

    @Override
    protected List<ChatModel> models() {
        if (model == null) model = conformanceModel().chatModel().build();
        return List.of(model);
    }

    @Override
    protected ChatModel createModelWith(ChatRequestParameters parameters) {
        return conformanceModel().chatModel(parameters).build();
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return FfnSkipChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(ChatModel model) {
        return FfnSkipChatResponseMetadata.class;
    }

    @Override
    protected String catImageUrl() {
        return ProviderCapabilities.catImageUrl();
    }

    @Override
    protected String diceImageUrl() {
        return ProviderCapabilities.diceImageUrl();
    }

    // What the provider supports (ProviderCapabilities says why).

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
