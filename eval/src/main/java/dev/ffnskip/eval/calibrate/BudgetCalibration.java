package dev.ffnskip.eval.calibrate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.run.ModelPool;
import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.eval.run.RunRecord;
import dev.ffnskip.eval.run.Runner;
import dev.ffnskip.eval.run.Splits;
import dev.ffnskip.eval.task.EvalItem;
import dev.ffnskip.eval.task.ItemResult;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.eval.task.TaskOptions;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.Calibration;
import dev.ffnskip.jlama.gate.CalibrationRegistry;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerwiseSkipPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Calibration under a quality budget: a gate is only stored for a model when it keeps perplexity within
 * {@code maxPplIncrease} of dense and the mean ROUGE-L of its chat answers against the dense answers at or above
 * {@code minRougeL}, on the calibration split and again on the evaluation split.
 *
 * <p>Steps, all on the calibration split unless said otherwise:
 * <ol>
 *   <li>dense chat decodes (the reference of every candidate), recording every layer's cos(h_mid, h_out); dense
 *       perplexity;</li>
 *   <li>candidates: the paper gate at each threshold and warm-up (protect 2+2), and the layerwise gate (the {@code k}
 *       layers with the highest mean dense cosine, i.e. whose FFN changes the residual least, or a given ranking; each
 *       layer's threshold its {@code q}-quantile of the dense cosines; warm-up {@code w});</li>
 *   <li>chat: every candidate decodes the chat items in chunks after one shared prefill per item; a candidate whose mean
 *       ROUGE-L can no longer reach the budget (even if every remaining item scored 1) is dropped, so its chat numbers
 *       cover only the items it decoded ({@code abandoned_after});</li>
 *   <li>perplexity for every candidate that met the ROUGE-L budget (if none did, for the one with the highest ROUGE-L,
 *       so the verdict can show its numbers);</li>
 *   <li>the choice: among candidates meeting both budgets and skipping at least {@code minSkip} (realized skip = mean
 *       of the chat and perplexity skip ratios), the most skip;</li>
 *   <li>verification: dense and the choice on the evaluation split with the same settings; only if the budget holds
 *       there too is a {@link Calibration} stored ({@link CalibrationRegistry#store}).</li>
 * </ol>
 * Nothing from the evaluation split feeds the choice: when verification fails, nothing is stored (the next candidate
 * is not tried, which would select on the evaluation split).
 */
final class BudgetCalibration {
    /** The quality budget; {@code maxPplIncrease} is a fraction (0.05 = +5%). */
    record Budget(double maxPplIncrease, double minRougeL, double minSkip) {
        ObjectNode toJson() {
            ObjectNode o = RunRecord.JSON.createObjectNode();
            o.put("max_perplexity_increase", maxPplIncrease);
            o.put("min_rouge_l_vs_dense", minRougeL);
            o.put("min_skip", minSkip);
            return o;
        }

        String describe() {
            return String.format(Locale.ROOT, "perplexity within %+.1f%% of dense and mean ROUGE-L vs dense >= %.3f (and realized skip >= %.3f)",
                maxPplIncrease * 100, minRougeL, minSkip);
        }
    }

    /** Item counts and decoding settings of both tasks (the same on both splits). */
    record Settings(Path chatData, int chatLimit, TaskOptions chatOptions, Path pplData, int pplLimit, TaskOptions pplOptions, int chunk) {
        ObjectNode toJson() {
            ObjectNode o = RunRecord.JSON.createObjectNode();
            o.put("chat_data", chatData.toString());
            o.put("chat_items", chatLimit);
            o.put("chat_max_new_tokens", chatOptions.maxNewTokens());
            o.put("perplexity_data", pplData.toString());
            o.put("perplexity_texts", pplLimit);
            o.put("perplexity_text_tokens", pplOptions.maxTextTokens());
            o.put("perplexity_context", pplOptions.contextTokens());
            o.put("decoding", "greedy");
            return o;
        }
    }

    /** One policy's numbers on one split. */
    static final class Measured {
        final String name;
        final GatePolicy policy;
        final List<ItemResult> chat = new ArrayList<>();
        List<ItemResult> ppl;
        int abandonedAfter = -1;

        Measured(String name, GatePolicy policy) {
            this.name = name;
            this.policy = policy;
        }

        double chatSkip() {
            return BudgetCalibration.skip(chat);
        }

        double rouge() {
            return mean(chat, "rouge_l_vs_dense");
        }

        double exact() {
            return mean(chat, "exact_vs_dense");
        }

        double prefix() {
            return mean(chat, "matched_prefix");
        }

        boolean hasPpl() {
            return ppl != null;
        }

        double perplexity() {
            return BudgetCalibration.perplexity(ppl);
        }

        double pplSkip() {
            return BudgetCalibration.skip(ppl);
        }

        /** Mean of the chat and perplexity skip ratios (chat alone before perplexity is measured). */
        double skip() {
            return hasPpl() ? (chatSkip() + pplSkip()) / 2 : chatSkip();
        }

        double pplIncrease(double densePpl) {
            return hasPpl() ? perplexity() / densePpl - 1 : Double.NaN;
        }

        boolean meets(Budget b, double densePpl) {
            return abandonedAfter < 0 && rouge() >= b.minRougeL() - 1e-12 && hasPpl() && pplIncrease(densePpl) <= b.maxPplIncrease() + 1e-12
                && skip() >= b.minSkip() - 1e-12;
        }

        String line(double densePpl) {
            String chatPart = String.format(Locale.ROOT, "chat skip %.4f exact %.3f prefix %.3f ROUGE-L %.3f%s", chatSkip(), exact(), prefix(), rouge(),
                abandonedAfter >= 0 ? " (abandoned after " + abandonedAfter + " items)" : "");
            String pplPart = hasPpl()
                ? String.format(Locale.ROOT, " | perplexity skip %.4f ppl %.3f (%+.2f%%) | skip %.4f", pplSkip(), perplexity(), pplIncrease(densePpl) * 100, skip())
                : " | perplexity not measured";
            return String.format(Locale.ROOT, "%-30s %s%s", name, chatPart, pplPart);
        }

        ObjectNode toJson(double densePpl) {
            ObjectNode o = RunRecord.JSON.createObjectNode();
            o.put("name", name);
            o.put("skip", skip());
            ObjectNode c = o.putObject("chat");
            c.put("n", chat.size());
            if (abandonedAfter >= 0) c.put("abandoned_after", abandonedAfter);
            c.put("skip", chatSkip());
            c.put("exact_vs_dense", exact());
            c.put("matched_prefix", prefix());
            c.put("rouge_l_vs_dense", rouge());
            c.put("output_tokens", mean(chat, "output_tokens"));
            if (hasPpl()) {
                ObjectNode p = o.putObject("perplexity");
                p.put("n", ppl.size());
                p.put("tokens", (long) ppl.stream().mapToDouble(r -> r.score("tokens")).sum());
                p.put("skip", pplSkip());
                p.put("perplexity", perplexity());
                p.put("dense_perplexity", densePpl);
                p.put("increase", pplIncrease(densePpl));
            }
            o.set("policy", GatePolicies.toJson(policy));
            return o;
        }
    }

    private final ModelPool pool;
    private final Runner runner;
    private final Budget budget;
    private final Settings settings;
    private final PrintWriter log;

    BudgetCalibration(ModelPool pool, Budget budget, Settings settings, PrintWriter log) {
        this.pool = pool;
        this.runner = new Runner(pool, false);
        this.budget = budget;
        this.settings = settings;
        this.log = log;
    }

    /** The candidate family: names to policies, in order. */
    record Family(List<Double> paperThresholds, List<Integer> warmups, List<Integer> layerCounts, List<Double> quantiles, List<Double> localQuantiles, List<Integer> ranking) {}

    /** Where the outcome went. */
    record Outcome(boolean stored, Path file, String verdict) {}

    Outcome run(Family family, boolean store, Path policiesDir, String command, Path out) {
        FfnSkipModel model = pool.first();
        int layers = pool.layers();
        Task chat = Task.forName("chat");
        Task ppl = Task.forName("perplexity");
        List<EvalItem> chatCalib = select(chat, settings.chatData(), settings.chatOptions(), Splits.Split.CALIB, settings.chatLimit());
        List<EvalItem> pplCalib = select(ppl, settings.pplData(), settings.pplOptions(), Splits.Split.CALIB, settings.pplLimit());
        log.printf(Locale.ROOT, "%s (%s, %s): budget %s%n", model.info().name(), model.info().fingerprint().shortId(), model.info().precision(), budget.describe());
        log.printf(Locale.ROOT, "calibration split: %d chat prompts x %d new tokens, %d perplexity texts x %d tokens (scored after %d)%n",
            chatCalib.size(), settings.chatOptions().maxNewTokens(), pplCalib.size(), settings.pplOptions().maxTextTokens(), settings.pplOptions().contextTokens());
        log.flush();

        // 1. Dense references (chat with signal statistics) and dense perplexity.
        long start = System.nanoTime();
        SignalStats stats = new SignalStats(layers, 4096);
        List<ItemResult> denseChat = runner.runMany(chat, chatCalib, List.of(stats), settings.chatOptions(), "chat dense").get(0);
        List<ItemResult> densePplResults = runner.runMany(ppl, pplCalib, List.of(GatePolicy.DENSE), settings.pplOptions(), "perplexity dense").get(0);
        double densePpl = perplexity(densePplResults);
        log.printf(Locale.ROOT, "dense: perplexity %.3f, mean answer %.1f tokens (%.0f s)%n", densePpl, mean(denseChat, "output_tokens"), seconds(start));
        log.flush();

        // 2. Candidates.
        List<Measured> candidates = candidates(family, stats, layers);
        log.println(candidates.size() + " candidates: " + candidates.stream().map(c -> c.name).toList());

        // 3. Chat, in chunks, dropping candidates that can no longer reach the ROUGE-L budget.
        Map<String, ItemResult> reference = new HashMap<>();
        for (ItemResult r : denseChat) reference.put(r.id, r);
        Task chatVsDense = Task.chatAgainst(reference);
        List<Measured> active = new ArrayList<>(candidates);
        int n = chatCalib.size();
        for (int from = 0; from < n && !active.isEmpty(); from += settings.chunk()) {
            List<EvalItem> chunk = chatCalib.subList(from, Math.min(n, from + settings.chunk()));
            List<List<ItemResult>> res = runner.runMany(chatVsDense, chunk, active.stream().map(c -> c.policy).toList(), settings.chatOptions(), "chat");
            for (int i = 0; i < active.size(); i++) active.get(i).chat.addAll(res.get(i));
            int done = from + chunk.size();
            List<Measured> keep = new ArrayList<>();
            for (Measured c : active) {
                double best = (c.chat.stream().mapToDouble(r -> r.score("rouge_l_vs_dense")).sum() + (n - done)) / n;
                if (best < budget.minRougeL() - 1e-12 && done < n) c.abandonedAfter = done;
                else keep.add(c);
            }
            active = keep;
            long meeting = active.stream().filter(c -> c.rouge() >= budget.minRougeL() - 1e-12).count();
            log.printf(Locale.ROOT, done < n ? "chat: %d/%d items, %d candidates can still meet the ROUGE-L budget (%5$.0f s)%n"
                : "chat: %d/%d items, %4$d candidates meet the ROUGE-L budget (%3$d were not dropped early) (%5$.0f s)%n", done, n, active.size(), meeting, seconds(start));
            log.flush();
        }

        // 4. Perplexity for the candidates within the ROUGE-L budget (or the closest one).
        List<Measured> forPpl = candidates.stream().filter(c -> c.abandonedAfter < 0 && c.rouge() >= budget.minRougeL() - 1e-12).toList();
        if (forPpl.isEmpty()) {
            forPpl = candidates.stream().filter(c -> c.chatSkip() > 0).max(Comparator.comparingDouble(Measured::rouge)).stream().toList();
        }
        if (!forPpl.isEmpty()) {
            List<List<ItemResult>> res = runner.runMany(ppl, pplCalib, forPpl.stream().map(c -> c.policy).toList(), settings.pplOptions(), "perplexity");
            for (int i = 0; i < forPpl.size(); i++) forPpl.get(i).ppl = res.get(i);
        }
        for (Measured c : candidates) log.println(c.line(densePpl));
        log.printf(Locale.ROOT, "calibration split done (%.0f s)%n", seconds(start));

        // 5. The choice.
        Measured chosen = candidates.stream().filter(c -> c.meets(budget, densePpl))
            .max(Comparator.comparingDouble(Measured::skip).thenComparingDouble(Measured::rouge)).orElse(null);

        ObjectNode report = RunRecord.JSON.createObjectNode();
        report.put("command", command);
        report.put("model", model.info().name());
        report.put("fingerprint", model.info().fingerprint().id());
        report.put("precision", model.info().precision());
        report.set("budget", budget.toJson());
        report.set("settings", settings.toJson());
        ObjectNode dense = report.putObject("dense_calib");
        dense.put("chat_items", denseChat.size());
        dense.put("chat_output_tokens", mean(denseChat, "output_tokens"));
        dense.put("perplexity", densePpl);
        dense.put("perplexity_texts", densePplResults.size());
        if (family.ranking() != null) report.putPOJO("ranking", family.ranking());
        ArrayNode cands = report.putArray("candidates");
        for (Measured c : candidates) cands.add(c.toJson(densePpl));

        Outcome outcome;
        if (chosen == null) {
            String verdict = "no policy fits the budget on the calibration split (" + budget.describe() + "); stored nothing. " + bestSeen(candidates, densePpl);
            log.println(verdict);
            report.putNull("chosen");
            outcome = new Outcome(false, null, verdict);
        } else {
            log.println("chosen on the calibration split: " + chosen.line(densePpl));
            // 6. Verification on the evaluation split.
            List<EvalItem> chatEval = select(chat, settings.chatData(), settings.chatOptions(), Splits.Split.EVAL, settings.chatLimit());
            List<EvalItem> pplEval = select(ppl, settings.pplData(), settings.pplOptions(), Splits.Split.EVAL, settings.pplLimit());
            List<List<ItemResult>> c = runner.runMany(chat, chatEval, List.of(GatePolicy.DENSE, chosen.policy), settings.chatOptions(), "chat eval");
            List<List<ItemResult>> p = runner.runMany(ppl, pplEval, List.of(GatePolicy.DENSE, chosen.policy), settings.pplOptions(), "perplexity eval");
            Measured verified = new Measured(chosen.name, chosen.policy);
            verified.chat.addAll(c.get(1));
            verified.ppl = p.get(1);
            double densePplEval = perplexity(p.get(0));
            log.printf(Locale.ROOT, "evaluation split (%d chat prompts, %d texts; dense perplexity %.3f): %s%n", chatEval.size(), pplEval.size(), densePplEval,
                verified.line(densePplEval));
            report.put("chosen", chosen.name);
            ObjectNode ev = verified.toJson(densePplEval);
            ev.put("dense_chat_output_tokens", mean(c.get(0), "output_tokens"));
            report.set("eval", ev);
            ObjectNode measured = RunRecord.JSON.createObjectNode();
            measured.put("candidate", chosen.name);
            measured.set("calib", withoutPolicy(chosen.toJson(densePpl)));
            measured.set("eval", withoutPolicy(verified.toJson(densePplEval)));
            measured.set("settings", settings.toJson());
            if (verified.meets(budget, densePplEval)) {
                if (store) {
                    Calibration cal = new Calibration(model.info().name(), model.info().fingerprint(), model.info().precision(), chosen.policy, budget.toJson(), measured, command);
                    Path file = CalibrationRegistry.store(cal, policiesDir);
                    String verdict = String.format(Locale.ROOT, "stored calibration %s for %s (%s) at %s in %s: skip %.4f, perplexity %+.2f%%, ROUGE-L %.3f on the evaluation split",
                        chosen.name, model.info().name(), model.info().fingerprint().shortId(), model.info().precision(), file, verified.skip(),
                        verified.pplIncrease(densePplEval) * 100, verified.rouge());
                    log.println(verdict);
                    outcome = new Outcome(true, file, verdict);
                } else {
                    String verdict = "the choice meets the budget on both splits; --no-store: stored nothing";
                    log.println(verdict);
                    outcome = new Outcome(false, null, verdict);
                }
            } else {
                String verdict = String.format(Locale.ROOT, "%s met the budget on the calibration split but not on the evaluation split (skip %.4f, perplexity %+.2f%%, ROUGE-L %.3f); stored nothing",
                    chosen.name, verified.skip(), verified.pplIncrease(densePplEval) * 100, verified.rouge());
                log.println(verdict);
                outcome = new Outcome(false, null, verdict);
            }
        }
        report.put("stored", outcome.stored());
        if (outcome.file() != null) report.put("stored_file", outcome.file().toString());
        report.put("verdict", outcome.verdict());
        report.put("seconds", seconds(start));
        write(out, report, candidates, densePpl, chosen);
        log.flush();
        return outcome;
    }

    private static ObjectNode withoutPolicy(ObjectNode o) {
        o.remove("policy");
        return o;
    }

    /** The best numbers seen when nothing fits: the largest skip, and the closest candidates on each budget axis. */
    private String bestSeen(List<Measured> candidates, double densePpl) {
        List<Measured> skipping = candidates.stream().filter(c -> c.chatSkip() > 0).toList();
        if (skipping.isEmpty()) return "No candidate skipped any FFN on the calibration items.";
        Measured mostSkip = skipping.stream().max(Comparator.comparingDouble(Measured::skip)).orElseThrow();
        Measured bestRouge = skipping.stream().max(Comparator.comparingDouble(Measured::rouge)).orElseThrow();
        StringBuilder b = new StringBuilder("Best seen: ");
        b.append(String.format(Locale.ROOT, "most skip %.4f (%s, ROUGE-L %.3f%s); ", mostSkip.skip(), mostSkip.name, mostSkip.rouge(),
            mostSkip.abandonedAfter >= 0 ? " over its first " + mostSkip.abandonedAfter + " items" : ""));
        b.append(String.format(Locale.ROOT, "highest ROUGE-L %.3f (%s, skip %.4f%s)", bestRouge.rouge(), bestRouge.name, bestRouge.skip(),
            bestRouge.hasPpl() ? String.format(Locale.ROOT, ", perplexity %+.2f%%", bestRouge.pplIncrease(densePpl) * 100) : ""));
        candidates.stream().filter(Measured::hasPpl).min(Comparator.comparingDouble(c -> c.pplIncrease(densePpl)))
            .filter(c -> c != bestRouge)
            .ifPresent(c -> b.append(String.format(Locale.ROOT, "; smallest perplexity change %+.2f%% (%s, skip %.4f)", c.pplIncrease(densePpl) * 100, c.name, c.skip())));
        return b.append('.').toString();
    }

    private List<Measured> candidates(Family f, SignalStats stats, int layers) {
        List<Measured> out = new ArrayList<>();
        for (int w : f.warmups()) {
            for (double t : f.paperThresholds()) {
                out.add(new Measured(String.format(Locale.ROOT, "paper t=%s w=%d", trim(t), w), Policies.paper(t).toBuilder().warmupTokens(w).build()));
            }
        }
        if (!f.layerCounts().isEmpty() && !(f.quantiles().isEmpty() && f.localQuantiles().isEmpty())) {
            List<Integer> ranking = f.ranking();
            if (ranking == null) {
                ranking = new ArrayList<>();
                for (int l = 1; l < layers - 1; l++) ranking.add(l); // the first and last layer always compute
                // highest mean cos(h_mid, h_out) first: those FFNs change the residual stream least
                ranking.sort(Comparator.comparingDouble((Integer l) -> -stats.meanCosine(l)));
            }
            log.println((f.ranking() == null ? "layers by mean dense cosine, highest first" : "given ranking") + " (layerwise skip order): " + ranking);
            Map<Double, List<Double>> thresholds = new LinkedHashMap<>();
            for (double q : java.util.stream.Stream.concat(f.quantiles().stream(), f.localQuantiles().stream()).distinct().toList()) {
                List<Double> t = new ArrayList<>();
                for (int l = 0; l < layers; l++) {
                    t.add(l == layers - 1 ? Double.POSITIVE_INFINITY : Math.min(1.0, Math.max(1e-6, stats.cosineQuantile(l, q))));
                }
                thresholds.put(q, t);
            }
            for (int w : f.warmups()) {
                for (int k : f.layerCounts()) {
                    if (k > ranking.size()) continue;
                    Set<Integer> skip = new TreeSet<>(ranking.subList(0, k));
                    for (double q : f.quantiles()) {
                        out.add(new Measured(String.format(Locale.ROOT, "layerwise k=%d q=%.2f w=%d", k, q, w), new LayerwiseSkipPolicy(layers, thresholds.get(q), skip, w, k)));
                    }
                    for (double q : f.localQuantiles()) {
                        out.add(new Measured(String.format(Locale.ROOT, "local k=%d q=%.2f w=%d", k, q, w), new LayerwiseSkipPolicy(layers, thresholds.get(q), skip, w, k, false)));
                    }
                }
            }
            lastRanking = ranking;
        }
        return out;
    }

    private List<Integer> lastRanking;

    private static String trim(double t) {
        String s = String.format(Locale.ROOT, "%.6f", t);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private List<EvalItem> select(Task task, Path data, TaskOptions options, Splits.Split split, int limit) {
        List<EvalItem> items = Splits.select(task.load(pool.first(), data, options), split, limit);
        if (items.isEmpty()) throw new IllegalArgumentException("no " + task.name() + " items in " + data + " (split " + split.label() + ")");
        return items;
    }

    private void write(Path out, ObjectNode report, List<Measured> candidates, double densePpl, Measured chosen) {
        if (out == null) return;
        try {
            Files.createDirectories(out);
            if (lastRanking != null) report.putPOJO("ranking", lastRanking);
            RunRecord.JSON.writeValue(out.resolve("calibration.json").toFile(), report);
            if (chosen != null) {
                ObjectNode policy = GatePolicies.toJson(chosen.policy);
                ObjectNode cal = policy.putObject("calibration");
                cal.put("command", report.path("command").asText());
                cal.put("model", report.path("model").asText());
                cal.put("candidate", chosen.name);
                cal.put("stored", report.path("stored").asBoolean());
                RunRecord.JSON.writeValue(out.resolve("policy.json").toFile(), policy);
            }
            StringBuilder md = new StringBuilder("# Budgeted calibration (" + report.path("model").asText() + ", " + report.path("precision").asText() + ")\n\n");
            md.append("Produced by `").append(report.path("command").asText()).append("`.\n\n");
            md.append("Budget: ").append(budget.describe()).append(".\n\n");
            md.append(String.format(Locale.ROOT, "Calibration split: %d chat prompts x %d new tokens (ROUGE-L etc. vs the dense answer), %d held-out texts x %d tokens "
                + "(perplexity over the tokens after the first %d); dense perplexity %.3f.%n%n", report.path("dense_calib").path("chat_items").asInt(),
                settings.chatOptions().maxNewTokens(), report.path("dense_calib").path("perplexity_texts").asInt(), settings.pplOptions().maxTextTokens(),
                settings.pplOptions().contextTokens(), densePpl));
            md.append("| candidate | chat skip | exact | matched prefix | ROUGE-L | ppl skip | perplexity | Δ ppl | skip |\n|---|---|---|---|---|---|---|---|---|\n");
            for (Measured c : candidates) {
                md.append(String.format(Locale.ROOT, "| %s%s | %.4f | %.3f | %.3f | %.3f%s | %s | %s | %s | %.4f |%n", c.name, c == chosen ? " **(chosen)**" : "", c.chatSkip(),
                    c.exact(), c.prefix(), c.rouge(), c.abandonedAfter >= 0 ? " (first " + c.abandonedAfter + ")" : "",
                    c.hasPpl() ? String.format(Locale.ROOT, "%.4f", c.pplSkip()) : "-", c.hasPpl() ? String.format(Locale.ROOT, "%.3f", c.perplexity()) : "-",
                    c.hasPpl() ? String.format(Locale.ROOT, "%+.2f%%", c.pplIncrease(densePpl) * 100) : "-", c.skip()));
            }
            md.append("\nVerdict: ").append(report.path("verdict").asText()).append('\n');
            Files.writeString(out.resolve("calibration.md"), md);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double skip(List<ItemResult> results) {
        long skipped = 0, total = 0;
        for (ItemResult r : results) {
            skipped += r.ffnSkipped + r.layersDropped;
            total += r.ffnTotal;
        }
        return total == 0 ? 0 : (double) skipped / total;
    }

    static double perplexity(List<ItemResult> results) {
        double nll = results.stream().mapToDouble(r -> r.score("nll")).sum();
        double tokens = results.stream().mapToDouble(r -> r.score("tokens")).sum();
        return Math.exp(nll / tokens);
    }

    static double mean(List<ItemResult> results, String score) {
        return results.stream().mapToDouble(r -> r.score(score)).average().orElse(Double.NaN);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
