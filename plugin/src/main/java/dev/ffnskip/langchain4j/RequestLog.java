package dev.ffnskip.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * {@code logRequests} / {@code logResponses}: what other providers log as the HTTP exchange, at INFO on the chat
 * model's SLF4J logger. A request is logged with its parameters and the prompt exactly as the model reads it (rendered
 * with the chat template); a response with its metadata and message. Off by default.
 */
record RequestLog(Logger logger, boolean requests, boolean responses) {
    void request(String modelName, ChatRequest request, String prompt, int promptTokens) {
        if (!requests || !logger.isInfoEnabled()) return;
        logger.info(
            "Request to {}:\n- messages: {}\n- parameters: {}\n- prompt ({} tokens):\n{}",
            modelName,
            request.messages().size(),
            request.parameters(),
            promptTokens,
            prompt
        );
    }

    void response(String modelName, ChatResponse response) {
        if (!responses || !logger.isInfoEnabled()) return;
        StringBuilder meta = new StringBuilder();
        if (response.metadata() instanceof FfnSkipChatResponseMetadata m) {
            meta.append("id=").append(m.id())
                .append(", finishReason=").append(m.finishReason())
                .append(", engineFinishReason=").append(m.engineFinishReason())
                .append(", tokenUsage=").append(m.tokenUsage())
                .append(", skipPolicy=").append(m.skipPolicy())
                .append(", skipRatio=").append(String.format(Locale.ROOT, "%.3f", m.skipRatio()))
                .append(", decodeTokensPerSecond=").append(String.format(Locale.ROOT, "%.1f", m.decodeTokensPerSecond()));
        } else {
            meta.append(response.metadata());
        }
        logger.info("Response from {}:\n- metadata: {}\n- message: {}", modelName, meta, response.aiMessage());
    }
}
