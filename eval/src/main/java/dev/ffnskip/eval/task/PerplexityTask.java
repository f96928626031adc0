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
 * Teacher-forced perplexity, token by token exactly as in decoding so the gate acts as in generation. The ids are the
 * text as the model's tokenizer encodes plain text ({@link Task#plainText}: BOS first for skipbench-28m and
 * stories260K, none for SmolLM2), cut to {@code --max-text-tokens} text tokens. The first {@code --ppl-context} text
 * tokens (and the BOS) are prefilled dense, as a prompt is; the last prefilled position predicts the next token, and
 * every later token is fed with one gated decode step (warm-up, protected layers and the gate act exactly as in
 * generation), which predicts the next. Only the predictions of tokens after the context are scored, so with
 * {@code --max-text-tokens 160 --ppl-context 16} a text contributes 144 predictions (the SmolLM2 reference's
 * "160 tokens, positions after the 16th"). Without a BOS at least one token is prefilled. Perplexity = exp(total NLL /
 * total predicted tokens), pooled over all texts. The argmax at each scored position is kept for the top-1 agreement
 * with dense.
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
        int[] ids = plainText(model, text(row, "text"));
        int bos = ids.length > 0 && ids[0] == model.jlama().getConfig().bosToken ? 1 : 0;
        int limit = Math.min(model.info().contextLength(), options.maxTextTokens() > 0 ? options.maxTextTokens() + bos : Integer.MAX_VALUE);
        if (ids.length > limit) ids = Arrays.copyOf(ids, limit);
        int prefill = Math.max(1, bos + options.contextTokens());
        if (ids.length <= prefill) {
            throw new IllegalArgumentException("text " + text(row, "id") + " has " + (ids.length - bos) + " tokens, no more than --ppl-context " + options.contextTokens());
        }
        // prompts: the dense prefill, then the teacher-forced rest
        return new EvalItem(text(row, "id"), kind(row, "text"), row, List.of(Arrays.copyOf(ids, prefill), Arrays.copyOfRange(ids, prefill, ids.length)));
    }

    @Override
    public List<ItemResult> runMany(FfnSkipModel model, List<? extends GatePolicy> policies, EvalItem item, TaskOptions options) {
        List<ItemResult> out = new ArrayList<>();
        for (GatePolicy p : policies) out.add(runOne(model, p, item));
        return out;
    }

    private ItemResult runOne(FfnSkipModel model, GatePolicy policy, EvalItem item) {
        ItemResult r = new ItemResult(item.id(), item.kind());
        int[] context = item.prompts().get(0);
        int[] scored = item.prompts().get(1);
        int[] argmax = new int[scored.length];
        double nll = 0;
        try (DecodeSession session = model.openSession(policy, false)) {
            session.prefill(context);
            for (int i = 0; i < scored.length; i++) {
                argmax[i] = session.argmax();
                nll -= session.logProbability(scored[i]);
                if (i + 1 < scored.length) session.step(scored[i]);
            }
            r.add(session.stats(), policy.denseWarmupSteps());
        }
        r.tokens.add(argmax);
        r.score("nll", nll);
        r.score("tokens", scored.length);
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
