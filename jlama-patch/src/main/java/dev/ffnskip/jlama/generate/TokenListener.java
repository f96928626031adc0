package dev.ffnskip.jlama.generate;

/** Receives generated text as it is decoded. Called on the generating thread; keep it quick. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param tokenId the token just generated
     * @param text the text that became final with this token: empty for special tokens, for an incomplete UTF-8
     *     sequence and while text is held back because it might start a stop sequence
     */
    void onToken(int tokenId, String text);

    /** The token id passed with text that is released only when generation ends (held back, or an incomplete UTF-8 tail). */
    int END_OF_TEXT = -1;

    TokenListener NONE = (id, text) -> {};
}
