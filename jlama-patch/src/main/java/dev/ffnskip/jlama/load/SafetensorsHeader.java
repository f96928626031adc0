package dev.ffnskip.jlama.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and checks a {@code .safetensors} header before Jlama memory-maps the file, so that a truncated file or a
 * header that lies about offsets or types fails with a message naming the file and tensor instead of an
 * {@code IndexOutOfBoundsException} deep inside Jlama.
 */
record SafetensorsHeader(Path file, Map<String, TensorEntry> tensors) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** One tensor as the header describes it. */
    record TensorEntry(String dtype, long[] shape, long begin, long end) {
        long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    static SafetensorsHeader read(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 8) throw corrupt(file, "file is " + fileSize + " bytes, shorter than the 8-byte header length");
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
                throw corrupt(file, "header length " + headerLength + " is impossible for a file of " + fileSize + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            JsonNode root;
            try {
                root = JSON.readTree(header.array());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw corrupt(file, "header is not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (root == null || !root.isObject()) throw corrupt(file, "header is not a JSON object");
            long dataBytes = fileSize - 8 - headerLength;
            Map<String, TensorEntry> tensors = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals("__metadata__")) continue;
                tensors.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue(), dataBytes));
            }
            return new SafetensorsHeader(file, Map.copyOf(tensors));
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static TensorEntry parseEntry(Path file, String name, JsonNode node, long dataBytes) {
        JsonNode dtype = node.get("dtype");
        JsonNode shape = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtype == null || !dtype.isTextual() || shape == null || !shape.isArray() || offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw corrupt(file, "tensor '" + name + "' lacks dtype, shape or data_offsets");
        }
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            if (!shape.get(i).canConvertToLong() || shape.get(i).asLong() < 0) throw corrupt(file, "tensor '" + name + "' has a bad shape " + shape);
            dims[i] = shape.get(i).asLong();
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataBytes) {
            throw corrupt(
                file,
                "tensor '" + name + "' claims bytes [" + begin + ", " + end + ") but the file holds only " + dataBytes
                    + " data bytes (truncated file or lying header)"
            );
        }
        TensorEntry entry = new TensorEntry(dtype.asText(), dims, begin, end);
        long expected = expectedBytes(file, name, entry);
        if (end - begin != expected) {
            throw corrupt(
                file,
                "tensor '" + name + "' of type " + entry.dtype() + " and shape " + shape + " needs " + expected + " bytes but the header gives "
                    + (end - begin)
            );
        }
        return entry;
    }

    private static long expectedBytes(Path file, String name, TensorEntry entry) {
        long n = entry.elements();
        return switch (entry.dtype()) {
            case "F32", "I32" -> n * 4;
            case "F16", "BF16" -> n * 2;
            case "I8", "U8" -> n;
            case "Q4" -> n / 2;
            default -> throw corrupt(file, "tensor '" + name + "' has type " + entry.dtype() + ", which Jlama cannot load (F32, F16, BF16, Q4, I8)");
        };
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) throw new IOException("unexpected end of file");
        }
    }

    private static ModelLoadException corrupt(Path file, String problem) {
        return new ModelLoadException("Corrupt safetensors file " + file + ": " + problem);
    }
}
