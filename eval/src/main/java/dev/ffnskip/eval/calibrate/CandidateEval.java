package dev.ffnskip.eval.calibrate;

import dev.ffnskip.eval.run.Evaluation;
import dev.ffnskip.jlama.gate.GatePolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A candidate policy's measurements on the calibration items of every calibration task. */
public record CandidateEval(String name, GatePolicy policy, List<TaskScore> tasks) {

    /** One task: realized skip ratio, exact match and its loss vs dense in points, share of outputs identical to dense. */
    public record TaskScore(String task, int n, double skip, double exactMatch, double emLossPoints, double identical) {}

    public static CandidateEval of(String name, GatePolicy policy, Map<String, Evaluation.Outcome> byTask, Map<String, Double> denseEm) {
        List<TaskScore> scores = new ArrayList<>();
        for (var e : byTask.entrySet()) {
            Evaluation.Outcome o = e.getValue();
            double em = o.metric("exact_match");
            double identical = o.summary().path("agreement").path("identical_fraction").asDouble(1.0);
            // tasks without exact match (continuation) are judged by agreement alone
            double loss = Double.isNaN(em) ? 0 : (denseEm.get(e.getKey()) - em) * 100;
            scores.add(new TaskScore(e.getKey(), o.summary().path("n").asInt(), o.skipRatio(), em, loss, identical));
        }
        return new CandidateEval(name, policy, scores);
    }

    /** Mean realized skip ratio over the tasks (each task weighted equally). */
    public double skip() {
        return tasks.stream().mapToDouble(TaskScore::skip).average().orElse(0);
    }

    /** The largest EM loss over the tasks, in points. */
    public double worstEmLoss() {
        return tasks.stream().mapToDouble(TaskScore::emLossPoints).max().orElse(0);
    }

    /** The smallest identical-to-dense share over the tasks. */
    public double worstIdentical() {
        return tasks.stream().mapToDouble(TaskScore::identical).min().orElse(1);
    }

    public String line() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-28s skip %.3f worst-loss %+5.1f worst-identical %.3f |", name, skip(), worstEmLoss(), worstIdentical()));
        for (TaskScore t : tasks) {
            b.append(String.format(Locale.ROOT, " %s skip %.3f em %.3f (%+.1f) id %.3f |", t.task(), t.skip(), t.exactMatch(), -t.emLossPoints(), t.identical()));
        }
        return b.toString();
    }
}
