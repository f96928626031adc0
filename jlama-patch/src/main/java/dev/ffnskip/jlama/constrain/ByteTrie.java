package dev.ffnskip.jlama.constrain;

import java.util.ArrayList;
import java.util.List;

/**
 * A small trie over byte strings (an object's keys, an enum's literals), immutable once built. Node 0 is the root;
 * {@link #terminal} gives the index of the string ending at a node, and {@link #mask} the set of string indexes below
 * a node (for keys: whether an unused key is still reachable), so neither needs a search at decode time.
 */
final class ByteTrie {
    private final byte[][] labels;
    private final int[][] targets;
    private final int[] terminal;
    private final long[] mask;

    ByteTrie(List<byte[]> strings) {
        List<byte[]> lab = new ArrayList<>();
        List<int[]> tgt = new ArrayList<>();
        List<Integer> term = new ArrayList<>();
        List<Long> masks = new ArrayList<>();
        lab.add(new byte[0]);
        tgt.add(new int[0]);
        term.add(-1);
        masks.add(0L);
        for (int i = 0; i < strings.size(); i++) {
            int node = 0;
            long bit = i < 64 ? 1L << i : 0;
            masks.set(0, masks.get(0) | bit);
            for (byte b : strings.get(i)) {
                int next = find(lab.get(node), tgt.get(node), b);
                if (next < 0) {
                    next = lab.size();
                    lab.add(new byte[0]);
                    tgt.add(new int[0]);
                    term.add(-1);
                    masks.add(0L);
                    byte[] l = java.util.Arrays.copyOf(lab.get(node), lab.get(node).length + 1);
                    int[] t = java.util.Arrays.copyOf(tgt.get(node), tgt.get(node).length + 1);
                    l[l.length - 1] = b;
                    t[t.length - 1] = next;
                    lab.set(node, l);
                    tgt.set(node, t);
                }
                node = next;
                masks.set(node, masks.get(node) | bit);
            }
            if (term.get(node) < 0) term.set(node, i);
        }
        labels = lab.toArray(new byte[0][]);
        targets = tgt.toArray(new int[0][]);
        terminal = term.stream().mapToInt(Integer::intValue).toArray();
        mask = masks.stream().mapToLong(Long::longValue).toArray();
    }

    private static int find(byte[] labels, int[] targets, byte b) {
        for (int i = 0; i < labels.length; i++) if (labels[i] == b) return targets[i];
        return -1;
    }

    /** The child of {@code node} along byte {@code b}, or -1. */
    int next(int node, int b) {
        byte[] l = labels[node];
        for (int i = 0; i < l.length; i++) if ((l[i] & 0xFF) == b) return targets[node][i];
        return -1;
    }

    int terminal(int node) {
        return terminal[node];
    }

    boolean isLeaf(int node) {
        return labels[node].length == 0;
    }

    long mask(int node) {
        return mask[node];
    }

    /** Bytes that can start a string. */
    byte[] firstBytes() {
        return labels[0];
    }
}
