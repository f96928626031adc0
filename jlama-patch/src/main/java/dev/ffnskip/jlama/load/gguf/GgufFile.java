package dev.ffnskip.jlama.load.gguf;

import dev.ffnskip.jlama.load.ModelLoadException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A memory-mapped GGUF file (versions 2 and 3, little-endian): its metadata, its tensor infos and exact
 * dequantization of its tensors to float32.
 *
 * <p>The header is parsed and fully checked on {@link #open}: every tensor's data must lie inside the file, its type
 * must be one ggml defines and its first dimension a multiple of the type's block size. Problems are reported as
 * {@link GgufFormatException}s whose message names the file and what is wrong.
 *
 * <p>Tensor data are memory-mapped on first use, one mapping per tensor (a tensor of more than 2 GiB is mapped in
 * windows while it is dequantized). The reader was written when the project compiled for Java 21, where {@code java.lang.foreign} was a preview API,
 * so raw access is through read-only little-endian {@link ByteBuffer}s rather than a {@code MemorySegment}; files
 * larger than 2 GiB are fine, only a single tensor's {@link #data} view is limited to 2 GiB. Mappings cannot be released
 * explicitly in Java: after {@link #close()} the file's channel is closed and this object refuses further access, while
 * the pages stay mapped until the garbage collector frees the buffers (buffers returned by {@link #data} stay valid).
 *
 * <p>Instances are safe for concurrent reads from several threads.
 */
public final class GgufFile implements AutoCloseable {
    private static final long MAP_WINDOW = 1L << 30;
    private static final int SCRATCH_BYTES = 64 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final GgufParser.Header header;
    private final Map<String, Integer> indexByName;
    private final MappedByteBuffer[] maps;
    private volatile boolean closed;

    private GgufFile(Path path, FileChannel channel, long fileSize, GgufParser.Header header) {
        this.path = path;
        this.channel = channel;
        this.fileSize = fileSize;
        this.header = header;
        this.indexByName = new HashMap<>();
        List<GgufTensor> tensors = header.tensors();
        for (int i = 0; i < tensors.size(); i++) indexByName.put(tensors.get(i).name(), i);
        this.maps = new MappedByteBuffer[tensors.size()];
    }

    /**
     * Opens and parses {@code path}.
     *
     * @throws GgufFormatException if the file is not a readable GGUF v2/v3 file
     * @throws ModelLoadException  if the file does not exist or cannot be read
     */
    public static GgufFile open(Path path) {
        Objects.requireNonNull(path, "path");
        if (Files.isDirectory(path)) throw new ModelLoadException(path + ": is a directory, not a GGUF file");
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(path + ": GGUF file does not exist", e);
        } catch (IOException e) {
            throw new ModelLoadException(path + ": cannot open GGUF file: " + e, e);
        }
        try {
            long size = channel.size();
            GgufParser.Header header = GgufParser.parse(path, channel);
            return new GgufFile(path, channel, size, header);
        } catch (IOException | UncheckedIOException e) {
            closeQuietly(channel);
            throw new ModelLoadException(path + ": cannot read GGUF file: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The GGUF version (2 or 3). */
    public int version() {
        return header.version();
    }

    /** The alignment of tensor data: {@code general.alignment}, 32 when absent. */
    public long alignment() {
        return header.alignment();
    }

    /** The absolute file offset of the data section (tensor offsets in the file are relative to it). */
    public long dataStart() {
        return header.dataStart();
    }

    /** The file's size in bytes. */
    public long fileSize() {
        return fileSize;
    }

    // ---- metadata -----------------------------------------------------------------------------------------------

    /**
     * All metadata in file order: integer types as {@link Long}, float32/float64 as {@link Double}, bool as
     * {@link Boolean}, string as {@link String}, arrays as unmodifiable {@link List}s of such values (nested arrays as
     * nested lists). Unmodifiable.
     */
    public Map<String, Object> metadata() {
        return header.metadata();
    }

    /** The GGUF value type a key was stored with. */
    public Optional<GgufValueType> metadataType(String key) {
        return Optional.ofNullable(header.types().get(key));
    }

    /** For an array-valued key, the type of its elements. */
    public Optional<GgufValueType> arrayElementType(String key) {
        return Optional.ofNullable(header.arrayElementTypes().get(key));
    }

    public Optional<Object> find(String key) {
        return Optional.ofNullable(header.metadata().get(key));
    }

    /** A string value. @throws GgufFormatException if the key is missing or not a string */
    public String string(String key) {
        return typed(key, String.class, "a string");
    }

    /** A value of any of the integer types. @throws GgufFormatException if missing or not an integer */
    public long integer(String key) {
        return typed(key, Long.class, "an integer");
    }

    /**
     * A float32/float64 value; integer values are accepted and widened. @throws GgufFormatException if missing or not
     * a number
     */
    public double number(String key) {
        Object v = require(key);
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return l;
        throw wrongType(key, v, "a number");
    }

    /** A bool value. @throws GgufFormatException if missing or not a bool */
    public boolean bool(String key) {
        return typed(key, Boolean.class, "a bool");
    }

    /** An array value. @throws GgufFormatException if missing or not an array */
    public List<?> array(String key) {
        return typed(key, List.class, "an array");
    }

    private <T> T typed(String key, Class<T> type, String expected) {
        Object v = require(key);
        if (!type.isInstance(v)) throw wrongType(key, v, expected);
        return type.cast(v);
    }

    private Object require(String key) {
        Object v = header.metadata().get(key);
        if (v == null) throw new GgufFormatException(path, "metadata key '" + key + "' is missing");
        return v;
    }

    private GgufFormatException wrongType(String key, Object value, String expected) {
        GgufValueType type = header.types().get(key);
        String shown;
        if (value instanceof List<?> list) {
            GgufValueType element = header.arrayElementTypes().get(key);
            shown = "array of " + (element == null ? "?" : element.displayName()) + " (" + list.size() + " elements)";
        } else {
            String s = String.valueOf(value);
            if (s.length() > 60) s = s.substring(0, 60) + "...";
            shown = type.displayName() + " (" + (value instanceof String ? "\"" + s + "\"" : s) + ")";
        }
        return new GgufFormatException(path, "metadata key '" + key + "' is " + shown + ", expected " + expected);
    }

    // ---- tensors ------------------------------------------------------------------------------------------------

    /** All tensors in file order. Unmodifiable. */
    public List<GgufTensor> tensors() {
        return header.tensors();
    }

    public Optional<GgufTensor> tensor(String name) {
        Integer i = indexByName.get(name);
        return i == null ? Optional.empty() : Optional.of(header.tensors().get(i));
    }

    /** The tensor named {@code name}. @throws GgufFormatException if there is none */
    public GgufTensor requireTensor(String name) {
        return tensor(name).orElseThrow(() -> new GgufFormatException(path, "no tensor named '" + name + "'"));
    }

    /**
     * The whole tensor as float32, in storage order ({@code dims[0]} fastest: row after row of a {@code [in, out]}
     * GGUF matrix, which is the row-major order of the {@code [out, in]} PyTorch weight).
     *
     * @throws GgufFormatException      if the tensor's type cannot be read by ffn-skip
     * @throws IllegalArgumentException if the tensor has more elements than a Java array holds (use
     *                                  {@link #dequantizeRows})
     */
    public float[] dequantize(GgufTensor t) {
        long n = checkTensor(t).elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' has " + n
                + " elements, too many for one float[]; use dequantizeRows");
        }
        float[] out = new float[(int) n];
        dequantizeRows(t, 0, (int) n, out, 0);
        return out;
    }

    /**
     * Dequantizes {@code count} elements of {@code t} starting at element {@code firstElement} (in storage order)
     * into {@code out[outOffset..]}. Both must be multiples of the type's block size (any row boundary is).
     *
     * @throws GgufFormatException      if the tensor's type cannot be read by ffn-skip
     * @throws IllegalArgumentException if the range is not block-aligned or outside the tensor, or {@code out} is too
     *                                  small
     */
    public void dequantizeRows(GgufTensor t, long firstElement, int count, float[] out, int outOffset) {
        checkTensor(t);
        GgmlType type = t.type();
        if (!type.isSupported()) {
            throw new GgufFormatException(path, "tensor '" + t.name() + "' has type " + type + " (ggml type id "
                + type.id() + "), which ffn-skip cannot read");
        }
        int bs = type.blockSize();
        long total = t.elementCount();
        if (firstElement < 0 || count < 0 || firstElement > total - count) {
            throw new IllegalArgumentException("elements " + firstElement + ".." + (firstElement + count)
                + " are outside tensor '" + t.name() + "' of " + total + " elements");
        }
        if (firstElement % bs != 0 || count % bs != 0) {
            throw new IllegalArgumentException("elements " + firstElement + ".." + (firstElement + count) + " of tensor '"
                + t.name() + "' are not aligned to the " + type + " block size " + bs);
        }
        Objects.checkFromIndexSize(outOffset, count, out.length);
        int bpb = type.bytesPerBlock();
        long block = firstElement / bs;
        long blocksLeft = count / bs;
        int scratchBlocks = (int) Math.max(1, Math.min(blocksLeft, SCRATCH_BYTES / bpb));
        byte[] scratch = new byte[scratchBlocks * bpb];
        ByteBuffer buffer = t.byteSize() <= Integer.MAX_VALUE ? tensorMap(t) : null;
        long bufferBase = 0; // byte offset within the tensor's data where buffer index 0 lies
        int o = outOffset;
        while (blocksLeft > 0) {
            int n = (int) Math.min(blocksLeft, scratchBlocks);
            long rel = block * bpb;
            int bytes = n * bpb;
            if (buffer == null || rel < bufferBase || rel + bytes - bufferBase > buffer.capacity()) {
                bufferBase = rel;
                buffer = map(t.dataOffset() + rel, Math.min(t.byteSize() - rel, MAP_WINDOW));
            }
            buffer.get((int) (rel - bufferBase), scratch, 0, bytes);
            type.dequantize(scratch, 0, n, out, o);
            o += n * bs;
            block += n;
            blocksLeft -= n;
        }
    }

    /**
     * The tensor's raw bytes: a read-only, little-endian view of exactly {@link GgufTensor#byteSize()} bytes.
     *
     * @throws UnsupportedOperationException if the tensor is larger than 2 GiB (read it with {@link #dequantizeRows})
     */
    public ByteBuffer data(GgufTensor t) {
        checkTensor(t);
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new UnsupportedOperationException("tensor '" + t.name() + "' has " + t.byteSize()
                + " bytes, more than one ByteBuffer addresses; use dequantizeRows");
        }
        return tensorMap(t).duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    private GgufTensor checkTensor(GgufTensor t) {
        Objects.requireNonNull(t, "tensor");
        if (closed) throw new IllegalStateException(path + " is closed");
        Integer i = indexByName.get(t.name());
        if (i == null || !header.tensors().get(i).equals(t)) {
            throw new IllegalArgumentException("tensor " + t + " is not a tensor of " + path);
        }
        return t;
    }

    private MappedByteBuffer tensorMap(GgufTensor t) {
        int i = indexByName.get(t.name());
        synchronized (maps) {
            if (maps[i] == null) maps[i] = map(t.dataOffset(), t.byteSize());
            return maps[i];
        }
    }

    private MappedByteBuffer map(long offset, long length) {
        if (closed) throw new IllegalStateException(path + " is closed");
        try {
            MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, offset, length);
            b.order(ByteOrder.LITTLE_ENDIAN);
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map bytes " + offset + ".." + (offset + length) + " of " + path, e);
        }
    }

    /** Closes the file. Further access through this object throws {@link IllegalStateException}. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        synchronized (maps) {
            java.util.Arrays.fill(maps, null);
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version() + ", " + tensors().size() + " tensors, " + metadata().size()
            + " metadata keys]";
    }
}
