package dev.ffnskip.jlama.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How text (free of special tokens) is cut into the pieces that BPE merges within, by the {@code tokenizer.ggml.pre}
 * names of GGUF files.
 *
 * <p>The split patterns are the ones the models' Hugging Face {@code tokenizer.json} files declare, compiled with
 * Unicode character classes ({@code \s} is Unicode white space, as in the Oniguruma engine Hugging Face tokenizers
 * use). Pieces are the matches; text between matches (which these patterns never leave) would be a piece too.
 */
enum PreTokenizer {
    /**
     * SmolLM / SmolLM2: {@code Sequence[Digits(individual_digits=true), ByteLevel(use_regex=true)]}. Every numeric
     * character ({@code \p{N}}) becomes a piece of its own first; the GPT-2 pattern then runs on each remaining run of
     * text separately (so {@code " 20"} is {@code " ", "2", "0"}, not {@code " 2", "0"}).
     */
    SMOLLM("smollm", Patterns.GPT2, true, false),
    /** GPT-2 {@code ByteLevel(use_regex=true)}: digit runs stay together ({@code " ?\p{N}+"}). */
    GPT2("gpt2", Patterns.GPT2, false, false),
    /** Llama 3: digits in groups of at most three, a letter run may take one leading non-letter; merges ignored for whole-vocabulary words. */
    LLAMA_BPE("llama-bpe", Patterns.LLAMA3, false, true),
    /** Qwen2: like Llama 3 but every digit is a piece of its own. */
    QWEN2("qwen2", Patterns.QWEN2, false, false),
    /** Treated as GPT-2. */
    DEFAULT("default", Patterns.GPT2, false, false);

    private static final class Patterns {
        static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
        static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    }

    private final String ggufName;
    private final Pattern pattern;
    private final boolean isolateDigits;
    private final boolean ignoreMerges;

    PreTokenizer(String ggufName, String regex, boolean isolateDigits, boolean ignoreMerges) {
        this.ggufName = ggufName;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.isolateDigits = isolateDigits;
        this.ignoreMerges = ignoreMerges;
    }

    String ggufName() {
        return ggufName;
    }

    String regex() {
        return pattern.pattern();
    }

    /** Whether a piece that is a vocabulary token as a whole becomes that token without merging (Llama 3). */
    boolean ignoreMerges() {
        return ignoreMerges;
    }

    static String supportedNames() {
        return Arrays.stream(values()).map(p -> p.ggufName).collect(Collectors.joining(", "));
    }

    static PreTokenizer byName(String name) {
        if (name == null) throw new IllegalArgumentException("The pre-tokenizer name is null: supported are " + supportedNames());
        String key = name.strip().toLowerCase(Locale.ROOT);
        for (PreTokenizer p : values()) if (p.ggufName.equals(key)) return p;
        throw new IllegalArgumentException("Unknown pre-tokenizer name \"" + name + "\": supported are " + supportedNames());
    }

    /** Appends the pieces of {@code text[start, end)} to {@code out}. */
    void split(String text, int start, int end, List<String> out) {
        if (start >= end) return;
        Matcher matcher = pattern.matcher(text);
        if (!isolateDigits) {
            splitByPattern(matcher, text, start, end, out);
            return;
        }
        int runStart = start;
        for (int i = start; i < end; ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isNumeric(cp)) {
                splitByPattern(matcher, text, runStart, i, out);
                out.add(text.substring(i, next));
                runStart = next;
            }
            i = next;
        }
        splitByPattern(matcher, text, runStart, end, out);
    }

    /** {@code \p{N}}: the general categories Nd, Nl and No (what Rust's {@code char::is_numeric} tests). */
    static boolean isNumeric(int cp) {
        int type = Character.getType(cp);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }

    /**
     * Runs the pattern on {@code text[start, end)} as if it were the whole input: the region's bounds are opaque, so
     * the look-ahead of {@code \s+(?!\S)} sees the end of the region as the end of the text.
     */
    private static void splitByPattern(Matcher matcher, String text, int start, int end, List<String> out) {
        if (start >= end) return;
        matcher.region(start, end);
        int last = start;
        while (matcher.find()) {
            if (matcher.start() > last) out.add(text.substring(last, matcher.start()));
            if (matcher.end() > matcher.start()) out.add(text.substring(matcher.start(), matcher.end()));
            last = matcher.end();
        }
        if (last < end) out.add(text.substring(last, end));
    }
}
