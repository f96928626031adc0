package dev.ffnskip.jlama.constrain;

import dev.ffnskip.jlama.generate.TokenBytes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;

/**
 * The vocabulary's token byte strings in a prefix trie, laid out in preorder so a mask computation walks it with one
 * loop and no stack: node {@code i} has a byte, a depth, the index just past its subtree ({@link #skip}) and the ids of
 * the tokens whose bytes end there. Special tokens, empty tokens and end tokens are left out. Built once per
 * tokenizer and cached.
 */
final class TokenTrie {
    private static final Map<TokenBytes, List<TokenTrie>> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    final int[] label;
    final int[] depth;
    final int[] skip;
    final int[] tokenStart;
    final int[] tokens;
    final int maxDepth;
    final int vocabularySize;
    final Set<Integer> endTokens;

    private TokenTrie(TokenBytes bytes, int vocabularySize, Set<Integer> endTokens) {
        this.vocabularySize = vocabularySize;
        this.endTokens = Set.copyOf(endTokens);
        Node root = new Node();
        int count = 0;
        for (int id = 0; id < vocabularySize; id++) {
            if (!bytes.isKnown(id) || bytes.isSpecial(id) || endTokens.contains(id)) continue;
            byte[] b = bytes.bytes(id);
            if (b.length == 0) continue;
            Node n = root;
            for (byte x : b) n = n.children.computeIfAbsent(x & 0xFF, k -> new Node());
            n.ids.add(id);
            count++;
        }
        List<int[]> rows = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        flatten(root, 0, rows, ids);
        int n = rows.size();
        label = new int[n];
        depth = new int[n];
        skip = new int[n];
        tokenStart = new int[n + 1];
        int deepest = 0;
        for (int i = 0; i < n; i++) {
            int[] r = rows.get(i);
            label[i] = r[0];
            depth[i] = r[1];
            skip[i] = r[2];
            tokenStart[i] = r[3];
            deepest = Math.max(deepest, r[1]);
        }
        tokenStart[n] = ids.size();
        tokens = ids.stream().mapToInt(Integer::intValue).toArray();
        maxDepth = deepest;
        assert tokens.length == count;
    }

    static TokenTrie of(TokenBytes bytes, int vocabularySize, Set<Integer> endTokens) {
        synchronized (CACHE) {
            List<TokenTrie> built = CACHE.computeIfAbsent(bytes, k -> new ArrayList<>());
            for (TokenTrie t : built) if (t.vocabularySize == vocabularySize && t.endTokens.equals(endTokens)) return t;
            TokenTrie t = new TokenTrie(bytes, vocabularySize, endTokens);
            built.add(t);
            return t;
        }
    }

    int size() {
        return label.length;
    }

    private static final class Node {
        final TreeMap<Integer, Node> children = new TreeMap<>();
        final List<Integer> ids = new ArrayList<>(1);
    }

    /** Children of {@code node} in preorder; the root itself is not a row. Iterative: token strings can be long. */
    private static void flatten(Node root, int rootDepth, List<int[]> rows, List<Integer> ids) {
        record Item(Node node, int label, int depth, int row) {}
        java.util.ArrayDeque<Item> stack = new java.util.ArrayDeque<>();
        List<Map.Entry<Integer, Node>> first = new ArrayList<>(root.children.entrySet());
        for (int i = first.size() - 1; i >= 0; i--) stack.push(new Item(first.get(i).getValue(), first.get(i).getKey(), rootDepth + 1, -1));
        List<int[]> open = new ArrayList<>(); // rows whose subtree end is not known yet, by depth
        while (!stack.isEmpty()) {
            Item it = stack.pop();
            while (open.size() >= it.depth) open.remove(open.size() - 1)[2] = rows.size();
            int[] row = { it.label, it.depth, -1, ids.size() };
            rows.add(row);
            ids.addAll(it.node.ids);
            open.add(row);
            List<Map.Entry<Integer, Node>> kids = new ArrayList<>(it.node.children.entrySet());
            for (int i = kids.size() - 1; i >= 0; i--) stack.push(new Item(kids.get(i).getValue(), kids.get(i).getKey(), it.depth + 1, -1));
        }
        while (!open.isEmpty()) open.remove(open.size() - 1)[2] = rows.size();
    }
}
