package dev.ffnskip.eval.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.cli.CommandText;
import dev.ffnskip.eval.cli.RealModelOptions;
import dev.ffnskip.eval.cli.Shared;
import dev.ffnskip.eval.metrics.Agreement;
import dev.ffnskip.eval.metrics.TextMetrics;
import dev.ffnskip.eval.run.ModelPool;
import dev.ffnskip.eval.run.RunRecord;
import dev.ffnskip.eval.task.EvalItem;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.eval.task.TaskOptions;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import java.io.BufferedWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Our dense answers against the Hugging Face transformers answers ({@code hf_answers_<model>.jsonl}: id, prompt_ids,
 * ids, text; greedy, float32, at most 64 new tokens, end token included).
 *
 * <p>Default (teacher-forced): our decoder prefills the Hugging Face prompt ids and is then fed the Hugging Face answer
 * token by token with single-token decode steps, exactly the steps our greedy decode would run while it agrees. The
 * first position where our argmax differs is where our greedy answer diverges (before it, both decodes are the same
 * sequence); there the logit margin between our top-1 and the Hugging Face token (and our top-2) says whether the
 * mismatch is a near-tie. With {@code --decode} it decodes greedily instead (any precision) and scores whole answers:
 * identical to Hugging Face, ROUGE-L against the Hugging Face text, and against a {@code --reference} answers file
 * (e.g. this command's float32 output), and writes the answers.
 */
@Command(name = "hf-compare", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Dense answers vs the Hugging Face answers: identical count, first divergence and logit margins (or whole decodes with --decode).")
public final class HfCompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RealModelOptions real;

    @Option(names = "--answers", paramLabel = "FILE", description = "Hugging Face answers (default: shared/eval/hf_answers_smollm2-135m-instruct.jsonl).")
    Path answers;

    @Option(names = "--chat-prompts", paramLabel = "FILE", description = "The prompts, to check our chat template against prompt_ids (default: shared/eval/chat_prompts.jsonl).")
    Path chatPrompts;

    @Option(names = "--limit", defaultValue = "0", description = "First N answers of the file (0 = all).")
    int limit;

    @Option(names = "--ids", split = ",", paramLabel = "ID", description = "Only these item ids (e.g. the block study's chat prompts).")
    List<String> onlyIds;

    @Option(names = "--decode", description = "Decode greedily and compare whole answers instead of teacher forcing.")
    boolean decode;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "With --decode (default: ${DEFAULT-VALUE}, as the reference).")
    int maxNewTokens;

    @Option(names = "--reference", paramLabel = "FILE", description = "With --decode: answers JSONL of another run (e.g. float32) to score ROUGE-L and identity against.")
    Path reference;

    @Option(names = "--texts", paramLabel = "FILE",
        description = "Score another engine's answers instead of running a model: a llama.cpp peer result JSON (LlamaCppRunner's llamacpp-result.json) or an answers JSONL (id, text); identity is by normalised text.")
    Path texts;

    @Option(names = "--json", paramLabel = "OUT", required = true, description = "Summary JSON; per-item rows go to OUT minus .json plus .items.jsonl.")
    Path json;

    /** Where teacher forcing first disagrees: our top-1 and top-2 and the reference token, with their logits. */
    record Divergence(int step, int ours, float oursLogit, int second, float secondLogit, int reference, float referenceLogit, int referenceRank) {
        double marginToReference() {
            return oursLogit - referenceLogit;
        }

        double marginTop2() {
            return oursLogit - secondLogit;
        }
    }

    /** The first divergence of the logits rows from {@code reference}, given the argmax row by row; null when none. */
    static Divergence firstDivergence(float[] logits, int step, int reference) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        if (best == reference) return null;
        int second = -1;
        for (int i = 0; i < logits.length; i++) if (i != best && (second < 0 || logits[i] > logits[second])) second = i;
        int rank = 0;
        for (float v : logits) if (v > logits[reference]) rank++;
        return new Divergence(step, best, logits[best], second, logits[second], reference, logits[reference], rank);
    }

    @Override
    public Integer call() throws IOException {
        String command = CommandText.of(spec);
        Path modelPath = real.path();
        Path file = answers != null ? answers : Shared.eval("hf_answers_smollm2-135m-instruct.jsonl");
        ObjectMapper compact = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file)) if (!line.isBlank()) rows.add(compact.readTree(line));
        if (onlyIds != null) rows.removeIf(r -> !onlyIds.contains(r.path("id").asText()));
        if (limit > 0 && rows.size() > limit) rows = rows.subList(0, limit);
        if (rows.isEmpty()) throw new IllegalArgumentException("no answers selected from " + file);
        Map<String, JsonNode> ref = reference == null ? Map.of() : readAnswers(reference, compact);

        if (texts != null) return scoreTexts(command, file, rows, ref, compact);
        ObjectNode summary = RunRecord.JSON.createObjectNode();
        int identical = 0, promptMismatch = 0, refIdentical = 0;
        double rougeHf = 0, rougeRef = 0;
        List<Double> margins = new ArrayList<>();
        Path items = RunRecord.itemsFile(json);
        if (json.toAbsolutePath().getParent() != null) Files.createDirectories(json.toAbsolutePath().getParent());
        long start = System.nanoTime();
        try (ModelPool pool = new ModelPool(modelPath, real.precision(), 1); BufferedWriter w = Files.newBufferedWriter(items)) {
            FfnSkipModel m = pool.first();
            Map<String, int[]> ourPrompts = new HashMap<>();
            Path prompts = chatPrompts != null ? chatPrompts : Shared.eval("chat_prompts.jsonl");
            for (EvalItem i : Task.forName("chat").load(m, prompts, new TaskOptions(0, 0, 0))) ourPrompts.put(i.id(), i.prompts().get(0));
            float[] logits = new float[m.jlama().getConfig().vocabularySize];
            int done = 0;
            for (JsonNode row : rows) {
                String id = row.path("id").asText();
                int[] prompt = ints(row.path("prompt_ids"));
                int[] hf = ints(row.path("ids"));
                ObjectNode o = compact.createObjectNode();
                o.put("id", id);
                o.put("kind", row.path("kind").asText());
                boolean samePrompt = Arrays.equals(prompt, ourPrompts.get(id));
                if (!samePrompt) promptMismatch++;
                o.put("prompt_ids_equal_ours", samePrompt);
                if (decode) {
                    int[] ids;
                    try (DecodeSession s = m.openSession(GatePolicy.DENSE, false)) {
                        ids = BlockStudyCommand.greedy(StudySequence.of(s, 0), m, prompt, maxNewTokens);
                    }
                    String text = BlockStudyCommand.text(m, ids);
                    boolean same = Arrays.equals(ids, hf);
                    if (same) identical++;
                    double r = same ? 1.0 : TextMetrics.rougeL(text, row.path("text").asText());
                    rougeHf += r;
                    o.put("identical_to_hf", same);
                    o.put("first_divergence", same ? -1 : Agreement.compare(hf, ids).firstDivergence());
                    o.put("rouge_l_vs_hf", r);
                    JsonNode other = ref.get(id);
                    if (reference != null) {
                        if (other == null) throw new IllegalArgumentException("no answer for " + id + " in " + reference);
                        int[] oi = ints(other.path("ids"));
                        boolean s2 = Arrays.equals(oi, ids);
                        if (s2) refIdentical++;
                        double r2 = s2 ? 1.0 : TextMetrics.rougeL(text, other.path("text").asText());
                        rougeRef += r2;
                        o.put("identical_to_reference", s2);
                        o.put("rouge_l_vs_reference", r2);
                    }
                    ArrayNode a = o.putArray("ids");
                    for (int t : ids) a.add(t);
                    o.put("text", text);
                } else {
                    Divergence d = null;
                    try (DecodeSession s = m.openSession(GatePolicy.DENSE, false)) {
                        s.prefill(prompt);
                        for (int i = 0; i < hf.length && d == null; i++) {
                            s.copyLogits(logits);
                            d = firstDivergence(logits, i, hf[i]);
                            if (d == null && i + 1 < hf.length) s.step(hf[i]);
                        }
                    }
                    o.put("identical_to_hf", d == null);
                    o.put("hf_tokens", hf.length);
                    if (d == null) identical++;
                    else {
                        margins.add(d.marginToReference());
                        o.put("first_divergence", d.step());
                        o.put("ours", d.ours());
                        o.put("ours_text", m.decode(new int[] { d.ours() }));
                        o.put("hf", d.reference());
                        o.put("hf_text", m.decode(new int[] { d.reference() }));
                        o.put("hf_rank_in_ours", d.referenceRank());
                        o.put("logit_margin_to_hf", d.marginToReference());
                        o.put("logit_margin_top1_top2", d.marginTop2());
                    }
                }
                w.write(compact.writeValueAsString(o));
                w.newLine();
                done++;
                if (done % 10 == 0) System.out.printf(Locale.ROOT, "%d/%d answers, %d identical (%.0f s)%n", done, rows.size(), identical, (System.nanoTime() - start) / 1e9);
            }
            summary.put("model", pool.modelName());
            summary.put("fingerprint", m.info().fingerprint().id());
            summary.put("precision", pool.precision().name().toLowerCase(Locale.ROOT));
        }
        int n = rows.size();
        summary.put("command", command);
        summary.put("answers_file", file.toString());
        summary.put("mode", decode ? "decode" : "teacher_forced");
        summary.put("n", n);
        summary.put("identical_to_hf", identical);
        summary.put("identical_fraction", (double) identical / n);
        summary.put("prompt_ids_differ_from_ours", promptMismatch);
        if (decode) {
            summary.put("max_new_tokens", maxNewTokens);
            summary.put("mean_rouge_l_vs_hf", rougeHf / n);
            if (reference != null) {
                summary.put("reference", reference.toString());
                summary.put("identical_to_reference", refIdentical);
                summary.put("mean_rouge_l_vs_reference", rougeRef / n);
            }
        } else {
            double[] ms = margins.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            ObjectNode mm = summary.putObject("mismatch_logit_margin_to_hf");
            mm.put("count", ms.length);
            if (ms.length > 0) {
                mm.put("median", ms[ms.length / 2]);
                mm.put("max", ms[ms.length - 1]);
                mm.put("below_0.1", Arrays.stream(ms).filter(v -> v < 0.1).count());
                mm.put("below_0.5", Arrays.stream(ms).filter(v -> v < 0.5).count());
                mm.put("below_1.0", Arrays.stream(ms).filter(v -> v < 1.0).count());
            }
        }
        summary.put("seconds", (System.nanoTime() - start) / 1e9);
        RunRecord.JSON.writeValue(json.toFile(), summary);
        System.out.println(RunRecord.JSON.writeValueAsString(summary));
        return 0;
    }

    /** Text-level scores of external answers (no token ids): identical after normalisation, ROUGE-L. */
    private int scoreTexts(String command, Path file, List<JsonNode> rows, Map<String, JsonNode> ref, ObjectMapper compact) throws IOException {
        Map<String, String> answersById = new HashMap<>();
        JsonNode root = Files.readString(texts).strip().startsWith("{") && !texts.toString().endsWith(".jsonl") ? compact.readTree(texts.toFile()) : null;
        if (root != null && root.has("prompts")) {
            for (JsonNode p : root.get("prompts")) answersById.put(p.path("id").asText(), p.path("text").asText());
        } else {
            readAnswers(texts, compact).forEach((id, j) -> answersById.put(id, j.path("text").asText()));
        }
        int identical = 0, refIdentical = 0, n = 0;
        double rougeHf = 0, rougeRef = 0;
        Path items = RunRecord.itemsFile(json);
        if (json.toAbsolutePath().getParent() != null) Files.createDirectories(json.toAbsolutePath().getParent());
        try (BufferedWriter w = Files.newBufferedWriter(items)) {
            for (JsonNode row : rows) {
                String id = row.path("id").asText();
                String text = answersById.get(id);
                if (text == null) continue;
                n++;
                ObjectNode o = compact.createObjectNode();
                o.put("id", id);
                boolean same = TextMetrics.exactMatch(text, row.path("text").asText());
                if (same) identical++;
                double r = TextMetrics.rougeL(text, row.path("text").asText());
                rougeHf += r;
                o.put("identical_to_hf", same);
                o.put("rouge_l_vs_hf", r);
                if (reference != null) {
                    JsonNode other = ref.get(id);
                    if (other == null) throw new IllegalArgumentException("no answer for " + id + " in " + reference);
                    boolean s2 = TextMetrics.exactMatch(text, other.path("text").asText());
                    if (s2) refIdentical++;
                    double r2 = TextMetrics.rougeL(text, other.path("text").asText());
                    rougeRef += r2;
                    o.put("identical_to_reference", s2);
                    o.put("rouge_l_vs_reference", r2);
                }
                o.put("text", text);
                w.write(compact.writeValueAsString(o));
                w.newLine();
            }
        }
        if (n == 0) throw new IllegalArgumentException("no answers in " + texts + " for the selected ids");
        ObjectNode summary = RunRecord.JSON.createObjectNode();
        summary.put("command", command);
        summary.put("answers_file", file.toString());
        summary.put("texts", texts.toString());
        summary.put("mode", "texts");
        summary.put("n", n);
        summary.put("identical_to_hf", identical);
        summary.put("identical_fraction", (double) identical / n);
        summary.put("mean_rouge_l_vs_hf", rougeHf / n);
        if (reference != null) {
            summary.put("reference", reference.toString());
            summary.put("identical_to_reference", refIdentical);
            summary.put("mean_rouge_l_vs_reference", rougeRef / n);
        }
        RunRecord.JSON.writeValue(json.toFile(), summary);
        System.out.println(RunRecord.JSON.writeValueAsString(summary));
        return 0;
    }

    private static Map<String, JsonNode> readAnswers(Path file, ObjectMapper compact) throws IOException {
        Map<String, JsonNode> out = new HashMap<>();
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("No such answers file: " + file);
        try (BufferedReader r = RunRecord.openItems(file)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) continue;
                JsonNode j = compact.readTree(line);
                out.put(j.path("id").asText(), j);
            }
        }
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
