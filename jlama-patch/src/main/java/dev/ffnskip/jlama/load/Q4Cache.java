package dev.ffnskip.jlama.load;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
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
 * and modification time. Embeddings and the output head stay unquantized, as in Jlama's published Q4 models. The copy
 * is written to a temporary folder and moved into place atomically, so a crash never leaves a half-written cache.
 */
final class Q4Cache {
    private static final Logger logger = LoggerFactory.getLogger(Q4Cache.class);
    private static final String[] KEEP_UNQUANTIZED = { "model.embed_tokens.weight", "lm_head.weight" };
    private static final List<String> COPIED_EXTRAS = List.of("chat_template.jinja", "generation_config.json", "special_tokens_map.json");

    private Q4Cache() {}

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
