package dev.ffnskip.eval.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.report.Report;
import dev.ffnskip.eval.run.Evaluation;
import dev.ffnskip.eval.run.ModelPool;
import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.eval.run.RunRecord;
import dev.ffnskip.eval.run.Runner;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerwiseSkipPolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Several tasks under several modes on the same items: dense first (the agreement reference), then the shipped default
 * gate, optional extra policies and a paper-gate threshold sweep, each optionally followed by random FFN skip and layer
 * drop matched to its realized skip ratio (same protected layers and warm-up). Writes one JSON per run and a report.
 */
@Command(name = "suite", mixinStandardHelpOptions = true, sortOptions = false,
    footer = "Defaults differ from quality: --split eval and --max-text-tokens 64 unless given.",
    description = "Runs tasks x modes (dense, default gate, policies, paper sweep, matched baselines) and writes JSONs plus a Markdown report with Pareto plots.")
public final class SuiteCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tasks", split = ",", paramLabel = "TASK", defaultValue = "factoid,context,summarize,tools,perplexity",
        description = "Tasks (default: ${DEFAULT-VALUE}).")
    List<String> tasks;

    @Option(names = "--no-default", description = "Do not run the shipped default gate.")
    boolean noDefault;

    @Option(names = "--policy", paramLabel = "NAME=FILE", description = "Extra policy JSONs to run, each as its own curve.")
    Map<String, Path> policies = new LinkedHashMap<>();

    @Option(names = "--paper-thresholds", split = ",", paramLabel = "T", description = "Paper gate (protect 2+2, warm-up 2) at these thresholds.")
    List<Double> paperThresholds = new ArrayList<>();

    @Option(names = "--paper-warmup", paramLabel = "N", defaultValue = "2", description = "Warm-up of the paper sweep (default: ${DEFAULT-VALUE}).")
    int paperWarmup;

    @Option(names = "--match", split = ",", paramLabel = "MODE", description = "Baselines to run at each gate run's realized ratio: random, layerdrop.")
    List<String> match = new ArrayList<>();

    @Option(names = "--match-curves", split = ",", paramLabel = "NAME",
        description = "Only match baselines to these runs (default, a --policy NAME, or paper@T); default: every gate run.")
    List<String> matchCurves;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder with the task files (default: shared/eval).")
    Path dataDir;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder for run JSONs and report.md.")
    Path out;

    @Option(names = "--title", paramLabel = "TEXT", description = "Report title.")
    String title;

    @Mixin
    ModelOptions model;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() {
        // suite defaults differ from quality's: the held-out split, and the first 64 tokens of each perplexity text
        var parsed = spec.commandLine().getParseResult();
        if (!parsed.hasMatchedOption("--split")) dataOptions.useSplit("eval");
        if (!parsed.hasMatchedOption("--max-text-tokens")) dataOptions.useMaxTextTokens(64);
        String command = CommandText.of(spec);
        List<Path> written = new ArrayList<>();
        try (ModelPool pool = model.open()) {
            Runner runner = new Runner(pool, model.progress());
            int layers = pool.layers();
            for (String name : tasks) {
                Task task = Task.forName(name);
                Path data = dataDir != null ? dataDir.resolve(task.defaultDataFile()) : DataOptions.dataFor(task, null);
                Evaluation ev = new Evaluation(runner, task, data, dataOptions.split(), dataOptions.limit, dataOptions.taskOptions());
                Path dir = out.resolve(pool.modelName()).resolve(task.name());
                Map<String, GatePolicy> gates = new LinkedHashMap<>();
                gates.put("dense", GatePolicy.DENSE);
                if (!noDefault) gates.put("default", pool.first().defaultPolicy().policy());
                policies.forEach((n, f) -> gates.put(n, dev.ffnskip.eval.run.BaselinePolicies.read(f)));
                for (double t : paperThresholds) gates.put(String.format(Locale.ROOT, "paper@%.4f", t), Policies.paper(t).toBuilder().warmupTokens(paperWarmup).build());

                // Pass 1: dense and every gate, sharing each item's prefill; dense is the agreement reference.
                List<String> keys = new ArrayList<>(gates.keySet());
                List<ObjectNode> extras = new ArrayList<>();
                List<String> modes = new ArrayList<>();
                for (String k : keys) {
                    String curve = k.startsWith("paper@") ? "paper" : k;
                    extras.add(extra(command, curve, k));
                    modes.add(k.equals("dense") ? "dense" : "skip");
                }
                List<Evaluation.Outcome> outcomes = ev.runMany(new ArrayList<>(gates.values()), modes, null, extras);
                Map<String, int[]> ref = outcomes.get(0).tokens();
                for (int i = 0; i < keys.size(); i++) written.add(save(outcomes.get(i), dir.resolve(fileName(keys.get(i)) + ".json")));

                // Pass 2: the baselines matched to each gate run's realized ratio.
                List<GatePolicy> baselines = new ArrayList<>();
                List<String> baselineNames = new ArrayList<>();
                List<String> baselineModes = new ArrayList<>();
                List<ObjectNode> baselineExtras = new ArrayList<>();
                for (int i = 1; i < keys.size(); i++) {
                    if (matchCurves != null && !matchCurves.contains(keys.get(i))) continue;
                    for (String m : match) {
                        GatePolicy b = matched(m, outcomes.get(i), gates.get(keys.get(i)), layers);
                        if (b == null) continue;
                        ObjectNode x = extra(command, Policies.Mode.parse(m).label(), keys.get(i));
                        x.put("matched_to", keys.get(i));
                        x.put("target_skip", outcomes.get(i).skipRatio());
                        baselines.add(b);
                        baselineNames.add(Policies.Mode.parse(m).label() + "-" + fileName(keys.get(i)));
                        baselineModes.add(Policies.Mode.parse(m).label());
                        baselineExtras.add(x);
                    }
                }
                if (!baselines.isEmpty()) {
                    List<Evaluation.Outcome> b = ev.runMany(baselines, baselineModes, ref, baselineExtras);
                    for (int i = 0; i < b.size(); i++) written.add(save(b.get(i), dir.resolve(baselineNames.get(i) + ".json")));
                }
            }
        }
        Report.write(List.of(out), out.resolve("report.md"), title != null ? title : "ffn-skip eval suite", command);
        spec.commandLine().getOut().println("report: " + out.resolve("report.md"));
        return 0;
    }

    private static String fileName(String key) {
        return key.replace("@", "-").replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private Path save(Evaluation.Outcome o, Path file) {
        RunRecord.write(o.summary(), o.results(), file);
        spec.commandLine().getOut().println(CommandText.oneLine(o.summary()) + " -> " + file);
        return file;
    }

    private static ObjectNode extra(String command, String curve, String label) {
        ObjectNode x = RunRecord.JSON.createObjectNode();
        x.put("command", command);
        x.put("curve", curve);
        if (label != null) x.put("label", label);
        return x;
    }

    /**
     * The baseline matched to a gate run: the same share of FFN blocks over the gated decode steps (so the same realized
     * ratio up to length changes), the same warm-up and the same protected first/last layers.
     */
    static GatePolicy matched(String mode, Evaluation.Outcome gateRun, GatePolicy gate, int layers) {
        ObjectNode c = (ObjectNode) gateRun.summary().get("counters");
        long gated = c.path("gated_steps").asLong();
        if (gated == 0) return null;
        double ratio = c.path("ffn_skipped").asDouble() / ((double) gated * layers);
        int pf, pl, warmup = gate.denseWarmupSteps();
        if (gate instanceof PaperGatePolicy p) {
            pf = p.protectFirst();
            pl = p.protectLast();
        } else if (gate instanceof LayerwiseSkipPolicy p && !p.skipLayers().isEmpty()) {
            pf = p.skipLayers().stream().mapToInt(Integer::intValue).min().getAsInt();
            pl = layers - 1 - p.skipLayers().stream().mapToInt(Integer::intValue).max().getAsInt();
        } else {
            pf = PaperGatePolicy.DEFAULT_PROTECT_FIRST;
            pl = PaperGatePolicy.DEFAULT_PROTECT_LAST;
        }
        ratio = Math.min(ratio, (double) (layers - pf - pl) / layers);
        return switch (Policies.Mode.parse(mode)) {
            case RANDOM -> Policies.random(ratio, layers, pf, pl, warmup, 42);
            case LAYERDROP -> Policies.layerDrop(ratio, pf, pl, warmup);
            default -> throw new IllegalArgumentException("--match takes random and layerdrop, not " + mode);
        };
    }
}
