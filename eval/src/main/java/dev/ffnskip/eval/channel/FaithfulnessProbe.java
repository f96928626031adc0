package dev.ffnskip.eval.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.metrics.Agreement;
import dev.ffnskip.eval.metrics.TextMetrics;
import dev.ffnskip.eval.run.Splits;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The quality budget's two measurements on one split: faithfulness to the dense decode on chat prompts (exact
 * answer, matched prefix, ROUGE-L against the dense text) and teacher-forced perplexity on held-out text with the
 * gate applied (the first {@value #DENSE_POSITIONS} positions are the dense prefill, as in the reference study).
 * Dense references are computed once per probe.
 */
final class FaithfulnessProbe {
    static final int DENSE_POSITIONS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FfnSkipModel model;
    private final List<int[]> prompts;
    private final List<int[]> passages;
    private final int maxTokens;
    private final List<GenerationResult> dense = new ArrayList<>();
    private final double densePerplexity;

    /** What one policy scored. */
    record Score(double ffnWorkSkipped, double perplexity, double perplexityRatio, double exact, double matchedPrefix, double rougeL, double decodeTokensPerSecond) {
        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("ffn_work_skipped", ffnWorkSkipped);
            o.put("perplexity", perplexity);
            o.put("perplexity_ratio", perplexityRatio);
            o.put("exact", exact);
            o.put("matched_prefix", matchedPrefix);
            o.put("rouge_l", rougeL);
            o.put("decode_tokens_per_s", decodeTokensPerSecond);
            return o;
        }
    }

    FaithfulnessProbe(FfnSkipModel model, Path chatPrompts, Path heldout, Splits.Split split, int promptCount, int maxTokens, int passageCount, int passageTokens) {
        this.model = model;
        this.maxTokens = maxTokens;
        this.prompts = chatPrompts(model, chatPrompts, split, promptCount);
        this.passages = passages(model, heldout, split, passageCount, passageTokens);
        for (int[] p : prompts) dense.add(model.generate(p, request(GatePolicy.DENSE)));
        this.densePerplexity = perplexity(GatePolicy.DENSE);
    }

    List<int[]> prompts() {
        return prompts;
    }

    double densePerplexity() {
        return densePerplexity;
    }

    Score score(GatePolicy policy) {
        double exact = 0, prefix = 0, rouge = 0, skippedWork = 0, steps = 0, nanos = 0;
        for (int i = 0; i < prompts.size(); i++) {
            GenerationResult d = dense.get(i);
            GenerationResult r = model.generate(prompts.get(i), request(policy));
            Agreement a = Agreement.compare(d.tokenIds(), r.tokenIds());
            exact += a.identical() ? 1 : 0;
            prefix += d.tokenIds().length == 0 ? 1 : (double) (a.identical() ? d.tokenIds().length : a.firstDivergence()) / d.tokenIds().length;
            rouge += TextMetrics.rougeL(r.text(), d.text());
            skippedWork += r.stats().ffnWorkSkipped() * r.stats().decodeSteps();
            steps += r.stats().decodeSteps();
            nanos += r.stats().decodeNanos();
        }
        int n = prompts.size();
        double ppl = perplexity(policy);
        return new Score(steps == 0 ? 0 : skippedWork / steps, ppl, ppl / densePerplexity, exact / n, prefix / n, rouge / n, steps / (nanos / 1e9));
    }

    private GenerationRequest request(GatePolicy policy) {
        return GenerationRequest.builder().maxNewTokens(maxTokens).gate(policy).build();
    }

    private double perplexity(GatePolicy policy) {
        double nll = 0;
        long count = 0;
        for (int[] ids : passages) {
            try (DecodeSession session = model.openSession(policy, false)) {
                session.prefill(java.util.Arrays.copyOf(ids, DENSE_POSITIONS));
                for (int i = DENSE_POSITIONS; i < ids.length; i++) {
                    nll -= session.logProbability(ids[i]);
                    count++;
                    if (i + 1 < ids.length) session.step(ids[i]);
                }
            }
        }
        return Math.exp(nll / count);
    }

    private static List<int[]> chatPrompts(FfnSkipModel model, Path file, Splits.Split split, int limit) {
        var chat = model.promptSupport().orElseThrow(() -> new IllegalArgumentException(model.info().name() + " has no chat template"));
        List<int[]> out = new ArrayList<>();
        for (JsonNode row : rows(file)) {
            if (out.size() >= limit) break;
            if (!inSplit(row.get("id").asText(), split)) continue;
            var b = chat.builder();
            for (JsonNode m : row.get("messages")) {
                switch (m.get("role").asText()) {
                    case "system" -> b.addSystemMessage(m.get("content").asText());
                    case "assistant" -> b.addAssistantMessage(m.get("content").asText());
                    default -> b.addUserMessage(m.get("content").asText());
                }
            }
            out.add(model.encode(b.build()));
        }
        return out;
    }

    private static List<int[]> passages(FfnSkipModel model, Path file, Splits.Split split, int limit, int tokens) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode row : rows(file)) {
            if (out.size() >= limit) break;
            if (!inSplit(row.get("id").asText(), split)) continue;
            int[] ids = model.encodeText(row.get("text").asText());
            if (ids.length < tokens) continue;
            out.add(java.util.Arrays.copyOf(ids, tokens));
        }
        return out;
    }

    private static boolean inSplit(String id, Splits.Split split) {
        return switch (split) {
            case ALL -> true;
            case CALIB -> Splits.isCalibration(id);
            case EVAL -> !Splits.isCalibration(id);
        };
    }

    private static List<JsonNode> rows(Path file) {
        List<JsonNode> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) rows.add(JSON.readTree(line));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows;
    }
}
