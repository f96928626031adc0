package dev.ffnskip.eval.cli;

import dev.ffnskip.eval.run.ModelPool;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every model-running command shares. */
public final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model folder (default: shared/models/skipbench-28m).")
    Path model;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Model replicas decoding in parallel, one per thread (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "f32", description = "f32 (exact float32 activations, default), stored (Jlama default) or q4.")
    String precision;

    @Option(names = "--no-progress", description = "No progress bar on stderr.")
    boolean noProgress;

    public Path modelDir() {
        return model != null ? model : Shared.model("skipbench-28m");
    }

    public ModelPool open() {
        return new ModelPool(modelDir(), ModelPool.Precision.parse(precision), threads);
    }

    public boolean progress() {
        return !noProgress;
    }
}
