package dev.ffnskip.jlama;

import dev.ffnskip.jlama.load.ModelFingerprint;
import java.nio.file.Path;

/**
 * What was loaded and how it runs.
 *
 * @param path the folder Jlama reads (a Q4 or GGUF-converted cache copy)
 * @param sourcePath the folder or GGUF file the user named
 * @param name the model's name: the folder name, or the GGUF file name without {@code .gguf}
 * @param fingerprint the content fingerprint of the weights (what calibrated policies are keyed by)
 * @param weightType decoder weight type (F32, BF16, Q4)
 * @param workingQuantizationType activation type fed to the matmuls after Jlama's fallbacks (I8, BF16, F32)
 * @param contextLength positions a sequence can use (Jlama 0.8.4 loses a few at the end of the configured window)
 * @param tensorOperations the Jlama tensor operations in use
 */
public record ModelInfo(
    Path path,
    Path sourcePath,
    String name,
    ModelFingerprint fingerprint,
    String architecture,
    int layers,
    int hiddenSize,
    int intermediateSize,
    int vocabularySize,
    int contextLength,
    String weightType,
    String workingQuantizationType,
    String tensorOperations
) {
    /** Weight and activation types as one key, e.g. {@code F32/F32} or {@code Q4/I8}: what a calibration holds for. */
    public String precision() {
        return weightType + "/" + workingQuantizationType;
    }
}
