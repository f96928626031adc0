package dev.ffnskip.jlama.constrain;

import dev.ffnskip.jlama.generate.TokenBytes;
import dev.ffnskip.jlama.generate.TokenConstraint;
import java.util.Arrays;

/**
 * One generation under a {@link ToolCallConstraint}: while the answer is only whitespace it waits for the first other
 * byte; {@code {} hands the rest of the answer to the call's {@link JsonTokenMask}, anything else switches the
 * constraint off (free text). The mask before that byte does not depend on the whitespace so far, so it is computed
 * once here: every token is allowed except those whose first non-whitespace byte is {@code [}, or is {@code {}
 * followed by bytes no call can start with. Steady state allocates nothing.
 */
final class ToolCallMask implements TokenConstraint.State {
    private static final int WAITING = 0, CALL = 1, TEXT = 2;

    private final JsonTokenMask call;
    private final TokenBytes tokenBytes;
    private final long[] waitingMask;
    private int mode;

    ToolCallMask(JsonTokenMask call, JsonGrammar grammar, TokenBytes tokenBytes, int vocabularySize, int stacks, boolean required) {
        this.call = call;
        this.tokenBytes = tokenBytes;
        this.mode = required ? CALL : WAITING;
        this.waitingMask = required ? null : waitingMask(grammar, tokenBytes, vocabularySize, stacks);
    }

    private static long[] waitingMask(JsonGrammar grammar, TokenBytes tokenBytes, int vocabularySize, int stacks) {
        long[] mask = new long[(vocabularySize + 63) >>> 6];
        JsonRecognizer recognizer = new JsonRecognizer(grammar);
        ParseState a = new ParseState(stacks, JsonTokenMask.DEPTH), b = new ParseState(stacks, JsonTokenMask.DEPTH);
        for (int id = 0; id < vocabularySize; id++) {
            byte[] bytes = tokenBytes.bytes(id);
            int k = firstNonWhitespace(bytes);
            boolean allowed;
            if (k == bytes.length) allowed = true; // whitespace only, special tokens and end of sequence
            else if (bytes[k] == '[') allowed = false;
            else if (bytes[k] != '{') allowed = true;
            else allowed = startsCall(recognizer, bytes, k, a, b);
            if (allowed) mask[id >>> 6] |= 1L << id;
        }
        return mask;
    }

    /** Whether {@code bytes[from..]} is a prefix of some call (as the call's own mask would judge it). */
    private static boolean startsCall(JsonRecognizer recognizer, byte[] bytes, int from, ParseState a, ParseState b) {
        recognizer.reset(a);
        for (int i = from; i < bytes.length; i++) {
            recognizer.step(a, bytes[i] & 0xFF, b);
            if (b.count == 0) return false;
            ParseState t = a;
            a = b;
            b = t;
        }
        return true;
    }

    private static int firstNonWhitespace(byte[] bytes) {
        int k = 0;
        while (k < bytes.length && (bytes[k] == ' ' || bytes[k] == '\n' || bytes[k] == '\t' || bytes[k] == '\r')) k++;
        return k;
    }

    @Override
    public void allowedNext(long[] allowed) {
        switch (mode) {
            case WAITING -> System.arraycopy(waitingMask, 0, allowed, 0, waitingMask.length);
            case CALL -> call.allowedNext(allowed);
            default -> Arrays.fill(allowed, -1L);
        }
    }

    @Override
    public void accept(int token) {
        if (mode == CALL) {
            call.accept(token);
            return;
        }
        if (mode == TEXT) return;
        if ((waitingMask[token >>> 6] & (1L << token)) == 0) throw new IllegalStateException("Token " + token + " is not allowed by the tool call constraint");
        byte[] bytes = tokenBytes.bytes(token);
        int k = firstNonWhitespace(bytes);
        if (k == bytes.length) return;
        if (bytes[k] == '{') {
            mode = CALL;
            call.acceptBytes(token, bytes, k);
        } else {
            mode = TEXT;
        }
    }

    @Override
    public boolean complete() {
        return mode != CALL || call.complete();
    }
}
