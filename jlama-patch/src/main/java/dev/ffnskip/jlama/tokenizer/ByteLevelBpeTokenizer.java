package dev.ffnskip.jlama.tokenizer;

import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import com.github.tjake.jlama.safetensors.tokenizer.TokenizerModel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 style byte-level BPE (the {@code tokenizer.ggml.model = "gpt2"} tokenizers of GGUF files: SmolLM, GPT-2,
 * Llama 3, Qwen2), encoding exactly as Hugging Face {@code tokenizers} does for these models.
 *
 * <h2>Encoding</h2>
 * <ol>
 *   <li>Control, unknown and user-defined tokens ({@link BpeVocabulary#CONTROL}, {@link BpeVocabulary#UNKNOWN},
 *       {@link BpeVocabulary#USER_DEFINED}) are matched literally in the text first, leftmost and, at one position,
 *       longest first. They become their own ids and the text between them is encoded normally.
 *       ({@link #encode(String, boolean)} can turn this off for untrusted text.)</li>
 *   <li>Each stretch of normal text is cut into pieces by the pre-tokenizer (see {@link BpeVocabulary#preTokenizer()}):
 *       for {@code smollm} every numeric character is a piece of its own and the GPT-2 pattern runs on each stretch in
 *       between.</li>
 *   <li>Each piece's UTF-8 bytes are mapped through the GPT-2 byte-to-unicode table and merged by rank, lowest rank
 *       first and leftmost first among equal ranks. A merge whose result is not a vocabulary token still merges;
 *       such a result is emitted as the tokens of its single bytes. A byte for which the vocabulary has neither its
 *       byte-level character nor a {@code <0xNN>} token is dropped, as Hugging Face does for a BPE model without
 *       unknown token (SmolLM2 lacks 21 of the 256 byte characters, among them the control characters U+0004,
 *       U+0006, U+0013, U+0014, U+0016 and U+001D; see {@link #unencodableBytes()}).</li>
 *   <li>With {@link BpeVocabulary#addBos()} the BOS id comes first.</li>
 * </ol>
 *
 * <h2>Decoding</h2>
 * {@link #decode(long[])} concatenates the tokens' bytes and decodes them as UTF-8, replacing invalid sequences with
 * U+FFFD. Nothing is skipped: control, unknown and user-defined tokens render as their literal text, like Hugging Face's
 * {@code decode(ids, skip_special_tokens=False)}. {@link #tokenBytes(int)} gives a token's bytes for streaming text
 * assembly; there control and unknown tokens are empty.
 *
 * <p>Instances are immutable and thread-safe (a bounded cache of piece encodings is shared).
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
    private static final int CACHE_LIMIT = 32_768;
    private static final int CACHE_MAX_PIECE_LENGTH = 48;
    private static final byte[] NO_BYTES = new byte[0];

    private final BpeVocabulary vocabulary;
    private final PreTokenizer preTokenizer;
    private final String[] tokens;
    private final int[] types;
    private final Map<String, Integer> idOf;
    /** The bytes each token stands for (literal text for control tokens). */
    private final byte[][] bytes;
    /** The token for each byte value, or -1. */
    private final int[] byteToken = new int[256];
    private final MergeRanks ranks;
    /** The symbol a merge of a given rank produces: a token id, or {@code tokens.length + k} for {@code virtualBytes[k]}. */
    private final int[] mergeResult;
    /** The bytes of merge results that are no vocabulary token. */
    private final byte[][] virtualBytes;
    private final int ignoredMerges;

    private final BitSet specialFirstChars = new BitSet();
    private final Map<Character, String[]> specialsByFirstChar = new HashMap<>();

    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();
    /** Jlama's model (a second copy of vocabulary and merges) and prompt support, made on first use. */
    private volatile JlamaView jlama;

    private record JlamaView(TokenizerModel model, Optional<PromptSupport> promptSupport) {}

    public ByteLevelBpeTokenizer(BpeVocabulary vocabulary) {
        this.vocabulary = Objects.requireNonNull(vocabulary, "vocabulary");
        this.preTokenizer = PreTokenizer.byName(vocabulary.preTokenizer());
        int size = vocabulary.tokens().size();
        this.tokens = vocabulary.tokens().toArray(new String[0]);
        this.types = new int[size];
        this.idOf = new HashMap<>(size * 2);
        this.bytes = new byte[size][];
        for (int id = size - 1; id >= 0; id--) {
            types[id] = vocabulary.tokenType(id);
            if (!tokens[id].isEmpty()) idOf.put(tokens[id], id);
        }
        for (int id = 0; id < size; id++) bytes[id] = bytesOf(id);

        Arrays.fill(byteToken, -1);
        for (int b = 0; b < 256; b++) {
            Integer id = normalId(String.valueOf(ByteUnicode.charOf(b)));
            if (id == null) id = byteTypeId(String.format("<0x%02X>", b));
            if (id != null) byteToken[b] = id;
        }

        // Merges: symbols are token ids; results that are no token get "virtual" ids past the vocabulary.
        List<String> merges = vocabulary.merges();
        this.ranks = new MergeRanks(merges.size());
        this.mergeResult = new int[merges.size()];
        Map<String, Integer> virtualIds = new HashMap<>();
        List<byte[]> virtual = new ArrayList<>();
        int ignored = 0;
        for (int rank = 0; rank < merges.size(); rank++) {
            String merge = merges.get(rank);
            int space = merge.indexOf(' ');
            String left = merge.substring(0, space);
            String right = merge.substring(space + 1);
            int l = symbolOf(left, virtualIds);
            int r = symbolOf(right, virtualIds);
            if (l < 0 || r < 0) {
                ignored++; // a side no piece can ever produce: the merge can never apply
                continue;
            }
            String joined = left + right;
            Integer result = normalId(joined);
            if (result == null) {
                result = virtualIds.get(joined);
                if (result == null) {
                    result = size + virtual.size();
                    virtualIds.put(joined, result);
                    virtual.add(ByteUnicode.decode(joined));
                }
            }
            if (ranks.putIfAbsent(l, r, rank)) mergeResult[rank] = result;
            else ignored++; // a duplicate pair: its first (lowest) rank applies
        }
        this.virtualBytes = virtual.toArray(new byte[0][]);
        this.ignoredMerges = ignored;

        List<String> specials = new ArrayList<>();
        for (int id = 0; id < size; id++) {
            if ((isControl(id) || types[id] == BpeVocabulary.USER_DEFINED) && !tokens[id].isEmpty() && idOf.get(tokens[id]) == id) {
                specials.add(tokens[id]);
            }
        }
        Map<Character, List<String>> grouped = new HashMap<>();
        for (String s : specials) grouped.computeIfAbsent(s.charAt(0), c -> new ArrayList<>()).add(s);
        grouped.forEach((c, list) -> {
            list.sort(Comparator.comparingInt(String::length).reversed());
            specialsByFirstChar.put(c, list.toArray(new String[0]));
            specialFirstChars.set(c);
        });
    }

    /**
     * A tokenizer from a Hugging Face {@code tokenizer.json} and (optionally, may be {@code null})
     * {@code tokenizer_config.json}, for byte-level BPE models whose pre-tokenizer is GPT-2's {@code ByteLevel}, the
     * SmolLM {@code Sequence[Digits(individual_digits=true), ByteLevel]}, or the Llama 3 / Qwen2 split pattern.
     *
     * @throws IllegalArgumentException if the files describe another kind of tokenizer
     */
    public static ByteLevelBpeTokenizer fromHuggingFaceJson(Path tokenizerJson, Path tokenizerConfigJson) {
        return new ByteLevelBpeTokenizer(HuggingFaceTokenizerFiles.read(tokenizerJson, tokenizerConfigJson));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Construction helpers

    private Integer normalId(String token) {
        Integer id = idOf.get(token);
        return id != null && isByteLevelToken(id) ? id : null;
    }

    private Integer byteTypeId(String token) {
        Integer id = idOf.get(token);
        return id != null && types[id] == BpeVocabulary.BYTE ? id : null;
    }

    /** Control tokens and the unknown token: special, matched literally, no text of their own. */
    private boolean isControl(int id) {
        return types[id] == BpeVocabulary.CONTROL || types[id] == BpeVocabulary.UNKNOWN;
    }

    /** Tokens whose string is byte-level encoded text (normal and unused tokens). */
    private boolean isByteLevelToken(int id) {
        return types[id] == BpeVocabulary.NORMAL || types[id] == BpeVocabulary.UNUSED;
    }

    private int symbolOf(String part, Map<String, Integer> virtualIds) {
        Integer id = normalId(part);
        if (id != null) return id;
        id = virtualIds.get(part);
        return id == null ? -1 : id;
    }

    private byte[] bytesOf(int id) {
        String token = tokens[id];
        return switch (types[id]) {
            case BpeVocabulary.CONTROL, BpeVocabulary.USER_DEFINED, BpeVocabulary.UNKNOWN -> token.getBytes(StandardCharsets.UTF_8);
            case BpeVocabulary.BYTE -> {
                Matcher m = BYTE_TOKEN.matcher(token);
                yield m.matches() ? new byte[] { (byte) Integer.parseInt(m.group(1), 16) } : ByteUnicode.decode(token);
            }
            default -> ByteUnicode.decode(token);
        };
    }

    private TokenizerModel jlamaModel() {
        Map<String, Long> vocab = new LinkedHashMap<>(tokens.length * 2);
        for (int id = 0; id < tokens.length; id++) {
            if (!tokens[id].isEmpty() && idOf.get(tokens[id]) == id) vocab.put(tokens[id], (long) id);
        }
        TokenizerModel m = new TokenizerModel(
            "BPE",
            null,
            false,
            false,
            vocab,
            preTokenizer.ignoreMerges(),
            new ArrayList<>(vocabulary.merges())
        );
        List<Map<String, Object>> added = new ArrayList<>();
        for (int id = 0; id < tokens.length; id++) {
            boolean control = isControl(id);
            if ((control || types[id] == BpeVocabulary.USER_DEFINED) && vocab.containsKey(tokens[id]) && vocab.get(tokens[id]) == id) {
                Map<String, Object> token = new LinkedHashMap<>();
                token.put("id", id); // Jlama reads an Integer
                token.put("content", tokens[id]);
                token.put("special", control);
                added.add(token);
            }
        }
        m.setAddedTokens(added);
        vocabulary.bos().ifPresent(id -> m.setBosToken(tokens[id]));
        vocabulary.eos().ifPresent(id -> m.setEosToken(tokens[id]));
        vocabulary.chatTemplate().ifPresent(t -> m.setPromptTemplates(Map.of("default", t)));
        return m;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Encoding

    /** The ids of {@code text}, special tokens matched (see the class comment). */
    @Override
    public long[] encode(String text) {
        return toLongs(encodeToIds(text, true));
    }

    /**
     * The ids of {@code text}; with {@code matchSpecialTokens} false, text such as {@code "<|im_end|>"} is encoded as
     * ordinary characters (for untrusted input).
     */
    public long[] encode(String text, boolean matchSpecialTokens) {
        return toLongs(encodeToIds(text, matchSpecialTokens));
    }

    /** As {@link #encode(String, boolean)}, as {@code int} ids. */
    public int[] encodeToIds(String text, boolean matchSpecialTokens) {
        Objects.requireNonNull(text, "text");
        IntBuffer out = new IntBuffer(Math.max(8, text.length() / 3));
        if (vocabulary.addBos()) out.add(vocabulary.bos().getAsInt());
        List<String> pieces = new ArrayList<>();
        int spanStart = 0;
        if (matchSpecialTokens && !specialsByFirstChar.isEmpty()) {
            for (int i = 0; i < text.length(); ) {
                String special = specialAt(text, i);
                if (special == null) {
                    i++;
                    continue;
                }
                encodeOrdinary(text, spanStart, i, pieces, out);
                out.add(idOf.get(special));
                i += special.length();
                spanStart = i;
            }
        }
        encodeOrdinary(text, spanStart, text.length(), pieces, out);
        return out.toArray();
    }

    /** The token strings of {@link #encode(String)} (byte-level encoded, e.g. {@code "Ġworld"}). */
    @Override
    public List<String> tokenize(String text) {
        int[] ids = encodeToIds(text, true);
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) out.add(tokens[id]);
        return out;
    }

    private String specialAt(String text, int i) {
        char c = text.charAt(i);
        if (!specialFirstChars.get(c)) return null;
        for (String candidate : specialsByFirstChar.get(c)) {
            if (text.startsWith(candidate, i)) return candidate;
        }
        return null;
    }

    /** The pre-tokenizer pieces of ordinary text (no special-token matching). */
    List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        preTokenizer.split(text, 0, text.length(), pieces);
        return pieces;
    }

    private void encodeOrdinary(String text, int start, int end, List<String> pieces, IntBuffer out) {
        if (start >= end) return;
        pieces.clear();
        preTokenizer.split(text, start, end, pieces);
        for (String piece : pieces) out.addAll(encodePiece(piece));
    }

    private int[] encodePiece(String piece) {
        boolean cacheable = piece.length() <= CACHE_MAX_PIECE_LENGTH;
        if (cacheable) {
            int[] cached = cache.get(piece);
            if (cached != null) return cached;
        }
        int[] ids = bpe(piece.getBytes(StandardCharsets.UTF_8));
        if (cacheable) {
            if (cache.size() >= CACHE_LIMIT) cache.clear();
            cache.put(piece, ids);
        }
        return ids;
    }

    /** Byte-level BPE of one piece: per-byte symbols, merged by rank (then position) in a linked list. */
    private int[] bpe(byte[] utf8) {
        int n = utf8.length;
        if (preTokenizer.ignoreMerges()) {
            Integer whole = normalId(ByteUnicode.encode(utf8));
            if (whole != null) return new int[] { whole };
        }
        int[] symbol = new int[n];
        int kept = 0;
        for (byte b : utf8) {
            int id = byteToken[b & 0xFF];
            if (id >= 0) symbol[kept++] = id; // a byte without a token is dropped, as Hugging Face does without unk token
        }
        n = kept;
        if (n < symbol.length) symbol = Arrays.copyOf(symbol, n);
        if (n > 1) {
            int[] next = new int[n];
            int[] prev = new int[n];
            LongMinHeap queue = new LongMinHeap(n);
            for (int i = 0; i < n; i++) {
                next[i] = i + 1 < n ? i + 1 : -1;
                prev[i] = i - 1;
                if (i + 1 < n) offer(queue, symbol[i], symbol[i + 1], i);
            }
            while (!queue.isEmpty()) {
                long entry = queue.poll();
                int rank = (int) (entry >>> 32);
                int left = (int) entry;
                int right = next[left];
                // Entries go stale when a neighbour merged; a live entry names the pair still at its position.
                if (symbol[left] < 0 || right < 0 || ranks.rank(symbol[left], symbol[right]) != rank) continue;
                symbol[left] = mergeResult[rank];
                symbol[right] = -1;
                next[left] = next[right];
                if (next[left] >= 0) prev[next[left]] = left;
                if (prev[left] >= 0) offer(queue, symbol[prev[left]], symbol[left], prev[left]);
                if (next[left] >= 0) offer(queue, symbol[left], symbol[next[left]], left);
            }
        }
        IntBuffer out = new IntBuffer(n);
        for (int i = n == 0 ? -1 : 0; i >= 0; i = nextLive(symbol, i)) {
            int s = symbol[i];
            if (s < tokens.length) {
                out.add(s);
            } else {
                for (byte b : virtualBytes[s - tokens.length]) out.add(byteToken[b & 0xFF]);
            }
        }
        return out.toArray();
    }

    private static int nextLive(int[] symbol, int i) {
        for (int j = i + 1; j < symbol.length; j++) if (symbol[j] >= 0) return j;
        return -1;
    }

    private void offer(LongMinHeap queue, int left, int right, int position) {
        int rank = ranks.rank(left, right);
        if (rank >= 0) queue.add(((long) rank << 32) | position);
    }

    private static long[] toLongs(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = ids[i];
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Decoding

    /** The text of one token: its bytes as UTF-8 (a partial character becomes U+FFFD); special tokens as their text. */
    @Override
    public String decode(long id) {
        return new String(bytes[checkedId(id)], StandardCharsets.UTF_8);
    }

    /**
     * The text of {@code ids}: all tokens' bytes concatenated, decoded as UTF-8 with invalid sequences replaced by
     * U+FFFD. Nothing is skipped; control and user-defined tokens render as their literal text (Hugging Face
     * {@code skip_special_tokens=False}).
     */
    @Override
    public String decode(long[] ids) {
        Objects.requireNonNull(ids, "ids");
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (long id : ids) out.writeBytes(bytes[checkedId(id)]);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** As {@link #decode(long[])}, for {@code int} ids. */
    public String decode(int[] ids) {
        Objects.requireNonNull(ids, "ids");
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) out.writeBytes(bytes[checkedId(id)]);
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * The raw bytes token {@code id} stands for (a copy): byte-level tokens their bytes, byte tokens ({@code <0xNN>})
     * their byte, user-defined tokens their UTF-8 text, control and unknown tokens nothing.
     */
    public byte[] tokenBytes(int id) {
        checkedId(id);
        return isControl(id) ? NO_BYTES : bytes[id].clone();
    }

    private int checkedId(long id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("Token id " + id + " is outside the vocabulary [0, " + tokens.length + ")");
        }
        return (int) id;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Vocabulary

    /**
     * Whether {@code id} is a control token (BOS, EOS, {@code <|im_start|>}, ...) or the unknown token: the tokens
     * Hugging Face marks special. User-defined tokens are not special (they stand for text).
     */
    public boolean isSpecial(int id) {
        return isControl(checkedId(id));
    }

    /** The token type of {@code id} (see {@link BpeVocabulary}). */
    public int tokenType(int id) {
        return types[checkedId(id)];
    }

    public int vocabularySize() {
        return tokens.length;
    }

    /** The vocabulary string of {@code id} (byte-level encoded for normal tokens). */
    public String token(int id) {
        return tokens[checkedId(id)];
    }

    /** The id of a vocabulary string ({@code "Ġworld"}, {@code "<|im_end|>"}), if it is one. */
    public OptionalInt tokenId(String piece) {
        Integer id = piece == null ? null : idOf.get(piece);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    public OptionalInt bosTokenId() {
        return vocabulary.bos();
    }

    public OptionalInt eosTokenId() {
        return vocabulary.eos();
    }

    public BpeVocabulary vocabulary() {
        return vocabulary;
    }

    /** The byte values that have no token and are dropped when encoding (see the class comment). */
    public List<Integer> unencodableBytes() {
        List<Integer> missing = new ArrayList<>();
        for (int b = 0; b < 256; b++) if (byteToken[b] < 0) missing.add(b);
        return missing;
    }

    /** Merges that can never apply (a side no piece produces) or repeat an earlier pair; normally 0. */
    public int ignoredMerges() {
        return ignoredMerges;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Jlama

    /** The chat template support of Jlama (its Jinja renderer on {@link #getModel()}), when there is a chat template. */
    @Override
    public Optional<PromptSupport> promptSupport() {
        return jlama().promptSupport();
    }

    /**
     * Jlama's view of this vocabulary: type {@code "BPE"}, the vocabulary and merges, control and user-defined tokens
     * as added tokens (control ones marked special), BOS/EOS token strings and the chat template as the
     * {@code "default"} prompt template.
     */
    @Override
    public TokenizerModel getModel() {
        return jlama().model();
    }

    private JlamaView jlama() {
        JlamaView view = jlama;
        if (view == null) {
            synchronized (this) {
                view = jlama;
                if (view == null) {
                    TokenizerModel model = jlamaModel();
                    view = new JlamaView(model, vocabulary.chatTemplate().map(t -> new PromptSupport(model)));
                    jlama = view;
                }
            }
        }
        return view;
    }

    @Override
    public String toString() {
        return "ByteLevelBpeTokenizer[" + vocabulary + "]";
    }

    /** A growable int array. */
    private static final class IntBuffer {
        private int[] data;
        private int size;

        IntBuffer(int capacity) {
            data = new int[Math.max(4, capacity)];
        }

        void add(int value) {
            if (size == data.length) data = Arrays.copyOf(data, size * 2);
            data[size++] = value;
        }

        void addAll(int[] values) {
            if (size + values.length > data.length) data = Arrays.copyOf(data, Math.max(size * 2, size + values.length));
            System.arraycopy(values, 0, data, size, values.length);
            size += values.length;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
