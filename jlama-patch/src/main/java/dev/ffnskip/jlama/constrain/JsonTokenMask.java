package dev.ffnskip.jlama.constrain;

import dev.ffnskip.jlama.generate.TokenBytes;
import dev.ffnskip.jlama.generate.TokenConstraint;
import java.util.Arrays;
import java.util.Set;

/**
 * One generation's JSON constraint: the automaton state after the tokens so far, and the per-step token mask. The
 * mask walks the vocabulary's {@link TokenTrie} in preorder, stepping the automaton one byte per trie node from the
 * state of the node's parent (kept per depth); a node whose prefix is rejected skips its whole subtree, so only
 * tokens that keep the output a valid prefix are visited past their first wrong byte. Every buffer is allocated
 * here, once: steady-state mask computation allocates nothing.
 */
final class JsonTokenMask implements TokenConstraint.State {
    static final int STACKS = 8;
    static final int DEPTH = 96;

    private final JsonRecognizer recognizer;
    private final TokenBytes tokenBytes;
    private final TokenTrie trie;
    private final int[] endTokens;
    private final ParseState[] levels;
    private ParseState current;
    private ParseState next;
    private boolean ended;

    JsonTokenMask(JsonGrammar grammar, TokenBytes tokenBytes, Set<Integer> endTokens, int vocabularySize) {
        this(grammar, tokenBytes, endTokens, vocabularySize, STACKS);
    }

    /** @param stacks live parse stacks kept at most (an {@code anyOf} of n alternatives that start alike needs n) */
    JsonTokenMask(JsonGrammar grammar, TokenBytes tokenBytes, Set<Integer> endTokens, int vocabularySize, int stacks) {
        this.recognizer = new JsonRecognizer(grammar);
        this.tokenBytes = tokenBytes;
        this.trie = TokenTrie.of(tokenBytes, vocabularySize, endTokens);
        this.endTokens = endTokens.stream().mapToInt(Integer::intValue).filter(id -> id < vocabularySize).toArray();
        this.levels = new ParseState[trie.maxDepth + 1];
        for (int i = 1; i < levels.length; i++) levels[i] = new ParseState(stacks, DEPTH);
        this.current = new ParseState(stacks, DEPTH);
        this.next = new ParseState(stacks, DEPTH);
        recognizer.reset(current);
    }

    @Override
    public void allowedNext(long[] allowed) {
        Arrays.fill(allowed, 0);
        if (ended) return;
        levels[0] = current;
        int[] label = trie.label, depth = trie.depth, skip = trie.skip, start = trie.tokenStart, ids = trie.tokens;
        int n = label.length;
        int i = 0;
        while (i < n) {
            int d = depth[i];
            ParseState to = levels[d];
            recognizer.step(levels[d - 1], label[i], to);
            if (to.count == 0) {
                i = skip[i];
                continue;
            }
            for (int j = start[i], end = start[i + 1]; j < end; j++) allowed[ids[j] >>> 6] |= 1L << ids[j];
            i++;
        }
        if (recognizer.complete(current)) for (int id : endTokens) allowed[id >>> 6] |= 1L << id;
    }

    @Override
    public void accept(int token) {
        if (ended) throw new IllegalStateException("The constrained value already ended");
        for (int id : endTokens) {
            if (id == token) {
                if (!recognizer.complete(current)) throw new IllegalStateException("End of sequence before the JSON value is complete");
                ended = true;
                return;
            }
        }
        byte[] bytes = tokenBytes.bytes(token);
        if (bytes.length == 0 || tokenBytes.isSpecial(token)) throw new IllegalStateException("Token " + token + " is not allowed by the JSON constraint");
        acceptBytes(token, bytes, 0);
    }

    /** Advances past {@code bytes[from..]} of {@code token} (a wrapper that read the token's first bytes itself hands over the rest). */
    void acceptBytes(int token, byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            recognizer.step(current, bytes[i] & 0xFF, next);
            if (next.count == 0) throw new IllegalStateException("Token " + token + " is not allowed by the JSON constraint");
            ParseState t = current;
            current = next;
            next = t;
        }
    }

    @Override
    public boolean complete() {
        return ended || recognizer.complete(current);
    }
}
