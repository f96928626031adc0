package dev.ffnskip.jlama.load;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.util.JsonSupport;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import dev.ffnskip.jlama.model.GatedLlamaModel;
import dev.ffnskip.jlama.ops.TensorOperationsGuard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads Hugging Face model folders into Jlama without Jlama's closed {@code ModelType} registry and without any
 * network access: the folder is validated first ({@link ModelFolder}), optionally replaced by a pre-quantized Q4 copy,
 * and then built as a {@link GatedLlamaModel}. {@link StockJlama} builds unmodified Jlama from the same prepared
 * folder for A/B comparisons.
 */
public final class ModelLoader {
    private static final Logger logger = LoggerFactory.getLogger(ModelLoader.class);

    private ModelLoader() {}

    /**
     * A validated folder ready for Jlama, plus the Jlama type arguments both loaders use.
     *
     * @param folder the folder Jlama reads (a Q4 copy when quantized)
     * @param source the Hugging Face folder the weights come from (for a GGUF file, its converted copy)
     * @param origin the path the user named: a folder or a {@code .gguf} file
     * @param fingerprint the content fingerprint of the model the user named
     */
    public record Prepared(
        ModelFolder folder,
        ModelFolder source,
        Path origin,
        ModelFingerprint fingerprint,
        DType workingQuantizationType,
        Optional<DType> modelQuantization
    ) {
        /** The model's name as the user named it: the folder name, or the GGUF file name without its extension. */
        public String name() {
            return origin.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        }
    }

    /**
     * Validates {@code dir} (a Hugging Face folder, a {@code .gguf} file, or a folder holding one), converts a GGUF
     * file once into the cache, makes the Q4 copy if asked, and decides Jlama's type arguments.
     */
    public static Prepared prepare(Path dir, LoadOptions options) {
        Path origin = dir == null ? null : dir.toAbsolutePath().normalize();
        Path folderPath = GgufImport.ggufOf(origin).map(gguf -> GgufImport.converted(gguf, options.cacheDirectory())).orElse(origin);
        ModelFolder source = ModelFolder.open(folderPath);
        if (options.workingDirectory() != null && !Files.isDirectory(options.workingDirectory())) {
            throw new ModelLoadException("Working directory does not exist: " + options.workingDirectory());
        }
        ModelFolder folder = source;
        if (options.quantizeToQ4() && !source.weightType().equals("Q4")) {
            if (!folderPath.equals(origin)) {
                // A GGUF file's blocks (Q4_1, K-quants, ...) are not Jlama's Q4 layout: re-quantizing is lossy twice over.
                logger.warn("Re-quantizing {} into Jlama's Q4 (Q4_0-style blocks): a different, less accurate model than the file"
                    + " (docs/results/smollm2-135m-instruct/precision.md); float32, the default for GGUF, computes the file's exact values",
                    origin.getFileName());
            }
            folder = ModelFolder.open(Q4Cache.quantized(source, options.cacheDirectory()));
        }
        // Jlama rounds activations of BF16 models to BF16 unless a model quantization type is given; asking for F32
        // (which leaves BF16 weights as they are) is how float32 activations are obtained.
        Optional<DType> modelQuantization = options.workingQuantizationType() == DType.F32 && folder.weightType().equals("BF16")
            ? Optional.of(DType.F32)
            : Optional.empty();
        return new Prepared(folder, source, origin, ModelFingerprint.of(source), options.workingQuantizationType(), modelQuantization);
    }

    /** Loads the gated model. */
    public static GatedLlamaModel loadGated(Prepared prepared, LoadOptions options) {
        TensorOperationsGuard.ensureCorrect();
        applyThreadCount(options.threadCount());
        Path dir = prepared.folder().path();
        try {
            Config config = JsonSupport.om.readValue(dir.resolve(ModelFolder.CONFIG).toFile(), prepared.folder().architecture().configClass());
            Tokenizer tokenizer = Tokenizers.forFolder(dir);
            WeightLoader weights = SafeTensorSupport.loadWeights(dir.toFile());
            return new GatedLlamaModel(
                AbstractModel.InferenceType.FULL_GENERATION,
                config,
                weights,
                tokenizer,
                DType.F32,
                prepared.workingQuantizationType(),
                prepared.modelQuantization(),
                options.quantizeHeadInput(),
                options.decodeKernels()
            );
        } catch (IOException e) {
            throw new ModelLoadException("Cannot load " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new ModelLoadException("Jlama could not load " + dir + ": " + e, e);
        }
    }

    /** Jlama's worker pool size is fixed once per JVM; later different requests are reported, not fatal. */
    private static void applyThreadCount(Integer threads) {
        if (threads == null) return;
        try {
            PhysicalCoreExecutor.overrideThreadCount(threads);
        } catch (IllegalStateException alreadyStarted) {
            int actual = PhysicalCoreExecutor.instance.get().getCoreCount();
            if (actual != threads) logger.warn("Jlama already runs with {} threads in this JVM; threadCount {} is ignored", actual, threads);
        }
    }
}
