package dev.ffnskip.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ffnskip.eval.metrics.TextMetrics;
import dev.ffnskip.jlama.FfnSkipModel;
import java.util.List;

/** Factoid QA and context QA: the {@code messages} rendered with the chat template, greedy answer, exact match (+F1). */
final class QaTask extends GenerationTask {
    static final int DEFAULT_NEW_TOKENS = 24;
    private final String name;
    private final boolean withF1;

    QaTask(String name, boolean withF1) {
        this.name = name;
        this.withF1 = withF1;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String defaultDataFile() {
        return withF1 ? "context_qa.jsonl" : "factoid_qa.jsonl";
    }

    @Override
    public String primaryMetric() {
        return "exact_match";
    }

    @Override
    protected EvalItem prepare(FfnSkipModel model, JsonNode row, TaskOptions options) {
        return new EvalItem(text(row, "id"), kind(row, name), row, List.of(chatPrompt(model, row.get("messages"))));
    }

    @Override
    int defaultNewTokens() {
        return DEFAULT_NEW_TOKENS;
    }

    @Override
    void score(EvalItem item, ItemResult r) {
        String answer = r.texts.get(0);
        String reference = text(item.row(), "answer");
        r.score("exact_match", TextMetrics.exactMatch(answer, reference) ? 1 : 0);
        if (withF1) r.score("token_f1", TextMetrics.tokenF1(answer, reference));
    }
}
