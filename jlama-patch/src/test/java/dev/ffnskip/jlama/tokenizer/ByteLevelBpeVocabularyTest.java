package dev.ffnskip.jlama.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BPE mechanics, validation and the GGUF / Hugging Face factories, on small hand-made vocabularies. */
class ByteLevelBpeVocabularyTest {

    /** A vocabulary: the 256 byte characters (id = byte), then {@code extra} tokens, with {@code merges}. */
    private static final class Toy {
        final List<String> tokens = new ArrayList<>();
        final List<Integer> types = new ArrayList<>();
        final List<String> merges = new ArrayList<>();
        String pre = "gpt2";
        OptionalInt bos = OptionalInt.empty();
        OptionalInt eos = OptionalInt.empty();
        boolean addBos;

        Toy() {
            for (int b = 0; b < 256; b++) add(String.valueOf(ByteUnicode.charOf(b)), BpeVocabulary.NORMAL);
        }

        int add(String token, int type) {
            tokens.add(token);
            types.add(type);
            return tokens.size() - 1;
        }

        Toy merge(String merge) {
            merges.add(merge);
            return this;
        }

        BpeVocabulary vocabulary() {
            return new BpeVocabulary(tokens, merges, types.stream().mapToInt(Integer::intValue).toArray(), pre, bos, eos, addBos, Optional.empty());
        }

        ByteLevelBpeTokenizer tokenizer() {
            return new ByteLevelBpeTokenizer(vocabulary());
        }
    }

    private static long b(char c) {
        return c; // single-byte characters have the byte's id in a Toy
    }

    @Test
    void byteToUnicodeTableIsGpt2s() {
        assertThat(ByteUnicode.charOf(' ')).isEqualTo('Ġ');
        assertThat(ByteUnicode.charOf('\n')).isEqualTo('Ċ');
        assertThat(ByteUnicode.charOf('\t')).isEqualTo('ĉ');
        assertThat(ByteUnicode.charOf('A')).isEqualTo('A');
        assertThat(ByteUnicode.charOf(0xAD)).isEqualTo('Ń');
        assertThat(ByteUnicode.charOf(0xFF)).isEqualTo('ÿ');
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteUnicode.charOf(b);
            assertThat(seen.add(c)).isTrue();
            assertThat(ByteUnicode.byteOf(c)).isEqualTo(b);
        }
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) all[i] = (byte) i;
        assertThat(ByteUnicode.decode(ByteUnicode.encode(all))).isEqualTo(all);
    }

    @Test
    void lowestRankMergesFirstAndLeftmostAmongEqualRanks() {
        Toy toy = new Toy();
        int bc = toy.add("bc", BpeVocabulary.NORMAL);
        int ab = toy.add("ab", BpeVocabulary.NORMAL);
        int aa = toy.add("aa", BpeVocabulary.NORMAL);
        int abc = toy.add("abc", BpeVocabulary.NORMAL);
        toy.merge("b c").merge("a b").merge("a a").merge("ab c");
        ByteLevelBpeTokenizer t = toy.tokenizer();
        // "b c" (rank 0) beats "a b" (rank 1): "a" "bc", and "ab c" never applies.
        assertThat(t.encode("abc")).containsExactly(b('a'), bc);
        assertThat(t.encode("ab")).containsExactly(ab);
        assertThat(t.encode("aaa")).containsExactly(aa, b('a'));
        assertThat(t.encode("aaaa")).containsExactly(aa, aa);
        assertThat(t.encode("abab")).containsExactly(ab, ab);
        assertThat(abc).isPositive();
    }

    @Test
    void mergeResultsOutsideTheVocabularyFallBackToByteTokens() {
        Toy toy = new Toy();
        int xyz = toy.add("xyz", BpeVocabulary.NORMAL);
        toy.merge("x y").merge("xy z"); // "xy" is no token
        ByteLevelBpeTokenizer t = toy.tokenizer();
        assertThat(t.encode("xyz")).containsExactly(xyz);
        assertThat(t.encode("xy")).containsExactly(b('x'), b('y'));
        assertThat(t.decode(t.encode("xyxyz"))).isEqualTo("xyxyz");
        assertThat(t.ignoredMerges()).isZero();
    }

    @Test
    void mergesThatCanNeverApplyAreCounted() {
        Toy toy = new Toy();
        toy.add("ab", BpeVocabulary.NORMAL);
        toy.merge("a b").merge("a b").merge("q <nope>");
        ByteLevelBpeTokenizer t = toy.tokenizer();
        assertThat(t.ignoredMerges()).isEqualTo(2);
        assertThat(t.encode("ab")).hasSize(1);
    }

    @Test
    void specialTokensMatchLongestFirstAndLeftmost() {
        Toy toy = new Toy();
        int a = toy.add("<a>", BpeVocabulary.CONTROL);
        int ab = toy.add("<a><b>", BpeVocabulary.CONTROL);
        int user = toy.add("@@", BpeVocabulary.USER_DEFINED);
        int unk = toy.add("<unk>", BpeVocabulary.UNKNOWN);
        ByteLevelBpeTokenizer t = toy.tokenizer();
        assertThat(t.encode("<unk>!")).containsExactly(unk, b('!'));
        assertThat(t.isSpecial(unk)).isTrue();
        assertThat(t.tokenBytes(unk)).isEmpty();
        assertThat(t.encode("<a><b>")).containsExactly(ab);
        assertThat(t.encode("<a><c>")).containsExactly(a, b('<'), b('c'), b('>'));
        assertThat(t.encode("x@@<a>")).containsExactly(b('x'), user, a);
        assertThat(t.encode("<<a>")).containsExactly(b('<'), a);
        assertThat(t.isSpecial(a)).isTrue();
        assertThat(t.isSpecial(user)).isFalse();
        assertThat(t.tokenBytes(a)).isEmpty();
        assertThat(t.tokenBytes(user)).isEqualTo("@@".getBytes(StandardCharsets.UTF_8));
        assertThat(t.decode(new long[] { b('x'), user, ab })).isEqualTo("x@@<a><b>");
        assertThat(t.getModel().isSpecialToken(a)).isTrue();
        assertThat(t.getModel().isSpecialToken(user)).isFalse();
        assertThat(t.getModel().addedTokens()).containsOnlyKeys("<a>", "<a><b>", "@@", "<unk>");
    }

    @Test
    void withoutTokenTypesBosAndEosAreControlTokens() {
        Toy toy = new Toy();
        int bos = toy.add("<s>", BpeVocabulary.NORMAL);
        int eos = toy.add("</s>", BpeVocabulary.NORMAL);
        BpeVocabulary v = new BpeVocabulary(toy.tokens, List.of(), null, "gpt2", OptionalInt.of(bos), OptionalInt.of(eos), true, Optional.empty());
        ByteLevelBpeTokenizer t = new ByteLevelBpeTokenizer(v);
        assertThat(t.encode("hi</s>")).containsExactly(bos, b('h'), b('i'), eos);
        assertThat(t.isSpecial(eos)).isTrue();
        assertThat(t.getModel().bosToken()).isEqualTo("<s>");
        assertThat(t.getModel().eosToken()).isEqualTo("</s>");
        assertThat(t.promptSupport()).isEmpty();
    }

    @Test
    void byteTokensStandInForMissingByteCharacters() {
        Toy toy = new Toy();
        toy.tokens.set('z', "z-gone"); // the byte character itself is missing
        int z = toy.add("<0x7A>", BpeVocabulary.BYTE);
        ByteLevelBpeTokenizer t = toy.tokenizer();
        assertThat(t.encode("zz")).containsExactly(z, z);
        assertThat(t.tokenBytes(z)).containsExactly((byte) 'z');
        assertThat(t.decode(t.encode("fizz"))).isEqualTo("fizz");

        Toy broken = new Toy();
        broken.tokens.set('z', "not z");
        ByteLevelBpeTokenizer t2 = broken.tokenizer();
        assertThat(t2.unencodableBytes()).containsExactly((int) 'z');
        assertThat(t2.encode("zaz")).containsExactly(b('a')); // dropped, like Hugging Face without unk token
    }

    @Test
    void llamaBpeIgnoresMergesForWholeVocabularyWords() {
        Toy toy = new Toy();
        int hello = toy.add("hello", BpeVocabulary.NORMAL);
        toy.pre = "llama-bpe";
        ByteLevelBpeTokenizer t = toy.tokenizer();
        assertThat(t.encode("hello")).containsExactly(hello); // no merge leads there
        assertThat(t.getModel().ignoreMerges()).isTrue();
        toy.pre = "gpt2";
        assertThat(toy.tokenizer().encode("hello")).hasSize(5);
    }

    @Test
    void preTokenizerPatterns() {
        assertThat(pieces("llama-bpe", "12345 don'T\n\nx  y")).containsExactly("123", "45", " don", "'T", "\n\n", "x", " ", " y");
        assertThat(pieces("qwen2", "12345 ab")).containsExactly("1", "2", "3", "4", "5", " ab");
        assertThat(pieces("gpt2", "12345 x 67")).containsExactly("12345", " x", " 67");
        assertThat(pieces("default", "12345 x 67")).containsExactly("12345", " x", " 67");
        assertThat(pieces("smollm", "12345 x 67")).containsExactly("1", "2", "3", "4", "5", " x", " ", "6", "7");
        assertThat(pieces("smollm", "I'm here's")).containsExactly("I", "'m", " here", "'s");
    }

    private static List<String> pieces(String pre, String text) {
        Toy toy = new Toy();
        toy.pre = pre;
        return toy.tokenizer().pieces(text);
    }

    @Test
    void validationMessages() {
        Toy toy = new Toy();
        List<String> tokens = toy.tokens;
        assertThatThrownBy(() -> new BpeVocabulary(tokens, List.of(), null, "X", OptionalInt.empty(), OptionalInt.empty(), false, Optional.empty()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("Unknown pre-tokenizer name \"X\": supported are smollm, gpt2, llama-bpe, qwen2, default");
        assertThatThrownBy(() -> new BpeVocabulary(List.of(), List.of(), null, "gpt2", OptionalInt.empty(), OptionalInt.empty(), false, Optional.empty()))
            .hasMessage("The vocabulary has no tokens");
        assertThatThrownBy(() -> new BpeVocabulary(tokens, List.of("a b", "ab"), null, "gpt2", OptionalInt.empty(), OptionalInt.empty(), false, Optional.empty()))
            .hasMessage("Merge 1 \"ab\" is not two non-empty token strings separated by one space");
        assertThatThrownBy(() -> new BpeVocabulary(tokens, List.of(), new int[3], "gpt2", OptionalInt.empty(), OptionalInt.empty(), false, Optional.empty()))
            .hasMessage("tokenTypes has 3 entries but the vocabulary has 256 tokens");
        int[] badType = new int[256];
        badType[5] = 9;
        assertThatThrownBy(() -> new BpeVocabulary(tokens, List.of(), badType, "gpt2", OptionalInt.empty(), OptionalInt.empty(), false, Optional.empty()))
            .hasMessageStartingWith("Token 5 (\"ą\") has token type 9");
        assertThatThrownBy(() -> new BpeVocabulary(tokens, List.of(), null, "gpt2", OptionalInt.of(256), OptionalInt.empty(), false, Optional.empty()))
            .hasMessage("BOS token id 256 is outside the vocabulary [0, 256)");
        assertThatThrownBy(() -> new BpeVocabulary(tokens, List.of(), null, "gpt2", OptionalInt.empty(), OptionalInt.empty(), true, Optional.empty()))
            .hasMessage("addBos is set but there is no BOS token id");
        assertThatThrownBy(() -> new BpeVocabulary(tokens, List.of(), null, "gpt2", OptionalInt.empty(), OptionalInt.empty(), false, Optional.of(" ")))
            .hasMessageContaining("chat template is blank");
        ByteLevelBpeTokenizer t = toy.tokenizer();
        assertThatThrownBy(() -> t.decode(256L)).hasMessage("Token id 256 is outside the vocabulary [0, 256)");
        assertThatThrownBy(() -> t.decode(new long[] { -1 })).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void vocabularyIsAnImmutableValue() {
        Toy toy = new Toy();
        BpeVocabulary v = toy.vocabulary();
        int[] types = v.tokenTypes();
        types[0] = BpeVocabulary.CONTROL;
        assertThat(v.tokenType(0)).isEqualTo(BpeVocabulary.NORMAL);
        assertThat(v).isEqualTo(toy.vocabulary()).hasSameHashCodeAs(toy.vocabulary());
        assertThat(v.toString()).contains("256 tokens", "pre-tokenizer gpt2");
    }

    @Test
    void ggufMetadataGivesTheSameTokenizerAsTheHuggingFaceFiles() {
        ByteLevelBpeTokenizer hf = SmolLm2Tokenizer.get();
        BpeVocabulary v = hf.vocabulary();
        Map<String, Object> metadata = new HashMap<>();
        metadata.put("tokenizer.ggml.model", "gpt2");
        metadata.put("tokenizer.ggml.pre", "smollm");
        metadata.put("tokenizer.ggml.tokens", new ArrayList<Object>(v.tokens()));
        metadata.put("tokenizer.ggml.merges", new ArrayList<Object>(v.merges()));
        List<Object> types = new ArrayList<>();
        for (int type : v.tokenTypes()) types.add((long) type);
        metadata.put("tokenizer.ggml.token_type", types);
        metadata.put("tokenizer.ggml.bos_token_id", 1L);
        metadata.put("tokenizer.ggml.eos_token_id", 2L);
        metadata.put("tokenizer.ggml.padding_token_id", 2L);
        metadata.put("tokenizer.ggml.add_bos_token", false);
        metadata.put("tokenizer.chat_template", v.chatTemplate().orElseThrow());
        BpeVocabulary fromGguf = BpeVocabulary.fromGgufMetadata(metadata);
        assertThat(fromGguf).isEqualTo(v);
        ByteLevelBpeTokenizer gguf = new ByteLevelBpeTokenizer(fromGguf);
        for (SmolLm2Tokenizer.Case c : SmolLm2Tokenizer.tokenizerCases()) assertThat(gguf.encode(c.text())).containsExactly(c.ids());

        metadata.put("tokenizer.ggml.model", "llama");
        assertThatThrownBy(() -> BpeVocabulary.fromGgufMetadata(metadata))
            .hasMessage("tokenizer.ggml.model is \"llama\": only \"gpt2\" (byte-level BPE) vocabularies are supported");
        metadata.put("tokenizer.ggml.model", "gpt2");
        metadata.put("tokenizer.ggml.pre", "tekken");
        assertThatThrownBy(() -> BpeVocabulary.fromGgufMetadata(metadata)).hasMessageStartingWith("Unknown pre-tokenizer name \"tekken\"");
        metadata.put("tokenizer.ggml.pre", "smollm");
        metadata.put("tokenizer.ggml.bos_token_id", "1");
        assertThatThrownBy(() -> BpeVocabulary.fromGgufMetadata(metadata)).hasMessage("tokenizer.ggml.bos_token_id is not an integer: 1");
    }

    @Test
    void huggingFaceFilesWithAnotherPreTokenizerAreRefused(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("tokenizer.json");
        Files.writeString(
            json,
            """
            {"normalizer": null,
             "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581"},
             "added_tokens": [],
             "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}
            """
        );
        assertThatThrownBy(() -> ByteLevelBpeTokenizer.fromHuggingFaceJson(json, null))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("unsupported pre-tokenizer")
            .hasMessageContaining("Metaspace");
        Files.writeString(
            json,
            """
            {"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
             "added_tokens": [{"id": 2, "content": "<eos>", "special": true}],
             "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 4}, "merges": [["a", "b"]]}}
            """
        );
        assertThatThrownBy(() -> ByteLevelBpeTokenizer.fromHuggingFaceJson(json, null))
            .hasMessageContaining("no token with id");
    }

    @Test
    void huggingFaceFilesWithArrayMergesAndNoConfig(@TempDir Path dir) throws IOException {
        StringBuilder vocab = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(ByteUnicode.charOf(b));
            vocab.append('"').append(c.equals("\"") ? "\\\"" : c.equals("\\") ? "\\\\" : c).append("\": ").append(b).append(", ");
        }
        vocab.append("\"ab\": 256");
        Path json = dir.resolve("tokenizer.json");
        Files.writeString(
            json,
            "{\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true},"
                + "\"added_tokens\": [{\"id\": 257, \"content\": \"<eos>\", \"special\": true}],"
                + "\"model\": {\"type\": \"BPE\", \"vocab\": {" + vocab + "}, \"merges\": [[\"a\", \"b\"]]}}"
        );
        ByteLevelBpeTokenizer t = ByteLevelBpeTokenizer.fromHuggingFaceJson(json, null);
        assertThat(t.vocabularySize()).isEqualTo(258);
        assertThat(t.encode("ab<eos>")).containsExactly(256, 257);
        assertThat(t.vocabulary().preTokenizer()).isEqualTo("gpt2");
        assertThat(Arrays.stream(t.vocabulary().tokenTypes()).filter(x -> x == BpeVocabulary.CONTROL).count()).isEqualTo(1);
    }
}
