package dev.ffnskip.jlama.load.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.jlama.load.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged files fail with a {@link GgufFormatException} naming the problem; files {@link GgufWriter} writes round-trip. */
class GgufBadFileTest {
    @TempDir
    Path dir;

    private static float[] values(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** A small valid file: two metadata entries, a Q8_0 matrix of 2 rows of 64 and an F32 vector of 8. */
    private static GgufWriter sample() {
        return new GgufWriter()
            .put("general.architecture", "llama")
            .putUInt32("test.count", 7)
            .addTensor("w.q8", GgmlType.Q8_0, new long[] {64, 2}, values(128, 1))
            .addTensor("w.f32", GgmlType.F32, new long[] {8}, values(8, 2));
    }

    private byte[] sampleBytes() throws IOException {
        Path p = dir.resolve("sample.gguf");
        sample().write(p);
        return Files.readAllBytes(p);
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertOpenFails(Path p) {
        return assertThatThrownBy(() -> GgufFile.open(p).close())
            .isInstanceOf(GgufFormatException.class)
            .hasMessageStartingWith(p.toString())
            .satisfies(e -> assertThat(((GgufFormatException) e).file()).contains(p));
    }

    private static int indexOf(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) if (haystack[i + j] != n[j]) continue outer;
            return i;
        }
        throw new AssertionError("'" + needle + "' not in file");
    }

    private static void putInt(byte[] b, int at, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    private static void putLong(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    // ---- header -------------------------------------------------------------------------------------------------

    @Test
    void wrongMagic() throws IOException {
        byte[] b = sampleBytes();
        b[3] = 'L';
        b[2] = 'M';
        assertOpenFails(file("ggml.gguf", b))
            .hasMessageContaining("not a GGUF file")
            .hasMessageContaining("47 47 4D 4C (\"GGML\")");
        assertOpenFails(file("text.gguf", "{\"not\": \"gguf\"}".getBytes(StandardCharsets.UTF_8)))
            .hasMessageContaining("not a GGUF file");
    }

    @Test
    void tooShortAndEmptyFiles() throws IOException {
        assertOpenFails(file("empty.gguf", new byte[0])).hasMessageContaining("not a GGUF file: it is only 0 bytes");
        assertOpenFails(file("three.gguf", new byte[] {'G', 'G', 'U'})).hasMessageContaining("only 3 bytes");
    }

    @Test
    void unsupportedVersions() throws IOException {
        byte[] b = sampleBytes();
        putInt(b, 4, 1);
        assertOpenFails(file("v1.gguf", b)).hasMessageContaining("unsupported GGUF version 1").hasMessageContaining("v1");
        putInt(b, 4, 99);
        assertOpenFails(file("v99.gguf", b)).hasMessageContaining("unsupported GGUF version 99")
            .hasMessageContaining("versions 2 and 3");
        putInt(b, 4, Integer.reverseBytes(3));
        assertOpenFails(file("be.gguf", b)).hasMessageContaining("big-endian");
        putInt(b, 4, 2); // v2 has the same layout as v3
        try (GgufFile f = GgufFile.open(file("v2.gguf", b))) {
            assertThat(f.version()).isEqualTo(2);
            assertThat(f.tensors()).hasSize(2);
        }
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] b = sampleBytes();
        assertOpenFails(file("cut12.gguf", Arrays.copyOf(b, 12)))
            .hasMessageContaining("truncated: the file ends at byte 12 while reading the tensor count");
        assertOpenFails(file("cut6.gguf", Arrays.copyOf(b, 6)))
            .hasMessageContaining("truncated: the file ends at byte 6 while reading the version");
    }

    @Test
    void truncatedMetadata() throws IOException {
        byte[] b = sampleBytes();
        int value = indexOf(b, "llama");
        assertOpenFails(file("cut-value.gguf", Arrays.copyOf(b, value + 2)))
            .hasMessageContaining("truncated: the file ends at byte " + (value + 2))
            .hasMessageContaining("a string value of metadata entry 0 ('general.architecture')");
        int key = indexOf(b, "test.count");
        assertOpenFails(file("cut-key.gguf", Arrays.copyOf(b, key + 3)))
            .hasMessageContaining("truncated")
            .hasMessageContaining("the key of metadata entry 1");
        int tensorName = indexOf(b, "w.f32");
        assertOpenFails(file("cut-info.gguf", Arrays.copyOf(b, tensorName + 5 + 2)))
            .hasMessageContaining("truncated")
            .hasMessageContaining("the number of dimensions of tensor info 1 ('w.f32')");
    }

    @Test
    void tensorDataPastTheEndOfTheFile() throws IOException {
        byte[] b = sampleBytes();
        long end;
        try (GgufFile f = GgufFile.open(file("ok.gguf", b))) {
            GgufTensor last = f.requireTensor("w.f32");
            end = last.dataOffset() + last.byteSize();
            assertThat(end).isEqualTo(b.length); // 32 bytes of F32 end on an alignment boundary: no tail padding
        }
        assertOpenFails(file("cut-data.gguf", Arrays.copyOf(b, (int) end - 10)))
            .hasMessageContaining("truncated: the data of tensor 'w.f32'")
            .hasMessageContaining("past the end of the file at byte " + (end - 10));
    }

    @Test
    void unknownAndUnsupportedTensorTypes() throws IOException {
        byte[] b = sampleBytes();
        int name = indexOf(b, "w.f32");
        int typeAt = name + 5 + 4 + 8; // name, rank (u32), one dim (u64)
        putInt(b, typeAt, 1234);
        assertOpenFails(file("unknown-type.gguf", b))
            .hasMessageContaining("unknown ggml tensor type id 1234 for tensor 'w.f32'");

        Path p = dir.resolve("iq.gguf");
        new GgufWriter().addRawTensor("w.iq", GgmlType.IQ2_XXS, new long[] {256, 2}, new byte[2 * 66]).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufTensor t = f.requireTensor("w.iq");
            assertThat(t.type()).isEqualTo(GgmlType.IQ2_XXS);
            assertThat(f.data(t).remaining()).isEqualTo(132);
            assertThatThrownBy(() -> f.dequantize(t))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tensor 'w.iq' has type IQ2_XXS")
                .hasMessageContaining("which ffn-skip cannot read");
        }
    }

    @Test
    void implausibleCountsAndLengths() throws IOException {
        byte[] b = sampleBytes();
        byte[] many = b.clone();
        putLong(many, 16, 10_000_000L);
        assertOpenFails(file("kv.gguf", many)).hasMessageContaining("implausible metadata entry count 10000000");
        byte[] tensors = b.clone();
        putLong(tensors, 8, -1L);
        assertOpenFails(file("tc.gguf", tensors)).hasMessageContaining("implausible tensor count 18446744073709551615");
        byte[] longKey = b.clone();
        putLong(longKey, 24, 1L << 40);
        assertOpenFails(file("key.gguf", longKey))
            .hasMessageContaining("implausible string length 1099511627776")
            .hasMessageContaining("longer than the file");
        Path arrays = dir.resolve("arrays.gguf");
        new GgufWriter().put("arr", new int[] {1, 2, 3}).write(arrays);
        byte[] longArray = Files.readAllBytes(arrays);
        putLong(longArray, 24 + 8 + 3 + 4 + 4, 1L << 40); // header, key length, "arr", value type, element type
        assertOpenFails(file("array.gguf", longArray))
            .hasMessageContaining("implausible array length 1099511627776 (elements of type int32)")
            .hasMessageContaining("metadata entry 0 ('arr')");
        // A plausible count in a file that ends early is reported as truncated, not as implausible.
        assertOpenFails(file("counts-only.gguf", Arrays.copyOf(b, 24)))
            .hasMessageContaining("truncated: the file ends at byte 24 while reading the length of the key of metadata entry 0");
        byte[] badType = b.clone();
        putInt(badType, 24 + 8 + "general.architecture".length(), 77);
        assertOpenFails(file("vt.gguf", badType))
            .hasMessageContaining("unknown metadata value type id 77 for key 'general.architecture'");
    }

    @Test
    void rowsNotMultiplesOfTheBlockSize() throws IOException {
        byte[] b = sampleBytes();
        int ne0 = indexOf(b, "w.q8") + 4 + 4;
        putLong(b, ne0, 48);
        assertOpenFails(file("ne0.gguf", b))
            .hasMessageContaining("tensor 'w.q8' (Q8_0, dims [48, 2]) has 48 elements per row")
            .hasMessageContaining("not a multiple of the Q8_0 block size 32");
    }

    @Test
    void misalignedOffsetAndBadAlignment() throws IOException {
        byte[] b = sampleBytes();
        int offsetAt = indexOf(b, "w.f32") + 5 + 4 + 8 + 4;
        putLong(b, offsetAt, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(offsetAt) + 4);
        assertOpenFails(file("misaligned.gguf", b)).hasMessageContaining("not a multiple of the alignment 32");

        Path p = dir.resolve("align3.gguf");
        sample().putUInt32("general.alignment", 3).write(p);
        assertOpenFails(p).hasMessageContaining("invalid general.alignment 3");
        Path s = dir.resolve("align-string.gguf");
        sample().put("general.alignment", "32").write(s);
        assertOpenFails(s).hasMessageContaining("general.alignment has type string, expected an integer");
    }

    @Test
    void missingFileAndWrongMetadataTypes() throws IOException {
        Path missing = dir.resolve("missing.gguf");
        assertThatThrownBy(() -> GgufFile.open(missing))
            .isInstanceOf(ModelLoadException.class)
            .hasMessageContaining(missing.toString())
            .hasMessageContaining("does not exist");
        try (GgufFile f = GgufFile.open(file("ok.gguf", sampleBytes()))) {
            assertThatThrownBy(() -> f.string("nope"))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("metadata key 'nope' is missing");
            assertThatThrownBy(() -> f.integer("general.architecture"))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("metadata key 'general.architecture' is string (\"llama\"), expected an integer");
            assertThatThrownBy(() -> f.bool("test.count"))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("is uint32 (7), expected a bool");
            assertThat(f.number("test.count")).isEqualTo(7.0);
            assertThatThrownBy(() -> f.requireTensor("nope")).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("no tensor named 'nope'");
        }
    }

    @Test
    void misuseOfTheReader() throws IOException {
        GgufFile f = GgufFile.open(file("ok.gguf", sampleBytes()));
        GgufTensor q8 = f.requireTensor("w.q8");
        float[] out = new float[128];
        assertThatThrownBy(() -> f.dequantizeRows(q8, 16, 32, out, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size 32");
        assertThatThrownBy(() -> f.dequantizeRows(q8, 96, 64, out, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside tensor 'w.q8'");
        GgufTensor foreign = new GgufTensor("w.q8", GgmlType.Q8_0, new long[] {64, 2}, 0, 136);
        assertThatThrownBy(() -> f.dequantize(foreign)).isInstanceOf(IllegalArgumentException.class);
        f.close();
        assertThatThrownBy(() -> f.dequantize(q8)).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("closed");
        f.close(); // idempotent
    }

    // ---- round trip ---------------------------------------------------------------------------------------------

    @Test
    void metadataRoundTrips() throws IOException {
        Path p = dir.resolve("meta.gguf");
        new GgufWriter()
            .put("s", "héllo ✓")
            .put("u8", GgufValueType.UINT8, 250)
            .put("i8", GgufValueType.INT8, -5)
            .put("u16", GgufValueType.UINT16, 65535)
            .put("i16", GgufValueType.INT16, -300)
            .putUInt32("u32", 4_000_000_000L)
            .putInt32("i32", -7)
            .putFloat32("f32", 0.1f)
            .put("b", false)
            .put("u64", GgufValueType.UINT64, -1L)
            .put("i64", Long.MIN_VALUE)
            .put("f64", 0.1)
            .put("strings", new String[] {"a", "", "ü"})
            .put("ints", new int[] {1, -2, 3})
            .put("floats", new float[] {0.5f, -1.25f})
            .put("nested", new GgufWriter.Array(GgufValueType.ARRAY, List.of(
                new GgufWriter.Array(GgufValueType.INT32, List.of(1, 2)),
                new GgufWriter.Array(GgufValueType.STRING, List.of("x")))))
            .put("empty", new GgufWriter.Array(GgufValueType.UINT8, List.of()))
            .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.tensors()).isEmpty();
            assertThat(f.metadata().keySet()).containsExactly("s", "u8", "i8", "u16", "i16", "u32", "i32", "f32", "b",
                "u64", "i64", "f64", "strings", "ints", "floats", "nested", "empty");
            assertThat(f.string("s")).isEqualTo("héllo ✓");
            assertThat(f.integer("u8")).isEqualTo(250);
            assertThat(f.integer("i8")).isEqualTo(-5);
            assertThat(f.integer("u16")).isEqualTo(65535);
            assertThat(f.integer("i16")).isEqualTo(-300);
            assertThat(f.integer("u32")).isEqualTo(4_000_000_000L);
            assertThat(f.integer("i32")).isEqualTo(-7);
            assertThat(f.number("f32")).isEqualTo((double) 0.1f);
            assertThat(f.bool("b")).isFalse();
            assertThat(f.integer("u64")).isEqualTo(-1L); // the 64-bit pattern of 2^64 - 1
            assertThat(f.integer("i64")).isEqualTo(Long.MIN_VALUE);
            assertThat(f.number("f64")).isEqualTo(0.1);
            assertThat(f.array("strings")).isEqualTo(List.of("a", "", "ü"));
            assertThat(f.array("ints")).isEqualTo(List.of(1L, -2L, 3L));
            assertThat(f.array("floats")).isEqualTo(List.of(0.5, -1.25));
            assertThat(f.array("nested")).isEqualTo(List.of(List.of(1L, 2L), List.of("x")));
            assertThat(f.array("empty")).isEmpty();
            Map<String, GgufValueType> types = Map.of("u8", GgufValueType.UINT8, "i8", GgufValueType.INT8,
                "u16", GgufValueType.UINT16, "i16", GgufValueType.INT16, "u32", GgufValueType.UINT32,
                "i32", GgufValueType.INT32, "f32", GgufValueType.FLOAT32, "u64", GgufValueType.UINT64,
                "i64", GgufValueType.INT64, "f64", GgufValueType.FLOAT64);
            types.forEach((k, type) -> assertThat(f.metadataType(k)).as(k).contains(type));
            assertThat(f.metadataType("strings")).contains(GgufValueType.ARRAY);
            assertThat(f.arrayElementType("strings")).contains(GgufValueType.STRING);
            assertThat(f.arrayElementType("nested")).contains(GgufValueType.ARRAY);
            assertThatThrownBy(() -> f.metadata().put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void tensorsRoundTrip() throws IOException {
        float[] f32 = values(3 * 4 * 64, 3);
        float[] f16 = values(64, 4);
        float[] bf16 = values(64, 5);
        float[] q8 = values(5 * 64, 6);
        float[] q4 = values(5 * 64, 7);
        // A Q4_0 block whose values are exactly representable: -4 is the value of largest magnitude, so
        // d = -4 / -8 = 0.5 and every k * 0.5 (k in -8..7) quantizes to k + 8 and back exactly.
        float[] exact = new float[32];
        for (int i = 0; i < 32; i++) exact[i] = ((i % 16) - 8) * 0.5f;
        exact[0] = -4f;
        Path p = dir.resolve("tensors.gguf");
        new GgufWriter()
            .alignment(64)
            .put("general.architecture", "llama")
            .addTensor("f32", GgmlType.F32, new long[] {64, 4, 3}, f32)
            .addTensor("f16", GgmlType.F16, new long[] {64}, f16)
            .addTensor("bf16", GgmlType.BF16, new long[] {64}, bf16)
            .addTensor("q8", GgmlType.Q8_0, new long[] {64, 5}, q8)
            .addTensor("q4", GgmlType.Q4_0, new long[] {64, 5}, q4)
            .addTensor("exact", GgmlType.Q4_0, new long[] {32}, exact)
            .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.alignment()).isEqualTo(64);
            assertThat(f.integer("general.alignment")).isEqualTo(64);
            assertThat(f.dataStart() % 64).isZero();
            assertThat(Files.size(p) % 64).isZero(); // padded at the end, as llama.cpp expects
            for (GgufTensor t : f.tensors()) assertThat((t.dataOffset() - f.dataStart()) % 64).isZero();
            assertThat(f.requireTensor("f32").dims()).containsExactly(64, 4, 3);
            assertThat(f.dequantize(f.requireTensor("f32"))).containsExactly(f32);
            float[] h = f.dequantize(f.requireTensor("f16"));
            for (int i = 0; i < 64; i++) assertThat(h[i]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(f16[i])));
            float[] bh = f.dequantize(f.requireTensor("bf16"));
            for (int i = 0; i < 64; i++) {
                assertThat(Math.abs(bh[i] - bf16[i])).isLessThanOrEqualTo(Math.abs(bf16[i]) * 0x1p-8f);
                assertThat(Float.floatToRawIntBits(bh[i]) & 0xFFFF).isZero();
            }
            assertWithinQuantizationError(f32ToBlocks(q8), f.dequantize(f.requireTensor("q8")), true);
            assertWithinQuantizationError(f32ToBlocks(q4), f.dequantize(f.requireTensor("q4")), false);
            assertThat(f.dequantize(f.requireTensor("exact"))).containsExactly(exact);
        }
    }

    private static float[][] f32ToBlocks(float[] v) {
        float[][] blocks = new float[v.length / 32][];
        for (int b = 0; b < blocks.length; b++) blocks[b] = Arrays.copyOfRange(v, b * 32, b * 32 + 32);
        return blocks;
    }

    /**
     * Q8_0: |error| <= d/2 plus the f16 rounding of d (127 * d * 2^-11 < 0.07 d). Q4_0: |error| <= |d| (rounding to
     * the nearest step, except the clamp of +8 steps to +7) plus 8 * |d| * 2^-11.
     */
    private static void assertWithinQuantizationError(float[][] blocks, float[] actual, boolean q8) {
        for (int b = 0; b < blocks.length; b++) {
            float amax = 0;
            for (float x : blocks[b]) amax = Math.max(amax, Math.abs(x));
            double step = q8 ? amax / 127.0 : amax / 8.0;
            double bound = q8 ? 0.57 * step : 1.01 * step;
            for (int j = 0; j < 32; j++) {
                assertThat((double) Math.abs(actual[b * 32 + j] - blocks[b][j]))
                    .as("block %d element %d", b, j).isLessThanOrEqualTo(bound);
            }
        }
    }
}
