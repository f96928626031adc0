package dev.ffnskip.eval.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.metrics.Agreement;
import dev.ffnskip.eval.task.ItemResult;
import dev.ffnskip.eval.task.Task;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The JSON result of one run (task x mode x policy): the exact configuration, {@code n}, {@code realized_skip_ratio},
 * {@code tokens_per_s}, the task metrics, agreement with dense and the gate counters; per-item outputs go to a sibling
 * {@code .items.jsonl.gz} file.
 */
public final class RunRecord {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunRecord() {}

    /**
     * Builds the summary. {@code dense} (item id to dense token ids) may be null, then agreement is omitted.
     * {@code config} is copied in as is.
     */
    public static ObjectNode summarize(Task task, List<ItemResult> results, ObjectNode config, Map<String, int[]> dense, double wallSeconds) {
        ObjectNode o = JSON.createObjectNode();
        o.put("task", task.name());
        o.put("mode", config.path("mode").asText());
        o.put("n", results.size());
        long steps = 0, gated = 0, skipped = 0, dropped = 0, total = 0, nanos = 0, prefillNanos = 0, promptTokens = 0;
        for (ItemResult r : results) {
            steps += r.decodeSteps;
            gated += r.gatedSteps;
            skipped += r.ffnSkipped;
            dropped += r.layersDropped;
            total += r.ffnTotal;
            nanos += r.decodeNanos;
            prefillNanos += r.prefillNanos;
            promptTokens += r.promptTokens;
        }
        // FFN blocks not computed over all decode FFN blocks; a dropped layer does not compute its FFN either.
        o.put("realized_skip_ratio", total == 0 ? 0.0 : (double) (skipped + dropped) / total);
        o.put("tokens_per_s", nanos == 0 ? Double.NaN : steps / (nanos / 1e9));
        ObjectNode metrics = JSON.createObjectNode();
        task.aggregate(results, metrics);
        o.setAll(metrics);
        if (dense != null) o.set("agreement", agreement(results, dense));
        ObjectNode c = o.putObject("counters");
        c.put("decode_steps", steps);
        c.put("gated_steps", gated);
        c.put("ffn_skipped", skipped);
        c.put("layers_dropped", dropped);
        c.put("ffn_total", total);
        c.put("decode_seconds", nanos / 1e9);
        c.put("prefill_seconds", prefillNanos / 1e9);
        c.put("prompt_tokens", promptTokens);
        c.put("prefill_tokens_per_s", prefillNanos == 0 ? Double.NaN : promptTokens / (prefillNanos / 1e9));
        c.put("wall_seconds", wallSeconds);
        o.set("config", config);
        return o;
    }

    static ObjectNode agreement(List<ItemResult> results, Map<String, int[]> dense) {
        long matching = 0, length = 0, identical = 0, diverged = 0, firstSum = 0, compared = 0;
        for (ItemResult r : results) {
            int[] d = dense.get(r.id);
            if (d == null) continue;
            Agreement a = Agreement.compare(d, r.allTokens());
            compared++;
            matching += a.matching();
            length += a.length();
            if (a.identical()) identical++;
            else {
                diverged++;
                firstSum += a.firstDivergence();
            }
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("items_compared", compared);
        o.put("token_agreement", length == 0 ? 1.0 : (double) matching / length);
        o.put("identical_fraction", compared == 0 ? Double.NaN : (double) identical / compared);
        o.put("mean_first_divergence", diverged == 0 ? Double.NaN : (double) firstSum / diverged);
        o.put("diverged_items", diverged);
        return o;
    }

    public static void write(ObjectNode summary, List<ItemResult> results, Path out) {
        try {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            JSON.writeValue(out.toFile(), summary);
            // Per-item outputs are gzipped: they are most of a run's bytes, and docs/results keeps them beside the reports.
            try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(itemsFile(out))), StandardCharsets.UTF_8))) {
                ObjectMapper compact = new ObjectMapper();
                for (ItemResult r : results) {
                    ObjectNode i = compact.createObjectNode();
                    i.put("id", r.id);
                    i.put("kind", r.kind);
                    ArrayNode tokens = i.putArray("tokens");
                    for (int[] t : r.tokens) {
                        ArrayNode a = tokens.addArray();
                        for (int id : t) a.add(id);
                    }
                    ArrayNode texts = i.putArray("texts");
                    r.texts.forEach(texts::add);
                    ObjectNode scores = i.putObject("scores");
                    r.scores.forEach(scores::put);
                    i.put("decode_steps", r.decodeSteps);
                    i.put("ffn_skipped", r.ffnSkipped + r.layersDropped);
                    w.write(compact.writeValueAsString(i));
                    w.newLine();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    public static Path itemsFile(Path runJson) {
        String name = runJson.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return runJson.resolveSibling(base + ".items.jsonl.gz");
    }

    /** A JSON-lines file, gzipped when its name ends in {@code .gz} (as our per-item files are), else plain text. */
    public static BufferedReader openItems(Path items) throws IOException {
        if (!items.getFileName().toString().endsWith(".gz")) return Files.newBufferedReader(items);
        return new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(items)), StandardCharsets.UTF_8));
    }

    /** Item id to all generated ids, from a run's items file (for agreement with a dense run done earlier). */
    public static Map<String, int[]> readTokens(Path runJson) {
        Path gz = itemsFile(runJson);
        Path plain = gz.resolveSibling(gz.getFileName().toString().replaceFirst("\\.gz$", ""));
        Path items = Files.exists(gz) ? gz : Files.exists(plain) ? plain : runJson;
        Map<String, int[]> out = new HashMap<>();
        ObjectMapper compact = new ObjectMapper();
        try (BufferedReader in = openItems(items)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) continue;
                JsonNode i = compact.readTree(line);
                int n = 0;
                for (JsonNode t : i.get("tokens")) n += t.size();
                int[] all = new int[n];
                int k = 0;
                for (JsonNode t : i.get("tokens")) for (JsonNode id : t) all[k++] = id.asInt();
                out.put(i.get("id").asText(), all);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read dense reference " + items + ": " + e.getMessage(), e);
        }
        return out;
    }

    public static Map<String, int[]> tokensOf(List<ItemResult> results) {
        Map<String, int[]> out = new HashMap<>();
        for (ItemResult r : results) out.put(r.id, r.allTokens());
        return out;
    }
}
