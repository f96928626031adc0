package dev.ffnskip.jlama.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.testing.SharedAssets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextAssemblerTest {
    private final TokenBytes byteFallback = TokenBytes.load(SharedAssets.stories().resolve("tokenizer.json"));
    private final TokenBytes byteLevel = TokenBytes.load(SharedAssets.skipbench().resolve("tokenizer.json"));

    @Test
    void multiByteCharacterSplitOverByteFallbackTokensIsEmittedOnceComplete() {
        // <0xC3> is id 3 + 0xC3, <0xA9> is id 3 + 0xA9 in Llama-style byte-fallback vocabularies.
        int c3 = 3 + 0xC3, a9 = 3 + 0xA9;
        assertThat(byteFallback.bytes(c3)).containsExactly((byte) 0xC3);
        TextAssembler text = new TextAssembler(byteFallback, List.of());
        assertThat(text.accept(c3)).isEmpty();
        assertThat(text.accept(a9)).isEqualTo("é");
        assertThat(text.finish()).isEmpty();
    }

    @Test
    void byteLevelPiecesMapBackToBytesAndSpecialTokensVanish() {
        // skipbench: 206 is "Ċ" (newline), 5 is <|end|>; decode of the greedy answer "Dora Pemberton".
        assertThat(byteLevel.decode(new int[] { 43, 856, 436, 1261, 1226 })).isEqualTo("Dora Pemberton");
        assertThat(byteLevel.decode(new int[] { 5294, 5, 206 })).isEqualTo("Fe\n");
        assertThat(byteLevel.isSpecial(5)).isTrue();
    }

    @Test
    void incompleteUtf8AtTheEndBecomesAReplacementCharacter() {
        TextAssembler text = new TextAssembler(byteFallback, List.of());
        assertThat(text.accept(3 + 0xE2)).isEmpty();
        assertThat(text.finish()).isEqualTo("\uFFFD");
    }

    @Test
    void stopSequenceIsHeldBackCutAndEndsTheText() {
        TextAssembler text = new TextAssembler(byteLevel, List.of("Pem"));
        List<String> pieces = new ArrayList<>();
        for (int id : new int[] { 43, 856, 436, 1261, 1226 }) pieces.add(text.accept(id));
        assertThat(String.join("", pieces)).isEqualTo("Dora ");
        assertThat(text.stopped()).isTrue();
        assertThat(text.text()).isEqualTo("Dora ");
    }

    @Test
    void textThatOnlyLooksLikeAStopPrefixIsReleasedOnceItCannotBeOne() {
        TextAssembler text = new TextAssembler(byteLevel, List.of("Dora X"));
        assertThat(text.accept(43) + text.accept(856)).isEmpty(); // "Dora" may start "Dora X": held back
        assertThat(text.accept(436)).isEqualTo("Dora P"); // "Dora P" cannot
        assertThat(text.stopped()).isFalse();
    }

    @Test
    void heldBackTextIsReleasedAtTheEnd() {
        TextAssembler text = new TextAssembler(byteLevel, List.of("Dora X"));
        assertThat(text.accept(43) + text.accept(856)).isEmpty();
        assertThat(text.finish()).isEqualTo("Dora");
    }
}
