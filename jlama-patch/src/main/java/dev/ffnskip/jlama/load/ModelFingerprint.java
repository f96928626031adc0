package dev.ffnskip.jlama.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Identifies a model by its content, never by its file or folder name: a SHA-256 over the model's architecture fields
 * and a fixed sample of its weight bytes (the first and last MiB of every weight file and 64 evenly spaced 64 KiB
 * chunks between them, plus the file sizes). Renaming or copying a model keeps its fingerprint; changing any of its
 * configuration fields or re-quantizing it changes it. Sampling keeps this under a second for multi-GB models; two
 * different trained models agreeing on every sampled byte is not a practical concern.
 *
 * <p>A GGUF file is fingerprinted as one weight file (its header holds the configuration); a folder converted from
 * GGUF carries the fingerprint of the file it came from.
 *
 * @param id {@code sha256:<64 hex digits>}
 */
public record ModelFingerprint(String id) {
    /** The file in a converted folder that records what it was converted from, with its fingerprint. */
    static final String SOURCE_FILE = "ffn-skip-source.json";
    private static final int EDGE = 1 << 20;
    private static final int CHUNK = 1 << 16;
    private static final int CHUNKS = 64;
    private static final List<String> CONFIG_FIELDS = List.of(
        "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "vocab_size", "rms_norm_eps", "rope_theta", "tie_word_embeddings"
    );

    public ModelFingerprint {
        if (id == null || !id.matches("sha256:[0-9a-f]{64}")) throw new IllegalArgumentException("a model fingerprint is sha256:<64 hex digits>, was " + id);
    }

    /** The first 12 hex digits, for file names and logs. */
    public String shortId() {
        return id.substring("sha256:".length(), "sha256:".length() + 12);
    }

    /** The fingerprint of a single-file model (GGUF). */
    public static ModelFingerprint ofFile(Path file) {
        MessageDigest digest = sha256();
        update(digest, "gguf;");
        sample(digest, file);
        return new ModelFingerprint("sha256:" + HexFormat.of().formatHex(digest.digest()));
    }

    /** The fingerprint of a Hugging Face folder (or of the GGUF file a converted folder came from). */
    public static ModelFingerprint of(ModelFolder folder) {
        Path source = folder.path().resolve(SOURCE_FILE);
        try {
            if (Files.isRegularFile(source)) {
                return new ModelFingerprint(new ObjectMapper().readTree(source.toFile()).path("fingerprint").asText());
            }
            JsonNode config = new ObjectMapper().readTree(folder.path().resolve(ModelFolder.CONFIG).toFile());
            MessageDigest digest = sha256();
            update(digest, "hf;");
            for (String field : CONFIG_FIELDS) update(digest, field + "=" + config.path(field).asText("") + ";");
            for (Path file : folder.weightFiles()) sample(digest, file);
            return new ModelFingerprint("sha256:" + HexFormat.of().formatHex(digest.digest()));
        } catch (IOException e) {
            throw new ModelLoadException("Cannot fingerprint " + folder.path() + ": " + e.getMessage(), e);
        }
    }

    private static void sample(MessageDigest digest, Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            update(digest, "size=" + size + ";");
            read(digest, channel, 0, (int) Math.min(EDGE, size));
            if (size > 2L * EDGE) {
                long span = size - 2L * EDGE - CHUNK;
                for (int i = 0; i < CHUNKS && span > 0; i++) read(digest, channel, EDGE + span * i / (CHUNKS - 1), CHUNK);
                read(digest, channel, size - EDGE, EDGE);
            } else if (size > EDGE) {
                read(digest, channel, EDGE, (int) (size - EDGE));
            }
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + " to fingerprint it: " + e.getMessage(), e);
        }
    }

    private static void read(MessageDigest digest, FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position());
            if (n < 0) break;
        }
        buffer.flip();
        digest.update(buffer);
    }

    private static void update(MessageDigest digest, String text) {
        digest.update(text.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
