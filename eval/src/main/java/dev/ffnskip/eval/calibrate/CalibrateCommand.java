package dev.ffnskip.eval.calibrate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.cli.CommandText;
import dev.ffnskip.eval.cli.DataOptions;
import dev.ffnskip.eval.cli.ModelOptions;
import dev.ffnskip.eval.run.Evaluation;
import dev.ffnskip.eval.run.ModelPool;
import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.eval.run.RunRecord;
import dev.ffnskip.eval.run.Runner;
import dev.ffnskip.eval.run.Splits;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.jlama.gate.FixedLayerSkip;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerwiseSkipPolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Fits a gate policy on the calibration split only.
 *
 * <p>Without a criterion ({@code --target-skip}, {@code --max-em-loss}, {@code --min-agreement}) it calibrates under a
 * quality budget on the chat and perplexity tasks, verifies the choice on the evaluation split and stores it as a
 * {@link dev.ffnskip.jlama.gate.Calibration} only if it holds there ({@link BudgetCalibration}). With a criterion:
 *
 * <p>Layerwise family (default): (1) a dense pass records every layer's cos(h_mid, h_out) at every decode step, and
 * one extra decode per layer skips only that layer's FFN at every step, which measures how often each layer's FFN
 * changes the greedy output; (2) the layers are ranked from least to most sensitive; (3) candidates skip the k least
 * sensitive layers, either always (fixed) or once a token saturates, where a layer saturates a token when its cosine
 * reaches its own q-quantile of the dense cosines (per-layer normalised thresholds), each with warm-up w; (4) all
 * candidates decode every calibration item after one shared prefill, and the one that meets the criterion with the
 * most realized skip (or, with a target, reaches it with the least loss) is written as policy JSON. The paper family
 * searches the single threshold and warm-up of {@link PaperGatePolicy} (protect 2+2) the same way.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Chooses a gate policy on the calibration split.",
        "Default: under a quality budget (perplexity within +5%% of dense and mean chat ROUGE-L vs dense >= 0.75), the most skip among the paper rule "
            + "over thresholds and the layerwise family, verified on the evaluation split and stored as the model's calibration only if it holds there.",
        "With --target-skip, --max-em-loss or --min-agreement: the exact-match calibration on --tasks, writing policy.json."
    })
public final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static final class Criterion {
        @Option(names = "--target-skip", paramLabel = "S", description = "Reach realized FFN skip >= S (mean over tasks) with the least EM loss.")
        Double targetSkip;

        @Option(names = "--max-em-loss", paramLabel = "POINTS", description = "Most skip with EM loss <= POINTS on every task.")
        Double maxEmLoss;

        @Option(names = "--min-agreement", paramLabel = "A", description = "Most skip with identical-to-dense share >= A on every task.")
        Double minAgreement;
    }

    /** Without one of these criteria, calibrate runs under the quality budget ({@link BudgetCalibration}). */
    @ArgGroup(exclusive = false, multiplicity = "0..1")
    Criterion criterion;

    @Option(names = "--max-ppl-increase", paramLabel = "F", defaultValue = "0.05",
        description = "budget: perplexity at most this fraction above dense (default: ${DEFAULT-VALUE} = +5%%).")
    double maxPplIncrease;

    @Option(names = "--min-rouge-l", paramLabel = "R", defaultValue = "0.75",
        description = "budget: mean ROUGE-L F1 of the chat answers vs the dense answers at least R (default: ${DEFAULT-VALUE}).")
    double minRougeL;

    @Option(names = "--min-skip", paramLabel = "S", defaultValue = "0.01",
        description = "budget: a candidate must also skip at least this share of FFN blocks (default: ${DEFAULT-VALUE}).")
    double minSkip;

    @Option(names = "--chat-limit", paramLabel = "N", defaultValue = "24", description = "budget: chat prompts per split (default: ${DEFAULT-VALUE}).")
    int chatLimit;

    @Option(names = "--ppl-limit", paramLabel = "N", defaultValue = "12", description = "budget: perplexity texts per split (default: ${DEFAULT-VALUE}).")
    int pplLimit;

    @Option(names = "--policies-dir", paramLabel = "DIR",
        description = "budget: where the calibration is stored (default: CalibrationRegistry.userDirectory(): -Dffnskip.policies.dir, FFNSKIP_POLICIES_DIR or ~/.cache/ffn-skip/policies).")
    Path policiesDir;

    @Option(names = "--no-store", description = "budget: measure and verify, but store nothing.")
    boolean noStore;

    @Option(names = "--tasks", split = ",", paramLabel = "TASK", defaultValue = "factoid,context", description = "Calibration tasks (default: ${DEFAULT-VALUE}).")
    List<String> tasks;

    @Option(names = "--family", paramLabel = "F", split = ",",
        description = "layerwise or paper (single threshold); default layerwise, under the budget paper,layerwise.")
    List<String> families;

    String family;

    @Option(names = "--warmups", split = ",", paramLabel = "W", defaultValue = "0,1,2", description = "Warm-ups tried (default: ${DEFAULT-VALUE}).")
    List<Integer> warmups;

    @Option(names = "--quantiles", split = ",", paramLabel = "Q", defaultValue = "0.5,0.75,0.9",
        description = "layerwise: per-layer cosine quantiles tried as saturation thresholds (default: ${DEFAULT-VALUE}).")
    List<Double> quantiles;

    @Option(names = "--local-quantiles", split = ",", paramLabel = "Q",
        description = "layerwise: quantiles tried with the non-sticky (local) trigger (default: none).")
    List<Double> localQuantiles = new ArrayList<>();

    @Option(names = "--no-fixed", description = "layerwise: do not try fixed (always-skip) candidates.")
    boolean noFixed;

    @Option(names = "--layer-counts", split = ",", paramLabel = "K", defaultValue = "1,2,3,4,6,8",
        description = "layerwise: numbers of least-sensitive layers tried as the skip set (default: ${DEFAULT-VALUE}).")
    List<Integer> layerCounts;

    @Option(names = "--thresholds", split = ",", paramLabel = "T", defaultValue = "0.95,0.96,0.97,0.975,0.98,0.985,0.99",
        description = "paper: thresholds tried (default: ${DEFAULT-VALUE}).")
    List<Double> thresholds;

    @Option(names = "--ranking", split = ",", paramLabel = "L",
        description = "layerwise: layers from least to most sensitive, from an earlier calibration.json (skips the per-layer sensitivity decodes).")
    List<Integer> givenRanking;

    @Option(names = "--candidates", split = ",", paramLabel = "CALIBRATION.json",
        description = "Choose among the candidates measured by earlier calibrate runs (their calibration.json) instead of decoding again.")
    List<Path> storedCandidates;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Writes policy.json, calibration.json and calibration.md here.")
    Path out;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder with the task files (default: shared/eval).")
    Path dataDir;

    @Mixin
    ModelOptions model;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() {
        if (spec.commandLine().getParseResult().hasMatchedOption("--split") && dataOptions.split() != Splits.Split.CALIB) {
            throw new IllegalArgumentException("calibrate only uses the calibration split (--split calib)");
        }
        String command = CommandText.of(spec);
        PrintWriter log = spec.commandLine().getOut();
        if (criterion == null) {
            if (storedCandidates != null) throw new IllegalArgumentException("--candidates needs --target-skip, --max-em-loss or --min-agreement");
            return budgeted(command, log);
        }
        for (String o : List.of("--max-ppl-increase", "--min-rouge-l", "--min-skip", "--chat-limit", "--ppl-limit", "--policies-dir", "--no-store")) {
            if (matched(o)) throw new IllegalArgumentException(o + " belongs to the budgeted calibration; it cannot be combined with --target-skip, --max-em-loss or --min-agreement");
        }
        family = families == null ? "layerwise" : String.join(",", families);
        if (storedCandidates != null) return chooseStored(command, log);
        try (ModelPool pool = model.open()) {
            Runner runner = new Runner(pool, model.progress());
            int layers = pool.layers();
            Map<String, Evaluation> evals = new LinkedHashMap<>();
            for (String t : tasks) {
                Task task = Task.forName(t);
                Path data = dataDir != null ? dataDir.resolve(task.defaultDataFile()) : DataOptions.dataFor(task, null);
                evals.put(task.name(), new Evaluation(runner, task, data, Splits.Split.CALIB, dataOptions.limit(), dataOptions.taskOptions()));
            }

            // Pass 1: dense with signal statistics, plus one single-layer FFN skip per layer (sensitivity).
            SignalStats stats = new SignalStats(layers, 4096);
            List<GatePolicy> pass1 = new ArrayList<>();
            pass1.add(stats);
            boolean layerwise = family.equals("layerwise");
            if (!layerwise && !family.equals("paper")) throw new IllegalArgumentException("--family must be layerwise or paper");
            boolean sensitivity = layerwise && givenRanking == null;
            if (sensitivity) for (int l = 0; l < layers; l++) pass1.add(new FixedLayerSkip(Set.of(l), 0));
            Map<String, Double> denseEm = new LinkedHashMap<>();
            Map<String, Map<String, int[]>> denseTokens = new LinkedHashMap<>();
            double[] changed = new double[layers];
            double[] lossPerLayer = new double[layers];
            for (var e : evals.entrySet()) {
                List<Evaluation.Outcome> o = e.getValue().runMany(pass1, names("pass1", pass1.size()), null, extras(pass1.size()));
                denseEm.put(e.getKey(), o.get(0).metric("exact_match"));
                denseTokens.put(e.getKey(), o.get(0).tokens());
                for (int l = 0; sensitivity && l < layers; l++) {
                    changed[l] += (1 - o.get(l + 1).summary().path("agreement").path("identical_fraction").asDouble()) / evals.size();
                    lossPerLayer[l] += (o.get(0).metric("exact_match") - o.get(l + 1).metric("exact_match")) * 100 / evals.size();
                }
            }
            log.println("dense exact match on the calibration items: " + denseEm);

            // Candidates.
            List<String> candidateNames = new ArrayList<>();
            List<GatePolicy> candidates = new ArrayList<>();
            List<Integer> ranking = new ArrayList<>();
            if (layerwise) {
                if (givenRanking != null) {
                    ranking.addAll(givenRanking);
                } else {
                    for (int l = 1; l < layers - 1; l++) ranking.add(l); // the first and last layer always compute
                    ranking.sort(Comparator.comparingDouble((Integer l) -> changed[l]).thenComparingDouble(l -> -stats.meanCosine(l)));
                }
                log.println("layers from least to most sensitive: " + ranking);
                // Per-layer thresholds at each quantile of the dense cosines (the last layer never saturates a token).
                Map<Double, List<Double>> thresholdsAt = new HashMap<>();
                for (List<Double> qs : List.of(quantiles, localQuantiles)) {
                    for (double q : qs) {
                        thresholdsAt.computeIfAbsent(q, key -> {
                            List<Double> t = new ArrayList<>();
                            for (int l = 0; l < layers; l++) {
                                t.add(l == layers - 1 ? Double.POSITIVE_INFINITY : Math.min(1.0, Math.max(1e-6, stats.cosineQuantile(l, key))));
                            }
                            return t;
                        });
                    }
                }
                for (int w : warmups) {
                    for (int k : layerCounts) {
                        if (k > ranking.size()) continue;
                        Set<Integer> skip = new TreeSet<>(ranking.subList(0, k));
                        if (!noFixed) {
                            candidates.add(new FixedLayerSkip(skip, w));
                            candidateNames.add(String.format(Locale.ROOT, "fixed k=%d w=%d", k, w));
                        }
                        for (double q : quantiles) {
                            candidates.add(new LayerwiseSkipPolicy(layers, thresholdsAt.get(q), skip, w, k));
                            candidateNames.add(String.format(Locale.ROOT, "layerwise k=%d q=%.2f w=%d", k, q, w));
                        }
                        for (double q : localQuantiles) {
                            candidates.add(new LayerwiseSkipPolicy(layers, thresholdsAt.get(q), skip, w, k, false));
                            candidateNames.add(String.format(Locale.ROOT, "local k=%d q=%.2f w=%d", k, q, w));
                        }
                    }
                }
            } else {
                for (int w : warmups) {
                    for (double t : thresholds) {
                        candidates.add(Policies.paper(t).toBuilder().warmupTokens(w).build());
                        candidateNames.add(String.format(Locale.ROOT, "paper t=%.3f w=%d", t, w));
                    }
                }
            }

            // Pass 2: every candidate on every calibration item.
            Map<String, Map<String, Evaluation.Outcome>> byCandidate = new LinkedHashMap<>();
            for (var e : evals.entrySet()) {
                List<Evaluation.Outcome> o = e.getValue().runMany(candidates, names("candidate", candidates.size()), denseTokens.get(e.getKey()), extras(candidates.size()));
                for (int i = 0; i < candidates.size(); i++) byCandidate.computeIfAbsent(candidateNames.get(i), k -> new LinkedHashMap<>()).put(e.getKey(), o.get(i));
            }
            List<CandidateEval> evaluated = new ArrayList<>();
            for (int i = 0; i < candidates.size(); i++) evaluated.add(CandidateEval.of(candidateNames.get(i), candidates.get(i), byCandidate.get(candidateNames.get(i)), denseEm));
            for (CandidateEval c : evaluated) log.println(c.line());

            CandidateEval chosen = choose(evaluated);
            log.println("chosen: " + chosen.line());
            write(command, pool, stats, changed, lossPerLayer, ranking, denseEm, evaluated, chosen);
        }
        return 0;
    }

    private boolean matched(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /**
     * Calibration under the quality budget: the paper rule over thresholds and the layerwise family on the chat and
     * perplexity calibration items, the most skip within the budget, verified on the evaluation split, stored only if
     * it holds there too.
     */
    private int budgeted(String command, PrintWriter log) {
        if (matched("--limit")) throw new IllegalArgumentException("the budgeted calibration takes --chat-limit and --ppl-limit, not --limit");
        if (matched("--tasks") || matched("--no-fixed") || matched("--candidates")) {
            throw new IllegalArgumentException("--tasks, --no-fixed and --candidates need --target-skip, --max-em-loss or --min-agreement");
        }
        if (!(maxPplIncrease >= 0) || !(minRougeL >= 0) || !(minSkip >= 0)) throw new IllegalArgumentException("budget values must be >= 0");
        if (!matched("--max-new-tokens")) dataOptions.useMaxNewTokens(48);
        if (!matched("--max-text-tokens")) dataOptions.useMaxTextTokens(160);
        if (!matched("--ppl-context")) dataOptions.usePplContext(16);
        Set<String> fam = new TreeSet<>(families == null ? List.of("paper", "layerwise") : families);
        for (String f : fam) if (!f.equals("paper") && !f.equals("layerwise")) throw new IllegalArgumentException("--family takes paper and layerwise, not " + f);
        List<Double> paperThresholds = !fam.contains("paper") ? List.of() : matched("--thresholds") ? thresholds : List.of(0.99, 0.995, 0.999, 0.9995, 0.9999);
        List<Integer> ws = matched("--warmups") ? warmups : List.of(2);
        List<Integer> ks = !fam.contains("layerwise") ? List.of() : matched("--layer-counts") ? layerCounts : List.of(2, 4, 8);
        List<Double> qs = matched("--quantiles") ? quantiles : List.of(0.5, 0.9);
        Task chat = Task.forName("chat");
        Task ppl = Task.forName("perplexity");
        Path chatData = dataDir != null ? dataDir.resolve(chat.defaultDataFile()) : DataOptions.dataFor(chat, null);
        Path pplData = dataDir != null ? dataDir.resolve(ppl.defaultDataFile()) : DataOptions.dataFor(ppl, null);
        var options = dataOptions.taskOptions();
        try (ModelPool pool = model.open()) {
            BudgetCalibration.Settings settings = new BudgetCalibration.Settings(chatData, chatLimit, options, pplData, pplLimit, options, Math.max(2, 2 * pool.size()));
            BudgetCalibration b = new BudgetCalibration(pool, new BudgetCalibration.Budget(maxPplIncrease, minRougeL, minSkip), settings, log);
            b.run(new BudgetCalibration.Family(paperThresholds, ws, ks, qs, fam.contains("layerwise") ? localQuantiles : List.of(), givenRanking), !noStore,
                policiesDir != null ? policiesDir : dev.ffnskip.jlama.gate.CalibrationRegistry.userDirectory(), command, out);
        }
        return 0;
    }

    /** Applies the criterion to candidates measured earlier (on the calibration split) and writes the chosen policy. */
    private int chooseStored(String command, PrintWriter log) {
        List<CandidateEval> evaluated = new ArrayList<>();
        String model = null;
        try {
            for (Path f : storedCandidates) {
                var root = RunRecord.JSON.readTree(f.toFile());
                model = root.path("model").asText();
                for (var c : root.path("candidates")) {
                    List<CandidateEval.TaskScore> scores = new ArrayList<>();
                    for (var t : c.path("tasks")) {
                        scores.add(new CandidateEval.TaskScore(t.path("task").asText(), t.path("n").asInt(), t.path("skip").asDouble(),
                            t.path("exactMatch").asDouble(), t.path("emLossPoints").asDouble(), t.path("identical").asDouble()));
                    }
                    evaluated.add(new CandidateEval(c.path("name").asText(), dev.ffnskip.eval.run.BaselinePolicies.fromJson(c.path("policy")), scores));
                }
            }
            CandidateEval chosen = choose(evaluated);
            log.println("chosen: " + chosen.line());
            writePolicy(command, model, chosen);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }

    CandidateEval choose(List<CandidateEval> evaluated) {
        Criterion c = criterion;
        if (c.targetSkip != null) {
            List<CandidateEval> reach = evaluated.stream().filter(e -> e.skip() >= c.targetSkip).toList();
            if (reach.isEmpty()) return evaluated.stream().max(Comparator.comparingDouble(CandidateEval::skip)).orElseThrow();
            return reach.stream().min(Comparator.comparingDouble(CandidateEval::worstEmLoss)
                .thenComparing(Comparator.comparingDouble(CandidateEval::worstIdentical).reversed())
                .thenComparingDouble(CandidateEval::skip)).orElseThrow();
        }
        List<CandidateEval> ok = evaluated.stream()
            .filter(e -> c.maxEmLoss == null || e.worstEmLoss() <= c.maxEmLoss + 1e-9)
            .filter(e -> c.minAgreement == null || e.worstIdentical() >= c.minAgreement - 1e-9)
            .toList();
        if (ok.isEmpty()) throw new IllegalStateException("no candidate meets the quality floor on the calibration items; try smaller --layer-counts or higher --quantiles");
        return ok.stream().max(Comparator.comparingDouble(CandidateEval::skip)
            .thenComparing(Comparator.comparingDouble(CandidateEval::worstEmLoss).reversed())).orElseThrow();
    }

    /** policy.json: the chosen policy plus a {@code calibration} block (ignored by the reader); checked to load. */
    private void writePolicy(String command, String model, CandidateEval chosen) throws IOException {
        Files.createDirectories(out);
        ObjectNode policy = GatePolicies.toJson(chosen.policy());
        ObjectNode cal = policy.putObject("calibration");
        cal.put("command", command);
        cal.put("model", model);
        cal.put("split", "calib");
        cal.put("candidate", chosen.name());
        if (criterion.targetSkip != null) cal.put("target_skip", criterion.targetSkip);
        if (criterion.maxEmLoss != null) cal.put("max_em_loss_points", criterion.maxEmLoss);
        if (criterion.minAgreement != null) cal.put("min_agreement", criterion.minAgreement);
        cal.put("skip", chosen.skip());
        cal.put("worst_em_loss_points", chosen.worstEmLoss());
        cal.put("worst_identical", chosen.worstIdentical());
        cal.putPOJO("tasks", chosen.tasks());
        Path file = out.resolve("policy.json");
        RunRecord.JSON.writeValue(file.toFile(), policy);
        GatePolicies.read(file);
    }

    private static List<String> names(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(i == 0 && prefix.equals("pass1") ? "dense" : "skip");
        return out;
    }

    private static List<ObjectNode> extras(int n) {
        List<ObjectNode> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(RunRecord.JSON.createObjectNode());
        return out;
    }

    private void write(String command, ModelPool pool, SignalStats stats, double[] changed, double[] loss, List<Integer> ranking,
                       Map<String, Double> denseEm, List<CandidateEval> evaluated, CandidateEval chosen) {
        try {
            writePolicy(command, pool.modelName(), chosen);

            ObjectNode all = RunRecord.JSON.createObjectNode();
            all.put("command", command);
            all.put("model", pool.modelName());
            all.put("family", family);
            all.putPOJO("dense_exact_match", denseEm);
            ArrayNode perLayer = all.putArray("layers");
            for (int l = 0; l < pool.layers(); l++) {
                ObjectNode x = perLayer.addObject();
                x.put("layer", l);
                x.put("samples", stats.samples(l));
                x.put("mean_cosine", stats.meanCosine(l));
                x.put("cosine_p50", stats.cosineQuantile(l, 0.5));
                x.put("cosine_p90", stats.cosineQuantile(l, 0.9));
                x.put("cosine_max", stats.cosineQuantile(l, 1.0));
                x.put("mean_update_norm", stats.meanNorm(l));
                x.put("single_skip_changed_outputs", changed[l]);
                x.put("single_skip_em_loss_points", loss[l]);
            }
            all.putPOJO("ranking", ranking);
            ArrayNode cands = all.putArray("candidates");
            for (CandidateEval c : evaluated) {
                ObjectNode x = cands.addObject();
                x.put("name", c.name());
                x.put("skip", c.skip());
                x.put("worst_em_loss_points", c.worstEmLoss());
                x.put("worst_identical", c.worstIdentical());
                x.putPOJO("tasks", c.tasks());
                x.set("policy", GatePolicies.toJson(c.policy()));
            }
            all.put("chosen", chosen.name());
            RunRecord.JSON.writeValue(out.resolve("calibration.json").toFile(), all);

            StringBuilder md = new StringBuilder("# Calibration (" + pool.modelName() + ", " + family + ")\n\n");
            md.append("Produced by `").append(command).append("` on the calibration split only.\n\n");
            md.append("Dense exact match on the calibration items: ").append(denseEm).append("\n\n");
            md.append("| layer | mean cos | p50 | p90 | max | mean update/residual | single-skip changed outputs | single-skip EM loss (pts) |\n|---|---|---|---|---|---|---|---|\n");
            for (int l = 0; l < pool.layers(); l++) {
                md.append(String.format(Locale.ROOT, "| %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.3f | %+.1f |%n", l, stats.meanCosine(l), stats.cosineQuantile(l, 0.5),
                    stats.cosineQuantile(l, 0.9), stats.cosineQuantile(l, 1.0), stats.meanNorm(l), changed[l], loss[l]));
            }
            md.append("\nLayers from least to most sensitive: ").append(ranking).append("\n\n");
            md.append("| candidate | mean skip | worst EM loss (pts) | worst identical |\n|---|---|---|---|\n");
            for (CandidateEval c : evaluated) {
                md.append(String.format(Locale.ROOT, "| %s%s | %.3f | %+.1f | %.3f |%n", c.name(), c == chosen ? " **(chosen)**" : "", c.skip(), c.worstEmLoss(), c.worstIdentical()));
            }
            Files.writeString(out.resolve("calibration.md"), md);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
