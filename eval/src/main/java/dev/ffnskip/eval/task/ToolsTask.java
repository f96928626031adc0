package dev.ffnskip.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.metrics.TextMetrics;
import dev.ffnskip.jlama.FfnSkipModel;
import java.util.List;
import java.util.Map;

/**
 * Tool calls in two turns. Turn 1 feeds {@code prompt_turn1} (already rendered with the chat template; BOS prepended)
 * and the greedy output must parse as the expected call ({@code call_exact}). Turn 2 feeds {@code prompt_turn2}, which
 * holds the expected call and the tool result, and the greedy answer must equal {@code expected_answer} after
 * normalisation ({@code answer_exact}). {@code exact_match} is 1 when both turns are right.
 */
final class ToolsTask extends GenerationTask {
    static final int DEFAULT_NEW_TOKENS = 64;

    @Override
    public String name() {
        return "tools";
    }

    @Override
    public String defaultDataFile() {
        return "tool_calls.jsonl";
    }

    @Override
    public String primaryMetric() {
        return "exact_match";
    }

    @Override
    protected EvalItem prepare(FfnSkipModel model, JsonNode row, TaskOptions options) {
        int[] turn1 = withBos(model, model.encodeText(text(row, "prompt_turn1")));
        int[] turn2 = withBos(model, model.encodeText(text(row, "prompt_turn2")));
        String kind = row.path("expected_call").path("name").asText("tools");
        return new EvalItem(text(row, "id"), kind, row, List.of(turn1, turn2));
    }

    @Override
    int defaultNewTokens() {
        return DEFAULT_NEW_TOKENS;
    }

    @Override
    void score(EvalItem item, ItemResult r) {
        boolean callOk = callMatches(r.texts.get(0), item.row().get("expected_call"));
        boolean answerOk = TextMetrics.exactMatch(r.texts.get(1), text(item.row(), "expected_answer"));
        r.score("exact_match", callOk && answerOk ? 1 : 0);
        r.score("call_exact", callOk ? 1 : 0);
        r.score("answer_exact", answerOk ? 1 : 0);
    }

    /** The output parses as one JSON object with the expected name and exactly the expected parameters (numbers by value). */
    static boolean callMatches(String output, JsonNode expected) {
        JsonNode call;
        try {
            call = JSON.readTree(output.strip());
        } catch (Exception e) {
            return false;
        }
        if (call == null || !call.isObject()) return false;
        if (!expected.path("name").asText().equals(call.path("name").asText(null))) return false;
        JsonNode want = expected.path("parameters");
        JsonNode got = call.path("parameters");
        if (!(got instanceof ObjectNode) || got.size() != want.size()) return false;
        for (Map.Entry<String, JsonNode> e : want.properties()) {
            JsonNode g = got.get(e.getKey());
            if (g == null || !sameValue(e.getValue(), g)) return false;
        }
        return true;
    }

    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        return a.equals(b);
    }
}
