package dev.ffnskip.langchain4j;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Follows generated text that may be tool calls while it is being generated, so that streaming can report each call's
 * arguments as they are decoded ({@code onPartialToolCall}). The text is fed piece by piece to Jackson's non-blocking
 * parser; inside a call object ({@code {"name": ..., "parameters": {...}}}, alone, several in a row or in an array) the
 * arguments object is re-written compactly token by token, and each new stretch is reported together with the call's
 * index, id and name. The pieces of one call add up to exactly the {@code arguments} that {@link ToolCallParser}
 * produces for the finished text, and the ids handed out here are the ones the final tool execution requests get.
 *
 * <p>This is a preview: {@link ToolCallParser} decides at the end whether the text really is tool calls. Once the text
 * stops looking like tool calls (malformed JSON, an unknown field, a value that is not a call) nothing more is reported.
 * Not thread-safe: one generation feeds it.
 */
final class ToolCallStreamer {
    /** Receives argument pieces; {@code name} and {@code id} are the same for every piece of one call. */
    interface Sink {
        void partial(int index, String id, String name, String argumentsPiece);
    }

    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final Sink sink;
    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private final List<String> ids = new ArrayList<>();
    private boolean broken;

    // Structure outside the arguments.
    private int depth; // open objects/arrays seen by the parser
    private boolean rootArray; // calls are the elements of a root-level array
    private int callIndex; // index of the current (or next) call
    private int callDepth = -1; // depth of the current call object, -1 outside a call
    private String field; // the call field whose value comes next
    private String name;
    private boolean argumentsSeen;
    private int skipDepth = -1; // skipping a structured "id" value down to this depth

    // The arguments of the current call, re-written compactly.
    private StringWriter arguments;
    private JsonGenerator writer;
    private int argumentsDepth; // open levels inside the arguments, 0 when they are complete
    private int reported; // characters of the arguments already reported

    ToolCallStreamer(Sink sink) {
        this.sink = sink;
        try {
            this.parser = JSON.createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    }

    /** The id of call {@code index}: the one reported while streaming, or a fresh one for a call never reported. */
    String idFor(int index) {
        while (ids.size() <= index) ids.add(ToolCallParser.newCallId());
        return ids.get(index);
    }

    /** Feeds the next decoded piece of text. */
    void feed(String text) {
        if (broken || text.isEmpty()) return;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try {
            feeder.feedInput(bytes, 0, bytes.length);
            drain();
        } catch (IOException | RuntimeException e) {
            broken = true; // not (or no longer) tool calls: ToolCallParser will say so at the end
        }
    }

    private void drain() throws IOException {
        JsonToken token;
        while (!broken && (token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
            onToken(token);
        }
        if (!broken) report(false);
    }

    private void onToken(JsonToken token) throws IOException {
        if (writer != null) {
            writeArgument(token);
            return;
        }
        if (skipDepth >= 0) {
            track(token);
            if (depth == skipDepth) skipDepth = -1;
            return;
        }
        if (callDepth < 0) {
            // Between calls: a call object, or the array that holds them.
            if (token == JsonToken.START_OBJECT && (depth == 0 && !rootArray || depth == 1 && rootArray)) {
                depth++;
                startCall();
            } else if (token == JsonToken.START_ARRAY && depth == 0 && !rootArray) {
                depth++;
                rootArray = true;
            } else if (token == JsonToken.END_ARRAY && depth == 1 && rootArray) {
                depth--;
                rootArray = false;
            } else {
                broken = true;
            }
            return;
        }
        // Inside a call object.
        if (field == null) {
            if (token == JsonToken.END_OBJECT) {
                depth--;
                endCall();
            } else if (token == JsonToken.FIELD_NAME) {
                field = parser.currentName();
                boolean known = field.equals("name") || field.equals("parameters") || field.equals("arguments") || field.equals("id");
                boolean repeated = argumentsSeen && (field.equals("parameters") || field.equals("arguments"));
                if (!known || repeated) broken = true;
            } else {
                broken = true;
            }
            return;
        }
        String f = field;
        field = null;
        switch (f) {
            case "name" -> {
                if (token != JsonToken.VALUE_STRING) {
                    broken = true;
                    return;
                }
                name = parser.getText().strip();
                if (name.isEmpty()) broken = true;
            }
            case "id" -> {
                if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                    skipDepth = depth;
                    depth++;
                }
            }
            default -> { // parameters / arguments
                argumentsSeen = true;
                if (token == JsonToken.START_OBJECT) {
                    depth++;
                    arguments = new StringWriter();
                    writer = JSON.createGenerator(arguments);
                    writer.writeStartObject();
                    argumentsDepth = 1;
                } else if (token == JsonToken.VALUE_STRING) {
                    // Arguments written as a JSON string holding an object: reported whole once the string is complete.
                    Optional<String> inner = ToolCallParser.compactObject(parser.getText());
                    if (inner.isEmpty()) {
                        broken = true;
                        return;
                    }
                    arguments = new StringWriter();
                    arguments.write(inner.get());
                    argumentsDepth = 0;
                } else if (token == JsonToken.VALUE_NULL) {
                    arguments = null; // reported as {} when the call ends
                } else {
                    broken = true;
                }
            }
        }
    }

    private void writeArgument(JsonToken token) throws IOException {
        writer.copyCurrentEvent(parser);
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            depth++;
            argumentsDepth++;
        } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
            depth--;
            argumentsDepth--;
        }
        if (argumentsDepth == 0) {
            writer.close();
            writer = null;
        }
    }

    private void track(JsonToken token) {
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) depth++;
        else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) depth--;
    }

    private void startCall() {
        callDepth = depth;
        field = null;
        name = null;
        argumentsSeen = false;
        arguments = null;
        writer = null;
        reported = 0;
    }

    private void endCall() throws IOException {
        if (name == null) {
            broken = true; // ToolCallParser needs a name
            return;
        }
        if (arguments == null) { // no arguments, or null: ToolCallParser reports {}
            arguments = new StringWriter();
            arguments.write("{}");
        }
        report(true);
        callDepth = -1;
        callIndex++;
    }

    /**
     * Reports the arguments written since the last report, once the call's name is known. The opening brace alone is
     * not reported, so that empty arguments arrive as one piece {@code {}}.
     */
    private void report(boolean callEnded) throws IOException {
        if (callDepth < 0 || name == null || arguments == null) return;
        if (writer != null) writer.flush();
        StringBuffer written = arguments.getBuffer();
        if (written.length() <= reported) return;
        if (!callEnded && reported == 0 && written.length() == 1) return;
        String piece = written.substring(reported);
        reported = written.length();
        sink.partial(callIndex, idFor(callIndex), name, piece);
    }
}
