package dev.ffnskip.jlama.generate;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns generated token ids into text as they arrive: assembles UTF-8 across tokens, drops special tokens, strips
 * the decoder's prefix space, and holds back text that may be the start of a stop sequence. Once a stop sequence
 * appears it is cut off and {@link #stopped()} turns true.
 */
public final class TextAssembler {
    private final TokenBytes tokenBytes;
    private final List<String> stopSequences;
    private final int longestStop;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private int spacesToStrip;
    private boolean stopped;

    public TextAssembler(TokenBytes tokenBytes, List<String> stopSequences) {
        this.tokenBytes = tokenBytes;
        this.stopSequences = List.copyOf(stopSequences);
        this.longestStop = this.stopSequences.stream().mapToInt(String::length).max().orElse(0);
        this.spacesToStrip = tokenBytes.leadingSpacesToStrip();
    }

    /** Adds a token; returns the text that became final (possibly empty). */
    public String accept(int tokenId) {
        if (stopped) return "";
        byte[] bytes = tokenBytes.bytes(tokenId);
        if (bytes.length > 0) {
            if (pending.remaining() < bytes.length) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + bytes.length));
                pending.flip();
                bigger.put(pending);
                pending = bigger;
            }
            pending.put(bytes);
            decodePending(false);
        }
        return release(false);
    }

    /** Flushes everything held back; an incomplete UTF-8 sequence at the end becomes U+FFFD. */
    public String finish() {
        if (!stopped) decodePending(true);
        return release(true);
    }

    public boolean stopped() {
        return stopped;
    }

    /** The whole text so far (stop sequence excluded). */
    public String text() {
        return text.toString();
    }

    private void decodePending(boolean endOfInput) {
        pending.flip();
        CharBuffer chars = CharBuffer.allocate(pending.remaining() + 2);
        utf8.decode(pending, chars, endOfInput);
        if (endOfInput) utf8.flush(chars);
        pending.compact();
        chars.flip();
        while (spacesToStrip > 0 && text.isEmpty() && chars.hasRemaining() && chars.get(chars.position()) == ' ') {
            chars.get();
            spacesToStrip--;
        }
        if (chars.hasRemaining()) spacesToStrip = 0;
        text.append(chars);
    }

    private String release(boolean all) {
        int safeEnd = text.length();
        if (longestStop > 0) {
            int searchFrom = Math.max(0, emitted - longestStop + 1);
            int found = -1;
            for (String stop : stopSequences) {
                int at = text.indexOf(stop, searchFrom);
                if (at >= 0 && (found < 0 || at < found)) found = at;
            }
            if (found >= 0) {
                stopped = true;
                text.setLength(found);
                safeEnd = found;
            } else if (!all) {
                safeEnd = text.length() - heldBack();
            }
        }
        if (safeEnd <= emitted) return "";
        String out = text.substring(emitted, safeEnd);
        emitted = safeEnd;
        return out;
    }

    /** Length of the longest suffix of the text that is a proper prefix of some stop sequence. */
    private int heldBack() {
        int best = 0;
        for (String stop : stopSequences) {
            for (int len = Math.min(stop.length() - 1, text.length()); len > best; len--) {
                if (text.substring(text.length() - len).equals(stop.substring(0, len))) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
