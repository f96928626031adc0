package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/** {@code POST /v1/chat/completions}, blocking and {@code stream: true} (server-sent events). */
final class ChatCompletionsHandler {
    private final String modelId;
    private final ChatModel chatModel;
    private final StreamingChatModel streamingModel;

    ChatCompletionsHandler(String modelId, ChatModel chatModel, StreamingChatModel streamingModel) {
        this.modelId = modelId;
        this.chatModel = chatModel;
        this.streamingModel = streamingModel;
    }

    /** Runs on a virtual thread of its own. */
    void handle(Exchange exchange) {
        ChatCompletionRequest request = ChatCompletionRequest.parse(exchange.jsonBody(), modelId);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        if (request.stream()) {
            stream(exchange, request, id, created);
            return;
        }
        ChatResponse response = blockingChat(exchange, chatModel, request.chatRequest());
        if (response == null) return; // cancelled: the client is gone, or the request was answered with its abort error
        exchange.generation(response, false);
        exchange.sendJson(200, OpenAiFormat.completion(id, created, modelId, response));
    }

    /**
     * A blocking generation that stops when the request is cancelled: the thread is interrupted, which stops the
     * model after the current token (and frees its KV cache) or takes the request out of the model's queue. Returns
     * null when it was cancelled.
     */
    static ChatResponse blockingChat(Exchange exchange, ChatModel model, ChatRequest request) {
        Thread worker = Thread.currentThread();
        ChatResponse response;
        try (Exchange.Registration ignored = exchange.onCancel(worker::interrupt)) {
            response = model.chat(request);
        } catch (RuntimeException e) {
            if (exchange.cancelled()) return null; // e.g. interrupted while waiting for the model
            throw e;
        } finally {
            Thread.interrupted(); // the hook can no longer run: clear what it may have set
        }
        return exchange.cancelled() ? null : response;
    }

    private void stream(Exchange exchange, ChatCompletionRequest request, String id, long created) {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        AtomicReference<StreamingHandle> handle = new AtomicReference<>();
        StreamingChatResponseHandler handler = new StreamingChatResponseHandler() {
            /** Remembers the stream's handle; cancels it at once if the request was cancelled before it started. */
            private boolean goOn(StreamingHandle h) {
                handle.compareAndSet(null, h);
                if (!exchange.cancelled()) return true;
                h.cancel();
                done.cancel(false);
                return false;
            }

            /** The chunk's delta; the first event of the stream also names the role. */
            private ObjectNode delta(ObjectNode chunk) {
                ObjectNode delta = OpenAiFormat.deltaChunk(chunk);
                if (!exchange.sseStarted()) delta.put("role", "assistant").putNull("refusal");
                return delta;
            }

            private void send(ObjectNode chunk, StreamingHandle h) {
                exchange.firstToken();
                if (!exchange.sse(chunk)) { // the request is over (client gone, timeout, shutdown): stop generating
                    h.cancel();
                    done.cancel(false);
                }
            }

            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                if (!goOn(context.streamingHandle())) return;
                ObjectNode chunk = OpenAiFormat.chunk(id, created, modelId);
                delta(chunk).put("content", partial.text());
                send(chunk, context.streamingHandle());
            }

            @Override
            public void onPartialToolCall(PartialToolCall partialToolCall, PartialToolCallContext context) {
                // Tool calls are sent whole (onCompleteToolCall); this only notes that the stream started.
                goOn(context.streamingHandle());
                exchange.firstToken();
            }

            @Override
            public void onCompleteToolCall(CompleteToolCall toolCall) {
                ObjectNode chunk = OpenAiFormat.chunk(id, created, modelId);
                OpenAiFormat.toolCall(delta(chunk).putArray("tool_calls"), toolCall.index(), toolCall.toolExecutionRequest());
                exchange.firstToken();
                if (!exchange.sse(chunk)) done.cancel(false);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        };
        // A request the model rejects up front (bad parameters, prompt too long) is thrown here, before any header is
        // sent, and answered with its HTTP error status.
        streamingModel.chat(request.chatRequest(), handler);
        ChatResponse response;
        try (Exchange.Registration ignored = exchange.onCancel(() -> {
            StreamingHandle h = handle.get();
            if (h != null) h.cancel();
            done.cancel(false);
        })) {
            response = done.get();
        } catch (CancellationException cancelled) {
            return;
        } catch (ExecutionException e) {
            ApiError error = Errors.toApiError(e.getCause());
            if (!exchange.sseStarted()) throw error;
            exchange.fail(error); // an error event, then the end of the stream
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        exchange.generation(response, true);
        ObjectNode last = OpenAiFormat.chunk(id, created, modelId);
        ObjectNode delta = OpenAiFormat.deltaChunk(last);
        if (!exchange.sseStarted()) delta.put("role", "assistant").put("content", "").putNull("refusal");
        ((ObjectNode) last.get("choices").get(0)).put("finish_reason", OpenAiFormat.finishReason(response.finishReason()));
        OpenAiFormat.ffnSkip(last, response.metadata());
        exchange.sse(last);
        if (request.includeUsage()) {
            ObjectNode usage = OpenAiFormat.chunk(id, created, modelId);
            usage.putArray("choices");
            OpenAiFormat.usage(usage, response.tokenUsage());
            exchange.sse(usage);
        }
        exchange.sseDone();
    }
}
