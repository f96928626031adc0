package dev.ffnskip.jlama.constrain;

/**
 * The state of the byte-level JSON pushdown automaton: up to {@link #capacity} live parse stacks (more than one only
 * while {@code anyOf} alternatives that start alike are both still possible). Each stack holds frames of three longs
 * (kind and node, sub-state, auxiliary: an object's used keys, a number's digit count). Preallocated and reused, so
 * stepping allocates nothing.
 */
final class ParseState {
    static final int FRAME = 3;
    final long[][] stacks;
    final int[] sizes;
    final int capacity;
    final int maxDepth;
    int count;
    boolean overflowed;

    ParseState(int capacity, int maxDepth) {
        this.capacity = capacity;
        this.maxDepth = maxDepth;
        this.stacks = new long[capacity][maxDepth * FRAME];
        this.sizes = new int[capacity];
    }

    void copyFrom(ParseState other) {
        count = other.count;
        overflowed = other.overflowed;
        for (int i = 0; i < count; i++) {
            sizes[i] = other.sizes[i];
            System.arraycopy(other.stacks[i], 0, stacks[i], 0, other.sizes[i] * FRAME);
        }
    }

    /** Drops dead stacks (size -1) and duplicates. */
    void compact() {
        int live = 0;
        for (int i = 0; i < count; i++) {
            if (sizes[i] < 0 || duplicateOfEarlier(i, live)) continue;
            if (live != i) {
                long[] tmp = stacks[live];
                stacks[live] = stacks[i];
                stacks[i] = tmp;
                sizes[live] = sizes[i];
            }
            live++;
        }
        count = live;
    }

    private boolean duplicateOfEarlier(int i, int live) {
        for (int j = 0; j < live; j++) {
            if (sizes[j] != sizes[i]) continue;
            if (java.util.Arrays.equals(stacks[j], 0, sizes[j] * FRAME, stacks[i], 0, sizes[i] * FRAME)) return true;
        }
        return false;
    }
}
