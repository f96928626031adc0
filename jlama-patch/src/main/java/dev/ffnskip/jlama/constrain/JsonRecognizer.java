package dev.ffnskip.jlama.constrain;

/**
 * A byte-level incremental recognizer for the JSON a {@link JsonGrammar} allows: a pushdown automaton fed one byte at
 * a time, so tokens may split UTF-8 characters, escapes, numbers or keys anywhere. Strings are checked to be
 * well-formed UTF-8 without control characters; numbers follow JSON's syntax with bounded digit counts (integers at
 * most {@value #MAX_INTEGER_DIGITS} digits so they fit a Java {@code int}). Whitespace: at most
 * {@value #MAX_WHITESPACE} space after a colon or a comma and nowhere else (compact JSON as models usually write
 * it; a model cannot stall or spend its token budget in whitespace). Objects take their declared keys in any order, each at most once, and close only once every required
 * key is there.
 *
 * <p>Stateless apart from the grammar: all state lives in {@link ParseState}s the caller owns.
 */
final class JsonRecognizer {
    static final int MAX_INTEGER_DIGITS = 9;
    static final int MAX_NUMBER_DIGITS = 15;
    static final int MAX_EXPONENT_DIGITS = 2;
    static final int MAX_WHITESPACE = 1;

    private static final int REJECT = -1, FORK = -2;
    private static final int VALUE = 1, OBJ = 2, KEY = 3, ARR = 4, STR = 5, NUM = 6, LIT = 7;
    // Object sub-states.
    private static final int O_OPEN = 0, O_INKEY = 1, O_KEY_DONE = 2, O_COLON = 3, O_VALUE = 4, O_AFTER = 5, O_COMMA = 6;
    // Array sub-states.
    private static final int A_OPEN = 0, A_VALUE = 1, A_AFTER = 2, A_COMMA = 3;
    // String sub-states.
    private static final int S_CHAR = 0, S_ESC = 1, S_HEX = 2, S_UTF = 3;
    // Number sub-states.
    private static final int N_START = 0, N_MINUS = 1, N_ZERO = 2, N_INT = 3, N_DOT = 4, N_FRAC = 5, N_E = 6, N_ESIGN = 7, N_EXP = 8;

    private final JsonGrammar g;
    private final int[] kind;
    private int forkSize;

    JsonRecognizer(JsonGrammar grammar) {
        this.g = grammar;
        this.kind = grammar.kind;
    }

    JsonGrammar grammar() {
        return g;
    }

    /** The state before any byte: one stack expecting the root value. */
    void reset(ParseState state) {
        state.count = 1;
        state.overflowed = false;
        state.sizes[0] = 1;
        set(state.stacks[0], 0, VALUE, g.root, 0, 0);
    }

    /** Feeds byte {@code b} to every stack of {@code from}, writing the survivors into {@code to}. */
    void step(ParseState from, int b, ParseState to) {
        to.count = 0;
        to.overflowed = from.overflowed;
        for (int i = 0; i < from.count; i++) {
            if (to.count == to.capacity) {
                to.overflowed = true;
                break;
            }
            int slot = to.count++;
            System.arraycopy(from.stacks[i], 0, to.stacks[slot], 0, from.sizes[i] * ParseState.FRAME);
            run(to, slot, from.sizes[i], b);
        }
        if (to.count > 1 || to.count == 1 && to.sizes[0] < 0) to.compact();
    }

    private void run(ParseState st, int slot, int size, int b) {
        long[] s = st.stacks[slot];
        int r = feed(s, size, b, st.maxDepth);
        if (r != FORK) {
            st.sizes[slot] = r; // REJECT (-1) marks the stack dead
            return;
        }
        st.sizes[slot] = -1;
        int at = forkSize;
        int top = (at - 1) * ParseState.FRAME;
        int node = (int) (s[top] >>> 8);
        for (int alt : g.children[node]) {
            int d = g.kind[alt] == JsonGrammar.ANYOF ? SEVERAL_OK : firstOk(alt, b);
            if (d == 0) continue;
            if (st.count == st.capacity) {
                st.overflowed = true;
                return;
            }
            int copy = st.count++;
            System.arraycopy(s, 0, st.stacks[copy], 0, at * ParseState.FRAME);
            st.stacks[copy][top] = ((long) alt << 8) | VALUE;
            run(st, copy, at, b);
        }
    }

    private static final int SEVERAL_OK = 1;

    /** 1 when alternative {@code alt} (not an anyOf) can start with byte {@code b}. */
    private int firstOk(int alt, int b) {
        return switch (kind[alt]) {
            case JsonGrammar.OBJECT, JsonGrammar.MAP -> b == '{' ? 1 : 0;
            case JsonGrammar.ARRAY -> b == '[' ? 1 : 0;
            case JsonGrammar.STRING -> b == '"' ? 1 : 0;
            case JsonGrammar.INTEGER, JsonGrammar.NUMBER -> b == '-' || b >= '0' && b <= '9' ? 1 : 0;
            default -> g.trie[alt].next(0, b) >= 0 ? 1 : 0;
        };
    }

    /** True when the bytes so far form a complete value (end of sequence may come now). */
    boolean complete(ParseState state) {
        for (int i = 0; i < state.count; i++) {
            int size = state.sizes[i];
            if (size == 0) return true;
            if (size == 1 && pendingAccept(state.stacks[i], 0)) return true;
        }
        return false;
    }

    private boolean pendingAccept(long[] s, int t) {
        int k = (int) (s[t] & 0xFF);
        int st = (int) s[t + 1];
        if (k == NUM) return st == N_ZERO || st == N_INT || st == N_FRAC || st == N_EXP;
        if (k == LIT) return g.trie[(int) (s[t] >>> 8)].terminal(st) >= 0;
        return false;
    }

    private static void set(long[] s, int t, int k, int node, int state, long aux) {
        s[t] = ((long) node << 8) | k;
        s[t + 1] = state;
        s[t + 2] = aux;
    }

    private static boolean digit(int b) {
        return b >= '0' && b <= '9';
    }

    /** Pops the finished top value and tells its container; returns the new size. */
    private static int finish(long[] s, int size) {
        size--;
        if (size == 0) return 0;
        int p = (size - 1) * ParseState.FRAME;
        int k = (int) (s[p] & 0xFF);
        int st = (int) s[p + 1];
        if (k == OBJ) {
            int base = st & 0xF;
            if (base == O_INKEY) s[p + 1] = O_KEY_DONE | (st & ~0xFF);
            else if (base == O_VALUE) s[p + 1] = O_AFTER;
        } else if (k == ARR) {
            s[p + 1] = A_AFTER;
        }
        return size;
    }

    /** Feeds one byte to one stack in place: the new size, {@link #REJECT}, or {@link #FORK} (top is an ambiguous anyOf). */
    private int feed(long[] s, int size, int b, int maxDepth) {
        while (true) {
            if (size == 0) return REJECT;
            int t = (size - 1) * ParseState.FRAME;
            int k = (int) (s[t] & 0xFF);
            int node = (int) (s[t] >>> 8);
            int st = (int) s[t + 1];
            switch (k) {
                case VALUE -> {
                    switch (kind[node]) {
                        case JsonGrammar.ANYOF -> {
                            int alt = g.dispatch[node][b];
                            if (alt == JsonGrammar.NONE) return REJECT;
                            if (alt == JsonGrammar.SEVERAL) {
                                forkSize = size;
                                return FORK;
                            }
                            s[t] = ((long) alt << 8) | VALUE;
                        }
                        case JsonGrammar.OBJECT, JsonGrammar.MAP -> {
                            if (b != '{') return REJECT;
                            set(s, t, OBJ, node, O_OPEN, 0);
                            return size;
                        }
                        case JsonGrammar.ARRAY -> {
                            if (b != '[') return REJECT;
                            set(s, t, ARR, node, A_OPEN, 0);
                            return size;
                        }
                        case JsonGrammar.STRING -> {
                            if (b != '"') return REJECT;
                            set(s, t, STR, node, S_CHAR, 0);
                            return size;
                        }
                        case JsonGrammar.INTEGER, JsonGrammar.NUMBER -> set(s, t, NUM, node, N_START, 0);
                        default -> set(s, t, LIT, node, 0, 0);
                    }
                }
                case OBJ -> {
                    int base = st & 0xF;
                    int spaces = (st >>> 4) & 0xF;
                    long seen = s[t + 2];
                    boolean closed = kind[node] == JsonGrammar.OBJECT;
                    if ((base == O_COLON || base == O_COMMA) && b == ' ') {
                        if (spaces >= MAX_WHITESPACE) return REJECT;
                        s[t + 1] = (st & ~0xF0) | ((spaces + 1) << 4);
                        return size;
                    }
                    switch (base) {
                        case O_OPEN, O_COMMA -> {
                            if (b == '"') {
                                if (closed && (g.allMask[node] & ~seen) == 0) return REJECT;
                                if (size >= maxDepth) return REJECT;
                                s[t + 1] = O_INKEY;
                                int c = size * ParseState.FRAME;
                                if (closed) set(s, c, KEY, node, 0, 0);
                                else set(s, c, STR, node, S_CHAR, 0);
                                return size + 1;
                            }
                            if (b == '}' && base == O_OPEN && (g.requiredMask[node] & ~seen) == 0) return finish(s, size);
                            return REJECT;
                        }
                        case O_KEY_DONE -> {
                            if (b != ':') return REJECT;
                            s[t + 1] = O_COLON | (st & ~0xFF);
                            return size;
                        }
                        case O_COLON -> {
                            if (size >= maxDepth) return REJECT;
                            int value = closed ? g.children[node][st >>> 8] : g.children[node][0];
                            s[t + 1] = O_VALUE;
                            set(s, size * ParseState.FRAME, VALUE, value, 0, 0);
                            size++;
                        }
                        case O_AFTER -> {
                            if (b == ',') {
                                if (closed && (g.allMask[node] & ~seen) == 0) return REJECT;
                                s[t + 1] = O_COMMA;
                                return size;
                            }
                            if (b == '}' && (g.requiredMask[node] & ~seen) == 0) return finish(s, size);
                            return REJECT;
                        }
                        default -> {
                            return REJECT;
                        }
                    }
                }
                case KEY -> {
                    ByteTrie keys = g.trie[node];
                    int child = keys.next(st, b);
                    if (child < 0) return REJECT;
                    int p = t - ParseState.FRAME;
                    long seen = s[p + 2];
                    if ((keys.mask(child) & ~seen) == 0) return REJECT;
                    int key = keys.terminal(child);
                    if (key >= 0) {
                        s[p + 2] = seen | (1L << key);
                        s[p + 1] = O_KEY_DONE | (key << 8);
                        return size - 1;
                    }
                    s[t + 1] = child;
                    return size;
                }
                case ARR -> {
                    int base = st & 0xF;
                    int spaces = (st >>> 4) & 0xF;
                    if (base == A_COMMA && b == ' ') {
                        if (spaces >= MAX_WHITESPACE) return REJECT;
                        s[t + 1] = base | ((spaces + 1) << 4);
                        return size;
                    }
                    switch (base) {
                        case A_OPEN, A_COMMA -> {
                            if (b == ']' && base == A_OPEN) return finish(s, size);
                            if (size >= maxDepth) return REJECT;
                            s[t + 1] = A_VALUE;
                            set(s, size * ParseState.FRAME, VALUE, g.children[node][0], 0, 0);
                            size++;
                        }
                        case A_AFTER -> {
                            if (b == ',') {
                                s[t + 1] = A_COMMA;
                                return size;
                            }
                            if (b == ']') return finish(s, size);
                            return REJECT;
                        }
                        default -> {
                            return REJECT;
                        }
                    }
                }
                case STR -> {
                    return string(s, t, size, st, b);
                }
                case NUM -> {
                    int r = number(s, t, size, st, kind[node] == JsonGrammar.INTEGER, b);
                    if (r != FORK) return r;
                    size = finish(s, size); // the number ended before b: b belongs to the container
                }
                default -> { // LIT
                    ByteTrie values = g.trie[node];
                    int child = values.next(st, b);
                    if (child >= 0) {
                        if (values.terminal(child) >= 0 && values.isLeaf(child)) return finish(s, size);
                        s[t + 1] = child;
                        return size;
                    }
                    if (values.terminal(st) < 0) return REJECT;
                    size = finish(s, size);
                }
            }
        }
    }

    private static int string(long[] s, int t, int size, int st, int b) {
        int sub = st & 0xF;
        switch (sub) {
            case S_CHAR -> {
                if (b == '"') return finish(s, size);
                if (b == '\\') {
                    s[t + 1] = S_ESC;
                    return size;
                }
                if (b < 0x20) return REJECT;
                if (b < 0x80) return size;
                int lo = 0x80, hi = 0xBF, rem;
                if (b >= 0xC2 && b <= 0xDF) rem = 1;
                else if (b == 0xE0) {
                    rem = 2;
                    lo = 0xA0;
                } else if (b == 0xED) {
                    rem = 2;
                    hi = 0x9F;
                } else if (b >= 0xE1 && b <= 0xEF) rem = 2;
                else if (b == 0xF0) {
                    rem = 3;
                    lo = 0x90;
                } else if (b == 0xF4) {
                    rem = 3;
                    hi = 0x8F;
                } else if (b >= 0xF1 && b <= 0xF3) rem = 3;
                else return REJECT;
                s[t + 1] = S_UTF | (rem << 4) | (lo << 8) | (hi << 16);
                return size;
            }
            case S_UTF -> {
                int rem = (st >>> 4) & 0xF;
                int lo = (st >>> 8) & 0xFF;
                int hi = (st >>> 16) & 0xFF;
                if (b < lo || b > hi) return REJECT;
                s[t + 1] = rem == 1 ? S_CHAR : S_UTF | ((rem - 1) << 4) | (0x80 << 8) | (0xBF << 16);
                return size;
            }
            case S_ESC -> {
                if (b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' || b == 't') {
                    s[t + 1] = S_CHAR;
                    return size;
                }
                if (b == 'u') {
                    s[t + 1] = S_HEX | (4 << 4);
                    return size;
                }
                return REJECT;
            }
            default -> { // S_HEX
                boolean hex = digit(b) || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F';
                if (!hex) return REJECT;
                int rem = (st >>> 4) & 0xF;
                s[t + 1] = rem == 1 ? S_CHAR : S_HEX | ((rem - 1) << 4);
                return size;
            }
        }
    }

    /** The new size, REJECT, or FORK meaning "the number is complete and b is not part of it". */
    private static int number(long[] s, int t, int size, int st, boolean integer, int b) {
        long digits = s[t + 2];
        switch (st) {
            case N_START, N_MINUS -> {
                if (b == '-' && st == N_START) return to(s, t, N_MINUS, 0, size);
                if (b == '0') return to(s, t, N_ZERO, 1, size);
                if (b >= '1' && b <= '9') return to(s, t, N_INT, 1, size);
                return REJECT;
            }
            case N_ZERO, N_INT -> {
                if (st == N_INT && digit(b)) return digits < (integer ? MAX_INTEGER_DIGITS : MAX_NUMBER_DIGITS) ? to(s, t, N_INT, digits + 1, size) : FORK;
                if (!integer && b == '.') return to(s, t, N_DOT, 0, size);
                if (!integer && (b == 'e' || b == 'E')) return to(s, t, N_E, 0, size);
                return FORK;
            }
            case N_DOT -> {
                return digit(b) ? to(s, t, N_FRAC, 1, size) : REJECT;
            }
            case N_FRAC -> {
                if (digit(b)) return digits < MAX_NUMBER_DIGITS ? to(s, t, N_FRAC, digits + 1, size) : FORK;
                if (b == 'e' || b == 'E') return to(s, t, N_E, 0, size);
                return FORK;
            }
            case N_E -> {
                if (b == '+' || b == '-') return to(s, t, N_ESIGN, 0, size);
                return digit(b) ? to(s, t, N_EXP, 1, size) : REJECT;
            }
            case N_ESIGN -> {
                return digit(b) ? to(s, t, N_EXP, 1, size) : REJECT;
            }
            default -> { // N_EXP
                if (digit(b)) return digits < MAX_EXPONENT_DIGITS ? to(s, t, N_EXP, digits + 1, size) : FORK;
                return FORK;
            }
        }
    }

    private static int to(long[] s, int t, int state, long digits, int size) {
        s[t + 1] = state;
        s[t + 2] = digits;
        return size;
    }
}
