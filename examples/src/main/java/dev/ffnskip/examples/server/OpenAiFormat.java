package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.List;

/** Builds OpenAI chat completion objects and stream chunks from LangChain4j responses. */
final class OpenAiFormat {
    private OpenAiFormat() {}

    static ObjectNode completion(String id, long created, String model, ChatResponse response) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", id).put("object", "chat.completion").put("created", created).put("model", model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        List<ToolExecutionRequest> calls = response.aiMessage().toolExecutionRequests();
        if (calls != null && !calls.isEmpty()) {
            message.putNull("content");
            message.putNull("refusal"); // OpenAI's SDKs type it as required (string or null)
            toolCalls(message.putArray("tool_calls"), calls);
        } else {
            message.put("content", response.aiMessage().text() == null ? "" : response.aiMessage().text());
            message.putNull("refusal");
        }
        message.putArray("annotations");
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(response.finishReason()));
        usage(root, response.tokenUsage());
        ffnSkip(root, response.metadata());
        return root;
    }

    static ObjectNode chunk(String id, long created, String model) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
        return root;
    }

    /** A chunk whose single choice has {@code delta}; returns the delta to fill. */
    static ObjectNode deltaChunk(ObjectNode chunk) {
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return choice.putObject("delta");
    }

    static void toolCalls(ArrayNode into, List<ToolExecutionRequest> calls) {
        for (ToolExecutionRequest call : calls) toolCall(into, null, call);
    }

    /** One tool call in OpenAI's form; streamed calls carry their {@code index}, whole messages none. */
    static void toolCall(ArrayNode into, Integer index, ToolExecutionRequest call) {
        ObjectNode c = into.addObject();
        if (index != null) c.put("index", index);
        c.put("id", call.id());
        c.put("type", "function");
        c.putObject("function").put("name", call.name()).put("arguments", call.arguments());
    }

    static String finishReason(FinishReason reason) {
        if (reason == null) return "stop";
        return switch (reason) {
            case LENGTH -> "length";
            case TOOL_EXECUTION -> "tool_calls";
            case CONTENT_FILTER -> "content_filter";
            default -> "stop";
        };
    }

    static void usage(ObjectNode root, TokenUsage usage) {
        ObjectNode u = root.putObject("usage");
        int in = usage == null || usage.inputTokenCount() == null ? 0 : usage.inputTokenCount();
        int out = usage == null || usage.outputTokenCount() == null ? 0 : usage.outputTokenCount();
        u.put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens", in + out);
    }

    /** The extension object with what the skip gate did. */
    static void ffnSkip(ObjectNode root, ChatResponseMetadata metadata) {
        if (!(metadata instanceof FfnSkipChatResponseMetadata m)) return;
        ObjectNode s = root.putObject("ffn_skip");
        s.put("skip_ratio", m.skipRatio());
        s.put("ffn_skipped", m.ffnSkipped());
        s.put("ffn_computed", m.ffnComputed());
        s.put("decode_steps", m.decodeSteps());
        s.put("prefill_ms", m.prefillMillis());
        if (!Double.isNaN(m.decodeMillis())) s.put("decode_ms", m.decodeMillis());
        if (!Double.isNaN(m.decodeTokensPerSecond())) s.put("decode_tokens_per_s", m.decodeTokensPerSecond());
        s.put("policy", m.skipPolicy());
    }
}
