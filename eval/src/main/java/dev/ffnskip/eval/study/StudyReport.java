package dev.ffnskip.eval.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The block study's Markdown table and charts: ROUGE-L and perplexity ratio against FFN work skipped, one curve per
 * family (dense is the point at 0 of each), and the per-layer profile (mean dense cosine, single-layer ablation).
 */
final class StudyReport {
    private StudyReport() {}

    static void write(JsonNode study, Path dir) throws IOException {
        JsonNode runs = study.path("runs");
        StringBuilder md = new StringBuilder();
        JsonNode c = study.path("config");
        md.append("Command: `").append(c.path("command").asText()).append("`\n\n");
        md.append(String.format(Locale.ROOT, "Model %s (%s, fingerprint %s), split %s: %d chat prompts x %d new tokens, %d passages x %d tokens (first %d dense, unscored). Dense perplexity %.3f.%n%n",
            c.path("model").asText(), c.path("precision").asText(), c.path("fingerprint").asText().substring(0, Math.min(12, c.path("fingerprint").asText().length())), c.path("split").asText(),
            c.path("chat_items").asInt(), c.path("max_new_tokens").asInt(), c.path("passages").asInt(), c.path("max_text_tokens").asInt(), c.path("ppl_context").asInt(),
            study.path("dense").path("perplexity").asDouble()));
        md.append("| rule | chat: FFN work skipped | exact | matched prefix | ROUGE-L | text: FFN work skipped | perplexity | x dense |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        md.append("| dense | 0 | 1 | 1 | 1 | 0 | ").append(f(study.path("dense").path("perplexity").asDouble())).append(" | x1.000 |\n");
        for (JsonNode r : runs) {
            JsonNode ch = r.path("chat"), t = r.path("perplexity");
            md.append("| ").append(r.path("name").asText()).append(" | ").append(f(ch.path("ffn_work_skipped").asDouble()))
                .append(" | ").append(f(ch.path("exact_vs_dense").asDouble())).append(" | ").append(f(ch.path("matched_prefix").asDouble()))
                .append(" | ").append(f(ch.path("rouge_l_vs_dense").asDouble())).append(" | ").append(f(t.path("ffn_work_skipped").asDouble()))
                .append(" | ").append(f(t.path("perplexity").asDouble())).append(" | x").append(String.format(Locale.ROOT, "%.3f", t.path("perplexity_ratio").asDouble())).append(" |\n");
        }
        JsonNode ablation = study.path("ablation");
        JsonNode cosChat = study.path("layer_profile").path("mean_cosine_chat");
        JsonNode cosText = study.path("layer_profile").path("mean_cosine_text");
        md.append("\n| layer | mean dense cos(h_mid, h_out), chat | same, held-out text | perplexity with this FFN skipped on every token (x dense) |\n|---|---|---|---|\n");
        Map<Integer, Double> abl = new LinkedHashMap<>();
        for (JsonNode a : ablation) abl.put(a.path("layer").asInt(), a.path("perplexity_ratio").asDouble());
        for (int l = 0; l < cosChat.size(); l++) {
            md.append("| ").append(l).append(" | ").append(String.format(Locale.ROOT, "%.4f", cosChat.get(l).asDouble())).append(" | ")
                .append(String.format(Locale.ROOT, "%.4f", cosText.get(l).asDouble())).append(" | ")
                .append(abl.containsKey(l) ? String.format(Locale.ROOT, "x%.3f", abl.get(l)) : "-").append(" |\n");
        }
        Files.writeString(dir.resolve("study.md"), md.toString());
        pareto(runs, "chat", "rouge_l_vs_dense", 1.0, "ROUGE-L vs dense (chat)", dir.resolve("pareto-rouge-l.png"));
        pareto(runs, "perplexity", "perplexity_ratio", 1.0, "perplexity / dense (held-out text, log scale)", dir.resolve("pareto-perplexity.png"));
        if (cosChat.size() > 0) profile(cosChat, cosText, abl, dir.resolve("layer-profile.png"));
    }

    private static String f(double v) {
        return Double.isNaN(v) ? "-" : Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.3f", v);
    }

    private static void pareto(JsonNode runs, String task, String metric, double denseValue, String yTitle, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(960).height(560).title(yTitle + " vs FFN work skipped")
            .xAxisTitle("FFN work skipped (" + task + ")").yAxisTitle(yTitle).build();
        chart.getStyler().setMarkerSize(7);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        if (metric.equals("perplexity_ratio")) chart.getStyler().setYAxisLogarithmic(true);
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        for (JsonNode r : runs) {
            JsonNode t = r.path(task);
            String family = r.path("family").asText();
            if (family.equals("random") || family.equals("layerdrop")) family = family + " (matched)";
            curves.computeIfAbsent(family, k -> new ArrayList<>()).add(new double[] { t.path("ffn_work_skipped").asDouble(), t.path(metric).asDouble() });
        }
        for (var e : curves.entrySet()) {
            List<double[]> pts = new ArrayList<>(e.getValue());
            pts.add(new double[] { 0, denseValue });
            pts.sort(Comparator.comparingDouble(p -> p[0]));
            XYSeries s = chart.addSeries(e.getKey(), pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[1]).toArray());
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void profile(JsonNode cosChat, JsonNode cosText, Map<Integer, Double> ablation, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(960).height(560).title("Per-layer profile")
            .xAxisTitle("layer").yAxisTitle("mean dense cos(h_mid, h_out)  /  log10(perplexity ratio) when skipped").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setMarkerSize(6);
        double[] x = new double[cosChat.size()];
        double[] a = new double[cosChat.size()];
        double[] b = new double[cosChat.size()];
        for (int l = 0; l < x.length; l++) {
            x[l] = l;
            a[l] = cosChat.get(l).asDouble();
            b[l] = cosText.get(l).asDouble();
        }
        chart.addSeries("mean cosine, chat decode", x, a).setMarker(SeriesMarkers.CIRCLE);
        chart.addSeries("mean cosine, held-out text", x, b).setMarker(SeriesMarkers.SQUARE);
        if (!ablation.isEmpty()) {
            double[] lx = ablation.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
            double[] ly = ablation.values().stream().mapToDouble(v -> Math.log10(v)).toArray();
            chart.addSeries("log10(perplexity x dense), this FFN skipped on every token", lx, ly).setMarker(SeriesMarkers.DIAMOND);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
