package dev.ffnskip.examples;

import dev.ffnskip.examples.ab.AbCommand;
import dev.ffnskip.examples.agent.AgentCommand;
import dev.ffnskip.examples.demo.DemoCommand;
import dev.ffnskip.examples.extract.ExtractCommand;
import dev.ffnskip.examples.server.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ffn-skip-examples.jar}: one subcommand per example. */
@Command(
    name = "ffn-skip-examples",
    mixinStandardHelpOptions = true,
    version = "ffn-skip examples 0.1.0",
    description = "Runnable ffn-skip examples.",
    subcommands = { AbCommand.class, ServeCommand.class, AgentCommand.class, DemoCommand.class, ExtractCommand.class }
)
public final class Main implements Runnable {

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.err.println("ffn-skip needs the Vector API: run java with --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED");
            System.exit(2);
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; errors are printed as one line without a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
