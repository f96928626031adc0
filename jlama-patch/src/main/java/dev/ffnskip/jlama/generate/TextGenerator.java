package dev.ffnskip.jlama.generate;

import java.util.Arrays;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The decode loop: prefill, then sample / step until an end-of-sequence token, a stop sequence, the token budget,
 * the context window or cancellation. Decode step k feeds generated token k, so a generation of n tokens runs n - 1
 * decode steps (no forward for the last token), as in Jlama and the FFN-SkipLLM reference.
 */
public final class TextGenerator {
    private final TokenBytes tokenBytes;
    private final Set<Integer> endTokens;

    public TextGenerator(TokenBytes tokenBytes, Set<Integer> endTokens) {
        this.tokenBytes = tokenBytes;
        this.endTokens = Set.copyOf(endTokens);
    }

    public Set<Integer> endTokens() {
        return endTokens;
    }

    public GenerationResult generate(
        DecodeSession session,
        int[] prompt,
        GenerationRequest request,
        TokenListener listener,
        BooleanSupplier cancelled
    ) {
        session.prefill(prompt);
        return decode(session, request, listener, cancelled);
    }

    /** The loop after the prefill: from the session's current logits (a prefill's, or a {@code rewind}'s). */
    public GenerationResult decode(DecodeSession session, GenerationRequest request, TokenListener listener, BooleanSupplier cancelled) {
        Sampler sampler = new Sampler(request);
        TextAssembler text = new TextAssembler(tokenBytes, request.stopSequences());
        int[] generated = new int[Math.min(request.maxNewTokens(), 1024)];
        int count = 0;
        TokenConstraint.State constraint = request.constraint() == null ? null
            : request.constraint().start(tokenBytes, endTokens, session.vocabularySize());
        long[] allowed = constraint == null ? null : new long[(session.vocabularySize() + 63) >>> 6];

        FinishReason reason;
        while (true) {
            if (constraint != null) {
                constraint.allowedNext(allowed);
                session.restrictLogits(allowed);
            }
            int next = sampler.next(session);
            if (constraint != null) constraint.accept(next);
            if (count == generated.length) generated = Arrays.copyOf(generated, generated.length * 2);
            generated[count++] = next;
            boolean end = endTokens.contains(next);
            String piece = end ? text.finish() : text.accept(next);
            listener.onToken(next, piece);

            if (end) {
                reason = FinishReason.STOP_TOKEN;
                break;
            }
            if (text.stopped()) {
                reason = FinishReason.STOP_SEQUENCE;
                break;
            }
            if (count >= request.maxNewTokens()) {
                reason = FinishReason.MAX_TOKENS;
                break;
            }
            if (session.position() >= session.contextLength()) {
                reason = FinishReason.CONTEXT_LENGTH;
                break;
            }
            if (cancelled.getAsBoolean()) {
                reason = FinishReason.CANCELLED;
                break;
            }
            session.step(next);
        }
        if (reason != FinishReason.STOP_TOKEN && reason != FinishReason.STOP_SEQUENCE) {
            String rest = text.finish();
            if (!rest.isEmpty()) listener.onToken(TokenListener.END_OF_TEXT, rest);
        }
        return new GenerationResult(Arrays.copyOf(generated, count), text.text(), reason, session.stats());
    }
}
