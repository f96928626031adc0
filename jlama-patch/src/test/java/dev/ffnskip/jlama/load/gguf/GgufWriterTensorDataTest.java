package dev.ffnskip.jlama.load.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tensors whose bytes are produced while the file is written ({@link GgufWriter.TensorData}). */
class GgufWriterTensorDataTest {
    @Test
    void deferredBytesAreProducedOnceAtWriteAndReadBack(@TempDir Path tmp) {
        float[] values = new float[64];
        for (int i = 0; i < values.length; i++) values[i] = (i % 17 - 8) * 0.25f;
        byte[] q8 = new byte[2 * GgmlType.Q8_0.bytesPerBlock()];
        GgmlType.Q8_0.quantize(values, 0, 2, q8, 0);
        float[] expected = new float[64];
        GgmlType.Q8_0.dequantize(q8, 0, 2, expected, 0);
        AtomicInteger calls = new AtomicInteger();
        GgufWriter w = new GgufWriter()
            .addTensor("first", GgmlType.F32, new long[] { 4 }, new float[] { 1, 2, 3, 4 })
            .addRawTensor("deferred", GgmlType.Q8_0, new long[] { 32, 2 }, () -> {
                calls.incrementAndGet();
                return q8.clone();
            })
            .addTensor("last", GgmlType.F32, new long[] { 2 }, new float[] { 5, 6 });
        assertThat(calls).hasValue(0);
        Path p = tmp.resolve("d.gguf");
        w.write(p);
        assertThat(calls).hasValue(1);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.dequantize(f.requireTensor("deferred"))).containsExactly(expected);
            assertThat(f.dequantize(f.requireTensor("first"))).containsExactly(1, 2, 3, 4);
            assertThat(f.dequantize(f.requireTensor("last"))).containsExactly(5, 6);
        }
    }

    @Test
    void deferredBytesOfTheWrongSizeFailTheWrite(@TempDir Path tmp) {
        GgufWriter w = new GgufWriter().addRawTensor("short", GgmlType.Q4_0, new long[] { 32, 2 }, () -> new byte[18]);
        assertThatThrownBy(() -> w.write(tmp.resolve("bad.gguf")))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("'short'").hasMessageContaining("needs 36 bytes").hasMessageContaining("gave 18");
        assertThat(Files.exists(tmp.resolve("bad.gguf"))).isTrue(); // the caller owns cleanup of a failed write
    }
}
