package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** {@code POST /v1/chat/completions}, blocking and {@code stream: true} (server-sent events). */
final class ChatCompletionsHandler {
    private final String modelId;
    private final ChatModel chatModel;
    private final StreamingChatModel streamingModel;
    private final long maxBodyBytes;

    ChatCompletionsHandler(String modelId, ChatModel chatModel, StreamingChatModel streamingModel, long maxBodyBytes) {
        this.modelId = modelId;
        this.chatModel = chatModel;
        this.streamingModel = streamingModel;
        this.maxBodyBytes = maxBodyBytes;
    }

    void handle(HttpExchange exchange) throws IOException {
        JsonNode body = HttpExchanges.readJson(exchange, maxBodyBytes);
        ChatCompletionRequest request = ChatCompletionRequest.parse(body, modelId);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        if (!request.stream()) {
            ChatResponse response = chatModel.chat(request.chatRequest());
            HttpExchanges.sendJson(exchange, 200, OpenAiFormat.completion(id, created, modelId, response));
            return;
        }
        stream(exchange, request, id, created);
    }

    private void stream(HttpExchange exchange, ChatCompletionRequest request, String id, long created) throws IOException {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        // Headers go out with the first event, so a request the model rejects up front still gets an HTTP error status.
        SseWriter sse = new SseWriter(exchange);
        try {
            streamingModel.chat(request.chatRequest(), new StreamingChatResponseHandler() {
                /** The chunk's delta; the first event of the stream also names the role. */
                private ObjectNode delta(ObjectNode chunk) {
                    ObjectNode delta = OpenAiFormat.deltaChunk(chunk);
                    if (!sse.started()) delta.put("role", "assistant");
                    return delta;
                }

                @Override
                public void onPartialResponse(String text) {
                    ObjectNode chunk = OpenAiFormat.chunk(id, created, modelId);
                    delta(chunk).put("content", text);
                    sse.send(chunk); // throws when the client has gone: the model then stops generating
                }

                @Override
                public void onCompleteToolCall(CompleteToolCall toolCall) {
                    ObjectNode chunk = OpenAiFormat.chunk(id, created, modelId);
                    OpenAiFormat.toolCall(delta(chunk).putArray("tool_calls"), toolCall.index(), toolCall.toolExecutionRequest());
                    sse.send(chunk);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            ChatResponse response;
            try {
                response = done.get();
            } catch (ExecutionException e) {
                ApiError error = Errors.toApiError(e.getCause());
                if (!sse.started()) throw error;
                sse.send(HttpExchanges.errorBody(error));
                sse.close();
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sse.close();
                return;
            }
            ObjectNode last = OpenAiFormat.chunk(id, created, modelId);
            ObjectNode delta = OpenAiFormat.deltaChunk(last);
            if (!sse.started()) delta.put("role", "assistant").put("content", "");
            ((ObjectNode) last.get("choices").get(0)).put("finish_reason", OpenAiFormat.finishReason(response.finishReason()));
            OpenAiFormat.ffnSkip(last, response.metadata());
            sse.send(last);
            if (request.includeUsage()) {
                ObjectNode usage = OpenAiFormat.chunk(id, created, modelId);
                usage.putArray("choices");
                OpenAiFormat.usage(usage, response.tokenUsage());
                sse.send(usage);
            }
            sse.done();
        } catch (UncheckedIOException clientGone) {
            // The client disconnected; the failed write stopped the generation.
            sse.close();
        }
    }
}
