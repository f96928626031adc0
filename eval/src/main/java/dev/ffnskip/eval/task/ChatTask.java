package dev.ffnskip.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.metrics.Agreement;
import dev.ffnskip.eval.metrics.TextMetrics;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Open-ended chat prompts ({@code chat_prompts.jsonl}: id, kind, source, messages) judged by faithfulness to the dense
 * decode of the same prompt: the {@code messages} are rendered with the model's chat template and decoded greedily (up
 * to 64 new tokens by default) under every policy and under dense, from one shared prefill. Per item:
 * <ul>
 *   <li>{@code exact_vs_dense}: 1 when the generated ids equal the dense ids (end token included), else 0;</li>
 *   <li>{@code matched_prefix}: tokens before the first divergence over the dense length (1 when identical);</li>
 *   <li>{@code rouge_l_vs_dense}: ROUGE-L F1 of the text against the dense text ({@link TextMetrics#rougeL}; 1 when the
 *       ids are identical, also for two empty answers).</li>
 * </ul>
 * The summary holds the means over items and, under {@code by_kind}, the means per kind. The dense reference is the
 * first policy of the run that never deviates from dense; when there is none, a dense decode is added (and not
 * reported), so {@code quality --task chat --mode skip} needs no {@code --reference}; or the dense results measured
 * earlier are given ({@link Task#chatAgainst}), then no dense decode is repeated.
 */
final class ChatTask extends GenerationTask {
    static final int DEFAULT_NEW_TOKENS = 64;
    static final List<String> FAITHFULNESS = List.of("exact_vs_dense", "matched_prefix", "rouge_l_vs_dense");
    private final Map<String, ItemResult> reference;

    ChatTask() {
        this(null);
    }

    /** @param reference dense results by item id (same prompts and decoding settings), or null to decode dense */
    ChatTask(Map<String, ItemResult> reference) {
        this.reference = reference == null ? null : Map.copyOf(reference);
    }

    @Override
    public String name() {
        return "chat";
    }

    @Override
    public String defaultDataFile() {
        return "chat_prompts.jsonl";
    }

    @Override
    public String primaryMetric() {
        return "rouge_l_vs_dense";
    }

    /**
     * The items interleaved by kind (first of each kind in order of appearance, then the second of each, ...), so that
     * the first N items of a split, as {@code --limit N} takes them, mix all kinds; the file lists them kind by kind.
     * Which split an item is in still depends only on its id.
     */
    @Override
    public List<EvalItem> load(FfnSkipModel model, java.nio.file.Path data, TaskOptions options) {
        Map<String, List<EvalItem>> byKind = new java.util.LinkedHashMap<>();
        for (EvalItem i : super.load(model, data, options)) byKind.computeIfAbsent(i.kind(), k -> new ArrayList<>()).add(i);
        List<EvalItem> out = new ArrayList<>();
        for (int round = 0; out.size() < byKind.values().stream().mapToInt(List::size).sum(); round++) {
            for (List<EvalItem> k : byKind.values()) if (round < k.size()) out.add(k.get(round));
        }
        return out;
    }

    @Override
    protected EvalItem prepare(FfnSkipModel model, JsonNode row, TaskOptions options) {
        return new EvalItem(text(row, "id"), kind(row, "chat"), row, List.of(chatPrompt(model, row.get("messages"))));
    }

    @Override
    int defaultNewTokens() {
        return DEFAULT_NEW_TOKENS;
    }

    @Override
    void score(EvalItem item, ItemResult r) {
        // scored against the dense decode in runMany
    }

    @Override
    public List<ItemResult> runMany(FfnSkipModel model, List<? extends GatePolicy> policies, EvalItem item, TaskOptions options) {
        ItemResult given = reference == null ? null : reference.get(item.id());
        if (reference != null && given == null) throw new IllegalArgumentException("no dense reference for item " + item.id());
        if (given != null) {
            List<ItemResult> out = new ArrayList<>(super.runMany(model, policies, item, options));
            for (ItemResult r : out) scoreAgainst(given, r);
            return out;
        }
        int reference = -1;
        for (int i = 0; i < policies.size() && reference < 0; i++) if (!policies.get(i).mayDeviateFromDense()) reference = i;
        List<GatePolicy> run = new ArrayList<>(policies);
        if (reference < 0) run.add(0, GatePolicy.DENSE);
        List<ItemResult> all = super.runMany(model, run, item, options);
        ItemResult dense = all.get(Math.max(0, reference));
        List<ItemResult> out = new ArrayList<>(reference < 0 ? all.subList(1, all.size()) : all);
        for (ItemResult r : out) scoreAgainst(dense, r);
        return out;
    }

    /** The faithfulness scores of {@code r} against the dense decode of the same prompt. */
    static void scoreAgainst(ItemResult dense, ItemResult r) {
        int[] d = dense.allTokens();
        int[] o = r.allTokens();
        Agreement a = Agreement.compare(d, o);
        r.score("exact_vs_dense", a.identical() ? 1 : 0);
        r.score("matched_prefix", a.identical() || d.length == 0 ? 1.0 : Math.min(1.0, (double) a.firstDivergence() / d.length));
        r.score("rouge_l_vs_dense", a.identical() ? 1.0 : TextMetrics.rougeL(String.join("\n", r.texts), String.join("\n", dense.texts)));
        r.score("output_tokens", o.length);
        r.score("dense_tokens", d.length);
    }

    @Override
    public void aggregate(List<ItemResult> results, ObjectNode metrics) {
        for (String name : scoreNames(results)) metrics.put(name, mean(results, name));
        Map<String, List<ItemResult>> byKind = new TreeMap<>();
        for (ItemResult r : results) byKind.computeIfAbsent(r.kind, k -> new ArrayList<>()).add(r);
        ObjectNode kinds = metrics.putObject("by_kind");
        for (var e : byKind.entrySet()) {
            ObjectNode k = kinds.putObject(e.getKey());
            k.put("n", e.getValue().size());
            for (String m : FAITHFULNESS) k.put(m, mean(e.getValue(), m));
            k.put("output_tokens", mean(e.getValue(), "output_tokens"));
        }
    }
}
