package dev.ffnskip.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.safetensors.prompt.Function;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.prompt.Tool;
import com.github.tjake.jlama.safetensors.prompt.ToolCall;
import com.github.tjake.jlama.safetensors.prompt.ToolResult;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Maps LangChain4j messages and tool specifications onto the model's own chat template through Jlama's
 * {@link PromptSupport}: system, user and assistant turns, tool calls (an AI message's tool execution requests) and
 * tool results, plus the {@code tools} list the template renders.
 *
 * <p>Checks the conversation on the way: a tool result must answer a tool call made earlier in the conversation
 * (matched by id, or by tool name when the result has no id) and tool call arguments must be a JSON object, else an
 * {@link InvalidRequestException}; only text content (of user messages and tool results) is accepted, else an
 * {@link UnsupportedFeatureException}. A chat template without a tool format ({@link #rendersTools}) gets no tools.
 */
final class PromptRenderer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> ARGUMENTS = new TypeReference<>() {};

    private PromptRenderer() {}

    /** Renders {@code messages} (and {@code tools}, if any) with the model's chat template. */
    static PromptContext render(PromptSupport promptSupport, List<ChatMessage> messages, List<ToolSpecification> tools) {
        if (messages == null || messages.isEmpty()) {
            throw new InvalidRequestException("The chat request has no messages: at least one message (e.g. a user message) is required");
        }
        PromptSupport.Builder prompt = promptSupport.builder();
        Map<String, ToolExecutionRequest> callsById = new HashMap<>();
        List<ToolExecutionRequest> unanswered = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            if (message == null) throw new InvalidRequestException("Message " + i + " of the chat request is null");
            switch (message) {
                case SystemMessage system -> prompt.addSystemMessage(system.text());
                case UserMessage user -> prompt.addUserMessage(userText(user, i));
                case AiMessage ai -> addAiMessage(prompt, ai, i, callsById, unanswered);
                case ToolExecutionResultMessage result -> addToolResult(prompt, result, i, callsById, unanswered);
                default -> throw new UnsupportedFeatureException(
                    "Message type " + message.type() + " (message " + i + ") is not supported by the ffn-skip chat model"
                );
            }
        }
        List<Tool> jlamaTools = tools == null ? List.of() : tools.stream().map(PromptRenderer::toTool).toList();
        return jlamaTools.isEmpty() ? prompt.build() : prompt.build(jlamaTools);
    }

    /**
     * Whether the chat template has a tool format: it shows the tools offered and the arguments of a tool call. A
     * template without one (plain ChatML, as SmolLM2's) drops the tools list and renders a tool call as an empty turn,
     * so the model would never see the tools and a conversation's tool calls would lose their arguments.
     */
    static boolean rendersTools(PromptSupport promptSupport) {
        String name = "ffnskip_probe_tool";
        String argument = "ffnskip_probe_argument";
        Tool tool = Tool.from(Function.builder().name(name).description("probe").build());
        try {
            String offered = promptSupport.builder().addUserMessage("probe").build(List.of(tool)).getPrompt();
            String called = promptSupport.builder()
                .addUserMessage("probe")
                .addToolCall(new ToolCall(name, "probe_call", Map.of("value", argument)))
                .build(List.of(tool))
                .getPrompt();
            return offered.contains(name) && called.contains(argument);
        } catch (RuntimeException e) {
            // Jinjava failing on tool data means the template has no usable tool format either.
            return false;
        }
    }

    /**
     * For a model whose chat template has no tool format: refuses tools and the tool calls and results of a
     * conversation with LangChain4j's {@link UnsupportedFeatureException}, instead of rendering them unfaithfully.
     */
    static void refuseTools(String modelName, List<ChatMessage> messages, List<ToolSpecification> tools) {
        String why = " is not supported for '" + modelName + "': its chat template has no tool format (it renders neither "
            + "the tools offered nor tool calls), so the ffn-skip chat model cannot show tools to it";
        if (tools != null && !tools.isEmpty()) throw new UnsupportedFeatureException("Offering tools" + why);
        for (int i = 0; messages != null && i < messages.size(); i++) {
            ChatMessage message = messages.get(i);
            if (message instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                throw new UnsupportedFeatureException("A tool call in the conversation (message " + i + ")" + why);
            }
            if (message instanceof ToolExecutionResultMessage) {
                throw new UnsupportedFeatureException("A tool result in the conversation (message " + i + ")" + why);
            }
        }
    }

    private static String userText(UserMessage user, int index) {
        StringBuilder text = new StringBuilder();
        for (Content content : user.contents()) {
            if (!(content instanceof TextContent textContent)) {
                throw new UnsupportedFeatureException(
                    "Content of type " + content.type().toString().toLowerCase(Locale.ROOT) + " (message " + index
                        + ") is not supported: the ffn-skip chat model reads text only"
                );
            }
            if (!text.isEmpty()) text.append('\n');
            text.append(textContent.text());
        }
        return text.toString();
    }

    private static void addAiMessage(
        PromptSupport.Builder prompt,
        AiMessage ai,
        int index,
        Map<String, ToolExecutionRequest> callsById,
        List<ToolExecutionRequest> unanswered
    ) {
        boolean hasText = ai.text() != null && !ai.text().isEmpty();
        if (hasText || !ai.hasToolExecutionRequests()) prompt.addAssistantMessage(ai.text() == null ? "" : ai.text());
        List<ToolExecutionRequest> requests = ai.toolExecutionRequests();
        for (int k = 0; k < requests.size(); k++) {
            ToolExecutionRequest request = requests.get(k);
            if (request.name() == null || request.name().isBlank()) {
                throw new InvalidRequestException("Tool execution request in message " + index + " has no tool name");
            }
            // Jlama's template data needs an id (the template does not print it); results may then match by name.
            String id = request.id() != null ? request.id() : "unnamed_" + index + "_" + k;
            prompt.addToolCall(new ToolCall(request.name(), id, arguments(request, index)));
            if (request.id() != null) callsById.put(request.id(), request);
            unanswered.add(request);
        }
    }

    private static Map<String, Object> arguments(ToolExecutionRequest request, int index) {
        String json = request.arguments();
        if (json == null || json.isBlank()) return new LinkedHashMap<>();
        try {
            LinkedHashMap<String, Object> args = JSON.readValue(json, ARGUMENTS);
            return args == null ? new LinkedHashMap<>() : args;
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException(
                "Arguments of tool call '" + request.name() + "' (id " + request.id() + ", message " + index + ") are not a JSON object: " + json,
                e
            );
        }
    }

    private static void addToolResult(
        PromptSupport.Builder prompt,
        ToolExecutionResultMessage result,
        int index,
        Map<String, ToolExecutionRequest> callsById,
        List<ToolExecutionRequest> unanswered
    ) {
        ToolExecutionRequest call;
        if (result.id() != null) {
            call = callsById.get(result.id());
            if (call == null) {
                throw new InvalidRequestException(
                    "Tool result in message " + index + " answers unknown tool call id '" + result.id() + "'"
                        + (result.toolName() == null ? "" : " (tool '" + result.toolName() + "')")
                        + ": no earlier AI message in the conversation requested a tool call with that id"
                        + (callsById.isEmpty() ? "" : "; known ids: " + callsById.keySet())
                );
            }
        } else {
            call = unanswered.stream().filter(r -> Objects.equals(r.name(), result.toolName())).findFirst().orElseThrow(() ->
                new InvalidRequestException(
                    "Tool result in message " + index + " has no tool call id and no earlier unanswered tool call of tool '"
                        + result.toolName() + "'"
                )
            );
        }
        if (result.toolName() != null && !result.toolName().equals(call.name())) {
            throw new InvalidRequestException(
                "Tool result in message " + index + " is for tool '" + result.toolName() + "' but tool call id '" + result.id()
                    + "' was a call of '" + call.name() + "'"
            );
        }
        unanswered.remove(call);
        prompt.addToolResult(ToolResult.from(call.name(), call.id(), toolResultText(result, index)));
    }

    /**
     * The text of a tool result. Since LangChain4j 1.13 a result may hold several contents: text contents are joined
     * with new lines (as a user message's are); anything else (an image a tool returned, ...) cannot be shown to this
     * model and is refused by name.
     */
    private static String toolResultText(ToolExecutionResultMessage result, int index) {
        if (result.hasSingleText()) return result.text();
        List<Content> contents = result.contents() == null ? List.of() : result.contents();
        StringBuilder text = new StringBuilder();
        for (Content content : contents) {
            if (!(content instanceof TextContent textContent)) {
                throw new UnsupportedFeatureException(
                    "Tool result in message " + index + " (tool '" + result.toolName() + "') contains non-text content of type "
                        + (content == null ? "null" : content.type().toString().toLowerCase(Locale.ROOT))
                        + ", which is not supported: the ffn-skip chat model reads text only"
                );
            }
            if (!text.isEmpty()) text.append('\n');
            text.append(textContent.text());
        }
        return text.toString();
    }

    /** A Jlama tool (name, description, JSON-schema parameters) for a LangChain4j tool specification. */
    static Tool toTool(ToolSpecification spec) {
        if (spec.name() == null || spec.name().isBlank()) throw new InvalidRequestException("A tool specification has no name");
        Function.Builder function = Function.builder().name(spec.name()).description(spec.description() == null ? "" : spec.description());
        JsonObjectSchema parameters = spec.parameters();
        if (parameters != null && parameters.properties() != null) {
            List<String> required = parameters.required() == null ? List.of() : parameters.required();
            parameters.properties().forEach((name, schema) -> function.addParameter(name, schemaMap(schema), required.contains(name)));
        }
        return Tool.from(function.build());
    }

    private static Map<String, Object> schemaMap(JsonSchemaElement schema) {
        Map<String, Object> map = new LinkedHashMap<>();
        switch (schema) {
            case JsonStringSchema s -> put(map, "string", s.description());
            case JsonIntegerSchema s -> put(map, "integer", s.description());
            case JsonNumberSchema s -> put(map, "number", s.description());
            case JsonBooleanSchema s -> put(map, "boolean", s.description());
            case JsonNullSchema s -> map.put("type", "null");
            case JsonEnumSchema s -> {
                put(map, "string", s.description());
                map.put("enum", List.copyOf(s.enumValues()));
            }
            case JsonArraySchema s -> {
                put(map, "array", s.description());
                if (s.items() != null) map.put("items", schemaMap(s.items()));
            }
            case JsonObjectSchema s -> {
                put(map, "object", s.description());
                if (s.properties() != null) {
                    Map<String, Object> properties = new LinkedHashMap<>();
                    s.properties().forEach((name, child) -> properties.put(name, schemaMap(child)));
                    map.put("properties", properties);
                }
                if (s.required() != null && !s.required().isEmpty()) map.put("required", List.copyOf(s.required()));
            }
            case JsonAnyOfSchema s -> {
                if (s.description() != null) map.put("description", s.description());
                map.put("anyOf", s.anyOf().stream().map(PromptRenderer::schemaMap).toList());
            }
            default -> {
                if (schema.description() != null) map.put("description", schema.description());
            }
        }
        return map;
    }

    private static void put(Map<String, Object> map, String type, String description) {
        map.put("type", type);
        if (description != null) map.put("description", description);
    }
}
