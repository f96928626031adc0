package dev.ffnskip.jlama.load.gguf;

import java.util.Optional;

/**
 * The value types of GGUF metadata, with their ids in the file. Integer types are read as {@link Long}
 * ({@code UINT64} keeps its 64-bit pattern, so values above {@code Long.MAX_VALUE} read as negative), floats as
 * {@link Double}, {@code BOOL} as {@link Boolean}, {@code STRING} as {@link String} and {@code ARRAY} as an
 * unmodifiable {@link java.util.List} of the element values.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 8),
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = new GgufValueType[13];

    static {
        for (GgufValueType t : values()) BY_ID[t.id] = t;
    }

    private final int id;
    private final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    /** The type's id in a GGUF file. */
    public int id() {
        return id;
    }

    /** The fewest bytes a value of this type occupies in the file (a string's or array's header alone). */
    int minBytes() {
        return minBytes;
    }

    /** True for the eight integer types. */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** True for FLOAT32 and FLOAT64. */
    public boolean isFloat() {
        return this == FLOAT32 || this == FLOAT64;
    }

    public static Optional<GgufValueType> byId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[(int) id]) : Optional.empty();
    }

    /** The lower-case name used in GGUF documentation, e.g. {@code uint32}. */
    public String displayName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
