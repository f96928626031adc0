package dev.ffnskip.eval;

import dev.ffnskip.eval.calibrate.CalibrateCommand;
import dev.ffnskip.eval.cli.QualityCommand;
import dev.ffnskip.eval.cli.SuiteCommand;
import dev.ffnskip.eval.report.ReportCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level command; each task is a subcommand (add one by adding its class to {@code subcommands}). */
@Command(
    name = "ffn-skip-eval",
    mixinStandardHelpOptions = true,
    version = "ffn-skip-eval 0.1.0",
    description = "Quality, agreement and speed of FFN skipping in Jlama: dense vs the skip gate vs random FFN skip vs layer drop.",
    subcommands = {
        QualityCommand.class,
        SuiteCommand.class,
        CalibrateCommand.class,
        dev.ffnskip.eval.channel.ChannelCalibrateCommand.class,
        dev.ffnskip.eval.study.BlockStudyCommand.class,
        dev.ffnskip.eval.study.HfCompareCommand.class,
        ReportCommand.class,
        dev.ffnskip.eval.bench.BenchCommand.class,
        dev.ffnskip.eval.bench.RealModelBenchCommand.class,
        HelpCommand.class,
    }
)
public final class EvalCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }
}
