package dev.ffnskip.eval.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.run.Evaluation;
import dev.ffnskip.eval.run.ModelPool;
import dev.ffnskip.eval.run.RunRecord;
import dev.ffnskip.eval.run.Runner;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.jlama.gate.GatePolicy;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** One task under one mode: the scripted interface. */
@Command(name = "quality", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Runs one task under one mode and writes its JSON result (n, realized_skip_ratio, tokens_per_s, task metrics).")
public final class QualityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--task", required = true, paramLabel = "TASK", description = "factoid, context, summarize, perplexity, tools, continuation or chat.")
    String task;

    @Option(names = "--data", paramLabel = "FILE", description = "JSONL data file (default: the task's file under shared/eval).")
    Path data;

    @Mixin
    PolicyOptions policy;

    @Mixin
    ModelOptions model;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--reference", paramLabel = "RUN.json", description = "A dense run of the same items, for agreement (first divergence, identical share).")
    Path reference;

    @Option(names = "--json", paramLabel = "OUT", description = "Result file (per-item outputs go next to it as OUT minus .json plus .items.jsonl.gz).")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the result when --json is not given (default: eval-out).")
    Path out;

    @Override
    public Integer call() {
        Task t = Task.forName(task);
        try (ModelPool pool = model.open()) {
            GatePolicy p = policy.policy(pool.first().defaultPolicy().policy(), pool.layers());
            Evaluation evaluation = new Evaluation(new Runner(pool, model.progress()), t, DataOptions.dataFor(t, data), dataOptions.split(), dataOptions.limit, dataOptions.taskOptions());
            Map<String, int[]> dense = reference != null ? RunRecord.readTokens(reference) : null;
            ObjectNode extra = RunRecord.JSON.createObjectNode();
            extra.put("command", CommandText.of(spec));
            if (policy.targetSkip != null) extra.put("target_skip", policy.targetSkip);
            if (policy.threshold != null) extra.put("threshold", policy.threshold);
            Evaluation.Outcome o = evaluation.run(p, policy.mode().label(), dense, extra);
            Path target = json != null ? json : (out != null ? out : Path.of("eval-out")).resolve(pool.modelName() + "-" + t.name() + "-" + policy.mode().label() + ".json");
            RunRecord.write(o.summary(), o.results(), target);
            spec.commandLine().getOut().println(CommandText.oneLine(o.summary()) + " -> " + target);
        }
        return 0;
    }
}
