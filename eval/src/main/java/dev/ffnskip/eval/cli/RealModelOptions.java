package dev.ffnskip.eval.cli;

import dev.ffnskip.eval.run.ModelPool;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The model options of the real-model commands (block-study, hf-compare, channel-calibrate): one model, its precision. */
public final class RealModelOptions {
    @Option(names = "--model", paramLabel = "PATH", description = "A .gguf file or model folder (default: the shared SmolLM2 GGUF).")
    Path model;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "f32", description = "f32 (exact float32 activations, default), stored (Jlama default) or q4.")
    String precision;

    /** The model to load: {@code --model}, else the shared SmolLM2-135M-Instruct GGUF file. */
    public Path path() {
        return model != null ? model : Shared.model("smollm2-135m-instruct").resolve("SmolLM2-135M-Instruct.Q4_1.gguf");
    }

    public ModelPool.Precision precision() {
        return ModelPool.Precision.parse(precision);
    }
}
