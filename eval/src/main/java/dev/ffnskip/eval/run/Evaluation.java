package dev.ffnskip.eval.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.task.EvalItem;
import dev.ffnskip.eval.task.ItemResult;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.eval.task.TaskOptions;
import dev.ffnskip.jlama.gate.GatePolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One task on one item selection, run under any number of policies with the same prompts and decoding settings. */
public final class Evaluation {
    private final Runner runner;
    private final Task task;
    private final Path data;
    private final Splits.Split split;
    private final int limit;
    private final TaskOptions options;
    private final List<EvalItem> items;

    public Evaluation(Runner runner, Task task, Path data, Splits.Split split, int limit, TaskOptions options) {
        this.runner = runner;
        this.task = task;
        this.data = data;
        this.split = split;
        this.limit = limit;
        this.options = options;
        this.items = Splits.select(task.load(runner.pool().first(), data, options), split, limit);
        if (items.isEmpty()) throw new IllegalArgumentException("no items selected from " + data + " (split " + split.label() + ", limit " + limit + ")");
    }

    /** The outcome of one run: the JSON summary and the per-item results. */
    public record Outcome(ObjectNode summary, List<ItemResult> results) {
        public double metric(String name) {
            return summary.path(name).asDouble(Double.NaN);
        }

        public double skipRatio() {
            return summary.path("realized_skip_ratio").asDouble();
        }

        public Map<String, int[]> tokens() {
            return RunRecord.tokensOf(results);
        }
    }

    /**
     * Runs {@code policy}; {@code dense} are the dense outputs for agreement (null to omit), {@code extra} is merged
     * into the recorded config (mode, curve, command, ...).
     */
    public Outcome run(GatePolicy policy, String mode, Map<String, int[]> dense, ObjectNode extra) {
        return runMany(List.of(policy), List.of(mode), dense, java.util.Collections.singletonList(extra)).get(0);
    }

    /**
     * Runs several policies over the same items in one pass (each item's prefill shared by all policies). The wall time
     * recorded per run is the pass's wall time divided by the number of policies.
     */
    public List<Outcome> runMany(List<? extends GatePolicy> policies, List<String> modes, Map<String, int[]> dense, List<ObjectNode> extras) {
        long start = System.nanoTime();
        String label = task.name() + " x" + policies.size();
        List<List<ItemResult>> all = runner.runMany(task, items, policies, options, label);
        double wall = (System.nanoTime() - start) / 1e9 / policies.size();
        // A dense policy first in the list is the agreement reference of the others when none is given.
        boolean denseFirst = dense == null && !policies.get(0).mayDeviateFromDense();
        Map<String, int[]> ref = denseFirst ? RunRecord.tokensOf(all.get(0)) : dense;
        List<Outcome> out = new java.util.ArrayList<>();
        for (int i = 0; i < policies.size(); i++) {
            out.add(outcome(policies.get(i), modes.get(i), all.get(i), denseFirst && i == 0 ? null : ref, extras.get(i), wall));
        }
        return out;
    }

    private Outcome outcome(GatePolicy policy, String mode, List<ItemResult> results, Map<String, int[]> dense, ObjectNode extra, double wall) {
        ObjectNode config = RunRecord.JSON.createObjectNode();
        config.put("mode", mode);
        config.put("model", runner.pool().modelName());
        config.put("model_dir", runner.pool().dir().toString());
        config.put("layers", runner.pool().layers());
        config.put("precision", runner.pool().precision().name().toLowerCase());
        config.put("task", task.name());
        config.put("data", data.toString());
        config.put("split", split.label());
        config.put("limit", limit);
        config.put("items", items.size());
        config.put("decoding", "greedy");
        config.put("max_new_tokens", options.maxNewTokens());
        config.put("max_text_tokens", options.maxTextTokens());
        config.put("prefix_words", options.prefixWords());
        config.put("ppl_context", options.contextTokens());
        config.put("threads", runner.pool().size());
        config.put("policy_description", policy.describe());
        try {
            config.set("policy", BaselinePolicies.toJson(policy));
        } catch (IllegalArgumentException e) {
            config.put("policy", policy.describe());
        }
        if (extra != null) config.setAll(extra);
        ObjectNode summary = RunRecord.summarize(task, results, config, dense, wall);
        return new Outcome(summary, results);
    }
}
