package dev.ffnskip.examples.demo;

import dev.ffnskip.examples.ModelOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Runs {@link DropInDemo}. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "The drop-in demo: AiServices with FfnSkipChatModel in place of JlamaChatModel.")
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();

    @Override
    public Integer call() {
        DropInDemo.main(new String[] { model.model.toString() });
        return 0;
    }
}
