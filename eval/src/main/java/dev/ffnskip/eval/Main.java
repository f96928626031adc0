package dev.ffnskip.eval;

import picocli.CommandLine;

/** {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar ffn-skip-eval.jar ...} */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.err.println("Jlama needs the Vector API: run with java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar ffn-skip-eval.jar ...");
            System.exit(2);
        }
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new EvalCommand());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof java.io.UncheckedIOException) {
                commandLine.getErr().println("error: " + e.getMessage());
                if (Boolean.getBoolean("ffnskip.eval.stacktrace")) e.printStackTrace(commandLine.getErr());
                return 2;
            }
            throw e;
        });
        return cl;
    }
}
