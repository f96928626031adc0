package dev.ffnskip.jlama.tokenizer;

import java.util.Arrays;

/** An open-addressing map from a pair of symbol ids to the rank of the merge that joins them (lower merges first). */
final class MergeRanks {
    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int mask;
    private int size;

    MergeRanks(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 + 1) - 1) << 1;
        keys = new long[capacity];
        ranks = new int[capacity];
        mask = capacity - 1;
        Arrays.fill(keys, EMPTY);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFF_FFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** Records {@code rank} for the pair unless it already has one (the first, lowest rank wins). */
    boolean putIfAbsent(int left, int right, int rank) {
        if (size * 2 >= keys.length) throw new IllegalStateException("MergeRanks is full");
        long key = key(left, right);
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (keys[i] == EMPTY) {
                keys[i] = key;
                ranks[i] = rank;
                size++;
                return true;
            }
            if (keys[i] == key) return false;
        }
    }

    /** The rank of the merge joining {@code left} and {@code right}, or -1. */
    int rank(int left, int right) {
        long key = key(left, right);
        for (int i = slot(key); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) return ranks[i];
            if (k == EMPTY) return -1;
        }
    }

    int size() {
        return size;
    }
}
