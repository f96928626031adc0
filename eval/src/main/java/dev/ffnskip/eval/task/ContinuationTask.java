package dev.ffnskip.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.jlama.FfnSkipModel;
import java.util.Arrays;
import java.util.List;

/**
 * Free greedy continuation for models without a chat template (e.g. stories260K): BOS + the first
 * {@code prefixWords} words of each text, then up to {@code maxNewTokens} (default 64) greedy tokens. Its metric is the
 * agreement with dense; it also reports the mean output length.
 */
final class ContinuationTask extends GenerationTask {
    static final int DEFAULT_NEW_TOKENS = 64;

    @Override
    public String name() {
        return "continuation";
    }

    @Override
    public String defaultDataFile() {
        return "heldout_text.jsonl";
    }

    @Override
    public String primaryMetric() {
        return "token_agreement";
    }

    @Override
    protected EvalItem prepare(FfnSkipModel model, JsonNode row, TaskOptions options) {
        String[] words = text(row, "text").strip().split("\\s+");
        String prefix = String.join(" ", Arrays.copyOf(words, Math.min(words.length, Math.max(1, options.prefixWords()))));
        return new EvalItem(text(row, "id"), kind(row, "text"), row, List.of(withBos(model, model.encodeText(prefix))));
    }

    @Override
    int defaultNewTokens() {
        return DEFAULT_NEW_TOKENS;
    }

    @Override
    void score(EvalItem item, ItemResult r) {
        r.score("output_tokens", r.tokens.get(0).length);
    }

    @Override
    public void aggregate(List<ItemResult> results, ObjectNode metrics) {
        metrics.put("output_tokens", mean(results, "output_tokens"));
    }
}
