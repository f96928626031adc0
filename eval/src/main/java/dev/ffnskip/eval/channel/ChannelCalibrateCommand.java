package dev.ffnskip.eval.channel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.cli.CommandText;
import dev.ffnskip.eval.cli.RealModelOptions;
import dev.ffnskip.eval.cli.Shared;
import dev.ffnskip.eval.run.Splits;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.Calibration;
import dev.ffnskip.jlama.gate.CalibrationRegistry;
import dev.ffnskip.jlama.gate.ChannelCriterion;
import dev.ffnskip.jlama.gate.ChannelSkipPolicy;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.load.LoadOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Calibrates FFN channel skipping ({@link ChannelSkipPolicy}) for one model under a quality budget: magnitudes and
 * per-layer error curves from dense decodes of calibration-split chat prompts, sparsity allocated across layers by
 * measured sensitivity ({@link ChannelAllocation#greedy}), for each channel criterion (magnitude, weighted), then
 * for each target sparsity the budget is checked on the
 * calibration split; the largest target within it is verified on the evaluation split (prompts and passages never
 * used for calibration) and, when it holds there too, stored in the calibration registry keyed by the model's
 * fingerprint and precision. When nothing fits, it says so with the numbers and stores nothing.
 */
@Command(name = "channel-calibrate", mixinStandardHelpOptions = true,
    description = "Calibrate per-token FFN channel skipping under a quality budget and store it by model fingerprint.")
public final class ChannelCalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RealModelOptions real;

    @Option(names = "--targets", split = ",", defaultValue = "0.15,0.2,0.25,0.3,0.35", description = "Target FFN work sparsities (default: ${DEFAULT-VALUE}).")
    List<Double> targets;

    @Option(names = "--allocations", split = ",", defaultValue = "separate",
        description = "How sparsity is spread over layers: separate (greedy over each layer's input and intermediate sparsity), greedy (one sparsity per layer), uniform (the baseline) (default: ${DEFAULT-VALUE}).")
    List<String> allocations;

    @Option(names = "--criteria", split = ",", defaultValue = "magnitude,weighted",
        description = "What thresholds compare: magnitude (TEAL, |x|), weighted (WINA, |x| times the weight column's norm) (default: ${DEFAULT-VALUE}).")
    List<String> criteria;

    @Option(names = "--max-ppl-increase", defaultValue = "0.05", description = "Budget: perplexity at most (1 + this) x dense (default: ${DEFAULT-VALUE}).")
    double maxPplIncrease;

    @Option(names = "--min-rouge-l", defaultValue = "0.75", description = "Budget: mean ROUGE-L against the dense decode at least this (default: ${DEFAULT-VALUE}, llama.cpp's faithfulness to float32 on SmolLM2).")
    double minRougeL;

    @Option(names = "--prompts", defaultValue = "16", description = "Chat prompts per split (default: ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--tokens", defaultValue = "48", description = "New tokens per chat prompt (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--passages", defaultValue = "8", description = "Held-out passages for perplexity per split (default: ${DEFAULT-VALUE}).")
    int passages;

    @Option(names = "--passage-tokens", defaultValue = "128", description = "Tokens per passage; the first 16 are the dense prefill (default: ${DEFAULT-VALUE}).")
    int passageTokens;

    @Option(names = "--warmup", defaultValue = "0", description = "Dense decode steps per answer before channel skipping starts (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--all-on-eval", description = "Also score every target on the evaluation split (for the Pareto curve), not only the chosen one.")
    boolean allOnEval;

    @Option(names = "--kernel-reference",
        description = "Also score, on both splits, the channel-sparse kernel keeping every channel (thresholds at the smallest float): what its weight layout (the file's own Q4_1 blocks, or a Q8 copy of other weights) and float32 summation order alone cost against the dense decode.")
    boolean kernelReference;

    @Option(names = "--no-store", description = "Report only; do not store the chosen calibration.")
    boolean noStore;

    @Option(names = "--policies-dir", paramLabel = "DIR", description = "Where to store the calibration (default: the registry's user directory).")
    Path policiesDir;

    @Option(names = "--json", paramLabel = "OUT", description = "Write every score as JSON.")
    Path json;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path modelPath = real.path();
        LoadOptions options = real.precision().options();
        Path chat = Shared.eval("chat_prompts.jsonl");
        Path heldout = Shared.eval("heldout_text.jsonl");
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode report = mapper.createObjectNode();
        String command = CommandText.of(spec);
        report.put("command", command);
        try (FfnSkipModel m = FfnSkipModel.load(modelPath, options)) {
            out.printf("channel-calibrate %s (%s, %s): budget perplexity <= +%.0f%%, ROUGE-L >= %.2f%n", m.info().name(), m.info().fingerprint().shortId(), m.info().precision(), 100 * maxPplIncrease, minRougeL);
            FaithfulnessProbe calib = new FaithfulnessProbe(m, chat, heldout, Splits.Split.CALIB, prompts, tokens, passages, passageTokens);
            ChannelStatistics stats = ChannelStatistics.collect(m, calib.prompts(), tokens);
            out.printf("calibration split: %d prompts, %d passages, dense perplexity %.3f; %d FFN samples per layer%n", calib.prompts().size(), passages, calib.densePerplexity(), stats.samples(0));
            report.put("model", m.info().name());
            report.put("fingerprint", m.info().fingerprint().id());
            report.put("precision", m.info().precision());
            report.put("dense_perplexity_calib", calib.densePerplexity());
            ArrayNode rows = report.putArray("calibration");
            List<Candidate> candidates = new ArrayList<>();
            List<ChannelCriterion> kinds = criteria.stream().map(ChannelCriterion::of).toList();
            for (ChannelCriterion criterion : kinds) {
                ChannelStatistics cs = stats.withCriterion(m, criterion);
                for (double target : targets) {
                    for (String allocation : allocations) {
                        double[][] split = switch (allocation) {
                            case "separate" -> ChannelAllocation.greedySeparate(m, cs, target, 64);
                            case "greedy" -> { double[] g = ChannelAllocation.greedy(m, cs, target, 64); yield new double[][] { g, g }; }
                            case "uniform" -> { double[] u = ChannelAllocation.uniform(cs.layers, target); yield new double[][] { u, u }; }
                            default -> throw new IllegalArgumentException("unknown allocation '" + allocation + "' (separate, greedy, uniform)");
                        };
                        ChannelSkipPolicy policy = ChannelAllocation.policy(cs, split[0], split[1], target, warmup);
                        FaithfulnessProbe.Score s = calib.score(policy);
                        boolean fits = s.perplexityRatio() <= 1 + maxPplIncrease && s.rougeL() >= minRougeL;
                        out.printf(Locale.ROOT, "  calib  %-9s %-7s target %.2f: FFN work skipped %.3f, perplexity x%.3f, exact %.2f, prefix %.2f, ROUGE-L %.3f, %.1f tok/s %s%n",
                            criterion.id(), allocation, target, s.ffnWorkSkipped(), s.perplexityRatio(), s.exact(), s.matchedPrefix(), s.rougeL(), s.decodeTokensPerSecond(), fits ? "within budget" : "over budget");
                        ObjectNode row = s.toJson().put("target", target).put("criterion", criterion.id()).put("allocation", allocation).put("within_budget", fits);
                        row.set("policy", GatePolicies.toJson(policy)); // so a study can run this candidate on its own items
                        ArrayNode layers = row.putArray("input_sparsity");
                        for (double v : split[0]) layers.add(v);
                        ArrayNode mids = row.putArray("intermediate_sparsity");
                        for (double v : split[1]) mids.add(v);
                        rows.add(row);
                        candidates.add(new Candidate(criterion, allocation, target, policy, s, fits));
                    }
                }
            }
            ChannelSkipPolicy kernelOnly = keepEverything(stats.layers, warmup);
            if (kernelReference) scoreKernelOnly(calib, "calib", kernelOnly, out, report);
            Candidate chosen = candidates.stream().filter(c -> c.fits).max((a, b) -> Double.compare(a.score.ffnWorkSkipped(), b.score.ffnWorkSkipped())).orElse(null);
            FaithfulnessProbe eval = new FaithfulnessProbe(m, chat, heldout, Splits.Split.EVAL, prompts, tokens, passages, passageTokens);
            report.put("dense_perplexity_eval", eval.densePerplexity());
            ArrayNode evalRows = report.putArray("evaluation");
            if (kernelReference) scoreKernelOnly(eval, "eval", kernelOnly, out, report);
            for (Candidate c : candidates) {
                if (!allOnEval && c != chosen) continue;
                FaithfulnessProbe.Score s = eval.score(c.policy);
                boolean fits = s.perplexityRatio() <= 1 + maxPplIncrease && s.rougeL() >= minRougeL;
                out.printf(Locale.ROOT, "  eval   %-9s %-7s target %.2f: FFN work skipped %.3f, perplexity x%.3f, exact %.2f, prefix %.2f, ROUGE-L %.3f, %.1f tok/s %s%n",
                    c.criterion.id(), c.allocation, c.target, s.ffnWorkSkipped(), s.perplexityRatio(), s.exact(), s.matchedPrefix(), s.rougeL(), s.decodeTokensPerSecond(), fits ? "within budget" : "over budget");
                evalRows.add(s.toJson().put("target", c.target).put("criterion", c.criterion.id()).put("allocation", c.allocation).put("within_budget", fits));
                if (c == chosen) c.evalScore = s;
            }
            if (chosen == null) {
                out.println("no channel-skip policy fits the budget on the calibration split; nothing stored (the model runs dense by default)");
                report.put("verdict", "no policy within budget on the calibration split");
            } else if (!(chosen.evalScore.perplexityRatio() <= 1 + maxPplIncrease && chosen.evalScore.rougeL() >= minRougeL)) {
                out.printf(Locale.ROOT, "the best calibration-split policy (%s %s %.2f) misses the budget on the evaluation split; nothing stored%n", chosen.criterion.id(), chosen.allocation, chosen.target);
                report.put("verdict", "chosen policy over budget on the evaluation split");
            } else {
                ObjectNode budget = mapper.createObjectNode().put("max_perplexity_increase", maxPplIncrease).put("min_rouge_l_vs_dense", minRougeL);
                ObjectNode measured = mapper.createObjectNode();
                measured.set("calibration_split", chosen.score.toJson());
                measured.set("evaluation_split", chosen.evalScore.toJson());
                Calibration cal = new Calibration(m.info().name(), m.info().fingerprint(), m.info().precision(), chosen.policy, budget, measured, command);
                report.set("chosen", cal.toJson());
                report.put("verdict", String.format(Locale.ROOT, "%s criterion, %s allocation at target %.2f within budget on both splits", chosen.criterion.id(), chosen.allocation, chosen.target));
                if (!noStore) {
                    Path file = CalibrationRegistry.store(cal, policiesDir != null ? policiesDir : CalibrationRegistry.userDirectory());
                    out.println("stored " + file + " (" + GatePolicies.toJsonString(chosen.policy).length() + " bytes of policy)");
                }
                out.println("verdict: " + report.get("verdict").asText());
            }
        }
        if (json != null) {
            if (json.getParent() != null) Files.createDirectories(json.getParent());
            mapper.writeValue(json.toFile(), report);
            out.println("wrote " + json);
        }
        return 0;
    }

    /** Scores {@code kernelOnly} on one split, prints it and records it as {@code kernel_reference_<split>}. */
    private static void scoreKernelOnly(FaithfulnessProbe probe, String split, ChannelSkipPolicy kernelOnly, PrintStream out, ObjectNode report) {
        FaithfulnessProbe.Score s = probe.score(kernelOnly);
        out.printf(Locale.ROOT, "  %-6s kernel only (every channel kept): FFN work skipped %.3f, perplexity x%.3f, exact %.2f, prefix %.2f, ROUGE-L %.3f%n",
            split, s.ffnWorkSkipped(), s.perplexityRatio(), s.exact(), s.matchedPrefix(), s.rougeL());
        report.set("kernel_reference_" + split, s.toJson());
    }

    /**
     * Thresholds at the smallest positive float: every single-token FFN after the warm-up runs on the channel-sparse
     * kernel (a 0 threshold would run Jlama's dense FFN instead) and drops only exact zeros.
     */
    static ChannelSkipPolicy keepEverything(int layers, int warmup) {
        List<Double> tiny = java.util.Collections.nCopies(layers, (double) Float.MIN_VALUE);
        return new ChannelSkipPolicy(tiny, tiny, warmup, 0.0, java.util.Optional.empty());
    }

    private static final class Candidate {
        final ChannelCriterion criterion;
        final String allocation;
        final double target;
        final ChannelSkipPolicy policy;
        final FaithfulnessProbe.Score score;
        final boolean fits;
        FaithfulnessProbe.Score evalScore;

        Candidate(ChannelCriterion criterion, String allocation, double target, ChannelSkipPolicy policy, FaithfulnessProbe.Score score, boolean fits) {
            this.criterion = criterion;
            this.allocation = allocation;
            this.target = target;
            this.policy = policy;
            this.score = score;
            this.fits = fits;
        }
    }
}
