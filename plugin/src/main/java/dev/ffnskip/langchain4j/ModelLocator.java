package dev.ffnskip.langchain4j;

import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import dev.ffnskip.jlama.load.ModelLoadException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the local folder of a Hugging Face model id the way {@code JlamaChatModel} does ({@code <cache>/<owner>_<name>},
 * owner {@code na} when the id has none), without touching the network when the folder is there. Only an id that is
 * not in the cache is downloaded, with Jlama's {@link SafeTensorSupport#maybeDownloadModel}, and only when downloads are
 * allowed.
 */
final class ModelLocator {
    private static final Logger logger = LoggerFactory.getLogger(ModelLocator.class);

    /** Jlama's default model cache, the same as {@code JlamaChatModel}'s. */
    static Path defaultModelCachePath() {
        return Path.of(System.getProperty("user.home", ""), ".jlama", "models");
    }

    private ModelLocator() {}

    static Path locate(String modelName, Path modelCachePath, String authToken, boolean allowDownload) {
        if (modelName == null || modelName.isBlank()) throw new IllegalArgumentException("modelName must not be blank");
        String[] parts = modelName.strip().split("/", -1);
        if (parts.length > 2 || parts[0].isBlank() || parts[parts.length - 1].isBlank()) {
            throw new IllegalArgumentException("modelName must be a Hugging Face id 'owner/name' (or 'name'), was '" + modelName + "'");
        }
        String owner = parts.length == 2 ? parts[0] : null;
        String name = parts[parts.length - 1];
        Path cache = modelCachePath != null ? modelCachePath : defaultModelCachePath();
        Path local = SafeTensorSupport.constructLocalModelPath(cache.toString(), owner == null ? "na" : owner, name);
        if (Files.isRegularFile(local.resolve("config.json"))) {
            logger.debug("Model {} found in the model cache at {}", modelName, local);
            return local;
        }
        if (!allowDownload) {
            throw new ModelLoadException(
                "Model '" + modelName + "' is not in the model cache (no config.json in " + local.toAbsolutePath()
                    + ") and downloads are disabled (allowDownload(false)); download it there or use modelPath(Path)"
            );
        }
        logger.info("Model {} is not cached in {}; downloading it from Hugging Face", modelName, cache);
        try {
            Files.createDirectories(cache);
            File dir = SafeTensorSupport.maybeDownloadModel(
                cache.toString(),
                Optional.ofNullable(owner),
                name,
                true,
                Optional.empty(),
                Optional.ofNullable(authToken),
                Optional.empty()
            );
            return dir.toPath();
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(
                "Model '" + modelName + "' is not in the model cache (" + local.toAbsolutePath() + ") and downloading it failed: " + e.getMessage(),
                e
            );
        }
    }
}
