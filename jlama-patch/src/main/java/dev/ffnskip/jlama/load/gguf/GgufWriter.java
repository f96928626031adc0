package dev.ffnskip.jlama.load.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes small GGUF v3 files: metadata of every GGUF value type and tensors given as floats (quantized to F32, F16,
 * BF16, Q8_0 or Q4_0 with the reference rules of {@link GgmlType#quantize}) or as raw bytes of any type. Tensor data
 * are aligned to {@link #alignment(int) the alignment} (32 unless set) and the file is padded to it at the end.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .put("general.architecture", "llama")
 *     .putUInt32("llama.block_count", 2)
 *     .addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {64, 100}, values)  // 100 rows of 64
 *     .write(path);
 * }</pre>
 *
 * Everything is held in memory until {@link #write}; tensors are quantized when added. Tensors added with a
 * {@link TensorData} are produced one at a time while the file is written instead, so a large file need not fit in the heap.
 */
public final class GgufWriter {
    /** A typed array value; elements of an {@code ARRAY}-typed array are themselves {@code Array}s. */
    public record Array(GgufValueType elementType, List<?> values) {
        public Array {
            Objects.requireNonNull(elementType, "elementType");
            values = List.copyOf(values);
        }
    }

    private record Entry(GgufValueType type, Object value) {}

    /** The bytes of one tensor, asked for once, when {@link #write} reaches it. */
    @FunctionalInterface
    public interface TensorData {
        byte[] bytes() throws IOException;
    }

    private record Tensor(String name, GgmlType type, long[] dims, long byteSize, TensorData data) {}

    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int alignment = 32;

    /**
     * Adds a metadata entry, inferring its type: String -> string, Boolean -> bool, Byte/Short/Integer/Long -> int8/
     * int16/int32/int64, Float -> float32, Double -> float64, String[] / int[] / long[] / float[] / double[] -> arrays
     * of string / int32 / int64 / float32 / float64, a non-empty List -> an array of its first element's type,
     * {@link Array} -> an array of its element type.
     */
    public GgufWriter put(String key, Object value) {
        Objects.requireNonNull(value, "value");
        return switch (value) {
            case String s -> put(key, GgufValueType.STRING, s);
            case Boolean b -> put(key, GgufValueType.BOOL, b);
            case Byte b -> put(key, GgufValueType.INT8, b);
            case Short s -> put(key, GgufValueType.INT16, s);
            case Integer i -> put(key, GgufValueType.INT32, i);
            case Long l -> put(key, GgufValueType.INT64, l);
            case Float f -> put(key, GgufValueType.FLOAT32, f);
            case Double d -> put(key, GgufValueType.FLOAT64, d);
            case String[] a -> put(key, GgufValueType.ARRAY, new Array(GgufValueType.STRING, List.of(a)));
            case int[] a -> put(key, GgufValueType.ARRAY, new Array(GgufValueType.INT32, Arrays.stream(a).boxed().toList()));
            case long[] a -> put(key, GgufValueType.ARRAY, new Array(GgufValueType.INT64, Arrays.stream(a).boxed().toList()));
            case double[] a -> put(key, GgufValueType.ARRAY, new Array(GgufValueType.FLOAT64, Arrays.stream(a).boxed().toList()));
            case float[] a -> {
                List<Float> list = new ArrayList<>(a.length);
                for (float f : a) list.add(f);
                yield put(key, GgufValueType.ARRAY, new Array(GgufValueType.FLOAT32, list));
            }
            case Array a -> put(key, GgufValueType.ARRAY, a);
            case List<?> list -> {
                if (list.isEmpty()) throw new IllegalArgumentException("cannot infer the element type of the empty list for '" + key + "'");
                yield put(key, GgufValueType.ARRAY, new Array(inferScalar(key, list.get(0)), list));
            }
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as GGUF metadata '" + key + "'");
        };
    }

    private static GgufValueType inferScalar(String key, Object v) {
        return switch (v) {
            case String s -> GgufValueType.STRING;
            case Boolean b -> GgufValueType.BOOL;
            case Byte b -> GgufValueType.INT8;
            case Short s -> GgufValueType.INT16;
            case Integer i -> GgufValueType.INT32;
            case Long l -> GgufValueType.INT64;
            case Float f -> GgufValueType.FLOAT32;
            case Double d -> GgufValueType.FLOAT64;
            case Array a -> GgufValueType.ARRAY;
            default -> throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " in GGUF array '" + key + "'");
        };
    }

    /**
     * Adds a metadata entry of an explicit type. Integer types take any {@link Number} in the type's range (uint64
     * takes the 64-bit pattern of a long), float types any Number, bool a Boolean, string a String, array an
     * {@link Array}.
     */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        check(key, type, value);
        metadata.put(key, new Entry(type, value));
        return this;
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValueType.INT32, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    /**
     * Sets the data alignment (a power of two). A value other than 32 is also written as the {@code uint32}
     * {@code general.alignment} metadata entry.
     */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two, got " + alignment);
        }
        this.alignment = alignment;
        if (alignment != 32) putUInt32("general.alignment", alignment);
        else metadata.remove("general.alignment");
        return this;
    }

    /**
     * Adds a tensor from floats in storage order ({@code dims[0]} fastest), quantized to {@code type} (F32, F16, BF16,
     * Q8_0 or Q4_0).
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, float[] values) {
        if (!type.canQuantize()) throw new IllegalArgumentException("GgufWriter cannot quantize to " + type);
        long elements = checkTensor(name, type, dims);
        if (values.length != elements) {
            throw new IllegalArgumentException("tensor '" + name + "' has dims " + Arrays.toString(dims) + " (" + elements
                + " elements) but " + values.length + " values");
        }
        long bytes = elements / type.blockSize() * type.bytesPerBlock();
        if (bytes > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor '" + name + "' is too large to write");
        byte[] data = new byte[(int) bytes];
        type.quantize(values, 0, (int) (elements / type.blockSize()), data, 0);
        tensors.add(new Tensor(name, type, dims.clone(), data.length, () -> data));
        return this;
    }

    /** Adds a tensor of any type from its raw bytes, which must be exactly the type's size for {@code dims}. */
    public GgufWriter addRawTensor(String name, GgmlType type, long[] dims, byte[] data) {
        long elements = checkTensor(name, type, dims);
        long bytes = elements / type.blockSize() * type.bytesPerBlock();
        if (data.length != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "' of " + type + " " + Arrays.toString(dims) + " needs "
                + bytes + " bytes, got " + data.length);
        }
        byte[] copy = data.clone();
        tensors.add(new Tensor(name, type, dims.clone(), copy.length, () -> copy));
        return this;
    }

    /**
     * Adds a tensor of any type whose raw bytes {@code data} produces during {@link #write}; they must be exactly the
     * type's size for {@code dims}, or the write fails.
     */
    public GgufWriter addRawTensor(String name, GgmlType type, long[] dims, TensorData data) {
        Objects.requireNonNull(data, "data");
        long elements = checkTensor(name, type, dims);
        tensors.add(new Tensor(name, type, dims.clone(), elements / type.blockSize() * type.bytesPerBlock(), data));
        return this;
    }

    private long checkTensor(String name, GgmlType type, long[] dims) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (dims.length < 1 || dims.length > GgufParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' needs 1 to 4 dimensions, got " + dims.length);
        }
        for (Tensor t : tensors) {
            if (t.name().equals(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        long elements = 1;
        for (long d : dims) {
            if (d <= 0) throw new IllegalArgumentException("tensor '" + name + "' has a dimension " + d);
            elements = Math.multiplyExact(elements, d);
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': dims[0] = " + dims[0] + " is not a multiple of the "
                + type + " block size " + type.blockSize());
        }
        return elements;
    }

    /** Writes the file, replacing {@code path} if it exists. */
    public void write(Path path) {
        ByteBuffer head = header();
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, head);
            long position = head.limit();
            for (Tensor t : tensors) {
                byte[] data = t.data().bytes();
                if (data.length != t.byteSize()) {
                    throw new IllegalStateException("tensor '" + t.name() + "' of " + t.type() + " " + Arrays.toString(t.dims())
                        + " needs " + t.byteSize() + " bytes, its data gave " + data.length);
                }
                writeFully(out, ByteBuffer.wrap(data));
                position += data.length;
                int pad = padding(position);
                writeFully(out, ByteBuffer.allocate(pad));
                position += pad;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write GGUF file " + path, e);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    private int padding(long position) {
        return (int) ((alignment - position % alignment) % alignment);
    }

    /** Magic, version, counts, metadata, tensor infos and the padding up to the data section. */
    private ByteBuffer header() {
        Out o = new Out();
        o.i32(GgufParser.MAGIC);
        o.i32(3);
        o.i64(tensors.size());
        o.i64(metadata.size());
        for (Map.Entry<String, Entry> e : metadata.entrySet()) {
            o.string(e.getKey());
            o.i32(e.getValue().type().id());
            value(o, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            o.string(t.name());
            o.i32(t.dims().length);
            for (long d : t.dims()) o.i64(d);
            o.i32(t.type().id());
            o.i64(offset);
            offset += t.byteSize();
            offset += padding(offset);
        }
        int pad = padding(o.size());
        for (int i = 0; i < pad; i++) o.u8(0);
        return o.buffer();
    }

    private static void value(Out o, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8 -> o.u8(((Number) v).intValue());
            case UINT16, INT16 -> o.i16(((Number) v).intValue());
            case UINT32, INT32 -> o.i32(((Number) v).intValue());
            case UINT64, INT64 -> o.i64(((Number) v).longValue());
            case FLOAT32 -> o.i32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case FLOAT64 -> o.i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case BOOL -> o.u8((Boolean) v ? 1 : 0);
            case STRING -> o.string((String) v);
            case ARRAY -> {
                Array a = (Array) v;
                o.i32(a.elementType().id());
                o.i64(a.values().size());
                for (Object element : a.values()) value(o, a.elementType(), element);
            }
        }
    }

    private static void check(String key, GgufValueType type, Object v) {
        Objects.requireNonNull(v, () -> "null value for '" + key + "'");
        boolean ok = switch (type) {
            case UINT8 -> inRange(v, 0, 0xFF);
            case INT8 -> inRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> inRange(v, 0, 0xFFFF);
            case INT16 -> inRange(v, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> inRange(v, 0, 0xFFFF_FFFFL);
            case INT32 -> inRange(v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
            case FLOAT32, FLOAT64 -> v instanceof Number;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String;
            case ARRAY -> {
                if (!(v instanceof Array a)) yield false;
                for (Object element : a.values()) check(key, a.elementType(), element);
                yield true;
            }
        };
        if (!ok) throw new IllegalArgumentException("cannot write " + v + " (" + v.getClass().getSimpleName() + ") as "
            + type.displayName() + " for '" + key + "'");
    }

    private static boolean inRange(Object v, long min, long max) {
        if (!(v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte)) return false;
        long l = ((Number) v).longValue();
        return l >= min && l <= max;
    }

    /** A growable little-endian byte buffer. */
    private static final class Out {
        private ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);

        private void room(int n) {
            if (b.remaining() >= n) return;
            long need = (long) b.position() + n;
            if (need > Integer.MAX_VALUE - 8) throw new IllegalStateException("GGUF header too large");
            ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * b.capacity())))
                .order(ByteOrder.LITTLE_ENDIAN);
            b.flip();
            bigger.put(b);
            b = bigger;
        }

        void u8(int v) {
            room(1);
            b.put((byte) v);
        }

        void i16(int v) {
            room(2);
            b.putShort((short) v);
        }

        void i32(int v) {
            room(4);
            b.putInt(v);
        }

        void i64(long v) {
            room(8);
            b.putLong(v);
        }

        void string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            i64(bytes.length);
            room(bytes.length);
            b.put(bytes);
        }

        int size() {
            return b.position();
        }

        ByteBuffer buffer() {
            return b.duplicate().flip();
        }
    }
}
