package dev.ffnskip.jlama;

import java.nio.file.Path;

/**
 * What was loaded and how it runs.
 *
 * @param path the folder Jlama reads (a Q4 cache copy when quantized)
 * @param sourcePath the folder the user named
 * @param weightType decoder weight type (F32, BF16, Q4)
 * @param workingQuantizationType activation type fed to the matmuls after Jlama's fallbacks (I8, BF16, F32)
 * @param contextLength positions a sequence can use (Jlama 0.8.4 loses a few at the end of the configured window)
 * @param tensorOperations the Jlama tensor operations in use
 */
public record ModelInfo(
    Path path,
    Path sourcePath,
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
    /** The folder name, e.g. {@code skipbench-28m}. */
    public String name() {
        return sourcePath.getFileName().toString();
    }
}
