package dev.ffnskip.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Teacher-forced perplexity, token by token exactly as in decoding so the gate acts as in generation: BOS is prefilled
 * (dense) and predicts the first text token; then every text token is fed with one gated decode step, which predicts
 * the next. Perplexity = exp(total NLL / total predicted tokens), pooled over all texts. The argmax at each position is
 * kept for the top-1 agreement with dense.
 */
final class PerplexityTask extends Task {
    @Override
    public String name() {
        return "perplexity";
    }

    @Override
    public String defaultDataFile() {
        return "heldout_text.jsonl";
    }

    @Override
    public String primaryMetric() {
        return "perplexity";
    }

    @Override
    public boolean lowerIsBetter() {
        return true;
    }

    @Override
    public boolean generates() {
        return false;
    }

    @Override
    protected EvalItem prepare(FfnSkipModel model, JsonNode row, TaskOptions options) {
        int[] ids = withBos(model, model.encodeText(text(row, "text")));
        int limit = Math.min(model.info().contextLength(), options.maxTextTokens() > 0 ? options.maxTextTokens() + 1 : Integer.MAX_VALUE);
        if (ids.length > limit) ids = Arrays.copyOf(ids, limit);
        return new EvalItem(text(row, "id"), kind(row, "text"), row, List.of(ids));
    }

    @Override
    public List<ItemResult> runMany(FfnSkipModel model, List<? extends GatePolicy> policies, EvalItem item, TaskOptions options) {
        List<ItemResult> out = new ArrayList<>();
        for (GatePolicy p : policies) out.add(runOne(model, p, item));
        return out;
    }

    private ItemResult runOne(FfnSkipModel model, GatePolicy policy, EvalItem item) {
        ItemResult r = new ItemResult(item.id(), item.kind());
        int[] ids = item.prompts().get(0);
        int[] argmax = new int[ids.length - 1];
        double nll = 0;
        try (DecodeSession session = model.openSession(policy, false)) {
            session.prefill(new int[] { ids[0] });
            for (int i = 1; i < ids.length; i++) {
                argmax[i - 1] = session.argmax();
                nll -= session.logProbability(ids[i]);
                if (i + 1 < ids.length) session.step(ids[i]);
            }
            r.add(session.stats(), policy.denseWarmupSteps());
        }
        r.tokens.add(argmax);
        r.score("nll", nll);
        r.score("tokens", ids.length - 1);
        return r;
    }

    @Override
    public void aggregate(List<ItemResult> results, ObjectNode metrics) {
        double nll = results.stream().mapToDouble(r -> r.score("nll")).sum();
        long tokens = (long) results.stream().mapToDouble(r -> r.score("tokens")).sum();
        metrics.put("perplexity", Math.exp(nll / tokens));
        metrics.put("nll_per_token", nll / tokens);
        metrics.put("tokens", tokens);
    }
}
