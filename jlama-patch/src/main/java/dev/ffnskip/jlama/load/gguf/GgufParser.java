package dev.ffnskip.jlama.load.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the GGUF header (magic, version, counts, metadata, tensor infos) through memory-mapped windows of the file,
 * checking every read against the file size so that a damaged file fails with a {@link GgufFormatException} that says
 * what was being read where, never with an index or underflow exception.
 *
 * <p>Layout (all little-endian): {@code "GGUF"} u32 version, u64 tensor count, u64 metadata count; metadata entries
 * (string key, u32 value type, value); tensor infos (string name, u32 rank, u64 dims[rank] innermost first, u32 ggml
 * type, u64 offset relative to the data section); padding to {@code general.alignment} (default 32); the data section.
 * A string is a u64 byte length and UTF-8 bytes (no terminator); an array is a u32 element type, a u64 count and the
 * elements.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final long DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    static final long MAX_METADATA_ENTRIES = 1_000_000;
    static final long MAX_TENSORS = 1_000_000;
    static final int MAX_ARRAY_DEPTH = 16;
    private static final long WINDOW = 1L << 30;

    record Header(
        int version,
        Map<String, Object> metadata,
        Map<String, GgufValueType> types,
        Map<String, GgufValueType> arrayElementTypes,
        List<GgufTensor> tensors,
        long alignment,
        long dataStart
    ) {}

    private final Path path;
    private final FileChannel channel;
    private final long size;
    private MappedByteBuffer window;
    private long windowStart;
    private long windowEnd;
    private long pos;
    private String context = "the header";

    private GgufParser(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    /** Parses the header of {@code channel} (the open file {@code path}). IO errors come as UncheckedIOException. */
    static Header parse(Path path, FileChannel channel) throws IOException {
        return new GgufParser(path, channel, channel.size()).parse();
    }

    private Header parse() {
        readMagic();
        int version = readVersion();
        context = "the header";
        long tensorCount = u64("the tensor count");
        long metadataCount = u64("the metadata entry count");
        // Only absurd counts are rejected up front; a plausible count in a short file ends in a "truncated" error.
        if (metadataCount < 0 || metadataCount > MAX_METADATA_ENTRIES) {
            throw fail("implausible metadata entry count " + Long.toUnsignedString(metadataCount) + " (at most "
                + MAX_METADATA_ENTRIES + " are accepted; the file has " + size + " bytes)");
        }
        if (tensorCount < 0 || tensorCount > MAX_TENSORS) {
            throw fail("implausible tensor count " + Long.toUnsignedString(tensorCount) + " (at most " + MAX_TENSORS
                + " are accepted; the file has " + size + " bytes)");
        }

        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        Map<String, GgufValueType> elementTypes = new LinkedHashMap<>();
        for (long i = 0; i < metadataCount; i++) {
            context = "metadata entry " + i;
            long keyAt = pos;
            String key = string("the key");
            context = "metadata entry " + i + " ('" + key + "')";
            if (metadata.containsKey(key)) throw fail("duplicate metadata key '" + key + "' at offset " + keyAt);
            long typeId = u32("the value type");
            GgufValueType type = GgufValueType.byId(typeId).orElseThrow(
                () -> fail("unknown metadata value type id " + typeId + " for key '" + key + "' at offset " + (pos - 4))
            );
            if (type == GgufValueType.ARRAY) {
                long elementTypeAt = pos;
                long elementTypeId = u32("the array element type");
                GgufValueType elementType = GgufValueType.byId(elementTypeId).orElseThrow(
                    () -> fail("unknown array element type id " + elementTypeId + " for key '" + key + "' at offset "
                        + elementTypeAt)
                );
                metadata.put(key, arrayBody(elementType, 1));
                elementTypes.put(key, elementType);
            } else {
                metadata.put(key, value(type, 0));
            }
            types.put(key, type);
        }

        record Info(String name, long[] dims, GgmlType type, long offset) {}
        List<Info> infos = new ArrayList<>((int) tensorCount);
        for (long i = 0; i < tensorCount; i++) {
            context = "tensor info " + i;
            String name = string("the tensor name");
            context = "tensor info " + i + " ('" + name + "')";
            long rank = u32("the number of dimensions");
            if (rank > MAX_DIMS) {
                throw fail("tensor '" + name + "' has " + rank + " dimensions; GGUF allows at most " + MAX_DIMS);
            }
            long[] dims = new long[(int) rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = u64("dimension " + d);
                if (dims[d] < 0) {
                    throw fail("implausible dimension " + Long.toUnsignedString(dims[d]) + " (dims[" + d + "]) for tensor '"
                        + name + "'");
                }
            }
            long typeId = u32("the ggml type");
            GgmlType type = GgmlType.byId(typeId).orElseThrow(
                () -> fail("unknown ggml tensor type id " + typeId + " for tensor '" + name + "'")
            );
            long offset = u64("the data offset");
            infos.add(new Info(name, dims, type, offset));
        }
        long headerEnd = pos;

        long alignment = DEFAULT_ALIGNMENT;
        Object configured = metadata.get("general.alignment");
        if (configured != null) {
            if (!(configured instanceof Long a)) {
                throw fail("general.alignment has type " + types.get("general.alignment").displayName()
                    + ", expected an integer");
            }
            if (a <= 0 || Long.bitCount(a) != 1 || a > (1L << 30)) {
                throw fail("invalid general.alignment " + a + ": it must be a power of two (at most 2^30)");
            }
            alignment = a;
        }
        long dataStart = (headerEnd + alignment - 1) / alignment * alignment;

        List<GgufTensor> tensors = new ArrayList<>(infos.size());
        Map<String, Boolean> names = new java.util.HashMap<>();
        for (Info info : infos) {
            String name = info.name();
            GgmlType type = info.type();
            if (names.put(name, Boolean.TRUE) != null) throw fail("duplicate tensor name '" + name + "'");
            long elements = 1;
            try {
                for (long d : info.dims()) elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw fail("implausible dimensions " + Arrays.toString(info.dims()) + " for tensor '" + name
                    + "': the element count overflows");
            }
            long rowLength = info.dims().length == 0 ? 1 : info.dims()[0];
            if (rowLength % type.blockSize() != 0) {
                throw fail("tensor '" + name + "' (" + type + ", dims " + Arrays.toString(info.dims()) + ") has "
                    + rowLength + " elements per row (dims[0]), not a multiple of the " + type + " block size "
                    + type.blockSize() + " (element count " + elements + ")");
            }
            long byteSize;
            try {
                byteSize = Math.multiplyExact(elements / type.blockSize(), (long) type.bytesPerBlock());
            } catch (ArithmeticException e) {
                throw fail("implausible dimensions " + Arrays.toString(info.dims()) + " for tensor '" + name
                    + "': the byte size overflows");
            }
            long offset = info.offset();
            if (offset < 0 || offset > size) {
                throw fail("tensor '" + name + "' has data offset " + Long.toUnsignedString(offset)
                    + ", past the end of the file (" + size + " bytes)");
            }
            if (offset % alignment != 0) {
                throw fail("tensor '" + name + "' has data offset " + offset + ", not a multiple of the alignment "
                    + alignment);
            }
            long start = dataStart + offset;
            if (byteSize > size || start > size - byteSize) {
                throw fail("truncated: the data of tensor '" + name + "' (" + type + ", dims "
                    + Arrays.toString(info.dims()) + ", " + byteSize + " bytes from byte " + start + ") ends at byte "
                    + (start + byteSize) + ", past the end of the file at byte " + size);
            }
            tensors.add(new GgufTensor(name, type, info.dims(), start, byteSize));
        }
        return new Header(
            version,
            Collections.unmodifiableMap(metadata),
            Collections.unmodifiableMap(types),
            Collections.unmodifiableMap(elementTypes),
            List.copyOf(tensors),
            alignment,
            dataStart
        );
    }

    private void readMagic() {
        if (size < 4) {
            throw fail("not a GGUF file: it is only " + size + " bytes long (a GGUF file starts with the 4 bytes \"GGUF\")");
        }
        context = "the header";
        int magic = i32("the magic");
        if (magic != MAGIC) {
            byte[] found = {(byte) magic, (byte) (magic >>> 8), (byte) (magic >>> 16), (byte) (magic >>> 24)};
            StringBuilder ascii = new StringBuilder();
            for (byte b : found) ascii.append(b >= 0x20 && b < 0x7F ? (char) b : '.');
            throw fail("not a GGUF file: it starts with the bytes " + HexFormat.ofDelimiter(" ").withUpperCase().formatHex(found)
                + " (\"" + ascii + "\"), expected 47 47 55 46 (\"GGUF\")");
        }
    }

    private int readVersion() {
        int version = i32("the version");
        if (version == 2 || version == 3) return version;
        int swapped = Integer.reverseBytes(version);
        if (swapped == 2 || swapped == 3) {
            throw fail("unsupported GGUF version: the file is a big-endian GGUF v" + swapped
                + "; ffn-skip reads little-endian files only");
        }
        String note = version == 1 ? " (the obsolete v1 layout with 32-bit counts)" : "";
        throw fail("unsupported GGUF version " + Integer.toUnsignedString(version) + note
            + "; ffn-skip reads versions 2 and 3");
    }

    // ---- values -------------------------------------------------------------------------------------------------

    private Object value(GgufValueType type, int depth) {
        return switch (type) {
            case UINT8 -> (long) u8("a uint8 value");
            case INT8 -> (long) (byte) u8("an int8 value");
            case UINT16 -> (long) u16("a uint16 value");
            case INT16 -> (long) (short) u16("an int16 value");
            case UINT32 -> u32("a uint32 value");
            case INT32 -> (long) i32("an int32 value");
            case FLOAT32 -> (double) Float.intBitsToFloat(i32("a float32 value"));
            case BOOL -> u8("a bool value") != 0;
            case STRING -> string("a string value");
            case UINT64 -> u64("a uint64 value");
            case INT64 -> u64("an int64 value");
            case FLOAT64 -> Double.longBitsToDouble(u64("a float64 value"));
            case ARRAY -> {
                long elementTypeAt = pos;
                long elementTypeId = u32("the element type of a nested array");
                GgufValueType elementType = GgufValueType.byId(elementTypeId).orElseThrow(
                    () -> fail("unknown array element type id " + elementTypeId + " in a nested array of " + context
                        + " at offset " + elementTypeAt)
                );
                yield arrayBody(elementType, depth + 1);
            }
        };
    }

    private List<Object> arrayBody(GgufValueType elementType, int depth) {
        if (depth > MAX_ARRAY_DEPTH) {
            throw fail("arrays nested more than " + MAX_ARRAY_DEPTH + " deep in " + context + " at offset " + pos);
        }
        long countAt = pos;
        long count = u64("the array length");
        long remaining = size - pos;
        if (count < 0 || count > Integer.MAX_VALUE - 8 || count > remaining / elementType.minBytes()) {
            throw fail("implausible array length " + Long.toUnsignedString(count) + " (elements of type "
                + elementType.displayName() + ") in " + context + " at offset " + countAt + ": they need at least "
                + elementType.minBytes() + " bytes each but only " + remaining + " bytes of the file remain"
                + " (truncated or corrupt file)");
        }
        List<Object> list = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) list.add(value(elementType, depth));
        return Collections.unmodifiableList(list);
    }

    private String string(String what) {
        long lengthAt = pos;
        long length = u64("the length of " + what);
        if (length < 0 || length > size || length > Integer.MAX_VALUE - 8) {
            throw fail("implausible string length " + Long.toUnsignedString(length) + " for " + what + " of " + context
                + " at offset " + lengthAt + ": longer than the file (" + size + " bytes)");
        }
        if (length == 0) return "";
        int n = (int) length;
        ensure(n, what);
        byte[] bytes = new byte[n];
        window.get((int) (pos - windowStart), bytes, 0, n);
        pos += n;
        // Invalid UTF-8 sequences become U+FFFD, as in any Java String decoding.
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // ---- primitive reads ----------------------------------------------------------------------------------------

    private int u8(String what) {
        ensure(1, what);
        int v = window.get((int) (pos - windowStart)) & 0xFF;
        pos += 1;
        return v;
    }

    private int u16(String what) {
        ensure(2, what);
        int v = window.getShort((int) (pos - windowStart)) & 0xFFFF;
        pos += 2;
        return v;
    }

    private int i32(String what) {
        ensure(4, what);
        int v = window.getInt((int) (pos - windowStart));
        pos += 4;
        return v;
    }

    private long u32(String what) {
        return i32(what) & 0xFFFF_FFFFL;
    }

    private long u64(String what) {
        ensure(8, what);
        long v = window.getLong((int) (pos - windowStart));
        pos += 8;
        return v;
    }

    /** Makes the {@code n} bytes at {@code pos} readable through {@link #window}, or reports the file as truncated. */
    private void ensure(long n, String what) {
        if (n > size - pos) {
            throw fail("truncated: the file ends at byte " + size + " while reading " + what + " of " + context + " ("
                + n + " bytes at offset " + pos + ")");
        }
        if (window != null && pos >= windowStart && pos + n <= windowEnd) return;
        long length = Math.min(size - pos, Math.max(WINDOW, n));
        try {
            window = channel.map(FileChannel.MapMode.READ_ONLY, pos, length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map bytes " + pos + ".." + (pos + length) + " of " + path, e);
        }
        window.order(ByteOrder.LITTLE_ENDIAN);
        windowStart = pos;
        windowEnd = pos + length;
    }

    private GgufFormatException fail(String problem) {
        return new GgufFormatException(path, problem);
    }
}
