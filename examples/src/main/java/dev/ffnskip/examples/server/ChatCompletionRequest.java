package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ffnskip.jlama.gate.GateSettings;
import dev.ffnskip.langchain4j.FfnSkipChatRequestParameters;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated OpenAI {@code POST /v1/chat/completions} body, mapped to a LangChain4j {@link ChatRequest}.
 * Fields OpenAI defines but this server cannot honour are rejected by name rather than silently ignored.
 */
record ChatCompletionRequest(String model, boolean stream, boolean includeUsage, ChatRequest chatRequest) {
    /** Fields this server implements. */
    static final Set<String> SUPPORTED = Set.of(
        "model", "messages", "stream", "stream_options", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
        "tools", "tool_choice", "ffn_skip", "response_format"
    );
    /**
     * OpenAI fields accepted and ignored: they do not change this server's output (identifiers for abuse monitoring
     * and caching, billing tier, stored-completion settings; {@code parallel_tool_calls} since this model emits tool
     * calls one turn at a time either way). The list of {@code docs/examples.md}.
     */
    static final Set<String> IGNORED = Set.of(
        "safety_identifier", "prompt_cache_key", "service_tier", "metadata", "store", "user", "parallel_tool_calls"
    );
    /**
     * OpenAI fields accepted only at the value that leaves the output unchanged ({@code n: 1}, {@code logprobs: false},
     * zero penalties, an empty {@code logit_bias}, no {@code top_logprobs}); any other
     * value is a 400 {@code unsupported_parameter} naming the field, as is every field in none of these lists.
     */
    static final Set<String> DEFAULT_ONLY = Set.of(
        "n", "logprobs", "top_logprobs", "logit_bias", "frequency_penalty", "presence_penalty"
    );

    static ChatCompletionRequest parse(JsonNode body, String servedModel) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!SUPPORTED.contains(field) && !IGNORED.contains(field) && !DEFAULT_ONLY.contains(field)) {
                throw ApiError.unsupported(field, "Unsupported parameter: '" + field + "' is not supported by this server.");
            }
        }
        String model = text(body, "model", true);
        if (!model.equals(servedModel)) {
            throw new ApiError(404, "invalid_request_error", "model_not_found", "model", "The model '" + model + "' does not exist; this server serves '" + servedModel + "'.");
        }
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(n.canConvertToInt() && n.asInt() == 1)) throw ApiError.unsupported("n", "Only n=1 is supported.");
        rejectUnless(body, "logprobs", v -> v.isBoolean() && !v.asBoolean(), "logprobs are not supported.");
        rejectUnless(body, "top_logprobs", JsonNode::isNull, "top_logprobs are not supported.");
        rejectUnless(body, "logit_bias", v -> v.isObject() && v.isEmpty(), "logit_bias is not supported.");
        rejectUnless(body, "frequency_penalty", v -> v.isNumber() && v.asDouble() == 0, "frequency_penalty is not supported.");
        rejectUnless(body, "presence_penalty", v -> v.isNumber() && v.asDouble() == 0, "presence_penalty is not supported.");
        FfnSkipChatRequestParameters.Builder parameters = FfnSkipChatRequestParameters.builder();
        ResponseFormat format = ResponseFormats.parse(body.get("response_format"));
        if (format != null) parameters.responseFormat(format);
        Double temperature = number(body, "temperature", 0, 2);
        if (temperature != null) parameters.temperature(temperature);
        Double topP = number(body, "top_p", 0, 1);
        if (topP != null) parameters.topP(topP);
        Integer maxTokens = integer(body, body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", 1);
        if (maxTokens != null) parameters.maxOutputTokens(maxTokens);
        Integer seed = integer(body, "seed", Integer.MIN_VALUE);
        if (seed != null) parameters.seed(seed.longValue());
        List<String> stop = stops(body.get("stop"));
        if (!stop.isEmpty()) parameters.stopSequences(stop);
        skipSettings(body.get("ffn_skip"), parameters);

        List<ToolSpecification> tools = tools(body.get("tools"));
        if (!tools.isEmpty()) parameters.toolSpecifications(tools);
        boolean strict = strictTools(body.get("tools"));
        if (strict) parameters.strictTools(true);
        JsonNode toolChoice = body.get("tool_choice");
        if (format != null && !tools.isEmpty() && !(toolChoice != null && "none".equals(toolChoice.asText()))) {
            throw ApiError.unsupported("response_format", "A JSON response_format together with tools is not supported by this server yet; send them in separate requests or set tool_choice to 'none'.");
        }
        if (toolChoice != null && !toolChoice.isNull() && !(toolChoice.isTextual() && Set.of("auto", "none", "required").contains(toolChoice.asText()))) {
            throw ApiError.unsupported("tool_choice", "tool_choice must be 'auto', 'none' or (with strict functions) 'required' here.");
        }
        if (toolChoice != null && "required".equals(toolChoice.asText())) {
            if (!strict) {
                throw ApiError.unsupported("tool_choice", "tool_choice 'required' needs strict function calling here (set tools[].function.strict to true): only constrained decoding can force a call.");
            }
            if (tools.isEmpty()) throw ApiError.invalid("tool_choice", "tool_choice 'required' needs at least one tool.");
            parameters.toolChoice(ToolChoice.REQUIRED);
        }
        if (toolChoice != null && "none".equals(toolChoice.asText())) parameters.toolSpecifications(List.of());

        boolean stream = bool(body, "stream");
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        ChatRequest request = ChatRequest.builder().messages(messages(body.get("messages"))).parameters(parameters.build()).build();
        return new ChatCompletionRequest(model, stream, includeUsage, request);
    }

    private interface Check {
        boolean ok(JsonNode value);
    }

    private static void rejectUnless(JsonNode body, String field, Check allowed, String message) {
        JsonNode v = body.get(field);
        if (v != null && !v.isNull() && !allowed.ok(v)) throw ApiError.unsupported(field, message);
    }

    static List<ChatMessage> messages(JsonNode node) {
        if (node == null || node.isNull()) throw ApiError.missing("messages");
        if (!node.isArray()) throw ApiError.wrongType("messages", "an array");
        if (node.isEmpty()) throw ApiError.invalid("messages", "'messages' must contain at least one message.");
        List<ChatMessage> messages = new ArrayList<>();
        Map<String, String> toolNamesById = new HashMap<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String param = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.wrongType(param, "an object");
            String role = text(m, "role", true, param + ".role");
            switch (role) {
                case "system", "developer" -> messages.add(SystemMessage.from(content(m, param)));
                case "user" -> messages.add(UserMessage.from(content(m, param)));
                case "assistant" -> messages.add(assistant(m, param, toolNamesById));
                case "tool" -> {
                    String id = text(m, "tool_call_id", true, param + ".tool_call_id");
                    String name = toolNamesById.get(id);
                    if (name == null) throw ApiError.invalid(param + ".tool_call_id", "Tool result for unknown tool call id '" + id + "'.");
                    messages.add(ToolExecutionResultMessage.from(id, name, content(m, param)));
                }
                default -> throw ApiError.invalid(param + ".role", "Unknown role '" + role + "'; expected system, user, assistant or tool.");
            }
        }
        return messages;
    }

    private static AiMessage assistant(JsonNode m, String param, Map<String, String> toolNamesById) {
        JsonNode calls = m.get("tool_calls");
        String text = m.hasNonNull("content") ? content(m, param) : null;
        if (calls == null || calls.isNull() || calls.isEmpty()) {
            if (text == null) throw ApiError.missing(param + ".content");
            return AiMessage.from(text);
        }
        if (!calls.isArray()) throw ApiError.wrongType(param + ".tool_calls", "an array");
        List<ToolExecutionRequest> requests = new ArrayList<>();
        for (int j = 0; j < calls.size(); j++) {
            JsonNode call = calls.get(j);
            String p = param + ".tool_calls[" + j + "]";
            String id = text(call, "id", true, p + ".id");
            JsonNode function = call.get("function");
            if (function == null || !function.isObject()) throw ApiError.missing(p + ".function");
            String name = text(function, "name", true, p + ".function.name");
            JsonNode arguments = function.get("arguments");
            String args = arguments == null || arguments.isNull() ? "{}" : arguments.isTextual() ? arguments.asText() : arguments.toString();
            requests.add(ToolExecutionRequest.builder().id(id).name(name).arguments(args).build());
            toolNamesById.put(id, name);
        }
        return text == null || text.isEmpty() ? AiMessage.from(requests) : AiMessage.from(text, requests);
    }

    /** Message content: a string, or an array of {@code {"type": "text", "text": ...}} parts. */
    private static String content(JsonNode m, String param) {
        JsonNode c = m.get("content");
        if (c == null || c.isNull()) throw ApiError.missing(param + ".content");
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText())) {
                    throw ApiError.unsupported(param + ".content", "Only text content parts are supported, got '" + part.path("type").asText() + "'.");
                }
                text.append(part.path("text").asText());
            }
            return text.toString();
        }
        throw ApiError.wrongType(param + ".content", "a string or an array of text parts");
    }

    static List<ToolSpecification> tools(JsonNode node) {
        if (node == null || node.isNull()) return List.of();
        if (!node.isArray()) throw ApiError.wrongType("tools", "an array");
        List<ToolSpecification> tools = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode t = node.get(i);
            String param = "tools[" + i + "]";
            if (!"function".equals(t.path("type").asText())) throw ApiError.unsupported(param + ".type", "Only tools of type 'function' are supported.");
            JsonNode f = t.get("function");
            if (f == null || !f.isObject()) throw ApiError.missing(param + ".function");
            ToolSpecification.Builder spec = ToolSpecification.builder().name(text(f, "name", true, param + ".function.name"));
            if (f.hasNonNull("description")) spec.description(f.get("description").asText());
            JsonNode strict = f.get("strict");
            if (strict != null && !strict.isNull() && !strict.isBoolean()) throw ApiError.wrongType(param + ".function.strict", "a boolean");
            JsonNode parameters = f.get("parameters");
            if (parameters != null && !parameters.isNull()) {
                if (!parameters.isObject()) throw ApiError.wrongType(param + ".function.parameters", "a JSON schema object");
                spec.parameters(ToolSchemas.parameters(parameters, param + ".function.parameters"));
            }
            tools.add(spec.build());
        }
        return tools;
    }

    /**
     * Whether any offered function is {@code strict: true}: then the request runs with the provider's
     * {@code strictTools}, which constrains a call to every offered function's name and parameter schema (structure
     * only: value constraints such as {@code pattern} or {@code minimum} are not enforced).
     */
    static boolean strictTools(JsonNode tools) {
        if (tools == null || !tools.isArray()) return false;
        for (JsonNode t : tools) if (t.path("function").path("strict").asBoolean(false)) return true;
        return false;
    }

    /**
     * Applies an {@code ffn_skip} object (checked: known fields, types and ranges) to {@code parameters}, as
     * {@link GateSettings} ({@code enabled: false} is dense, the other fields paper-gate knobs; docs/configuration.md
     * "Which gate runs"). Conflicting fields are a 400 naming both.
     */
    static void skipSettings(JsonNode node, FfnSkipChatRequestParameters.Builder parameters) {
        if (node == null || node.isNull()) return;
        if (!node.isObject()) throw ApiError.wrongType("ffn_skip", "an object");
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!Set.of("enabled", "threshold", "max_skip_fraction", "warmup_tokens").contains(f)) {
                throw ApiError.unsupported("ffn_skip." + f, "Unknown ffn_skip setting '" + f + "'; known: enabled, threshold, max_skip_fraction, warmup_tokens.");
            }
        }
        Boolean enabled = null;
        if (node.has("enabled")) {
            if (!node.get("enabled").isBoolean()) throw ApiError.wrongType("ffn_skip.enabled", "a boolean");
            enabled = node.get("enabled").asBoolean();
        }
        Double threshold = number(node, "threshold", Double.MIN_VALUE, 1, "ffn_skip.threshold");
        Double cap = number(node, "max_skip_fraction", 0, 1, "ffn_skip.max_skip_fraction");
        Integer warmup = integer(node, "warmup_tokens", 0, "ffn_skip.warmup_tokens");
        GateSettings settings;
        try {
            settings = GateSettings.NONE.withDense(Boolean.FALSE.equals(enabled)).withThreshold(threshold).withMaxSkipFraction(cap).withWarmupTokens(warmup);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("ffn_skip", "Conflicting ffn_skip settings: " + e.getMessage() + " (enabled: false is dense).");
        }
        parameters.gateSettings(settings);
        if (Boolean.TRUE.equals(enabled)) parameters.skipEnabled(true);
    }

    private static List<String> stops(JsonNode node) {
        if (node == null || node.isNull()) return List.of();
        List<String> stops = new ArrayList<>();
        if (node.isTextual()) stops.add(node.asText());
        else if (node.isArray()) node.forEach(s -> {
            if (!s.isTextual()) throw ApiError.wrongType("stop", "a string or an array of strings");
            stops.add(s.asText());
        });
        else throw ApiError.wrongType("stop", "a string or an array of strings");
        if (stops.size() > 4) throw ApiError.invalid("stop", "At most 4 stop sequences are allowed.");
        if (stops.stream().anyMatch(String::isEmpty)) throw ApiError.invalid("stop", "Stop sequences must not be empty.");
        return stops;
    }

    private static String text(JsonNode node, String field, boolean required) {
        return text(node, field, required, field);
    }

    private static String text(JsonNode node, String field, boolean required, String param) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) throw ApiError.missing(param);
            return null;
        }
        if (!v.isTextual()) throw ApiError.wrongType(param, "a string");
        return v.asText();
    }

    private static boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw ApiError.wrongType(field, "a boolean");
        return v.asBoolean();
    }

    private static Double number(JsonNode node, String field, double min, double max) {
        return number(node, field, min, max, field);
    }

    private static Double number(JsonNode node, String field, double min, double max, String param) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw ApiError.wrongType(param, "a number");
        double d = v.asDouble();
        if (d < min || d > max) throw ApiError.invalid(param, "'" + param + "' must be between " + (min == Double.MIN_VALUE ? "0 (exclusive)" : min) + " and " + max + ", was " + d + ".");
        return d;
    }

    static Integer integer(JsonNode node, String field, int min) {
        return integer(node, field, min, field);
    }

    private static Integer integer(JsonNode node, String field, int min, String param) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw ApiError.wrongType(param, "an integer");
        if (v.asInt() < min) throw ApiError.invalid(param, "'" + param + "' must be >= " + min + ", was " + v.asInt() + ".");
        return v.asInt();
    }
}
