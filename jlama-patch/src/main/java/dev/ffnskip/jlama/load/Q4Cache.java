package dev.ffnskip.jlama.load;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.TensorInfo;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.util.JsonSupport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pre-quantized Q4 copies of model folders.
 *
 * <p>Jlama 0.8.4 cannot quantize to Q4 at load time when activations are I8 (it throws), so the weights are quantized
 * once with Jlama's own {@link SafeTensorSupport#quantizeModel} into a cache folder keyed by the source files' size
 * and modification time. The input embedding stays unquantized (Jlama copies embedding rows as floats). The output head
 * is quantized like the layers: with tied embeddings Jlama would otherwise read the whole float embedding matrix for
 * every token (for Llama-3.2-1B that is 1 GB per token against 0.6 GB for all Q4 layers), so a Q4 {@code lm_head} is
 * written next to the layers and Jlama uses it instead. The copy is written to a temporary folder and moved into place
 * atomically, so a crash never leaves a half-written cache.
 */
final class Q4Cache {
    private static final Logger logger = LoggerFactory.getLogger(Q4Cache.class);
    private static final String[] KEEP_UNQUANTIZED = { "model.embed_tokens.weight" };
    private static final String HEAD_FILE = "lm_head.safetensors";
    private static final List<String> COPIED_EXTRAS = List.of("chat_template.jinja", "generation_config.json", "special_tokens_map.json");

    private Q4Cache() {}

    /** Bumped whenever the layout of the copies changes, so stale copies are not reused. */
    private static final String FORMAT = "2";

    static Path quantized(ModelFolder source, Path cacheDirectory) {
        Path target = cacheDirectory.resolve(source.path().getFileName() + "-JQ4-" + fingerprint(source));
        if (Files.isRegularFile(target.resolve(ModelFolder.SINGLE_WEIGHTS))) return target;
        try {
            Files.createDirectories(cacheDirectory);
            Path staging = Files.createTempDirectory(cacheDirectory, ".staging-");
            Path output = cacheDirectory.resolve(".tmp-" + UUID.randomUUID());
            try {
                stage(source, staging);
                logger.info("Quantizing {} to Q4 into {}", source.path(), target);
                SafeTensorSupport.quantizeModel(staging, DType.Q4, KEEP_UNQUANTIZED, null, Optional.of(output));
                addQuantizedTiedHead(source, output);
                for (String extra : COPIED_EXTRAS) {
                    Path file = source.path().resolve(extra);
                    if (Files.isRegularFile(file)) Files.copy(file, output.resolve(extra), StandardCopyOption.REPLACE_EXISTING);
                }
                try {
                    Files.move(output, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
                    // Another process finished the same copy first; its copy is equivalent.
                    if (!Files.isRegularFile(target.resolve(ModelFolder.SINGLE_WEIGHTS))) throw raced;
                }
            } finally {
                deleteTree(staging);
                deleteTree(output);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the Q4 copy of " + source.path() + " into " + cacheDirectory + ": " + e.getMessage(), e);
        }
    }

    /**
     * For tied embeddings: writes a Q4 copy of the embedding matrix as {@code lm_head.weight} in its own file and an
     * index that lists both files, so Jlama loads the layers from {@code model.safetensors} and the head from the copy.
     */
    private static void addQuantizedTiedHead(ModelFolder source, Path output) throws IOException {
        if (source.hasOutputHead()) return; // an untied head was quantized with the layers
        Map<String, TensorInfo> headInfo = new LinkedHashMap<>();
        Path data = Files.createTempFile(output, "head", ".bin");
        WeightLoader weights = SafeTensorSupport.loadWeights(source.path().toFile());
        try (AbstractTensor embedding = weights.load("model.embed_tokens.weight");
             Q4ByteBufferTensor head = new Q4ByteBufferTensor(embedding);
             FileChannel out = FileChannel.open(data, StandardOpenOption.WRITE)) {
            headInfo.put(ModelFolder.OUTPUT_HEAD, head.save(out));
            headInfo.put(ModelFolder.OUTPUT_HEAD + ".qb", head.getBlockF().save(out));
        } finally {
            closeWeights(weights); // unmaps the source files
        }
        writeSafetensors(output.resolve(HEAD_FILE), headInfo, data);
        Files.delete(data);

        Map<String, String> weightMap = new TreeMap<>();
        for (String name : SafetensorsHeader.read(output.resolve(ModelFolder.SINGLE_WEIGHTS)).tensors().keySet()) {
            weightMap.put(name, ModelFolder.SINGLE_WEIGHTS);
        }
        for (String name : headInfo.keySet()) weightMap.put(name, HEAD_FILE);
        JsonSupport.om.writeValue(output.resolve(ModelFolder.WEIGHTS_INDEX).toFile(), Map.of("metadata", Map.of(), "weight_map", weightMap));
    }

    private static void closeWeights(WeightLoader weights) throws IOException {
        try {
            weights.close();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("Cannot close the weights: " + e.getMessage(), e);
        }
    }

    /** A safetensors file: little-endian header length, JSON header, then the data written by Jlama's {@code save}. */
    private static void writeSafetensors(Path file, Map<String, TensorInfo> tensors, Path data) throws IOException {
        byte[] header = JsonSupport.om.writeValueAsBytes(tensors);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             FileChannel in = FileChannel.open(data, StandardOpenOption.READ)) {
            out.write(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
            out.write(ByteBuffer.wrap(header));
            long position = 0;
            long size = in.size();
            while (position < size) position += in.transferTo(position, size - position, out);
        }
    }

    /** Jlama's quantizer wants a README.md beside the weights; the source folder may be read-only, so link it into a staging folder. */
    private static void stage(ModelFolder source, Path staging) throws IOException {
        try (Stream<Path> files = Files.list(source.path())) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.createSymbolicLink(staging.resolve(file.getFileName()), file.toAbsolutePath());
            }
        }
        Path readme = staging.resolve("README.md");
        if (!Files.exists(readme)) Files.writeString(readme, "Q4 copy of " + source.path().getFileName() + "\n", StandardCharsets.UTF_8);
    }

    private static String fingerprint(ModelFolder source) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(("format " + FORMAT + ";").getBytes(StandardCharsets.UTF_8));
            for (Path file : Stream.concat(Stream.of(source.path().resolve(ModelFolder.CONFIG)), source.weightFiles().stream()).toList()) {
                digest.update((file.getFileName() + ":" + Files.size(file) + ":" + Files.getLastModifiedTime(file).toMillis() + ";").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 6);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
