package dev.ffnskip.jlama.load.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every value of the 13 test tensors of {@code ../shared/eval/gguf/quant_types.gguf} (one 3x512 tensor per type: F32,
 * F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) must equal, bit for bit as float32, what
 * gguf-py dequantizes it to ({@code quant_types_expected.json}).
 *
 * <p>The comparison is of float32 bit patterns, so it is strict. Checked by breaking the dequantizer on purpose (and
 * reverting): swapping the two nibbles of Q4_0 (element j+16 read from the low nibble) made
 * {@link #everyTensorMatchesGgufPyBitForBit} fail with "test.q4_0 (Q4_0): 1422 of 1536 values differ, first at element
 * 0: expected 0.6010742, got -1.5026855"; computing Q6_K as {@code d * (scale * q)} instead of
 * {@code (d * scale) * q} failed with "test.q6_k (Q6_K): 3 of 1536 values differ, first at element 12: expected -0.0,
 * got 0.0" (the sign of zero of a negative scale times q = 0).
 */
class GgufDequantTest {
    private static GgufFile file;
    private static JsonNode expected;

    @BeforeAll
    static void load() throws IOException {
        Path dir = SharedAssets.sharedDir().resolve("eval").resolve("gguf");
        Path gguf = dir.resolve("quant_types.gguf");
        Path json = dir.resolve("quant_types_expected.json");
        if (!Files.isRegularFile(gguf) || !Files.isRegularFile(json)) {
            throw new IllegalStateException("Shared GGUF test vectors missing: expected " + gguf + " and " + json);
        }
        file = GgufFile.open(gguf);
        expected = new ObjectMapper().readTree(json.toFile()).get("tensors");
    }

    @AfterAll
    static void close() {
        if (file != null) file.close();
    }

    @Test
    void headerAndLayout() {
        assertThat(file.version()).isEqualTo(3);
        assertThat(file.alignment()).isEqualTo(32);
        assertThat(file.dataStart() % 32).isZero();
        assertThat(file.tensors()).hasSize(13);
        assertThat(expected.size()).isEqualTo(13);
        for (GgufTensor t : file.tensors()) {
            // GGUF lists dims innermost first: a [rows=3][cols=512] tensor has dims [512, 3].
            assertThat(t.dims()).as(t.name()).containsExactly(512, 3);
            assertThat(t.rowLength()).isEqualTo(512);
            assertThat(t.rowCount()).isEqualTo(3);
            assertThat(t.elementCount()).isEqualTo(1536);
            assertThat(t.byteSize()).isEqualTo(1536L / t.type().blockSize() * t.type().bytesPerBlock());
            assertThat((t.dataOffset() - file.dataStart()) % 32).isZero();
            assertThat(t.dataOffset() + t.byteSize()).isLessThanOrEqualTo(file.fileSize());
        }
        assertThat(file.tensors().stream().map(GgufTensor::type).filter(GgmlType::isSupported).distinct().count())
            .isEqualTo(13);
    }

    @Test
    void everyTensorMatchesGgufPyBitForBit() {
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : expected.properties()) {
            String name = e.getKey();
            JsonNode spec = e.getValue();
            GgufTensor t = file.requireTensor(name);
            assertThat(t.type().name()).as(name).isEqualTo(spec.get("type").asText());
            long rows = spec.get("shape").get(0).asLong();
            long cols = spec.get("shape").get(1).asLong();
            assertThat(t.dims()).as(name).containsExactly(cols, rows);

            JsonNode values = spec.get("values");
            float[] actual = file.dequantize(t);
            assertThat(actual).as(name).hasSize(values.size());
            int mismatches = 0;
            String first = null;
            for (int i = 0; i < actual.length; i++) {
                float want = (float) values.get(i).doubleValue(); // the JSON holds float32 values printed as doubles
                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(actual[i])) {
                    if (first == null) first = "element " + i + ": expected " + want + ", got " + actual[i];
                    mismatches++;
                }
            }
            if (mismatches > 0) failures.add(name + " (" + t.type() + "): " + mismatches + " of " + actual.length
                + " values differ, first at " + first);
        }
        assertThat(failures).as("tensors whose dequantization differs from gguf-py").isEmpty();
    }

    @Test
    void rowRangesEqualTheWholeTensor() {
        for (GgufTensor t : file.tensors()) {
            float[] whole = file.dequantize(t);
            float[] row = new float[512 + 3];
            file.dequantizeRows(t, 512, 512, row, 3); // the second row, written at an offset
            for (int i = 0; i < 512; i++) {
                assertThat(Float.floatToRawIntBits(row[3 + i])).as(t.name() + " row 1 element " + i)
                    .isEqualTo(Float.floatToRawIntBits(whole[512 + i]));
            }
            // The raw view covers exactly the tensor's bytes.
            assertThat(file.data(t).remaining()).isEqualTo(t.byteSize());
        }
    }

    @Test
    void metadataOfEveryKind() {
        // quant_types_expected.json has no metadata section; these are the entries the file was written with.
        assertThat(file.metadata().keySet()).containsExactly(
            "general.architecture", "general.name", "test.rows", "test.cols", "test.note", "test.int_array",
            "test.float", "test.bool"
        );
        assertThat(file.string("general.architecture")).isEqualTo("llama");
        assertThat(file.string("general.name")).isEqualTo("ffn-skip GGUF reader test vectors");
        assertThat(file.integer("test.rows")).isEqualTo(3);
        assertThat(file.metadataType("test.rows")).contains(GgufValueType.UINT32);
        assertThat(file.integer("test.cols")).isEqualTo(512);
        assertThat(file.string("test.note"))
            .isEqualTo("one tensor per type; expected float32 values in quant_types_expected.json");
        assertThat(file.array("test.int_array")).isEqualTo(List.of(1L, -2L, 3L));
        assertThat(file.arrayElementType("test.int_array")).contains(GgufValueType.INT32);
        assertThat(file.number("test.float")).isEqualTo(0.5);
        assertThat(file.metadataType("test.float")).contains(GgufValueType.FLOAT32);
        assertThat(file.bool("test.bool")).isTrue();
        assertThat(file.find("general.alignment")).isEmpty();
    }
}
