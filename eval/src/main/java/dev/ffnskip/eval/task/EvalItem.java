package dev.ffnskip.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One evaluation item: its row from the data file and the token ids to feed (one prompt per turn; for perplexity the
 * BOS-prefixed text).
 */
public record EvalItem(String id, String kind, JsonNode row, List<int[]> prompts) {
    public EvalItem {
        prompts = List.copyOf(prompts);
    }
}
