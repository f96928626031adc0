package dev.ffnskip.examples.extract;

import dev.ffnskip.examples.ModelOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs {@link ExtractionDemo}: AiServices extracting a record through JSON-schema-constrained decoding. */
@Command(name = "extract", mixinStandardHelpOptions = true, description = "Structured output: AiServices returns a record (JSON-schema-constrained decoding).")
public final class ExtractCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "PATH", description = "A .gguf file or model folder (default: ${DEFAULT-VALUE}).")
    Path model = ModelOptions.DEFAULT_MODEL;

    @Parameters(arity = "0..1", paramLabel = "TEXT", description = "The text to extract a person from.")
    String text = "Ada Lovelace, 36, was an English mathematician and writer.";

    @Override
    public Integer call() {
        ExtractionDemo.main(new String[] { model.toString(), text });
        return 0;
    }
}
