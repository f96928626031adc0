package dev.ffnskip.jlama.load.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file larger than 2 GiB holding one F32 tensor of 2.46 GB (a sparse file: only the header and a few marked rows are
 * written, the rest reads as zeros), read through the windowed mappings.
 */
class GgufLargeFileTest {
    private static final long COLS = 1024;
    private static final long ROWS = 600_000;

    @TempDir
    Path dir;

    @Test
    void tensorLargerThan2GiB() throws IOException {
        Path p = dir.resolve("big.gguf");
        byte[] name = "big".getBytes(StandardCharsets.UTF_8);
        ByteBuffer h = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0x46554747).putInt(3).putLong(1).putLong(0); // magic, version, 1 tensor, no metadata
        h.putLong(name.length).put(name).putInt(2).putLong(COLS).putLong(ROWS).putInt(GgmlType.F32.id()).putLong(0);
        long dataStart = (h.position() + 31) / 32 * 32;
        long dataBytes = COLS * ROWS * 4;
        long[] markedRows = {0, 262_143, 262_144, 524_288, ROWS - 1}; // around the 1 GiB and 2 GiB boundaries
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(h.array(), 0, h.position());
            raf.setLength(dataStart + dataBytes);
            for (long row : markedRows) {
                ByteBuffer r = ByteBuffer.allocate((int) COLS * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int c = 0; c < COLS; c++) r.putFloat(row + c / 1024f);
                raf.seek(dataStart + row * COLS * 4);
                raf.write(r.array());
            }
        }
        try (GgufFile f = GgufFile.open(p)) {
            GgufTensor t = f.requireTensor("big");
            assertThat(f.dataStart()).isEqualTo(dataStart);
            assertThat(t.byteSize()).isEqualTo(dataBytes).isGreaterThan(Integer.MAX_VALUE);
            assertThat(t.dataOffset() + t.byteSize()).isEqualTo(f.fileSize());
            float[] row = new float[(int) COLS];
            for (long r : markedRows) {
                f.dequantizeRows(t, r * COLS, (int) COLS, row, 0);
                for (int c = 0; c < COLS; c++) assertThat(row[c]).as("row %d col %d", r, c).isEqualTo(r + c / 1024f);
            }
            f.dequantizeRows(t, 1000 * COLS, (int) COLS, row, 0);
            assertThat(row).containsOnly(0f);
            assertThatThrownBy(() -> f.data(t)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("dequantizeRows");
        }
    }
}
