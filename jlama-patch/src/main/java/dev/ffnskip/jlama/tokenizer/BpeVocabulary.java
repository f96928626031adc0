package dev.ffnskip.jlama.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything a byte-level BPE tokenizer is made of, as plain values: what a GGUF file's {@code tokenizer.ggml.*}
 * metadata (or a Hugging Face {@code tokenizer.json}) holds.
 *
 * @param tokens the vocabulary; token {@code i} has id {@code i}. Normal tokens are GPT-2 byte-to-unicode encoded
 *     strings ({@code "Ġthe"}); control and user-defined tokens are their literal text ({@code "<|im_end|>"}). When a
 *     string occurs more than once, its lowest id is the one text encodes to.
 * @param merges the BPE merges in rank order (first merges first), each two token strings separated by one space
 *     ({@code "Ġ t"})
 * @param tokenTypes per token the GGUF token type ({@link #NORMAL}, {@link #UNKNOWN}, {@link #CONTROL},
 *     {@link #USER_DEFINED}, {@link #UNUSED}, {@link #BYTE}; 0, "undefined", counts as normal), or {@code null}: then
 *     every token is normal except the BOS and EOS tokens, which count as control tokens
 * @param preTokenizer the GGUF {@code tokenizer.ggml.pre} name: {@code smollm}, {@code gpt2}, {@code llama-bpe},
 *     {@code qwen2} or {@code default} (treated as {@code gpt2})
 * @param bos the beginning-of-sequence token id, if any
 * @param eos the end-of-sequence token id, if any
 * @param addBos whether {@code encode} puts the BOS token first (requires {@code bos})
 * @param chatTemplate the Jinja chat template, if any
 */
public record BpeVocabulary(
    List<String> tokens,
    List<String> merges,
    int[] tokenTypes,
    String preTokenizer,
    OptionalInt bos,
    OptionalInt eos,
    boolean addBos,
    Optional<String> chatTemplate
) {
    public static final int UNDEFINED = 0;
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    /** Validates the values and makes defensive, unmodifiable copies. */
    public BpeVocabulary {
        if (tokens == null || tokens.isEmpty()) throw new IllegalArgumentException("The vocabulary has no tokens");
        for (int i = 0; i < tokens.size(); i++) {
            if (tokens.get(i) == null) throw new IllegalArgumentException("Token " + i + " of the vocabulary is null");
        }
        tokens = List.copyOf(tokens);
        if (merges == null) throw new IllegalArgumentException("The merges list is null (use an empty list for none)");
        for (int i = 0; i < merges.size(); i++) checkMerge(i, merges.get(i));
        merges = List.copyOf(merges);
        if (tokenTypes != null) {
            if (tokenTypes.length != tokens.size()) {
                throw new IllegalArgumentException(
                    "tokenTypes has " + tokenTypes.length + " entries but the vocabulary has " + tokens.size() + " tokens"
                );
            }
            tokenTypes = tokenTypes.clone();
            for (int i = 0; i < tokenTypes.length; i++) {
                if (tokenTypes[i] < UNDEFINED || tokenTypes[i] > BYTE) {
                    throw new IllegalArgumentException(
                        "Token " + i + " (\"" + tokens.get(i) + "\") has token type " + tokenTypes[i]
                            + ": known are 0 undefined, 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte"
                    );
                }
            }
        }
        PreTokenizer.byName(preTokenizer); // validates the name
        Objects.requireNonNull(bos, "bos (use OptionalInt.empty())");
        Objects.requireNonNull(eos, "eos (use OptionalInt.empty())");
        checkId("BOS", bos, tokens.size());
        checkId("EOS", eos, tokens.size());
        if (addBos && bos.isEmpty()) throw new IllegalArgumentException("addBos is set but there is no BOS token id");
        Objects.requireNonNull(chatTemplate, "chatTemplate (use Optional.empty())");
        if (chatTemplate.isPresent() && chatTemplate.get().isBlank()) {
            throw new IllegalArgumentException("The chat template is blank (use Optional.empty() for none)");
        }
    }

    private static void checkMerge(int index, String merge) {
        if (merge == null) throw new IllegalArgumentException("Merge " + index + " is null");
        int space = merge.indexOf(' ');
        if (space <= 0 || space == merge.length() - 1 || merge.indexOf(' ', space + 1) >= 0) {
            throw new IllegalArgumentException(
                "Merge " + index + " \"" + merge + "\" is not two non-empty token strings separated by one space"
            );
        }
    }

    private static void checkId(String what, OptionalInt id, int size) {
        if (id.isPresent() && (id.getAsInt() < 0 || id.getAsInt() >= size)) {
            throw new IllegalArgumentException(what + " token id " + id.getAsInt() + " is outside the vocabulary [0, " + size + ")");
        }
    }

    /** A copy of the token types, or {@code null} when none were given. */
    @Override
    public int[] tokenTypes() {
        return tokenTypes == null ? null : tokenTypes.clone();
    }

    /** The type of token {@code id}, with the defaults described at {@link BpeVocabulary} when no types were given. */
    public int tokenType(int id) {
        Objects.checkIndex(id, tokens.size());
        if (tokenTypes != null) return tokenTypes[id] == UNDEFINED ? NORMAL : tokenTypes[id];
        if ((bos.isPresent() && bos.getAsInt() == id) || (eos.isPresent() && eos.getAsInt() == id)) return CONTROL;
        return NORMAL;
    }

    /**
     * The vocabulary described by the {@code tokenizer.*} entries of GGUF metadata, as plain Java values (integers as
     * any {@link Number}, strings as {@link String}, arrays as {@link List}). Requires {@code tokenizer.ggml.model} =
     * {@code "gpt2"}; reads {@code tokenizer.ggml.tokens}, {@code merges}, {@code token_type}, {@code pre} (default
     * {@code "default"}), {@code bos_token_id}, {@code eos_token_id}, {@code add_bos_token} (default false) and
     * {@code tokenizer.chat_template}.
     */
    public static BpeVocabulary fromGgufMetadata(Map<String, ?> metadata) {
        Objects.requireNonNull(metadata, "metadata");
        Object model = metadata.get("tokenizer.ggml.model");
        if (!"gpt2".equals(model)) {
            throw new IllegalArgumentException(
                "tokenizer.ggml.model is " + (model == null ? "missing" : "\"" + model + "\"")
                    + ": only \"gpt2\" (byte-level BPE) vocabularies are supported"
            );
        }
        List<String> tokens = stringList(metadata, "tokenizer.ggml.tokens", true);
        List<String> merges = stringList(metadata, "tokenizer.ggml.merges", false);
        int[] types = null;
        Object rawTypes = metadata.get("tokenizer.ggml.token_type");
        if (rawTypes != null) {
            if (!(rawTypes instanceof List<?> list)) throw new IllegalArgumentException("tokenizer.ggml.token_type is not an array");
            types = new int[list.size()];
            for (int i = 0; i < types.length; i++) {
                if (!(list.get(i) instanceof Number n)) {
                    throw new IllegalArgumentException("tokenizer.ggml.token_type[" + i + "] is not an integer: " + list.get(i));
                }
                types[i] = n.intValue();
            }
        }
        Object pre = metadata.get("tokenizer.ggml.pre");
        if (pre != null && !(pre instanceof String)) throw new IllegalArgumentException("tokenizer.ggml.pre is not a string: " + pre);
        Object addBos = metadata.get("tokenizer.ggml.add_bos_token");
        if (addBos != null && !(addBos instanceof Boolean)) {
            throw new IllegalArgumentException("tokenizer.ggml.add_bos_token is not a boolean: " + addBos);
        }
        Object template = metadata.get("tokenizer.chat_template");
        if (template != null && !(template instanceof String)) {
            throw new IllegalArgumentException("tokenizer.chat_template is not a string");
        }
        return new BpeVocabulary(
            tokens,
            merges,
            types,
            pre == null ? "default" : (String) pre,
            optionalId(metadata, "tokenizer.ggml.bos_token_id"),
            optionalId(metadata, "tokenizer.ggml.eos_token_id"),
            Boolean.TRUE.equals(addBos),
            Optional.ofNullable((String) template).filter(t -> !t.isBlank())
        );
    }

    private static List<String> stringList(Map<String, ?> metadata, String key, boolean required) {
        Object value = metadata.get(key);
        if (value == null) {
            if (required) throw new IllegalArgumentException(key + " is missing from the metadata");
            return List.of();
        }
        if (!(value instanceof List<?> list)) throw new IllegalArgumentException(key + " is not an array");
        List<String> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) throw new IllegalArgumentException(key + "[" + i + "] is not a string: " + list.get(i));
            out.add(s);
        }
        return out;
    }

    private static OptionalInt optionalId(Map<String, ?> metadata, String key) {
        Object value = metadata.get(key);
        if (value == null) return OptionalInt.empty();
        if (!(value instanceof Number n)) throw new IllegalArgumentException(key + " is not an integer: " + value);
        long id = n.longValue();
        if (id < 0 || id > Integer.MAX_VALUE) throw new IllegalArgumentException(key + " is not a valid token id: " + id);
        return OptionalInt.of((int) id);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BpeVocabulary v
            && tokens.equals(v.tokens)
            && merges.equals(v.merges)
            && Arrays.equals(tokenTypes, v.tokenTypes)
            && preTokenizer.equals(v.preTokenizer)
            && bos.equals(v.bos)
            && eos.equals(v.eos)
            && addBos == v.addBos
            && chatTemplate.equals(v.chatTemplate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tokens, merges, Arrays.hashCode(tokenTypes), preTokenizer, bos, eos, addBos, chatTemplate);
    }

    @Override
    public String toString() {
        return "BpeVocabulary[" + tokens.size() + " tokens, " + merges.size() + " merges, pre-tokenizer " + preTokenizer
            + ", bos " + bos + ", eos " + eos + ", addBos " + addBos + (chatTemplate.isPresent() ? ", chat template" : "") + "]";
    }
}
