package dev.ffnskip.jlama.load.gguf;

import java.util.Optional;

/**
 * ggml tensor types as they appear in GGUF tensor infos: the type id, the number of elements per block and the bytes
 * per block. Thirteen types can be dequantized ({@link #isSupported()}); the others are known so that a file using
 * them still opens (their byte sizes are known) and the error on reading such a tensor names the type.
 *
 * <p>Dequantization is exact: it uses float32 arithmetic in the order of the format's reference definition (for
 * example {@code Q4_1}: {@code d * q + m}; the K-quants: {@code d * scale} and {@code dmin * min} as float32 products,
 * then {@code d1 * q - m1}), so the results equal ggml's and gguf-py's bit for bit. Java never fuses a multiply and an
 * add, so no FMA changes a rounding.
 *
 * <p>Block layouts (little-endian; {@code f16} is an IEEE half; offsets in bytes):
 * <ul>
 *   <li>{@code Q4_0} (32 elements, 18 bytes): d f16 @0; 16 bytes of nibbles @2. Byte j holds element j in its low
 *       nibble and element j+16 in its high nibble; value = (nibble - 8) * d.</li>
 *   <li>{@code Q4_1} (32, 20): d @0, m @2, nibbles @4 as Q4_0; value = nibble * d + m.</li>
 *   <li>{@code Q5_0} (32, 22): d @0; qh u32 @2 (bit j = fifth bit of element j); nibbles @6 as Q4_0;
 *       value = ((nibble | fifth bit << 4) - 16) * d.</li>
 *   <li>{@code Q5_1} (32, 24): d @0, m @2, qh @4, nibbles @8; value = (nibble | fifth bit << 4) * d + m.</li>
 *   <li>{@code Q8_0} (32, 34): d @0; 32 signed bytes @2; value = q * d.</li>
 *   <li>{@code Q2_K} (256, 84): 16 scale bytes @0 (low nibble scale, high nibble min, one per 16 elements); 64 bytes of
 *       2-bit quants @16; d @80; dmin @82.</li>
 *   <li>{@code Q3_K} (256, 110): high-bit mask 32 bytes @0; 2-bit quants 64 bytes @32; 16 packed 6-bit scales in 12
 *       bytes @96; d @108. value = d * (scale - 32) * (q2 - (high bit set ? 0 : 4)).</li>
 *   <li>{@code Q4_K} (256, 144): d @0, dmin @2, 8 packed 6-bit scale/min pairs in 12 bytes @4, nibbles @16 (each 32
 *       bytes hold 64 elements: low nibbles first, then high nibbles).</li>
 *   <li>{@code Q5_K} (256, 176): as Q4_K plus the fifth bits in 32 bytes @16; nibbles @48.</li>
 *   <li>{@code Q6_K} (256, 210): low nibbles 128 bytes @0; high 2-bit pairs 64 bytes @128; 16 signed scales @192;
 *       d @208; value = d * scale * (q - 32).</li>
 * </ul>
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, true),
    Q3_K(11, 256, 110, true),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, false);

    private static final GgmlType[] BY_ID = new GgmlType[40];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    private final int id;
    private final int blockSize;
    private final int bytesPerBlock;
    private final boolean supported;

    GgmlType(int id, int blockSize, int bytesPerBlock, boolean supported) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
        this.supported = supported;
    }

    /** The type id in a GGUF tensor info. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for the plain float types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** Whether {@link #dequantize} can read this type. */
    public boolean isSupported() {
        return supported;
    }

    /** Whether {@link #quantize} can write this type (F32, F16, BF16, Q8_0, Q4_0). */
    public boolean canQuantize() {
        return switch (this) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /** The type with this id, if ggml defines one that ffn-skip knows of. */
    public static Optional<GgmlType> byId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[(int) id]) : Optional.empty();
    }

    /**
     * Dequantizes {@code blocks} consecutive blocks starting at {@code src[srcOffset]} into
     * {@code blocks * blockSize()} floats starting at {@code dst[dstOffset]}.
     *
     * @throws UnsupportedOperationException if this type is not {@linkplain #isSupported() supported}
     */
    public void dequantize(byte[] src, int srcOffset, int blocks, float[] dst, int dstOffset) {
        if (!supported) throw new UnsupportedOperationException("ggml type " + this + " cannot be read by ffn-skip");
        if (blocks < 0) throw new IllegalArgumentException("negative block count " + blocks);
        java.util.Objects.checkFromIndexSize(srcOffset, (long) blocks * bytesPerBlock > Integer.MAX_VALUE
            ? Integer.MAX_VALUE : blocks * bytesPerBlock, src.length);
        java.util.Objects.checkFromIndexSize(dstOffset, (long) blocks * blockSize > Integer.MAX_VALUE
            ? Integer.MAX_VALUE : blocks * blockSize, dst.length);
        int s = srcOffset;
        int d = dstOffset;
        for (int b = 0; b < blocks; b++, s += bytesPerBlock, d += blockSize) {
            switch (this) {
                case F32 -> dst[d] = Float.intBitsToFloat(i32(src, s));
                case F16 -> dst[d] = f16(src, s);
                case BF16 -> dst[d] = Float.intBitsToFloat(u16(src, s) << 16);
                case Q4_0 -> q4_0(src, s, dst, d);
                case Q4_1 -> q4_1(src, s, dst, d);
                case Q5_0 -> q5_0(src, s, dst, d);
                case Q5_1 -> q5_1(src, s, dst, d);
                case Q8_0 -> q8_0(src, s, dst, d);
                case Q2_K -> q2_k(src, s, dst, d);
                case Q3_K -> q3_k(src, s, dst, d);
                case Q4_K -> q4_k(src, s, dst, d);
                case Q5_K -> q5_k(src, s, dst, d);
                case Q6_K -> q6_k(src, s, dst, d);
                default -> throw new AssertionError(this);
            }
        }
    }

    /**
     * Quantizes {@code blocks * blockSize()} floats from {@code src[srcOffset]} into {@code blocks} blocks at
     * {@code dst[dstOffset]} with the reference rules: Q8_0 {@code d = amax / 127}, {@code q = round(x * (1/d))}
     * (rounding half away from zero); Q4_0 {@code d = max / -8} with {@code max} the signed value of largest
     * magnitude (the first one on ties), {@code q = min(15, (int) (x * (1/d) + 8.5))}; F16 and BF16 round to nearest
     * even (BF16 keeps NaN a quiet NaN). The scale is stored as f16 after the quants were computed with the float32
     * scale, as the reference does.
     *
     * @throws UnsupportedOperationException if this type is not one of F32, F16, BF16, Q8_0, Q4_0
     */
    public void quantize(float[] src, int srcOffset, int blocks, byte[] dst, int dstOffset) {
        if (!canQuantize()) throw new UnsupportedOperationException("ffn-skip cannot write ggml type " + this);
        int s = srcOffset;
        int o = dstOffset;
        for (int b = 0; b < blocks; b++, s += blockSize, o += bytesPerBlock) {
            switch (this) {
                case F32 -> putI32(dst, o, Float.floatToRawIntBits(src[s]));
                case F16 -> putI16(dst, o, Float.floatToFloat16(src[s]));
                case BF16 -> putI16(dst, o, toBf16(src[s]));
                case Q8_0 -> quantizeQ8_0(src, s, dst, o);
                case Q4_0 -> quantizeQ4_0(src, s, dst, o);
                default -> throw new AssertionError(this);
            }
        }
    }

    // ---- little-endian helpers ---------------------------------------------------------------------------------

    static int u8(byte[] b, int o) {
        return b[o] & 0xFF;
    }

    static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    static int i32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }

    static float f16(byte[] b, int o) {
        return Float.float16ToFloat((short) u16(b, o));
    }

    private static void putI16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    private static void putI32(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
        b[o + 2] = (byte) (v >>> 16);
        b[o + 3] = (byte) (v >>> 24);
    }

    // ---- 32-element blocks -------------------------------------------------------------------------------------

    private static void q4_0(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o);
        for (int j = 0; j < 16; j++) {
            int v = u8(b, o + 2 + j);
            y[yo + j] = ((v & 0x0F) - 8) * d;
            y[yo + j + 16] = ((v >>> 4) - 8) * d;
        }
    }

    private static void q4_1(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o);
        float m = f16(b, o + 2);
        for (int j = 0; j < 16; j++) {
            int v = u8(b, o + 4 + j);
            y[yo + j] = (v & 0x0F) * d + m;
            y[yo + j + 16] = (v >>> 4) * d + m;
        }
    }

    private static void q5_0(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o);
        int qh = i32(b, o + 2);
        for (int j = 0; j < 16; j++) {
            int v = u8(b, o + 6 + j);
            int lo = (v & 0x0F) | ((qh >>> j) & 1) << 4;
            int hi = (v >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
            y[yo + j] = (lo - 16) * d;
            y[yo + j + 16] = (hi - 16) * d;
        }
    }

    private static void q5_1(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o);
        float m = f16(b, o + 2);
        int qh = i32(b, o + 4);
        for (int j = 0; j < 16; j++) {
            int v = u8(b, o + 8 + j);
            int lo = (v & 0x0F) | ((qh >>> j) & 1) << 4;
            int hi = (v >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
            y[yo + j] = lo * d + m;
            y[yo + j + 16] = hi * d + m;
        }
    }

    private static void q8_0(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o);
        for (int j = 0; j < 32; j++) y[yo + j] = b[o + 2 + j] * d;
    }

    // ---- 256-element super-blocks ------------------------------------------------------------------------------

    private static void q2_k(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o + 80);
        float dmin = f16(b, o + 82);
        int scale = 0; // index of the next scale byte, one per 16 elements
        int out = yo;
        // Two halves of 128 elements, each from 32 quant bytes; four 2-bit planes per byte, 32 elements per plane.
        for (int half = 0; half < 2; half++) {
            int q = o + 16 + half * 32;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int group = 0; group < 2; group++) {
                    int sc = u8(b, o + scale++);
                    float dl = d * (sc & 0x0F);
                    float ml = dmin * (sc >>> 4);
                    int qg = q + group * 16;
                    for (int l = 0; l < 16; l++) y[out++] = dl * ((u8(b, qg + l) >>> shift) & 3) - ml;
                }
            }
        }
    }

    /** The i-th (0..15) 6-bit signed scale of a Q3_K block whose 12 scale bytes start at {@code s}. */
    private static int q3kScale(byte[] b, int s, int i) {
        int low = i < 8 ? u8(b, s + i) & 0x0F : u8(b, s + i - 8) >>> 4;
        int high = (u8(b, s + 8 + (i & 3)) >>> (2 * (i >>> 2))) & 3;
        return (low | high << 4) - 32;
    }

    private static void q3_k(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o + 108);
        int hmask = o;
        int scales = o + 96;
        int scale = 0;
        int bit = 0; // which bit of the high-bit mask bytes: one per 32-element plane
        int out = yo;
        for (int half = 0; half < 2; half++) {
            int q = o + 32 + half * 32;
            for (int shift = 0; shift < 8; shift += 2, bit++) {
                for (int group = 0; group < 2; group++) {
                    float dl = d * q3kScale(b, scales, scale++);
                    int qg = q + group * 16;
                    int hg = hmask + group * 16;
                    for (int l = 0; l < 16; l++) {
                        int low = (u8(b, qg + l) >>> shift) & 3;
                        int sub = ((u8(b, hg + l) >>> bit) & 1) != 0 ? 0 : 4;
                        y[out++] = dl * (low - sub);
                    }
                }
            }
        }
    }

    /** Scale (6 bits) of the j-th (0..7) pair of a Q4_K/Q5_K block whose 12 scale bytes start at {@code s}. */
    private static int k4Scale(byte[] b, int s, int j) {
        return j < 4 ? u8(b, s + j) & 63 : (u8(b, s + j + 4) & 0x0F) | (u8(b, s + j - 4) >>> 6) << 4;
    }

    /** Min (6 bits) of the j-th (0..7) pair of a Q4_K/Q5_K block. */
    private static int k4Min(byte[] b, int s, int j) {
        return j < 4 ? u8(b, s + j + 4) & 63 : (u8(b, s + j + 4) >>> 4) | (u8(b, s + j) >>> 6) << 4;
    }

    private static void q4_k(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o);
        float dmin = f16(b, o + 2);
        int scales = o + 4;
        int out = yo;
        for (int chunk = 0; chunk < 4; chunk++) {
            int q = o + 16 + chunk * 32;
            float d1 = d * k4Scale(b, scales, 2 * chunk);
            float m1 = dmin * k4Min(b, scales, 2 * chunk);
            float d2 = d * k4Scale(b, scales, 2 * chunk + 1);
            float m2 = dmin * k4Min(b, scales, 2 * chunk + 1);
            for (int l = 0; l < 32; l++) y[out++] = d1 * (u8(b, q + l) & 0x0F) - m1;
            for (int l = 0; l < 32; l++) y[out++] = d2 * (u8(b, q + l) >>> 4) - m2;
        }
    }

    private static void q5_k(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o);
        float dmin = f16(b, o + 2);
        int scales = o + 4;
        int qh = o + 16;
        int out = yo;
        for (int chunk = 0; chunk < 4; chunk++) {
            int q = o + 48 + chunk * 32;
            float d1 = d * k4Scale(b, scales, 2 * chunk);
            float m1 = dmin * k4Min(b, scales, 2 * chunk);
            float d2 = d * k4Scale(b, scales, 2 * chunk + 1);
            float m2 = dmin * k4Min(b, scales, 2 * chunk + 1);
            int bitLo = 2 * chunk;
            int bitHi = 2 * chunk + 1;
            for (int l = 0; l < 32; l++) {
                int v = (u8(b, q + l) & 0x0F) | ((u8(b, qh + l) >>> bitLo) & 1) << 4;
                y[out++] = d1 * v - m1;
            }
            for (int l = 0; l < 32; l++) {
                int v = (u8(b, q + l) >>> 4) | ((u8(b, qh + l) >>> bitHi) & 1) << 4;
                y[out++] = d2 * v - m2;
            }
        }
    }

    private static void q6_k(byte[] b, int o, float[] y, int yo) {
        float d = f16(b, o + 208);
        for (int half = 0; half < 2; half++) {
            int ql = o + half * 64;
            int qh = o + 128 + half * 32;
            int sc = o + 192 + half * 8;
            int base = yo + half * 128;
            for (int l = 0; l < 32; l++) {
                int is = l >>> 4;
                int h = u8(b, qh + l);
                int a = u8(b, ql + l);
                int c = u8(b, ql + l + 32);
                int q1 = ((a & 0x0F) | (h & 3) << 4) - 32;
                int q2 = ((c & 0x0F) | ((h >>> 2) & 3) << 4) - 32;
                int q3 = ((a >>> 4) | ((h >>> 4) & 3) << 4) - 32;
                int q4 = ((c >>> 4) | ((h >>> 6) & 3) << 4) - 32;
                y[base + l] = d * b[sc + is] * q1;
                y[base + l + 32] = d * b[sc + is + 2] * q2;
                y[base + l + 64] = d * b[sc + is + 4] * q3;
                y[base + l + 96] = d * b[sc + is + 6] * q4;
            }
        }
    }

    // ---- quantization (writer) ---------------------------------------------------------------------------------

    private static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return (short) ((bits >>> 16) | 0x40);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    /** C's {@code roundf}: to nearest, halves away from zero. */
    private static float roundHalfAway(float x) {
        return (float) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    private static void quantizeQ8_0(float[] x, int s, byte[] out, int o) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[s + j]));
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0f;
        putI16(out, o, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) out[o + 2 + j] = (byte) (int) roundHalfAway(x[s + j] * id);
    }

    private static void quantizeQ4_0(float[] x, int s, byte[] out, int o) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[s + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0f ? 1.0f / d : 0f;
        putI16(out, o, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[s + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[s + j + 16] * id + 8.5f));
            out[o + 2 + j] = (byte) (lo | hi << 4);
        }
    }
}
