package dev.ffnskip.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.tokenizer.ByteLevelBpeTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** An evaluation task: how items are read and prompted, how one item is run and scored, and how scores aggregate. */
public abstract class Task {
    protected static final ObjectMapper JSON = new ObjectMapper();

    /** The task names of the scripted interface. */
    public static final List<String> NAMES = List.of("factoid", "context", "summarize", "perplexity", "tools", "continuation", "chat");

    public static Task forName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "factoid" -> new QaTask("factoid", false);
            case "context" -> new QaTask("context", true);
            case "summarize" -> new SummarizeTask();
            case "perplexity" -> new PerplexityTask();
            case "tools" -> new ToolsTask();
            case "continuation" -> new ContinuationTask();
            case "chat" -> new ChatTask();
            default -> throw new IllegalArgumentException("unknown task '" + name + "', expected one of " + NAMES);
        };
    }

    /**
     * The chat task scored against dense results measured earlier ({@code dense}: item id to the dense result of the
     * same prompt and decoding settings), so that no dense decode is repeated.
     */
    public static Task chatAgainst(Map<String, ItemResult> dense) {
        return new ChatTask(dense);
    }

    public abstract String name();

    /** The data file this task reads by default, under the shared eval folder. */
    public abstract String defaultDataFile();

    /** The headline metric (higher is better unless {@link #lowerIsBetter()}). */
    public abstract String primaryMetric();

    public boolean lowerIsBetter() {
        return false;
    }

    /** Whether items are generated greedily (and so have a dense agreement); false for teacher-forced tasks. */
    public boolean generates() {
        return true;
    }

    protected abstract EvalItem prepare(FfnSkipModel model, JsonNode row, TaskOptions options);

    /** Runs one item under each policy (same prompts and decoding settings); one result per policy, in order. */
    public abstract List<ItemResult> runMany(FfnSkipModel model, List<? extends GatePolicy> policies, EvalItem item, TaskOptions options);

    /** Reads every row of {@code data} and prepares its prompts, in file order. */
    public List<EvalItem> load(FfnSkipModel model, Path data, TaskOptions options) {
        List<EvalItem> items = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(data)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) continue;
                items.add(prepare(model, JSON.readTree(line), options));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + data + ": " + e.getMessage(), e);
        }
        return items;
    }

    /** Task metrics over the item results (the common counters are added by the caller). */
    public void aggregate(List<ItemResult> results, ObjectNode metrics) {
        for (String name : scoreNames(results)) metrics.put(name, mean(results, name));
        if (!results.isEmpty() && results.get(0).scores.containsKey(primaryMetric())) {
            Map<String, List<ItemResult>> byKind = new TreeMap<>();
            for (ItemResult r : results) byKind.computeIfAbsent(r.kind, k -> new ArrayList<>()).add(r);
            if (byKind.size() > 1) {
                ObjectNode kinds = metrics.putObject(primaryMetric() + "_by_kind");
                for (var e : byKind.entrySet()) {
                    ObjectNode k = kinds.putObject(e.getKey());
                    k.put("n", e.getValue().size());
                    k.put(primaryMetric(), mean(e.getValue(), primaryMetric()));
                }
            }
        }
    }

    protected static List<String> scoreNames(List<ItemResult> results) {
        return results.isEmpty() ? List.of() : List.copyOf(results.get(0).scores.keySet());
    }

    protected static double mean(List<ItemResult> results, String score) {
        return results.stream().mapToDouble(r -> r.score(score)).average().orElse(Double.NaN);
    }

    // ---- helpers for subclasses

    protected static String text(JsonNode row, String field) {
        JsonNode v = row.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("row " + row.path("id").asText("?") + " has no field '" + field + "'");
        return v.asText();
    }

    protected static String kind(JsonNode row, String fallback) {
        return row.hasNonNull("kind") ? row.get("kind").asText() : row.hasNonNull("source") ? row.get("source").asText() : fallback;
    }

    /** Renders chat messages with the model's chat template (generation prompt added, BOS as Jlama adds it). */
    protected static int[] chatPrompt(FfnSkipModel model, JsonNode messages) {
        PromptSupport support = model.promptSupport()
            .orElseThrow(() -> new IllegalArgumentException("model " + model.info().name() + " has no chat template; use the perplexity or continuation task"));
        PromptSupport.Builder b = support.builder();
        for (JsonNode m : messages) {
            String content = m.get("content").asText();
            switch (m.get("role").asText()) {
                case "user" -> b.addUserMessage(content);
                case "system" -> b.addSystemMessage(content);
                case "assistant" -> b.addAssistantMessage(content);
                default -> throw new IllegalArgumentException("unsupported message role " + m.get("role"));
            }
        }
        return model.encode(b.build());
    }

    protected static int[] userPrompt(FfnSkipModel model, String content) {
        PromptSupport support = model.promptSupport()
            .orElseThrow(() -> new IllegalArgumentException("model " + model.info().name() + " has no chat template"));
        return model.encode(support.builder().addUserMessage(content).build());
    }

    /**
     * The ids of raw text as the model's own tokenizer gives them for plain text: for tokenizers that follow the Hugging
     * Face or GGUF configuration exactly ({@link ByteLevelBpeTokenizer}: GGUF files, digit-splitting folders) the ids
     * as encoded, BOS included only when that configuration adds it (SmolLM2: no BOS); for Jlama's own tokenizer the
     * text with the model's BOS first, as Jlama's prompts and the skipbench-28m references have it.
     */
    protected static int[] plainText(FfnSkipModel model, String text) {
        int[] ids = model.encodeText(text);
        return model.jlama().getTokenizer() instanceof ByteLevelBpeTokenizer ? ids : withBos(model, ids);
    }

    /** Raw text with the model's BOS first (added unless the text already starts with it). */
    protected static int[] withBos(FfnSkipModel model, int[] ids) {
        int bos = model.jlama().getConfig().bosToken;
        if (ids.length > 0 && ids[0] == bos) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }
}
