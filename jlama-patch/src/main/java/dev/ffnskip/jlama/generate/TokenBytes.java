package dev.ffnskip.jlama.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bytes each token stands for, read from {@code tokenizer.json}, so generated text can be assembled as UTF-8
 * across token boundaries. (Jlama's {@code Tokenizer.decode(long)} keeps shared state and maps byte-level tokens to
 * Latin-1 characters, which garbles multi-byte characters.)
 *
 * <p>Two vocabularies are understood: GPT-2 style byte-level BPE (every token is a string of byte-standing
 * characters) and SentencePiece-style BPE with byte fallback ({@code <0xNN>} tokens, {@code ▁} for spaces).
 * Special tokens stand for no text.
 */
public final class TokenBytes {
    private static final byte[] NONE = new byte[0];
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");

    private final byte[][] bytes;
    private final boolean[] special;
    private final int leadingSpacesToStrip;

    private TokenBytes(byte[][] bytes, boolean[] special, int leadingSpacesToStrip) {
        this.bytes = bytes;
        this.special = special;
        this.leadingSpacesToStrip = leadingSpacesToStrip;
    }

    public static TokenBytes load(Path tokenizerJson) {
        try {
            return fromJson(new ObjectMapper().readTree(tokenizerJson.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + tokenizerJson, e);
        }
    }

    static TokenBytes fromJson(JsonNode root) {
        JsonNode vocab = root.path("model").path("vocab");
        Map<Integer, String> pieces = new HashMap<>();
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            pieces.put(e.getValue().asInt(), e.getKey());
            maxId = Math.max(maxId, e.getValue().asInt());
        }
        Map<Integer, Boolean> added = new HashMap<>();
        for (JsonNode token : root.path("added_tokens")) {
            int id = token.path("id").asInt();
            pieces.put(id, token.path("content").asText());
            added.put(id, token.path("special").asBoolean(false));
            maxId = Math.max(maxId, id);
        }
        boolean byteLevel = usesByteLevel(root);
        byte[][] bytes = new byte[maxId + 1][];
        boolean[] special = new boolean[maxId + 1];
        int[] byteOf = byteLevel ? unicodeToByte() : null;
        for (Map.Entry<Integer, String> e : pieces.entrySet()) {
            int id = e.getKey();
            String piece = e.getValue();
            if (Boolean.TRUE.equals(added.get(id))) {
                special[id] = true;
                bytes[id] = NONE;
            } else if (added.containsKey(id)) {
                bytes[id] = piece.getBytes(StandardCharsets.UTF_8);
            } else if (byteLevel) {
                bytes[id] = byteLevelBytes(piece, byteOf);
            } else {
                bytes[id] = sentencePieceBytes(piece);
            }
        }
        for (int i = 0; i < bytes.length; i++) if (bytes[i] == null) bytes[i] = NONE;
        return new TokenBytes(bytes, special, byteLevel ? 0 : stripCount(root.path("decoder")));
    }

    /** The bytes token {@code id} stands for; empty for special and unknown ids. */
    public byte[] bytes(int id) {
        return id >= 0 && id < bytes.length ? bytes[id] : NONE;
    }

    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    public boolean isKnown(int id) {
        return id >= 0 && id < bytes.length;
    }

    /** Leading spaces the tokenizer's decoder strips from the start of a decoded text (SentencePiece's prefix space). */
    public int leadingSpacesToStrip() {
        return leadingSpacesToStrip;
    }

    /** Decodes a whole id sequence (special tokens dropped), as a one-shot convenience. */
    public String decode(int[] ids) {
        TextAssembler assembler = new TextAssembler(this, java.util.List.of());
        StringBuilder out = new StringBuilder();
        for (int id : ids) out.append(assembler.accept(id));
        return out.append(assembler.finish()).toString();
    }

    private static boolean usesByteLevel(JsonNode root) {
        return root.path("decoder").path("type").asText().equals("ByteLevel") || root.path("pre_tokenizer").toString().contains("\"ByteLevel\"");
    }

    private static int stripCount(JsonNode decoder) {
        if (decoder.path("type").asText().equals("Strip")) return decoder.path("start").asInt(0);
        for (JsonNode d : decoder.path("decoders")) if (d.path("type").asText().equals("Strip")) return d.path("start").asInt(0);
        return 0;
    }

    private static byte[] byteLevelBytes(String piece, int[] byteOf) {
        byte[] out = new byte[piece.length()];
        int n = 0;
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            int b = c < byteOf.length ? byteOf[c] : -1;
            if (b < 0) return piece.getBytes(StandardCharsets.UTF_8); // not a byte-level piece; keep its text
            out[n++] = (byte) b;
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    private static byte[] sentencePieceBytes(String piece) {
        Matcher m = BYTE_TOKEN.matcher(piece);
        if (m.matches()) return new byte[] { (byte) Integer.parseInt(m.group(1), 16) };
        return piece.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    /** Inverse of GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to 256 + n. */
    private static int[] unicodeToByte() {
        int[] byteOf = new int[512];
        java.util.Arrays.fill(byteOf, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable) {
                byteOf[b] = b;
            } else {
                byteOf[256 + shifted++] = b;
            }
        }
        return byteOf;
    }
}
