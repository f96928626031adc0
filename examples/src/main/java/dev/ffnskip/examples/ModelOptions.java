package dev.ffnskip.examples;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.load.LoadOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Model selection options shared by the example commands. */
public final class ModelOptions {
    /** The reference model (SmolLM2-135M-Instruct as its Q4_1 GGUF file), relative to the repository root. */
    public static final Path DEFAULT_MODEL = Path.of("..", "shared", "models", "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf");

    /** Weight and activation precision. */
    public enum Precision {
        /** Weights as stored (a GGUF file's dequantized exactly to float32), float32 activations: the most exact setup. */
        f32,
        /** Weights as stored, Jlama's default activation quantization (I8 requested; BF16 for BF16 weights). */
        stored,
        /** Weights pre-quantized to Jlama Q4 (cached), I8 activations where the model's sizes allow. */
        q4
    }

    @Option(names = "--model", paramLabel = "PATH", description = "A .gguf file, a folder holding one, or a Hugging Face folder (default: ${DEFAULT-VALUE}).")
    public Path model = DEFAULT_MODEL;

    @Option(names = "--precision", description = "f32, stored or q4 (default: ${DEFAULT-VALUE}; q4 re-quantizes to Jlama's Q4, which loses quality on GGUF Q4_1 files).")
    public Precision precision = Precision.f32;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where pre-quantized copies are kept (default: ~/.cache/ffn-skip).")
    public Path cacheDir = LoadOptions.defaultCacheDirectory();

    @Option(names = "--threads", description = "Jlama worker threads (default: one per physical core).")
    public Integer threads;

    @Option(names = "--quantized-head",
        description = "Run the output head on the I8-quantized hidden state (faster for large Q4 models; logits then differ slightly from stock Jlama's).")
    public boolean quantizedHead;

    public LoadOptions loadOptions() {
        return LoadOptions.builder()
            .workingQuantizationType(precision == Precision.f32 ? DType.F32 : DType.I8)
            .quantizeToQ4(precision == Precision.q4)
            .cacheDirectory(cacheDir)
            .threadCount(threads)
            .quantizeHeadInput(quantizedHead)
            .build();
    }
}
