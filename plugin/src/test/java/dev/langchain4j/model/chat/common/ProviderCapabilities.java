package dev.langchain4j.model.chat.common;

import java.net.URISyntaxException;
import java.net.URL;

/**
 * What the ffn-skip provider supports, for the suites' {@code supportsXxx} switches: the same answers for every suite
 * and model. Supported and tested by the suites: text in and out, system/user/AI/tool messages, default and per-request
 * parameters (temperature, topP, topK, maxOutputTokens, stopSequences), tools (AUTO and NONE; several calls in one
 * answer; streamed as partial and complete tool calls) for a model whose chat template has a tool format (that switch
 * is per model: {@code ConformanceModel.supportsTools()}), streaming with cancellation, listeners.
 */
final class ProviderCapabilities {
    private ProviderCapabilities() {}

    /** One chat model serves one loaded model: another name is an {@code UnsupportedFeatureException}. */
    static final boolean MODEL_NAME_PARAMETER = false;

    /** A small local model cannot be forced to call a tool: {@code ToolChoice.REQUIRED} is refused. */
    static final boolean TOOL_CHOICE_REQUIRED = false;

    /** JSON mode and JSON schemas are enforced by constrained decoding (structured output). */
    static final boolean JSON_RESPONSE_FORMAT = true;

    /**
     * Tools and a JSON response format in one request are refused ({@code UnsupportedFeatureException}): the
     * constrained answer could not be a tool call.
     */
    static final boolean TOOLS_AND_JSON_RESPONSE_FORMAT = false;

    /** The models read text only: image contents are refused, by base64 data or by URL alike. */
    static final boolean IMAGE_INPUTS = false;

    /** The suites' cat image, from the LangChain4j test jar: a local resource, no network. */
    static String catImageUrl() {
        return resource("/images/cat.jpg");
    }

    static String diceImageUrl() {
        return resource("/images/dice.jpg");
    }

    private static String resource(String name) {
        URL url = AbstractBaseChatModelIT.class.getResource(name);
        if (url == null) throw new IllegalStateException(name + " is not on the test class path (langchain4j-core tests jar)");
        try {
            return url.toURI().toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
