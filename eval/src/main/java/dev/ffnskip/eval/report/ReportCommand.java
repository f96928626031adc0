package dev.ffnskip.eval.report;

import dev.ffnskip.eval.cli.CommandText;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Markdown tables and Pareto PNGs from run JSONs. */
@Command(name = "report", mixinStandardHelpOptions = true, description = "Writes a Markdown report with tables and Pareto plots from run JSON files.")
public final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", arity = "1..*", description = "Folders searched (recursively) for run JSONs.")
    List<Path> dirs;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "The Markdown file; PNGs go beside it.")
    Path out;

    @Option(names = "--title", paramLabel = "TEXT", defaultValue = "ffn-skip eval report")
    String title;

    @Override
    public Integer call() {
        Report.write(dirs, out, title, CommandText.of(spec));
        spec.commandLine().getOut().println("report: " + out);
        return 0;
    }
}
