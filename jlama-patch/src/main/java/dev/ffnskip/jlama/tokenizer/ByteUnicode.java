package dev.ffnskip.jlama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The reversible byte-to-character table of GPT-2 style byte-level BPE: every byte value stands for one visible
 * character, so a vocabulary of strings can describe arbitrary byte sequences.
 *
 * <p>Bytes that are printable Latin-1 characters ({@code '!'..'~'}, {@code '¡'..'¬'}, {@code '®'..'ÿ'}) stand for
 * themselves; the remaining 68 byte values (controls, space, DEL, NBSP, soft hyphen, ...) are assigned the code points
 * U+0100, U+0101, ... in increasing byte order. So the space 0x20 is {@code 'Ġ'} (U+0120) and the newline 0x0A is
 * {@code 'Ċ'} (U+010A).
 */
final class ByteUnicode {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character; -1 for characters that stand for no byte. */
    private static final int[] CHAR_TO_BYTE;

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            BYTE_TO_CHAR[b] = standsForItself(b) ? (char) b : (char) next++;
        }
        CHAR_TO_BYTE = new int[next];
        Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }

    private ByteUnicode() {}

    private static boolean standsForItself(int b) {
        return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte {@code c} stands for, or -1. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The byte-level string of {@code bytes}: one character per byte. */
    static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(chars);
    }

    /**
     * The bytes a byte-level token string stands for. A character outside the table (which a well-formed byte-level
     * vocabulary does not contain) contributes its own UTF-8 encoding.
     */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        int n = 0;
        for (int i = 0; i < token.length(); i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) return decodeMixed(token);
            out[n++] = (byte) b;
        }
        return out;
    }

    private static byte[] decodeMixed(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length() * 2);
        for (int i = 0; i < token.length(); ) {
            int cp = token.codePointAt(i);
            int b = cp <= Character.MAX_VALUE ? byteOf((char) cp) : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
