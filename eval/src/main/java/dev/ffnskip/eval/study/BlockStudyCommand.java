package dev.ffnskip.eval.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.cli.CommandText;
import dev.ffnskip.eval.cli.RealModelOptions;
import dev.ffnskip.eval.cli.Shared;
import dev.ffnskip.eval.metrics.Agreement;
import dev.ffnskip.eval.metrics.TextMetrics;
import dev.ffnskip.eval.run.ModelPool;
import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.eval.run.RunRecord;
import dev.ffnskip.eval.run.Splits;
import dev.ffnskip.eval.task.EvalItem;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.eval.task.TaskOptions;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.FixedLayerSkip;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.generate.GenerationStats;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The block-skip study on one model: every rule on the same chat prompts and held-out passages of one split, each
 * against the dense decode of the same item, with one definition of FFN work skipped for all (the decoder's
 * {@code ffnWorkSkipped}: skipped blocks whole, channel-sparse FFNs by the columns not read). Rules: the paper gate
 * over thresholds, the {@link OracleSession} bound, policy files (a calibrated layerwise gate, channel skipping),
 * static skip of the first k layers of a ranking, and random FFN skip / layer drop matched per task to the realized
 * ratio of chosen runs (same warm-up, protect 2+2). Also records each layer's mean dense cos(h_mid, h_out) on both
 * item sets, and reads a single-layer ablation (a {@code suite} run of {@code ablate-L<l>} policies) for the
 * per-layer profile. Writes {@code study.json}, {@code study.md} (tables) and PNG charts into {@code --out}.
 */
@Command(name = "block-study", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Block-skip study: paper rule, oracle, policies, static, matched random / layer drop on the same chat prompts and passages.")
public final class BlockStudyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RealModelOptions real;

    @Option(names = "--jlama-threads", defaultValue = "2", description = "Matmul threads of the one model (default: ${DEFAULT-VALUE}).")
    int jlamaThreads;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder with chat_prompts.jsonl and heldout_text.jsonl (default: shared/eval).")
    Path dataDir;

    @Option(names = "--split", defaultValue = "eval", description = "Item split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--chat-limit", defaultValue = "16", description = "Chat prompts (default: ${DEFAULT-VALUE}).")
    int chatLimit;

    @Option(names = "--max-new-tokens", defaultValue = "48", description = "New tokens per chat answer (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--ppl-limit", defaultValue = "8", description = "Held-out passages (default: ${DEFAULT-VALUE}).")
    int pplLimit;

    @Option(names = "--max-text-tokens", defaultValue = "96", description = "Text tokens per passage (default: ${DEFAULT-VALUE}).")
    int maxTextTokens;

    @Option(names = "--ppl-context", defaultValue = "16", description = "Dense-prefilled, unscored leading tokens per passage (default: ${DEFAULT-VALUE}).")
    int pplContext;

    @Option(names = "--paper", split = ",", paramLabel = "T", description = "Paper gate thresholds (protect 2+2, warm-up --warmup).")
    List<Double> paper = new ArrayList<>();

    @Option(names = "--oracle", split = ",", paramLabel = "T", description = "Oracle thresholds (protect 2+2, warm-up --warmup).")
    List<Double> oracle = new ArrayList<>();

    @Option(names = "--warmup", defaultValue = "2", description = "Dense decode steps of the paper, oracle and static rules (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--policy", paramLabel = "FAMILY@NAME=FILE", description = "A policy JSON; the part before @ is its family (curve).")
    Map<String, Path> policies = new LinkedHashMap<>();

    @Option(names = "--static-ranking", split = ",", paramLabel = "L", description = "Layers from least to most harmful to skip (e.g. by single-layer ablation).")
    List<Integer> staticRanking = new ArrayList<>();

    @Option(names = "--static-k", split = ",", paramLabel = "K", description = "Static skip of the first K layers of --static-ranking at every gated step.")
    List<Integer> staticK = new ArrayList<>();

    @Option(names = "--match", split = ",", paramLabel = "MODE", description = "random, layerdrop: matched to every run of the --match-to families, per task.")
    List<String> match = new ArrayList<>();

    @Option(names = "--match-to", split = ",", paramLabel = "FAMILY", defaultValue = "static", description = "Families the baselines match (default: ${DEFAULT-VALUE}).")
    List<String> matchTo;

    @Option(names = "--ablation-dir", paramLabel = "DIR", description = "A suite output with perplexity runs named ablate-L<l> (and dense), for the per-layer profile.")
    Path ablationDir;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder.")
    Path out;

    /** One rule's scores on one task. */
    record Scores(double workSkipped, double blockRatio, double gatedBlockRatio, Map<String, Double> metrics) {}

    private final List<ObjectNode> runs = new ArrayList<>();
    private final PrintStream log = System.out;

    @Override
    public Integer call() throws IOException {
        String command = CommandText.of(spec);
        Path modelPath = real.path();
        Path data = dataDir != null ? dataDir : Shared.dir().resolve("eval");
        Splits.Split s = Splits.Split.parse(split);
        TaskOptions options = new TaskOptions(maxNewTokens, maxTextTokens, 0, pplContext);
        ObjectNode report = RunRecord.JSON.createObjectNode();
        ModelPool.Precision prec = real.precision();
        // one model, items in sequence: all matmul threads go to it
        try (FfnSkipModel m = FfnSkipModel.load(modelPath, prec.options(jlamaThreads))) {
            int layers = m.info().layers();
            List<EvalItem> chat = Splits.select(Task.forName("chat").load(m, data.resolve("chat_prompts.jsonl"), options), s, chatLimit);
            List<EvalItem> passages = Splits.select(Task.forName("perplexity").load(m, data.resolve("heldout_text.jsonl"), options), s, pplLimit);
            ObjectNode config = report.putObject("config");
            config.put("command", command);
            config.put("model", m.info().name());
            config.put("model_path", modelPath.toString());
            config.put("fingerprint", m.info().fingerprint().id());
            config.put("precision", prec.name().toLowerCase(Locale.ROOT));
            config.put("split", s.label());
            config.put("chat_items", chat.size());
            config.put("max_new_tokens", maxNewTokens);
            config.put("passages", passages.size());
            config.put("max_text_tokens", maxTextTokens);
            config.put("ppl_context", pplContext);
            config.put("warmup", warmup);
            ArrayNode ids = config.putArray("chat_ids");
            chat.forEach(i -> ids.add(i.id()));
            ArrayNode pids = config.putArray("passage_ids");
            passages.forEach(i -> pids.add(i.id()));

            long t0 = System.nanoTime();
            Dense dense = dense(m, chat, passages, layers);
            log.printf(Locale.ROOT, "dense: %d chat answers, perplexity %.3f (%.0f s)%n", chat.size(), dense.perplexity, (System.nanoTime() - t0) / 1e9);
            ObjectNode d = report.putObject("dense");
            d.put("perplexity", dense.perplexity);
            d.put("mean_chat_tokens", Arrays.stream(dense.ids).mapToInt(a -> a.length).average().orElse(0));
            ObjectNode profile = report.putObject("layer_profile");
            profile.set("mean_cosine_chat", array(dense.cosineChat));
            profile.set("mean_cosine_text", array(dense.cosineText));

            Map<String, Supplier<StudySequence>> rules = new LinkedHashMap<>();
            Map<String, GatePolicy> gates = new LinkedHashMap<>();
            for (double t : paper) gates.put(String.format(Locale.ROOT, "paper@%.4f", t), Policies.paper(t).toBuilder().warmupTokens(warmup).build());
            policies.forEach((name, file) -> gates.put(name.contains("@") ? name : "policy@" + name, GatePolicies.read(file)));
            for (int k : staticK) {
                if (k > staticRanking.size()) throw new IllegalArgumentException("--static-k " + k + " exceeds the " + staticRanking.size() + " ranked layers");
                gates.put("static@k" + k, new FixedLayerSkip(new LinkedHashSet<>(staticRanking.subList(0, k)), warmup));
            }
            gates.forEach((name, g) -> rules.put(name, () -> StudySequence.of(m, g)));
            for (double t : oracle) rules.put(String.format(Locale.ROOT, "oracle@%.4f", t), () -> new OracleSession(m, t, 2, 2, warmup));

            Map<String, Scores[]> results = new LinkedHashMap<>();
            for (var e : rules.entrySet()) {
                Scores[] sc = runBoth(e.getKey(), e.getValue(), e.getValue(), m, chat, passages, dense);
                results.put(e.getKey(), sc);
                record(e.getKey(), gates.get(e.getKey()), null, sc);
            }
            for (var e : new ArrayList<>(results.entrySet())) {
                String family = family(e.getKey());
                if (!matchTo.contains(family)) continue;
                for (String mode : match) {
                    GatePolicy[] matched = new GatePolicy[2];
                    for (int task = 0; task < 2; task++) {
                        double ratio = Math.min(e.getValue()[task].gatedBlockRatio(), (double) (layers - 4) / layers);
                        matched[task] = switch (Policies.Mode.parse(mode)) {
                            case RANDOM -> Policies.random(ratio, layers, 2, 2, warmup, 42);
                            case LAYERDROP -> Policies.layerDrop(ratio, 2, 2, warmup);
                            default -> throw new IllegalArgumentException("--match takes random and layerdrop, not " + mode);
                        };
                    }
                    String name = Policies.Mode.parse(mode).label() + "@" + e.getKey();
                    GatePolicy chatPolicy = matched[0], textPolicy = matched[1];
                    Scores[] sc = runBoth(name, () -> StudySequence.of(m, chatPolicy), () -> StudySequence.of(m, textPolicy), m, chat, passages, dense);
                    record(name, chatPolicy, textPolicy, sc);
                }
            }
            if (ablationDir != null) report.set("ablation", ablation(ablationDir, layers));
        }
        ArrayNode r = report.putArray("runs");
        runs.forEach(r::add);
        Files.createDirectories(out);
        RunRecord.JSON.writeValue(out.resolve("study.json").toFile(), report);
        StudyReport.write(report, out);
        log.println("wrote " + out.resolve("study.json") + ", " + out.resolve("study.md"));
        return 0;
    }

    static String family(String name) {
        int at = name.indexOf('@');
        return at < 0 ? name : name.substring(0, at);
    }

    private void record(String name, GatePolicy chatPolicy, GatePolicy textPolicy, Scores[] sc) {
        ObjectNode o = RunRecord.JSON.createObjectNode();
        o.put("name", name);
        o.put("family", family(name));
        if (chatPolicy != null) o.set("policy", json(chatPolicy));
        if (textPolicy != null) o.set("policy_perplexity", json(textPolicy));
        String[] tasks = {"chat", "perplexity"};
        for (int i = 0; i < 2; i++) {
            ObjectNode t = o.putObject(tasks[i]);
            t.put("ffn_work_skipped", sc[i].workSkipped());
            t.put("block_skip_ratio", sc[i].blockRatio());
            t.put("gated_block_skip_ratio", sc[i].gatedBlockRatio());
            sc[i].metrics().forEach(t::put);
        }
        runs.add(o);
    }

    private static JsonNode json(GatePolicy p) {
        try {
            return GatePolicies.toJson(p);
        } catch (IllegalArgumentException e) {
            return RunRecord.JSON.getNodeFactory().textNode(p.describe());
        }
    }

    private Scores[] runBoth(String name, Supplier<StudySequence> chatRule, Supplier<StudySequence> textRule, FfnSkipModel m, List<EvalItem> chat, List<EvalItem> passages, Dense dense) {
        long t0 = System.nanoTime();
        Scores c = chat(chatRule, m, chat, dense);
        Scores p = perplexity(textRule, passages, dense);
        log.printf(Locale.ROOT, "%-28s chat: work %.3f exact %.3f prefix %.3f rouge-L %.3f | text: work %.3f perplexity %.3f (x%.3f) (%.0f s)%n", name,
            c.workSkipped(), c.metrics().get("exact_vs_dense"), c.metrics().get("matched_prefix"), c.metrics().get("rouge_l_vs_dense"),
            p.workSkipped(), p.metrics().get("perplexity"), p.metrics().get("perplexity_ratio"), (System.nanoTime() - t0) / 1e9);
        return new Scores[] { c, p };
    }

    /** Dense reference outputs and the per-layer cosine profile. */
    private static final class Dense {
        int[][] ids;
        String[] texts;
        double perplexity;
        double[] cosineChat;
        double[] cosineText;
    }

    private Dense dense(FfnSkipModel m, List<EvalItem> chat, List<EvalItem> passages, int layers) {
        Dense d = new Dense();
        d.ids = new int[chat.size()][];
        d.texts = new String[chat.size()];
        double[] sum = new double[layers];
        long[] count = new long[layers];
        for (int i = 0; i < chat.size(); i++) {
            try (DecodeSession session = m.openSession(GatePolicy.DENSE, true)) {
                d.ids[i] = greedy(StudySequence.of(session, 0), m, chat.get(i).prompts().get(0), maxNewTokens);
                addCosines(session.stats(), sum, count);
            }
            d.texts[i] = text(m, d.ids[i]);
        }
        d.cosineChat = means(sum, count);
        Arrays.fill(sum, 0);
        Arrays.fill(count, 0);
        double nll = 0;
        long n = 0;
        for (EvalItem item : passages) {
            try (DecodeSession session = m.openSession(GatePolicy.DENSE, true)) {
                double[] r = teacherForced(StudySequence.of(session, 0), item);
                nll += r[0];
                n += (long) r[1];
                addCosines(session.stats(), sum, count);
            }
        }
        d.cosineText = means(sum, count);
        d.perplexity = Math.exp(nll / n);
        return d;
    }

    private static void addCosines(GenerationStats st, double[] sum, long[] count) {
        for (GenerationStats.StepRecord r : st.steps()) {
            for (int l = 0; l < sum.length; l++) {
                float c = r.cosines()[l];
                if (!Float.isNaN(c)) {
                    sum[l] += c;
                    count[l]++;
                }
            }
        }
    }

    private static double[] means(double[] sum, long[] count) {
        double[] out = new double[sum.length];
        for (int l = 0; l < sum.length; l++) out[l] = count[l] == 0 ? Double.NaN : sum[l] / count[l];
        return out;
    }

    private Scores chat(Supplier<StudySequence> rule, FfnSkipModel m, List<EvalItem> chat, Dense dense) {
        double exact = 0, prefix = 0, rouge = 0, work = 0;
        long steps = 0, gated = 0, blocks = 0;
        int layers = m.jlama().numberOfLayers();
        for (int i = 0; i < chat.size(); i++) {
            int[] ids;
            try (StudySequence seq = rule.get()) {
                ids = greedy(seq, m, chat.get(i).prompts().get(0), maxNewTokens);
                work += seq.workSkipped() * seq.decodeSteps();
                steps += seq.decodeSteps();
                gated += seq.gatedSteps();
                blocks += seq.blocksSkipped();
            }
            int[] d = dense.ids[i];
            Agreement a = Agreement.compare(d, ids);
            exact += a.identical() ? 1 : 0;
            prefix += a.identical() || d.length == 0 ? 1.0 : Math.min(1.0, (double) a.firstDivergence() / d.length);
            rouge += a.identical() ? 1.0 : TextMetrics.rougeL(text(m, ids), dense.texts[i]);
        }
        int n = chat.size();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("exact_vs_dense", exact / n);
        metrics.put("matched_prefix", prefix / n);
        metrics.put("rouge_l_vs_dense", rouge / n);
        return new Scores(steps == 0 ? 0 : work / steps, steps == 0 ? 0 : (double) blocks / (steps * layers), gated == 0 ? 0 : (double) blocks / (gated * layers), metrics);
    }

    private Scores perplexity(Supplier<StudySequence> rule, List<EvalItem> passages, Dense dense) {
        double nll = 0, work = 0;
        long n = 0, steps = 0, gated = 0, blocks = 0;
        int layers = dense.cosineText.length;
        for (EvalItem item : passages) {
            try (StudySequence seq = rule.get()) {
                double[] r = teacherForced(seq, item);
                nll += r[0];
                n += (long) r[1];
                work += seq.workSkipped() * seq.decodeSteps();
                steps += seq.decodeSteps();
                gated += seq.gatedSteps();
                blocks += seq.blocksSkipped();
            }
        }
        double ppl = Math.exp(nll / n);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("perplexity", ppl);
        metrics.put("perplexity_ratio", ppl / dense.perplexity);
        return new Scores(steps == 0 ? 0 : work / steps, steps == 0 ? 0 : (double) blocks / (steps * layers), gated == 0 ? 0 : (double) blocks / (gated * layers), metrics);
    }

    /** Greedy decode as the project's generator does it: first token from the prefill, end token included. */
    static int[] greedy(StudySequence seq, FfnSkipModel m, int[] prompt, int maxNewTokens) {
        Set<Integer> ends = m.endTokens();
        int context = m.jlama().usableContextLength();
        seq.prefill(prompt);
        int[] tokens = new int[Math.max(1, maxNewTokens)];
        int n = 0;
        int next = seq.argmax();
        tokens[n++] = next;
        int position = prompt.length;
        while (!ends.contains(next) && n < tokens.length && position < context) {
            seq.step(next);
            position++;
            next = seq.argmax();
            tokens[n++] = next;
        }
        return Arrays.copyOf(tokens, n);
    }

    /** Perplexity as {@code quality --task perplexity} scores it: {total NLL, predicted tokens}. */
    static double[] teacherForced(StudySequence seq, EvalItem item) {
        int[] context = item.prompts().get(0);
        int[] scored = item.prompts().get(1);
        double nll = 0;
        seq.prefill(context);
        for (int i = 0; i < scored.length; i++) {
            nll -= seq.logProbability(scored[i]);
            if (i + 1 < scored.length) seq.step(scored[i]);
        }
        return new double[] { nll, scored.length };
    }

    static String text(FfnSkipModel m, int[] ids) {
        boolean ended = ids.length > 0 && m.endTokens().contains(ids[ids.length - 1]);
        return m.decode(ended ? Arrays.copyOf(ids, ids.length - 1) : ids);
    }

    private static ArrayNode array(double[] v) {
        ArrayNode a = RunRecord.JSON.createArrayNode();
        for (double x : v) a.add(x);
        return a;
    }

    /** Per-layer perplexity with that layer's FFN skipped on every token, from a suite run's JSONs. */
    static ArrayNode ablation(Path dir, int layers) throws IOException {
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                JsonNode j = RunRecord.JSON.readTree(f.toFile());
                if (j.path("task").asText().equals("perplexity")) byName.put(j.path("config").path("label").asText(j.path("config").path("curve").asText()), j);
            }
        }
        JsonNode dense = byName.get("dense");
        if (dense == null) throw new IllegalArgumentException("no dense perplexity run under " + dir);
        ArrayNode out = RunRecord.JSON.createArrayNode();
        double base = dense.path("perplexity").asDouble();
        for (int l = 0; l < layers; l++) {
            JsonNode j = byName.get("ablate-L" + l);
            if (j == null) continue;
            ObjectNode o = out.addObject();
            o.put("layer", l);
            o.put("perplexity", j.path("perplexity").asDouble());
            o.put("perplexity_ratio", j.path("perplexity").asDouble() / base);
            o.put("dense_perplexity", base);
            o.put("top1_agreement", j.path("agreement").path("token_agreement").asDouble(Double.NaN));
            o.put("command", j.path("config").path("command").asText(""));
        }
        return out;
    }
}
