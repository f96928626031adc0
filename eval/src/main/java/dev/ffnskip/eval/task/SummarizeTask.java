package dev.ffnskip.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ffnskip.eval.metrics.TextMetrics;
import dev.ffnskip.jlama.FfnSkipModel;
import java.util.List;

/** One-sentence summaries: the {@code prompt} as one user message; ROUGE-L F1 (and token F1, EM) against the reference. */
final class SummarizeTask extends GenerationTask {
    static final int DEFAULT_NEW_TOKENS = 96;

    @Override
    public String name() {
        return "summarize";
    }

    @Override
    public String defaultDataFile() {
        return "summarize.jsonl";
    }

    @Override
    public String primaryMetric() {
        return "rouge_l";
    }

    @Override
    protected EvalItem prepare(FfnSkipModel model, JsonNode row, TaskOptions options) {
        return new EvalItem(text(row, "id"), kind(row, "summarize"), row, List.of(userPrompt(model, text(row, "prompt"))));
    }

    @Override
    int defaultNewTokens() {
        return DEFAULT_NEW_TOKENS;
    }

    @Override
    void score(EvalItem item, ItemResult r) {
        String summary = r.texts.get(0);
        String reference = text(item.row(), "reference");
        r.score("rouge_l", TextMetrics.rougeL(summary, reference));
        r.score("token_f1", TextMetrics.tokenF1(summary, reference));
        r.score("exact_match", TextMetrics.exactMatch(summary, reference) ? 1 : 0);
    }
}
