package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.load.LoadOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process-wide cache of loaded models that chat models share by default: building several chat models (blocking
 * and streaming, different defaults) for the same folder and load options loads the weights once.
 *
 * <p>A model is keyed by its real folder path and its {@link LoadOptions}. Loading happens at most once per key even
 * when several threads ask at the same time; a failed load is not cached. Models stay loaded until
 * {@link #release} / {@link #releaseAll}, which must only be called when no chat model uses them any more.
 */
public final class FfnSkipModels {
    private record Key(Path folder, LoadOptions options) {}

    private static final Map<Key, CompletableFuture<FfnSkipModel>> MODELS = new ConcurrentHashMap<>();

    private FfnSkipModels() {}

    /** The shared model for {@code folder} loaded with {@code options}, loading it on first use. */
    public static FfnSkipModel shared(Path folder, LoadOptions options) {
        Key key = new Key(canonical(folder), options);
        while (true) {
            CompletableFuture<FfnSkipModel> mine = new CompletableFuture<>();
            CompletableFuture<FfnSkipModel> existing = MODELS.putIfAbsent(key, mine);
            if (existing == null) {
                try {
                    FfnSkipModel model = FfnSkipModel.load(key.folder(), options);
                    mine.complete(model);
                    return model;
                } catch (RuntimeException | Error e) {
                    MODELS.remove(key, mine);
                    mine.completeExceptionally(e);
                    throw e;
                }
            }
            try {
                return existing.join();
            } catch (CompletionException e) {
                // The concurrent load failed and was removed: try (and fail with our own exception) again.
                MODELS.remove(key, existing);
            }
        }
    }

    /** Whether a model for {@code folder} and {@code options} is loaded in the cache. */
    public static boolean isLoaded(Path folder, LoadOptions options) {
        CompletableFuture<FfnSkipModel> f = MODELS.get(new Key(canonical(folder), options));
        return f != null && f.isDone() && !f.isCompletedExceptionally();
    }

    /** Number of loaded models in the cache. */
    public static int size() {
        return (int) MODELS.values().stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
    }

    /** Removes and closes the shared model for {@code folder} and {@code options}; returns whether there was one. */
    public static boolean release(Path folder, LoadOptions options) {
        CompletableFuture<FfnSkipModel> f = MODELS.remove(new Key(canonical(folder), options));
        if (f == null) return false;
        f.thenAccept(FfnSkipModel::close);
        return true;
    }

    /** Removes and closes every shared model. */
    public static void releaseAll() {
        for (Key key : MODELS.keySet()) release(key.folder(), key.options());
    }

    static Path canonical(Path folder) {
        Path absolute = folder.toAbsolutePath().normalize();
        try {
            return Files.exists(absolute) ? absolute.toRealPath() : absolute;
        } catch (IOException e) {
            return absolute;
        }
    }
}
