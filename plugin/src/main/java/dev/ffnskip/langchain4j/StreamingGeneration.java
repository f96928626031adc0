package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.TokenListener;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streamed generation: decoded text goes to the handler piece by piece as it becomes final, then the complete
 * response (or the tool calls, then the complete response), or the error.
 *
 * <p>Rules: empty pieces are not sent; when tools are offered, text that starts like JSON is held back until the end
 * (it is a tool call, or, if it does not parse, sent as one piece), so tool-call JSON never reaches
 * {@code onPartialResponse}. The first exception a handler callback throws ends the stream: the generation is cancelled
 * at the next token and {@code onError} gets that exception; nothing else follows. {@link StreamingHandle#cancel()}
 * ends the stream the same way, without further callbacks. Every other failure goes to {@code onError}.
 */
final class StreamingGeneration implements Runnable {
    private static final Logger logger = LoggerFactory.getLogger(StreamingGeneration.class);

    private final ChatEngine engine;
    private final ChatEngine.Prepared prepared;
    private final StreamingChatResponseHandler handler;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final StreamingHandle handle = new StreamingHandle() {
        @Override
        public void cancel() {
            cancelled.set(true);
        }

        @Override
        public boolean isCancelled() {
            return cancelled.get();
        }
    };
    private final PartialResponseContext partialContext = new PartialResponseContext(handle);
    private volatile Throwable handlerError;
    private GenerationResult result;

    // Tool-call hold-back state (generation thread only).
    private final StringBuilder held = new StringBuilder();
    private boolean decided;

    StreamingGeneration(ChatEngine engine, ChatEngine.Prepared prepared, StreamingChatResponseHandler handler) {
        this.engine = engine;
        this.prepared = prepared;
        this.handler = handler;
        this.decided = !prepared.toolsOffered();
    }

    /** The engine's result once {@link #run()} has generated (null if generation failed), for tests and diagnostics. */
    GenerationResult result() {
        return result;
    }

    private boolean stopped() {
        return cancelled.get() || handlerError != null;
    }

    @Override
    public void run() {
        try {
            result = engine.model().generate(prepared.promptIds(), prepared.generation(), this::onToken, this::stopped);
        } catch (Throwable t) {
            if (!cancelled.get()) error(handlerError != null ? handlerError : t);
            return;
        }
        if (handlerError != null) {
            error(handlerError);
            return;
        }
        if (cancelled.get()) return;
        ChatResponse response;
        try {
            response = engine.respond(prepared, result);
        } catch (Throwable t) {
            error(t);
            return;
        }
        List<ToolExecutionRequest> calls = response.aiMessage().toolExecutionRequests();
        if (!calls.isEmpty()) {
            for (int i = 0; i < calls.size(); i++) {
                try {
                    handler.onCompleteToolCall(new CompleteToolCall(i, calls.get(i)));
                } catch (Throwable t) {
                    error(t);
                    return;
                }
            }
        } else if (!held.isEmpty()) {
            // Held back as a possible tool call but it was not one (or undecided white space): send it now.
            if (!send(held.toString())) {
                error(handlerError);
                return;
            }
        }
        try {
            handler.onCompleteResponse(response);
        } catch (Throwable t) {
            error(t);
        }
    }

    private void onToken(int tokenId, String text) {
        if (text.isEmpty() || stopped()) return;
        if (!decided) {
            held.append(text);
            String sofar = held.toString().stripLeading();
            if (sofar.isEmpty()) return;
            decided = true;
            if (ToolCallParser.mayStartToolCall(sofar.charAt(0))) return; // held back until the generation ends
            text = held.toString();
            held.setLength(0);
        } else if (!held.isEmpty()) { // holding back a possible tool call
            held.append(text);
            return;
        }
        send(text);
    }

    /** Sends one piece; returns false (and records the error, which cancels the generation) if the handler threw. */
    private boolean send(String text) {
        try {
            handler.onPartialResponse(new PartialResponse(text), partialContext);
            return true;
        } catch (Throwable t) {
            if (handlerError == null) handlerError = t;
            return false;
        }
    }

    private void error(Throwable error) {
        try {
            handler.onError(error);
        } catch (Throwable t) {
            logger.warn("StreamingChatResponseHandler.onError threw; ignored", t);
        }
    }
}
