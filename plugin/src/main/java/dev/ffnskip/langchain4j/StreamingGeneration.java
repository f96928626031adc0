package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.generate.GenerationResult;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streamed generation: decoded text goes to the handler piece by piece as it becomes final, then the complete
 * response (or the tool calls, then the complete response), or the error.
 *
 * <p>Rules: empty pieces are not sent. When tools are offered, text that starts like JSON is held back until the end,
 * so tool-call JSON never reaches {@code onPartialResponse}: while it is generated, {@link ToolCallStreamer} reports
 * each call's arguments to {@code onPartialToolCall}; at the end it is either tool calls ({@code onCompleteToolCall}
 * for each, ids as in the partial calls) or, if it does not parse as such, sent as one text piece.
 *
 * <p>Handler callbacks follow LangChain4j's contract: an {@link Exception} a callback throws goes to {@code onError}
 * and the stream goes on; an exception from {@code onError} is logged and ignored. An {@link Error} ends the stream:
 * the generation is cancelled at the next token and {@code onError} gets it; nothing else follows.
 * {@link StreamingHandle#cancel()} ends the stream without further callbacks. Every other failure goes to
 * {@code onError}.
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
    private final PartialToolCallContext toolCallContext = new PartialToolCallContext(handle);
    private volatile Error fatal;
    private GenerationResult result;

    // Tool-call hold-back state (generation thread only).
    private final StringBuilder held = new StringBuilder();
    private boolean decided;
    private ToolCallStreamer toolCalls; // set once held-back text starts like JSON

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
        return cancelled.get() || fatal != null;
    }

    @Override
    public void run() {
        try {
            result = engine.generate(prepared, this::onToken, this::stopped);
        } catch (Throwable t) {
            if (!cancelled.get()) error(fatal != null ? fatal : t);
            return;
        }
        if (fatal != null) {
            error(fatal);
            return;
        }
        if (cancelled.get()) return;
        ChatResponse response;
        try {
            IntFunction<String> callIds = toolCalls != null ? toolCalls::idFor : index -> ToolCallParser.newCallId();
            response = engine.respond(prepared, result, callIds);
        } catch (Throwable t) {
            error(t);
            return;
        }
        List<ToolExecutionRequest> calls = response.aiMessage().toolExecutionRequests();
        boolean goesOn = true;
        for (int i = 0; i < calls.size() && goesOn; i++) {
            CompleteToolCall call = new CompleteToolCall(i, calls.get(i));
            goesOn = callback(() -> handler.onCompleteToolCall(call));
        }
        if (goesOn && calls.isEmpty() && !held.isEmpty()) {
            // Held back as a possible tool call but it was not one (or undecided white space): send it now.
            goesOn = send(held.toString());
        }
        if (goesOn) callback(() -> handler.onCompleteResponse(response));
        if (fatal != null) error(fatal);
    }

    private void onToken(int tokenId, String text) {
        if (text.isEmpty() || stopped()) return;
        if (!decided) {
            held.append(text);
            String sofar = held.toString().stripLeading();
            if (sofar.isEmpty()) return;
            decided = true;
            if (ToolCallParser.mayStartToolCall(sofar.charAt(0))) { // held back until the generation ends
                toolCalls = new ToolCallStreamer(this::partialToolCall);
                toolCalls.feed(held.toString());
                return;
            }
            text = held.toString();
            held.setLength(0);
        } else if (toolCalls != null) { // holding back a possible tool call
            held.append(text);
            toolCalls.feed(text);
            return;
        }
        send(text);
    }

    private void partialToolCall(int index, String id, String name, String argumentsPiece) {
        if (stopped()) return;
        PartialToolCall partial = PartialToolCall.builder().index(index).id(id).name(name).partialArguments(argumentsPiece).build();
        callback(() -> handler.onPartialToolCall(partial, toolCallContext));
    }

    /** Sends one text piece; false if the stream has ended (see {@link #callback}). */
    private boolean send(String text) {
        return callback(() -> handler.onPartialResponse(new PartialResponse(text), partialContext));
    }

    /**
     * Calls the handler unless the stream has ended. An exception it throws goes to {@code onError} and the stream goes
     * on; an {@link Error} ends it (reported by {@link #run()}). Returns whether the stream goes on.
     */
    private boolean callback(Runnable call) {
        if (stopped()) return false;
        try {
            call.run();
        } catch (Exception e) {
            error(e);
        } catch (Error e) {
            if (fatal == null) fatal = e;
            return false;
        }
        if (fatal != null) return false;
        return !cancelled.get();
    }

    private void error(Throwable error) {
        try {
            handler.onError(error);
        } catch (Throwable t) {
            logger.warn("StreamingChatResponseHandler.onError threw; ignored", t);
        }
    }
}
