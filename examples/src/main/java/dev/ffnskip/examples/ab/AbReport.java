package dev.ffnskip.examples.ab;

import dev.ffnskip.jlama.ModelInfo;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.load.StockJlama;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Accumulates the A/B numbers; prints the table and builds the JSON document. */
final class AbReport {
    private final ModelInfo model;
    private final GatePolicy policy;
    private final int maxTokens;
    private final Map<String, PromptResult> prompts = new LinkedHashMap<>();
    private final Timing stock = new Timing();
    private final Timing dense = new Timing();
    private final Timing skip = new Timing();
    private long skipped;
    private long ffnTotal;
    private double workSkipped; // FFN work not done, in FFN blocks (whole skipped blocks plus channel-sparse savings)

    AbReport(ModelInfo model, GatePolicy policy, int maxTokens) {
        this.model = model;
        this.policy = policy;
        this.maxTokens = maxTokens;
    }

    /** Decode steps and the time they took, pooled over runs. */
    static final class Timing {
        long steps;
        double seconds;

        void add(long steps, double seconds) {
            this.steps += steps;
            this.seconds += seconds;
        }

        double tokensPerSecond() {
            return seconds == 0 ? Double.NaN : steps / seconds;
        }
    }

    /** One prompt's outputs (from the first pass) and its contribution to the pooled timings (every pass). */
    final class PromptResult {
        StockJlama.Result stockResult;
        GenerationResult denseResult;
        GenerationResult skipResult;

        void record(StockJlama.Result s, GenerationResult d, GenerationResult k) {
            // Stock Jlama counts the forwards after the prompt as generated tokens and times them in whole milliseconds.
            stock.add(Math.max(0, s.tokenIds().length - 1), s.generateMillis() / 1000.0);
            dense.add(d.stats().decodeSteps(), d.stats().decodeNanos() / 1e9);
            skip.add(k.stats().decodeSteps(), k.stats().decodeNanos() / 1e9);
            skipped += k.stats().ffnSkipped();
            ffnTotal += k.stats().ffnTotal();
            workSkipped += k.stats().ffnWorkSkipped() * k.stats().ffnTotal();
            if (stockResult == null) {
                stockResult = s;
                denseResult = d;
                skipResult = k;
            }
        }

        boolean denseMatchesStock() {
            return Arrays.equals(denseResult.tokenIds(), stockResult.tokenIds());
        }

        boolean skipMatchesDense() {
            return Arrays.equals(skipResult.tokenIds(), denseResult.tokenIds());
        }
    }

    PromptResult prompt(String id) {
        return prompts.computeIfAbsent(id, k -> new PromptResult());
    }

    double skipRatio() {
        return ffnTotal == 0 ? 0 : (double) skipped / ffnTotal;
    }

    /** Share of the decode steps' FFN weight reads not done (equals {@link #skipRatio()} for block skipping alone). */
    double workSkipped() {
        return ffnTotal == 0 ? 0 : workSkipped / ffnTotal;
    }

    void print(PrintStream out) {
        long denseSame = prompts.values().stream().filter(PromptResult::denseMatchesStock).count();
        long skipSame = prompts.values().stream().filter(PromptResult::skipMatchesDense).count();
        int n = prompts.size();
        out.println();
        out.printf("%-7s %10s %11s   %s%n", "mode", "tokens/s", "FFN skipped", "output");
        out.printf("%-7s %10.1f %11s   %s%n", "stock", stock.tokensPerSecond(), "-", "unmodified Jlama");
        out.printf("%-7s %10.1f %11.3f   %d/%d identical to stock%n", "dense", dense.tokensPerSecond(), 0.0, denseSame, n);
        out.printf("%-7s %10.1f %11.3f   %d/%d identical to dense%n", "skip", skip.tokensPerSecond(), workSkipped(), skipSame, n);
        out.printf("skip vs dense: %.3fx decode speed at %.1f%% of FFN work skipped (%.1f%% of FFN blocks skipped whole)%n",
            skip.tokensPerSecond() / dense.tokensPerSecond(), 100 * workSkipped(), 100 * skipRatio());
        out.println();
        for (Map.Entry<String, PromptResult> e : prompts.entrySet()) {
            PromptResult r = e.getValue();
            out.printf("  %-10s dense: %-40s skip: %s%n", e.getKey(), quote(r.denseResult.text()), r.skipMatchesDense() ? "(same)" : quote(r.skipResult.text()));
        }
    }

    private static String quote(String s) {
        String oneLine = s.replace("\n", "\\n");
        return "\"" + (oneLine.length() > 60 ? oneLine.substring(0, 57) + "..." : oneLine) + "\"";
    }

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", Map.of(
            "name", model.name(),
            "layers", model.layers(),
            "weight_type", model.weightType(),
            "working_quantization_type", model.workingQuantizationType(),
            "tensor_operations", model.tensorOperations()
        ));
        root.put("policy", policy.describe());
        root.put("max_tokens", maxTokens);
        List<Map<String, Object>> rows = prompts.entrySet().stream().map(e -> {
            PromptResult r = e.getValue();
            Map<String, Object> modes = new LinkedHashMap<>();
            modes.put("stock", Map.of("ids", r.stockResult.tokenIds(), "text", r.stockResult.text()));
            modes.put("dense", Map.of("ids", r.denseResult.tokenIds(), "text", r.denseResult.text(), "same_as_stock", r.denseMatchesStock()));
            Map<String, Object> skipMode = new LinkedHashMap<>();
            skipMode.put("ids", r.skipResult.tokenIds());
            skipMode.put("text", r.skipResult.text());
            skipMode.put("skip_ratio", r.skipResult.stats().skipRatio());
            skipMode.put("ffn_work_skipped", r.skipResult.stats().ffnWorkSkipped());
            skipMode.put("same_as_dense", r.skipMatchesDense());
            modes.put("skip", skipMode);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", e.getKey());
            row.put("modes", modes);
            return row;
        }).toList();
        root.put("prompts", rows);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("stock", Map.of("tokens_per_s", stock.tokensPerSecond()));
        summary.put("dense", Map.of("tokens_per_s", dense.tokensPerSecond()));
        summary.put("skip", Map.of("tokens_per_s", skip.tokensPerSecond(), "skip_ratio", skipRatio(), "ffn_work_skipped", workSkipped()));
        root.put("summary", summary);
        return root;
    }
}
