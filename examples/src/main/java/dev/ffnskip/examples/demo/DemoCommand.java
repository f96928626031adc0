package dev.ffnskip.examples.demo;

import dev.ffnskip.examples.ModelOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs {@link DropInDemo}, which takes nothing but the model folder (the builder's defaults do the rest). */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "The drop-in demo: AiServices with FfnSkipChatModel in place of JlamaChatModel.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model folder (default: ${DEFAULT-VALUE}).")
    Path model = ModelOptions.DEFAULT_MODEL;

    @Override
    public Integer call() {
        DropInDemo.main(new String[] { model.toString() });
        return 0;
    }
}
