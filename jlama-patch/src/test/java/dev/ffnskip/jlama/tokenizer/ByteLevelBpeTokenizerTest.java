package dev.ffnskip.jlama.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.tokenizer.TokenizerModel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The SmolLM2-135M-Instruct tokenizer against the Hugging Face reference ids in {@code ../shared/eval}. */
class ByteLevelBpeTokenizerTest {
    private static final String SYSTEM_DEFAULT = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n";

    private static final int RE_ENCODED_ANSWERS = 201;

    private final ByteLevelBpeTokenizer tokenizer = SmolLm2Tokenizer.get();

    static Stream<SmolLm2Tokenizer.Case> referenceCases() {
        return SmolLm2Tokenizer.tokenizerCases().stream();
    }

    @Test
    void referenceHasTheExpectedCases() {
        assertThat(SmolLm2Tokenizer.tokenizerCases()).hasSize(25);
        assertThat(SmolLm2Tokenizer.reference().path("prompts")).hasSize(4);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("referenceCases")
    void encodesLikeHuggingFace(SmolLm2Tokenizer.Case c) {
        assertThat(tokenizer.encode(c.text())).as("ids of %s", c).containsExactly(c.ids());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("referenceCases")
    void decodesTheReferenceIdsBackToTheText(SmolLm2Tokenizer.Case c) {
        assertThat(tokenizer.decode(c.ids())).isEqualTo(c.text());
    }

    @Test
    void referencePromptsEncodeToTheirInputIdsAndGreedyIdsDecodeToTheGreedyText() {
        for (JsonNode prompt : SmolLm2Tokenizer.reference().path("prompts")) {
            String text = prompt.path("text").asText();
            long[] inputIds = SmolLm2Tokenizer.ids(prompt.path("input_ids"));
            assertThat(tokenizer.encode(text)).as("input ids of %s", text).containsExactly(inputIds);
            assertThat(tokenizer.decode(inputIds)).isEqualTo(text);
            assertThat(tokenizer.decode(SmolLm2Tokenizer.ids(prompt.path("greedy_ids")))).isEqualTo(prompt.path("greedy_text").asText());
        }
    }

    @Test
    void jlamaRendersTheSmolLm2ChatTemplateExactly() {
        PromptSupport prompts = tokenizer.promptSupport().orElseThrow();
        String rendered = prompts.builder().addUserMessage("What is the capital of France?").addGenerationPrompt(true).build().getPrompt();
        assertThat(rendered).isEqualTo(SYSTEM_DEFAULT + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void jlamaRendersEveryReferenceChatPromptExactly() {
        int chats = 0;
        for (JsonNode prompt : SmolLm2Tokenizer.reference().path("prompts")) {
            if (!"chat".equals(prompt.path("kind").asText())) continue;
            PromptSupport.Builder builder = tokenizer.promptSupport().orElseThrow().builder().addGenerationPrompt(true);
            for (JsonNode message : prompt.path("messages")) {
                String content = message.path("content").asText();
                switch (message.path("role").asText()) {
                    case "system" -> builder.addSystemMessage(content);
                    case "user" -> builder.addUserMessage(content);
                    case "assistant" -> builder.addAssistantMessage(content);
                    default -> throw new AssertionError("role " + message.path("role"));
                }
            }
            String rendered = builder.build().getPrompt();
            assertThat(rendered).isEqualTo(prompt.path("text").asText());
            assertThat(tokenizer.encode(rendered)).containsExactly(SmolLm2Tokenizer.ids(prompt.path("input_ids")));
            chats++;
        }
        assertThat(chats).isEqualTo(3);
    }

    @Test
    void jlamaRenderedChatPromptsEncodeToTheHuggingFacePromptIds() {
        // 210 prompts of ../shared/eval/chat_prompts.jsonl; prompt_ids from hf_answers_smollm2-135m-instruct.jsonl.
        List<JsonNode> prompts = SmolLm2Tokenizer.jsonl("chat_prompts.jsonl");
        List<JsonNode> answers = SmolLm2Tokenizer.jsonl("hf_answers_" + SmolLm2Tokenizer.MODEL + ".jsonl");
        assertThat(prompts).hasSameSizeAs(answers).hasSize(210);
        PromptSupport support = tokenizer.promptSupport().orElseThrow();
        for (int i = 0; i < prompts.size(); i++) {
            JsonNode prompt = prompts.get(i);
            assertThat(answers.get(i).path("id").asText()).isEqualTo(prompt.path("id").asText());
            PromptSupport.Builder builder = support.builder().addGenerationPrompt(true);
            for (JsonNode m : prompt.path("messages")) {
                assertThat(m.path("role").asText()).isEqualTo("user");
                builder.addUserMessage(m.path("content").asText());
            }
            String rendered = builder.build().getPrompt();
            assertThat(tokenizer.encode(rendered)).as("prompt %s", prompt.path("id").asText())
                .containsExactly(SmolLm2Tokenizer.ids(answers.get(i).path("prompt_ids")));
        }
    }

    @Test
    void huggingFaceAnswersDecodeToTheirTextAndReEncodeToTheirIds() {
        // The answers were decoded by Hugging Face with skip_special_tokens=True: drop the special ids first.
        int reEncoded = 0;
        List<JsonNode> answers = SmolLm2Tokenizer.jsonl("hf_answers_" + SmolLm2Tokenizer.MODEL + ".jsonl");
        List<String> notCanonical = new ArrayList<>();
        for (JsonNode answer : answers) {
            long[] ids = Arrays.stream(SmolLm2Tokenizer.ids(answer.path("ids"))).filter(id -> !tokenizer.isSpecial((int) id)).toArray();
            String text = answer.path("text").asText();
            assertThat(tokenizer.decode(ids)).as("answer %s", answer.path("id").asText()).isEqualTo(text);
            if (Arrays.equals(tokenizer.encode(text), ids)) reEncoded++;
            else notCanonical.add(answer.path("id").asText());
        }
        // Generated ids need not be the canonical encoding of their text (the 9 others split a word differently, e.g.
        // "E" "PS" for "EPS", or end in a cut UTF-8 character), but a greedy model nearly always produces it.
        assertThat(reEncoded).as("answers whose text re-encodes to the generated ids; others: %s", notCanonical)
            .isEqualTo(RE_ENCODED_ANSWERS);
    }

    @Test
    void jlamaModelKnowsTheSpecialTokensAndVocabulary() {
        TokenizerModel model = tokenizer.getModel();
        assertThat(model.bosToken()).isEqualTo("<|im_start|>");
        assertThat(model.eosToken()).isEqualTo("<|im_end|>");
        assertThat(model.vocabLookup).hasSize(49_152);
        assertThat(model.vocabLookup.get("Ġworld")).isEqualTo(905L);
        assertThat(model.vocabLookup.inverse().get(2L)).isEqualTo("<|im_end|>");
        assertThat(model.isSpecialToken(0L)).isTrue();
        assertThat(model.isSpecialToken(2L)).isTrue();
        assertThat(model.isSpecialToken(905L)).isFalse();
        assertThat(model.addedTokens()).hasSize(17);
        assertThat(model.merges).hasSize(48_900).containsEntry("Ġ t", 0L);
        assertThat(model.ignoreMerges()).isFalse();
        assertThat(model.promptTemplates()).hasValueSatisfying(t -> assertThat(t).containsKey("default"));
        assertThat(model.hasToolSupport()).isFalse();
        assertThat(tokenizer.getModel()).isSameAs(model);
    }

    @Test
    void vocabularyAccessors() {
        assertThat(tokenizer.vocabularySize()).isEqualTo(49_152);
        assertThat(tokenizer.bosTokenId()).hasValue(1);
        assertThat(tokenizer.eosTokenId()).hasValue(2);
        assertThat(tokenizer.tokenId("<|im_end|>")).hasValue(2);
        assertThat(tokenizer.tokenId("Ġworld")).hasValue(905);
        assertThat(tokenizer.tokenId("no such token")).isEmpty();
        assertThat(tokenizer.token(905)).isEqualTo("Ġworld");
        assertThat(tokenizer.isSpecial(2)).isTrue();
        assertThat(tokenizer.isSpecial(16)).isTrue(); // <empty_output>
        assertThat(tokenizer.isSpecial(17)).isFalse();
        assertThat(tokenizer.tokenBytes(905)).isEqualTo(" world".getBytes(StandardCharsets.UTF_8));
        assertThat(tokenizer.tokenBytes(2)).isEmpty();
        assertThat(tokenizer.decode(2L)).isEqualTo("<|im_end|>");
        assertThat(tokenizer.ignoredMerges()).isZero();
        assertThat(tokenizer.tokenize("Hello world<|im_end|>")).containsExactly("Hello", "Ġworld", "<|im_end|>");
    }

    @Test
    void noBosIsAdded() {
        assertThat(tokenizer.encode("")).isEmpty();
        assertThat(tokenizer.encode("Hello world")).containsExactly(19556, 905);
    }

    @Test
    void specialTokensCanBeTreatedAsPlainText() {
        long[] plain = tokenizer.encode("<|im_end|>", false);
        assertThat(plain).doesNotContain(2L).hasSizeGreaterThan(1);
        assertThat(tokenizer.decode(plain)).isEqualTo("<|im_end|>");
        assertThat(tokenizer.encode("a<|im_end|>b", true)).contains(2L);
    }

    @Test
    void whitespaceRunsSplitLikeHuggingFace() {
        // \s+(?!\S) leaves the last space of a run to the following word; a final run stays whole.
        assertThat(tokenizer.pieces("  multiple   spaces\n\n")).containsExactly(" ", " multiple", "  ", " spaces", "\n\n");
        assertThat(tokenizer.tokenize("  multiple   spaces\n\n")).containsExactly("Ġ", "Ġmultiple", "ĠĠ", "Ġspaces", "ĊĊ");
        assertThat(tokenizer.encode("  multiple   spaces\n\n")).containsExactly(216, 2701, 256, 5600, 1116);
        assertThat(tokenizer.pieces("a \n  b")).containsExactly("a", " \n ", " b");
        assertThat(tokenizer.pieces("x\u00a0\u2009y")).containsExactly("x", "\u00a0", "\u2009", "y"); // Unicode white space
    }

    @Test
    void everyDigitIsItsOwnPieceBeforeTheGpt2Pattern() {
        assertThat(tokenizer.pieces("$ 20% off")).containsExactly("$", " ", "2", "0", "%", " off");
        assertThat(tokenizer.pieces("x=1234")).containsExactly("x", "=", "1", "2", "3", "4");
        assertThat(tokenizer.pieces("v2beta ½ ٣")).containsExactly("v", "2", "beta", " ", "½", " ", "٣"); // all of \p{N}
    }

    @Test
    void groupingDigitRunsWouldBreakTheReference() {
        // The same vocabulary with the plain GPT-2 pattern (digit runs grouped, as Jlama 0.8.4 does). SmolLM2 has no
        // merges into digits, so grouping only shows where a white-space run meets a digit: HF isolates the digit first
        // and the whole run stays one piece ("\n\n" + "2"), the GPT-2 pattern gives the run's last character to the
        // number (" ?\p{N}+" or "\s+" then "\n2" is not a match: "\n", "\n", "2").
        BpeVocabulary v = tokenizer.vocabulary();
        ByteLevelBpeTokenizer grouped = new ByteLevelBpeTokenizer(
            new BpeVocabulary(v.tokens(), v.merges(), v.tokenTypes(), "gpt2", v.bos(), v.eos(), v.addBos(), v.chatTemplate())
        );
        assertThat(tokenizer.encode("    1. item")).containsExactly(289, 33, 30, 5033); // "ĠĠĠĠ" "1" "." "Ġitem"
        assertThat(grouped.encode("    1. item")).containsExactly(333, 216, 33, 30, 5033); // "ĠĠĠ" "Ġ" "1" ...
        assertThat(grouped.pieces("x  2024")).containsExactly("x", " ", " 2024");

        // Evidence from the model itself: answers it generated with "\n\n2." re-encode only with isolated digits.
        Pattern runBeforeDigit = Pattern.compile("\\s{2,}\\p{N}");
        int discriminating = 0;
        for (JsonNode answer : SmolLm2Tokenizer.jsonl("hf_answers_" + SmolLm2Tokenizer.MODEL + ".jsonl")) {
            String text = answer.path("text").asText();
            long[] ids = Arrays.stream(SmolLm2Tokenizer.ids(answer.path("ids"))).filter(id -> !tokenizer.isSpecial((int) id)).toArray();
            if (!runBeforeDigit.matcher(text).find() || !Arrays.equals(tokenizer.encode(text), ids)) continue;
            assertThat(grouped.encode(text)).as("grouped encoding of %s", answer.path("id").asText()).isNotEqualTo(ids);
            discriminating++;
        }
        assertThat(discriminating).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
            "naïve café résumé Ångström façade",
            "東京都は日本の首都です。北京欢迎你",
            "한국어 텍스트와 ひらがな カタカナ",
            "🚀🔥👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️",
            "e\u0301 a\u0308 combining marks",
            "Ελληνικά, עברית, हिन्दी, ภาษาไทย",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 supplementary",
            "\u0000\u0001\u007f control bytes \u00ad soft hyphen",
        }
    )
    void nonAsciiRoundTrips(String text) {
        long[] ids = tokenizer.encode(text);
        assertThat(tokenizer.decode(ids)).isEqualTo(text);
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        for (long id : ids) streamed.writeBytes(tokenizer.tokenBytes((int) id));
        assertThat(streamed.toString(StandardCharsets.UTF_8)).isEqualTo(text);
    }

    @Test
    void randomUnicodeRoundTrips() {
        Random random = new Random(42);
        for (int round = 0; round < 300; round++) {
            StringBuilder text = new StringBuilder();
            int length = 1 + random.nextInt(40);
            while (text.length() < length) {
                int cp = switch (random.nextInt(5)) {
                    case 0 -> 0x20 + random.nextInt(0x60);
                    case 1 -> random.nextInt(0x800);
                    case 2 -> 0x800 + random.nextInt(0xD000 - 0x800);
                    case 3 -> 0x1F300 + random.nextInt(0x400);
                    default -> " \n\t0123456789'".charAt(random.nextInt(14));
                };
                if (Character.isDefined(cp)) text.appendCodePoint(cp);
            }
            String s = text.toString();
            assertThat(tokenizer.decode(tokenizer.encode(s, false))).as("round trip of %s", s).isEqualTo(withoutUnencodable(s));
        }
    }

    private String withoutUnencodable(String s) {
        StringBuilder kept = new StringBuilder();
        s.codePoints().filter(cp -> cp >= 0x80 || !tokenizer.unencodableBytes().contains(cp)).forEach(kept::appendCodePoint);
        return kept.toString();
    }

    @Test
    void bytesWithoutATokenAreDroppedLikeHuggingFaceDoes() {
        // SmolLM2's vocabulary lacks 21 byte characters; with no unk token Hugging Face's BPE skips them.
        assertThat(tokenizer.unencodableBytes())
            .containsExactly(0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xC0, 0xC1, 0xF1, 0xF2, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF);
        assertThat(tokenizer.tokenize("a\u0016b")).containsExactly("a", "b");
        assertThat(tokenizer.encode("!\u0004?")).containsExactly(tokenizer.encode("!?"));
        assertThat(tokenizer.encode("\u0016")).isEmpty();
    }

    @Test
    void aPartialCharacterDecodesToAReplacementCharacter() {
        long[] rocket = tokenizer.encode("🚀");
        assertThat(rocket.length).isGreaterThan(1);
        assertThat(tokenizer.decode(new long[] { rocket[0] })).isEqualTo("\uFFFD");
        assertThat(tokenizer.decode(rocket)).isEqualTo("🚀");
    }

    @Test
    void tenKilobytesTokenizeWellUnder100Milliseconds() {
        Random random = new Random(7);
        // Warm up the JIT on other text, then time text whose pieces are mostly not cached.
        for (int i = 0; i < 20; i++) tokenizer.encode(randomText(random, 10_000));
        String text = randomText(new Random(99), 10_240);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            String fresh = randomText(new Random(1000 + i), 10_240);
            long start = System.nanoTime();
            long[] ids = tokenizer.encode(fresh);
            best = Math.min(best, System.nanoTime() - start);
            assertThat(ids).isNotEmpty();
        }
        assertThat(best / 1_000_000.0).as("milliseconds for 10 KB").isLessThan(100.0);
        assertThat(tokenizer.decode(tokenizer.encode(text))).isEqualTo(text);

        // Degenerate single pieces: the merge queue keeps these near-linear.
        String letters = "a".repeat(20_000);
        String spaces = " ".repeat(20_000) + "x";
        long start = System.nanoTime();
        long[] a = tokenizer.encode(letters);
        long[] s = tokenizer.encode(spaces);
        long elapsed = (System.nanoTime() - start) / 1_000_000;
        assertThat(tokenizer.decode(a)).isEqualTo(letters);
        assertThat(tokenizer.decode(s)).isEqualTo(spaces);
        assertThat(elapsed).as("milliseconds for 40 KB of single pieces").isLessThan(500);
    }

    private static String randomText(Random random, int length) {
        String[] words = {
            "the", "model", "skips", "feed-forward", "blocks", "when", "saturated", "tokens", "café", "東京", "🚀", "don't",
            "1,024", "3.14", "\n", "\n\n", "  ", "(x)", "{\"k\": 1}", "HTTP/1.1", "naïve", "Ünïcödé", "end.",
        };
        StringBuilder text = new StringBuilder(length + 32);
        while (text.length() < length) {
            String w = random.nextInt(3) == 0 ? Long.toString(random.nextLong(), 36) : words[random.nextInt(words.length)];
            text.append(w).append(random.nextInt(8) == 0 ? "" : " ");
        }
        return text.toString();
    }
}
