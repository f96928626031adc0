package dev.ffnskip.eval.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.jlama.kernels.ColumnQ8Matrix;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Turns a {@link BenchRunner.Result} into the benchmark JSON (the scripted interface), a Markdown summary and a PNG of
 * measured vs ideal speedup.
 *
 * <p>Statistics: every figure of a variant is the median over its repeats; a speedup is the median over rounds of the
 * ratio to stock Jlama's run in the same round (paired, so slow drifts of the machine cancel); spreads are min and max.
 * The ideal speedup is {@code 1 / (1 - f s)} at the realized skip ratio s, with f the FFN share of the bytes a decode
 * step reads (Q4 layers and head, KV cache at the mean measured context).
 *
 * <p>Bandwidth limit: the read bandwidth the bench measured on the machine ({@link ReadBandwidth}, same thread count)
 * over a variant's bytes read per decoded token (skipped FFNs not counted; llama.cpp's Q4_0 file counted as such) is the
 * decode speed no engine could exceed; every variant reports its decode speed as a fraction of that limit.
 *
 * <p>Channel skipping ({@code channel} rows) is another mechanism than the block skipping of {@code runs}: every FFN
 * runs, on the columns of its weights whose activations pass the thresholds; its realized share is the FFN weight
 * reads not done ({@code ffn_work_skipped}, mean over rounds), and its kernel reads column-major Q8 copies of the FFN
 * weights where the dense decode reads Q4.
 */
public final class BenchReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static final double TARGET_GATE_OFF_OVERHEAD = 0.02;
    public static final double TARGET_PREFILL = 0.02;
    public static final double TARGET_FRACTION_OF_IDEAL_AT_03 = 0.95;
    public static final double TARGET_SPEEDUP_AT_04 = 1.30;
    /** The channel-sparse kernel's weights ({@link ColumnQ8Matrix}): int8 plus one float32 scale per block of 32. */
    static final double COLUMN_Q8_BYTES_PER_WEIGHT = 1 + 4.0 / ColumnQ8Matrix.BLOCK;

    private BenchReport() {}

    /** Mean KV positions a decode step reads: steps run at positions P .. P+N-1 and read position + 1 entries. */
    static double meanContext(double promptTokens, double decodeSteps) {
        return promptTokens + (decodeSteps + 1) / 2.0;
    }

    public static ObjectNode json(BenchRunner.Result r, String command) {
        BenchRunner.Config c = r.config();
        ModelShape shape = c.shape();
        ModelShape.DecodeTraffic traffic = shape.q4DecodeTraffic(meanContext(r.rawPromptTokens(), c.decodeSteps()));
        BenchRunner.Measured stock = r.variant(BenchRunner.STOCK);
        BenchRunner.Measured gateOff = r.variant(BenchRunner.GATE_OFF);

        ObjectNode o = JSON.createObjectNode();
        o.put("command", command);
        o.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        ObjectNode s = o.putObject("shape");
        s.put("name", shape.name());
        s.put("hidden", shape.hidden());
        s.put("intermediate", shape.intermediate());
        s.put("layers", shape.layers());
        s.put("heads", shape.heads());
        s.put("kv_heads", shape.kvHeads());
        s.put("vocab", shape.vocab());
        s.put("tied_embeddings", shape.tiedEmbeddings());
        o.put("source_folder", r.sourceFolder().toString());
        o.put("q4_folder", r.q4Folder().toString());
        o.put("weights", r.weightType());
        o.put("working_quantization", r.workingQuantization());
        o.put("tensor_operations", r.operations());
        o.put("quantized_head", r.config().quantizedHead());
        o.put("split_size", r.splitSize());
        o.put("threads", r.threads());
        o.put("cpus", Runtime.getRuntime().availableProcessors());
        o.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        o.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        o.put("prompt_tokens", r.rawPromptTokens());
        o.put("decode_steps", c.decodeSteps());
        o.put("repeats", c.repeats());
        o.put("warmup_rounds", c.warmupRounds());
        o.put("mean_context", traffic.meanContext());
        o.put("max_context", r.rawPromptTokens() + c.decodeSteps());
        ObjectNode b = putTrafficParts(o.putObject("bytes_per_token_mb"), traffic);
        b.put("total", traffic.total() / 1e6);
        o.put("f", traffic.ffnShare());
        o.put("f_note", "FFN share of the bytes read per decoded token: Q4 = 0.5 byte/weight + a float scale per 32 weights for q/k/v/o, gate/up/down and the output head; BF16 embedding row; float32 norms; float32 KV cache at mean_context positions");
        ReadBandwidth.Result bw = r.bandwidth();
        ObjectNode rb = o.putObject("read_bandwidth");
        rb.put("gb_per_s", bw.gigabytesPerSecond());
        rb.put("threads", bw.threads());
        rb.put("buffer_mb", bw.bufferBytes() / (1024.0 * 1024));
        rb.put("passes_per_run", bw.passes());
        rb.set("samples_gb_per_s", JSON.valueToTree(java.util.Arrays.stream(bw.samples()).map(x -> x / 1e9).toArray()));
        rb.put("method", "best of the runs: the threads sum disjoint slices of one off-heap buffer with the widest Vector API longs, timed from the first thread's start (one barrier) to the last thread's end");
        rb.put("note", "fraction_of_bandwidth_limit = decode tok/s x bytes read per token / this bandwidth; bandwidth_limit_tokens_per_s = bandwidth / bytes per token");

        ObjectNode st = variantJson(stock, stock);
        double headShare = median(stock.samples(), x -> (double) x.headNanos() / x.decodeNanos());
        st.put("output_head_ms_per_token", median(stock.samples(), x -> x.headNanos() / 1e6 / x.decodeSteps()));
        st.put("output_head_time_share", headShare);
        st.put("output_head_byte_share", traffic.outputHead() / traffic.total());
        bandwidthLimit(st, traffic.total(), bw);
        o.set("stock", st);
        if (r.variant(BenchRunner.STOCK_GENERATE) != null) {
            ObjectNode g = variantJson(r.variant(BenchRunner.STOCK_GENERATE), stock);
            g.put("note", "stock AbstractModel.generate with Jlama's own millisecond timings, per-session KV buffer and token decoding; a cross-check of the stock loop");
            bandwidthLimit(g, traffic.total(), bw);
            o.set("stock_generate", g);
        }
        ObjectNode off = variantJson(gateOff, stock);
        off.put("decode_overhead_vs_stock", 1 - off.get("speedup_vs_stock").asDouble());
        bandwidthLimit(off, traffic.total(), bw);
        o.set("gate_off", off);

        ArrayNode runs = o.putArray("runs");
        for (double sr : c.skipRatios()) {
            BenchRunner.Measured m = r.variant(BenchRunner.rawKey(sr));
            ObjectNode run = variantJson(m, stock);
            run.put("s", sr);
            addIdeal(run, traffic, sr, gateOff, m);
            bandwidthLimit(run, traffic.total() - traffic.ffn() * run.get("realized_skip_ratio").asDouble(), bw);
            BenchRunner.Measured chat = r.variant(BenchRunner.chatKey(sr));
            if (chat != null) {
                ModelShape.DecodeTraffic ct = shape.q4DecodeTraffic(meanContext(r.chatPromptTokens(), median(chat.samples(), x -> x.decodeSteps())));
                ObjectNode cj = variantJson(chat, stock);
                addIdeal(cj, ct, sr, r.variant(BenchRunner.CHAT_GATE_OFF), chat);
                bandwidthLimit(cj, ct.total() - ct.ffn() * cj.get("realized_skip_ratio").asDouble(), bw);
                run.set("chat_model", cj);
            }
            runs.add(run);
        }
        if (!c.channelSparsities().isEmpty()) {
            ArrayNode channel = o.putArray("channel");
            for (double cs : c.channelSparsities()) channel.add(channelJson(r.variant(BenchRunner.channelKey(cs)), cs, traffic, stock, gateOff, bw));
        }
        BenchRunner.Measured chatOff = r.variant(BenchRunner.CHAT_GATE_OFF);
        if (chatOff != null) {
            ObjectNode cm = o.putObject("chat_model");
            cm.put("path", "LangChain4j ChatModel.chat() -> FfnSkipChatModel (chat template, temperature 0); decode and prefill times from FfnSkipChatResponseMetadata");
            cm.put("prompt_tokens", r.chatPromptTokens());
            ObjectNode cg = variantJson(chatOff, stock);
            bandwidthLimit(cg, shape.q4DecodeTraffic(meanContext(r.chatPromptTokens(), median(chatOff.samples(), x -> x.decodeSteps()))).total(), bw);
            cm.set("gate_off", cg);
        }

        BenchRunner.Measured llama = r.variant(BenchRunner.LLAMA_CPP);
        if (llama != null) o.set("llama_cpp", llamaCppJson(r, llama, stock, bw));

        o.put("peak_rss_mb", r.peakRssMb());
        ObjectNode rss = o.putObject("rss_mb");
        r.rssMb().forEach(rss::put);
        o.put("rss_note", "VmHWM / VmRSS of the whole benchmark process: both models (ours and stock Jlama) are loaded at once and each maps the same Q4 files, so mapped weights count once per model");
        o.set("load_average_before", JSON.valueToTree(r.loadBefore()));
        o.set("load_average_after", JSON.valueToTree(r.loadAfter()));
        o.put("wall_seconds", r.wallSeconds());
        o.set("targets", targets(o));
        return o;
    }

    private static ObjectNode llamaCppJson(BenchRunner.Result r, BenchRunner.Measured m, BenchRunner.Measured stock, ReadBandwidth.Result bw) {
        BenchRunner.LlamaCppInfo info = r.llamaCpp();
        ObjectNode v = variantJson(m, stock);
        v.put("engine", "llama.cpp (de.kherud:llama 4.2.0), its own JVM per round, one unrecorded warm-up generation each time, end-of-generation tokens suppressed");
        v.put("gguf", info.gguf().toString());
        v.put("gguf_mb", info.ggufBytes() / 1e6);
        v.put("weights", "Q4_0 (the Jlama Q4 nibbles, scales rounded to fp16), float32 norms, tied Q4_0 token_embd as head");
        v.put("threads", info.threads());
        v.put("prompt_tokens", median(m.samples(), x -> x.promptTokens()));
        v.put("prefill_note", "llama.cpp's own prompt eval time from its timing log (the streamed time to the first token when the log has none)");
        v.put("llama_cpp_build", info.build());
        v.put("system_info", info.systemInfo());
        ModelShape.DecodeTraffic t = r.config().shape().ggmlQ4_0DecodeTraffic(meanContext(r.rawPromptTokens(), r.config().decodeSteps()));
        ObjectNode b = putTrafficParts(v.putObject("bytes_per_token_parts_mb"), t);
        b.put("note", "Q4_0 = 18 bytes per 32 weights for q/k/v/o, gate/up/down and the tied head; one Q4_0 embedding row; float32 norms; fp16 KV cache at mean_context positions");
        bandwidthLimit(v, t.total(), bw);
        return v;
    }

    private static ObjectNode channelJson(BenchRunner.Measured m, double s, ModelShape.DecodeTraffic traffic, BenchRunner.Measured stock,
        BenchRunner.Measured gateOff, ReadBandwidth.Result bw) {
        ObjectNode v = variantJson(m, stock);
        double[] work = m.samples().stream().mapToDouble(Sample::ffnWorkSkipped).toArray();
        double[] ratios = pairedRatios(m, gateOff);
        double realized = pooledWorkSkipped(m.samples());
        v.put("s", s);
        v.put("ffn_work_skipped", realized);
        v.put("ffn_work_skipped_min", min(work));
        v.put("ffn_work_skipped_max", max(work));
        v.set("ffn_work_skipped_samples", JSON.valueToTree(work));
        v.put("speedup_vs_gate_off", median(ratios));
        v.put("speedup_vs_gate_off_min", min(ratios));
        v.put("speedup_vs_gate_off_max", max(ratios));
        // thresholds 0 (s = 0) keep the dense Q4 path; any cut runs every FFN on the kernel's Q8 columns (Jlama's Q4
        // weights are not Q4_1 blocks, so the kernel cannot keep them as they are)
        double bytesPerWeight = s > 0 ? COLUMN_Q8_BYTES_PER_WEIGHT : ModelShape.Q4_BYTES_PER_WEIGHT;
        double ffnBytes = traffic.ffn() / ModelShape.Q4_BYTES_PER_WEIGHT * bytesPerWeight * (1 - realized);
        v.put("ffn_bytes_per_weight", bytesPerWeight);
        v.put("ffn_bytes_per_token_mb", ffnBytes / 1e6);
        bandwidthLimit(v, traffic.total() - traffic.ffn() + ffnBytes, bw);
        return v;
    }

    /** The decode speed the measured read bandwidth allows at {@code bytesPerToken}, and the share of it the variant reached. */
    private static void bandwidthLimit(ObjectNode v, double bytesPerToken, ReadBandwidth.Result bw) {
        double limit = bw.bytesPerSecond() / bytesPerToken;
        v.put("bytes_per_token_mb", bytesPerToken / 1e6);
        v.put("bandwidth_limit_tokens_per_s", limit);
        v.put("fraction_of_bandwidth_limit", v.get("decode_tokens_per_s").asDouble() / limit);
    }

    private static void addIdeal(ObjectNode run, ModelShape.DecodeTraffic traffic, double nominal, BenchRunner.Measured reference, BenchRunner.Measured m) {
        double realized = pooledSkipRatio(m.samples());
        double ideal = traffic.idealSpeedup(realized);
        run.put("realized_skip_ratio", realized);
        run.put("ideal_speedup", ideal);
        run.put("ideal_speedup_nominal", traffic.idealSpeedup(nominal));
        run.put("fraction_of_ideal", run.get("speedup_vs_stock").asDouble() / ideal);
        if (reference != null) {
            double[] ratios = pairedRatios(m, reference);
            run.put("speedup_vs_gate_off", median(ratios));
            run.put("fraction_of_ideal_vs_gate_off", median(ratios) / ideal);
            // the FFN share of decode *time* implied by the measured speedup: 1/speedup = 1 - f_time x s
            if (realized > 0) run.put("implied_ffn_time_share", (1 - 1 / median(ratios)) / realized);
        }
    }

    private static ObjectNode variantJson(BenchRunner.Measured m, BenchRunner.Measured stock) {
        ObjectNode v = JSON.createObjectNode();
        List<Sample> ss = m.samples();
        double[] decode = ss.stream().mapToDouble(Sample::decodeTokensPerSecond).toArray();
        double[] prefill = ss.stream().mapToDouble(Sample::prefillTokensPerSecond).toArray();
        v.put("policy", m.policy());
        v.put("decode_tokens_per_s", median(decode));
        v.put("decode_tokens_per_s_min", min(decode));
        v.put("decode_tokens_per_s_max", max(decode));
        v.put("decode_spread", (max(decode) - min(decode)) / median(decode));
        v.put("decode_ms_per_token", 1000.0 / median(decode));
        v.put("prefill_tokens_per_s", median(prefill));
        v.put("prefill_tokens_per_s_min", min(prefill));
        v.put("prefill_tokens_per_s_max", max(prefill));
        v.put("prompt_tokens", (int) median(ss, x -> x.promptTokens()));
        v.put("decode_steps", (int) median(ss, x -> x.decodeSteps()));
        v.put("realized_skip_ratio", pooledSkipRatio(ss));
        v.put("wall_ms", median(ss, x -> x.wallNanos() / 1e6));
        v.set("decode_tokens_per_s_samples", JSON.valueToTree(decode));
        v.set("prefill_tokens_per_s_samples", JSON.valueToTree(prefill));
        if (m != stock) {
            double[] ratios = pairedRatios(m, stock);
            v.put("speedup_vs_stock", median(ratios));
            v.put("speedup_vs_stock_min", min(ratios));
            v.put("speedup_vs_stock_max", max(ratios));
            v.put("speedup_vs_stock_of_medians", median(decode) / median(stock.samples().stream().mapToDouble(Sample::decodeTokensPerSecond).toArray()));
            v.put("prefill_vs_stock", median(pairedPrefillRatios(m, stock)));
        } else {
            v.put("speedup_vs_stock", 1.0);
        }
        return v;
    }

    private static ObjectNode targets(ObjectNode o) {
        ObjectNode t = JSON.createObjectNode();
        ObjectNode off = (ObjectNode) o.get("gate_off");
        double overhead = off.get("decode_overhead_vs_stock").asDouble();
        target(t, "gate_off_decode_overhead", overhead, "<= " + TARGET_GATE_OFF_OVERHEAD, overhead <= TARGET_GATE_OFF_OVERHEAD);
        double prefill = 1 - off.get("prefill_vs_stock").asDouble();
        target(t, "gate_off_prefill_slowdown", prefill, "<= " + TARGET_PREFILL, prefill <= TARGET_PREFILL);
        for (var run : o.get("runs")) {
            double s = run.get("s").asDouble();
            if (Math.abs(s - 0.3) < 1e-9) {
                double f = run.get("fraction_of_ideal").asDouble();
                target(t, "fraction_of_ideal_at_s0.3", f, ">= " + TARGET_FRACTION_OF_IDEAL_AT_03, f >= TARGET_FRACTION_OF_IDEAL_AT_03);
            }
            if (Math.abs(s - 0.4) < 1e-9) {
                double sp = run.get("speedup_vs_stock").asDouble();
                target(t, "speedup_vs_stock_at_s0.4", sp, ">= " + TARGET_SPEEDUP_AT_04, sp >= TARGET_SPEEDUP_AT_04);
            }
        }
        return t;
    }

    private static void target(ObjectNode t, String name, double value, String goal, boolean met) {
        ObjectNode n = t.putObject(name);
        n.put("value", value);
        n.put("target", goal);
        n.put("met", met);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // statistics

    static double[] pairedRatios(BenchRunner.Measured m, BenchRunner.Measured reference) {
        return pairedRatios(m, reference, Sample::decodeTokensPerSecond);
    }

    static double[] pairedPrefillRatios(BenchRunner.Measured m, BenchRunner.Measured reference) {
        return pairedRatios(m, reference, Sample::prefillTokensPerSecond);
    }

    /** Per round, {@code metric} of {@code m} over {@code metric} of {@code reference} in the same round. */
    private static double[] pairedRatios(BenchRunner.Measured m, BenchRunner.Measured reference, ToDoubleFunction<Sample> metric) {
        List<Double> out = new ArrayList<>();
        for (Sample a : m.samples()) {
            for (Sample b : reference.samples()) {
                if (a.round() == b.round()) out.add(metric.applyAsDouble(a) / metric.applyAsDouble(b));
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double pooledSkipRatio(List<Sample> ss) {
        long skipped = 0;
        long total = 0;
        for (Sample s : ss) {
            skipped += s.ffnSkipped();
            total += (long) s.decodeSteps() * s.layers();
        }
        return total == 0 ? 0 : (double) skipped / total;
    }

    /** FFN weight reads not done over all decode steps of the samples (the mean over rounds of equal length). */
    static double pooledWorkSkipped(List<Sample> ss) {
        double skipped = 0;
        long steps = 0;
        for (Sample s : ss) {
            skipped += s.ffnWorkSkipped() * s.decodeSteps();
            steps += s.decodeSteps();
        }
        return steps == 0 ? 0 : skipped / steps;
    }

    static double median(List<Sample> ss, ToDoubleFunction<Sample> f) {
        return median(ss.stream().mapToDouble(f).toArray());
    }

    static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).filter(x -> !Double.isNaN(x)).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).filter(x -> !Double.isNaN(x)).max().orElse(Double.NaN);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // files

    /** Writes {@code json}, and beside it the Markdown summary and the PNG (same base name). */
    public static void write(ObjectNode o, Path json) {
        try {
            Path parent = json.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            JSON.writeValue(json.toFile(), o);
            String base = json.getFileName().toString().replaceFirst("\\.json$", "");
            Path png = parent.resolve(base + ".png");
            plot(o, png);
            Files.writeString(parent.resolve(base + ".md"), markdown(o, png.getFileName().toString()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + json + ": " + e.getMessage(), e);
        }
    }

    static void plot(ObjectNode o, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(820).height(540)
            .title(o.get("shape").get("name").asText() + " (Q4, " + o.get("threads").asInt() + " threads): decode speedup vs stock Jlama")
            .xAxisTitle("realized FFN skip ratio s").yAxisTitle("decode speedup vs stock Jlama").build();
        chart.getStyler().setMarkerSize(8);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        double f = o.get("f").asDouble();
        double maxS = 0.05;
        List<double[]> raw = new ArrayList<>();
        List<double[]> chat = new ArrayList<>();
        raw.add(new double[] { 0, o.get("gate_off").get("speedup_vs_stock").asDouble() });
        if (o.has("chat_model")) chat.add(new double[] { 0, o.get("chat_model").get("gate_off").get("speedup_vs_stock").asDouble() });
        for (var run : o.get("runs")) {
            raw.add(new double[] { run.get("realized_skip_ratio").asDouble(), run.get("speedup_vs_stock").asDouble() });
            maxS = Math.max(maxS, run.get("realized_skip_ratio").asDouble());
            if (run.has("chat_model")) {
                var cm = run.get("chat_model");
                chat.add(new double[] { cm.get("realized_skip_ratio").asDouble(), cm.get("speedup_vs_stock").asDouble() });
            }
        }
        List<double[]> channel = new ArrayList<>();
        if (o.has("channel")) channel.add(raw.get(0));
        for (var ch : o.path("channel")) {
            channel.add(new double[] { ch.get("ffn_work_skipped").asDouble(), ch.get("speedup_vs_stock").asDouble() });
            maxS = Math.max(maxS, ch.get("ffn_work_skipped").asDouble());
        }
        int n = 50;
        double[] ix = new double[n + 1];
        double[] iy = new double[n + 1];
        for (int i = 0; i <= n; i++) {
            ix[i] = maxS * 1.05 * i / n;
            iy[i] = 1 / (1 - f * ix[i]);
        }
        XYSeries ideal = chart.addSeries(String.format(Locale.ROOT, "ideal 1/(1 - f s), f = %.3f", f), ix, iy);
        ideal.setMarker(SeriesMarkers.NONE);
        ideal.setLineColor(Color.GRAY);
        ideal.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] { 6f, 4f }, 0f));
        if (o.path("quantized_head").asBoolean()) {
            // Our runs also carry the quantized head's own gain; skipping's limit then starts from our gate-off speed.
            double base = o.get("gate_off").get("speedup_vs_stock").asDouble();
            double[] by = new double[n + 1];
            for (int i = 0; i <= n; i++) by[i] = base * iy[i];
            XYSeries scaled = chart.addSeries(String.format(Locale.ROOT, "gate off (quantized head) x ideal, %.3f / (1 - f s)", base), ix, by);
            scaled.setMarker(SeriesMarkers.NONE);
            scaled.setLineColor(Color.DARK_GRAY);
            scaled.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] { 2f, 3f }, 0f));
        }
        series(chart, "raw model (DecodeSession), measured", raw, new Color(0, 90, 200));
        if (chat.size() > 1) series(chart, "LangChain4j ChatModel, measured", chat, new Color(220, 90, 0));
        if (channel.size() > 1) series(chart, "channel skipping (x = FFN work skipped, Q8 columns), measured", channel, new Color(150, 0, 150));
        if (o.has("llama_cpp")) {
            List<double[]> peer = new ArrayList<>();
            peer.add(new double[] { 0, o.get("llama_cpp").get("speedup_vs_stock").asDouble() });
            series(chart, "llama.cpp (Q4_0 GGUF, dense), measured", peer, new Color(0, 150, 60));
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void series(XYChart chart, String name, List<double[]> pts, Color color) {
        pts.sort((a, b) -> Double.compare(a[0], b[0]));
        XYSeries s = chart.addSeries(name, pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[1]).toArray());
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setLineColor(color);
        s.setMarkerColor(color);
    }

    static String markdown(ObjectNode o, String png) {
        StringBuilder md = new StringBuilder();
        var shape = o.get("shape");
        md.append("# Decode benchmark: ").append(shape.get("name").asText()).append("\n\n");
        md.append("Produced by\n\n```\n").append(o.get("command").asText()).append("\n```\n\n");
        md.append(String.format(Locale.ROOT,
            "Synthetic %s shape (hidden %d, intermediate %d, %d layers, %d/%d heads, vocab %d), random weights pre-quantized to Jlama %s, %s activations, %s, split size %d, %d threads on %d CPUs, %s, max heap %d MB. "
                + "Prompt %d tokens, %d decode steps per run (mean context %.1f), %d repeats after %d warm-up round(s), all variants interleaved per round in rotating order. "
                + "Load average before %s, after %s; wall time %.0f s.%n%n",
            shape.get("name").asText(), shape.get("hidden").asInt(), shape.get("intermediate").asInt(), shape.get("layers").asInt(),
            shape.get("heads").asInt(), shape.get("kv_heads").asInt(), shape.get("vocab").asInt(), o.get("weights").asText(),
            o.get("working_quantization").asText(), o.get("tensor_operations").asText(), o.get("split_size").asInt(), o.get("threads").asInt(),
            o.get("cpus").asInt(), o.get("java").asText(), o.get("max_heap_mb").asInt(), o.get("prompt_tokens").asInt(), o.get("decode_steps").asInt(),
            o.get("mean_context").asDouble(), o.get("repeats").asInt(), o.get("warmup_rounds").asInt(), load(o.get("load_average_before")),
            load(o.get("load_average_after")), o.get("wall_seconds").asDouble()));
        if (o.path("quantized_head").asBoolean()) {
            md.append("Our model runs its output head on the I8-quantized hidden state (`--quantized-head`, `LoadOptions.quantizeHeadInput`); "
                + "stock Jlama runs its own F32 x Q4 head, so `gate_off` vs stock includes the head's gain.\n\n");
        }
        var b = o.get("bytes_per_token_mb");
        md.append(String.format(Locale.ROOT,
            "Bytes read per decoded token: attention %.1f MB, FFN %.1f MB, output head %.1f MB, KV %.1f MB, other %.2f MB, total %.1f MB: **f = %.3f** (FFN share).%n%n",
            b.get("attention").asDouble(), b.get("ffn").asDouble(), b.get("output_head").asDouble(), b.get("kv").asDouble(), b.get("other").asDouble(),
            b.get("total").asDouble(), o.get("f").asDouble()));
        var rb = o.get("read_bandwidth");
        md.append(String.format(Locale.ROOT,
            "Read bandwidth measured by the bench on this machine: **%.2f GB/s** (%d threads summing a %.0f MB off-heap buffer, best of %d runs). "
                + "A variant's bandwidth limit is that over its bytes read per token (skipped FFNs not counted).%n%n",
            rb.get("gb_per_s").asDouble(), rb.get("threads").asInt(), rb.get("buffer_mb").asDouble(), rb.get("samples_gb_per_s").size()));
        var st = o.get("stock");
        md.append(String.format(Locale.ROOT,
            "Stock Jlama spends %.1f ms per token (%.1f%% of decode time) in the output norm, head matmul and greedy pick, against a %.1f%% share of the bytes.%n%n",
            st.get("output_head_ms_per_token").asDouble(), 100 * st.get("output_head_time_share").asDouble(), 100 * st.get("output_head_byte_share").asDouble()));
        md.append("| variant | s | realized skip | decode tok/s (median, min-max) | speedup vs stock (min-max) | ideal | % of ideal | vs gate_off | prefill tok/s | prefill vs stock | MB/token | bandwidth limit tok/s | % of limit |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        if (o.has("llama_cpp")) row(md, "llama.cpp (Q4_0 GGUF)", "-", o.get("llama_cpp"), false);
        row(md, "stock Jlama", "-", o.get("stock"), false);
        if (o.has("stock_generate")) row(md, "stock Jlama generate() (ms timer)", "-", o.get("stock_generate"), false);
        row(md, "gate_off", "-", o.get("gate_off"), false);
        for (var run : o.get("runs")) row(md, "ours", BenchRunner.fmt(run.get("s").asDouble()), run, true);
        StringBuilder implied = new StringBuilder();
        for (var run : o.get("runs")) {
            if (run.has("implied_ffn_time_share")) {
                implied.append(implied.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f at s=%s", run.get("implied_ffn_time_share").asDouble(), BenchRunner.fmt(run.get("s").asDouble())));
            }
        }
        if (implied.length() > 0) {
            md.append(String.format(Locale.ROOT, "%nFFN share of decode time implied by the speedups vs gate_off (1/speedup = 1 - f_time s): %s; the byte share is f = %.3f.%n",
                implied, o.get("f").asDouble()));
        }
        if (o.has("channel")) {
            md.append("\nChannel skipping (`--channel-sparsities`, not block skipping): every FFN runs, but per token and layer it drops the input and intermediate ")
                .append("channels whose magnitude is below the layer's threshold (the s-quantiles of one dense decode of the bench prompt) and does not read their ")
                .append("weight columns; realized = FFN weight reads not done, mean over rounds. Its kernel reads column-major Q8 copies of the FFN weights ")
                .append(String.format(Locale.ROOT, "(%.3f bytes/weight against Q4's %.3f), counted in MB/token.%n%n", COLUMN_Q8_BYTES_PER_WEIGHT, ModelShape.Q4_BYTES_PER_WEIGHT));
            md.append("| variant | s | realized FFN work skipped (min-max) | decode tok/s (median, min-max) | speedup vs gate_off (min-max) | speedup vs stock (min-max) | prefill tok/s | MB/token | bandwidth limit tok/s | % of limit |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|\n");
            for (var v : o.get("channel")) {
                md.append(String.format(Locale.ROOT, "| channel skipping | %s | %.4f (%.4f-%.4f) | %.2f (%.2f-%.2f) | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.1f | %.1f | %.1f | %.1f%% |%n",
                    BenchRunner.fmt(v.get("s").asDouble()), v.get("ffn_work_skipped").asDouble(), v.get("ffn_work_skipped_min").asDouble(), v.get("ffn_work_skipped_max").asDouble(),
                    v.get("decode_tokens_per_s").asDouble(), v.get("decode_tokens_per_s_min").asDouble(), v.get("decode_tokens_per_s_max").asDouble(),
                    v.get("speedup_vs_gate_off").asDouble(), v.get("speedup_vs_gate_off_min").asDouble(), v.get("speedup_vs_gate_off_max").asDouble(),
                    v.get("speedup_vs_stock").asDouble(), v.get("speedup_vs_stock_min").asDouble(), v.get("speedup_vs_stock_max").asDouble(),
                    v.get("prefill_tokens_per_s").asDouble(), v.get("bytes_per_token_mb").asDouble(), v.get("bandwidth_limit_tokens_per_s").asDouble(),
                    100 * v.get("fraction_of_bandwidth_limit").asDouble()));
            }
        }
        if (o.has("chat_model")) {
            md.append("\nThrough the LangChain4j `ChatModel` (`FfnSkipChatModel`, chat template, ")
                .append(o.get("chat_model").get("prompt_tokens").asInt())
                .append(" prompt tokens; the chat policy skips round(s x layers) middle layers per step):\n\n");
            md.append("| variant | s | realized skip | decode tok/s (median, min-max) | speedup vs stock (min-max) | ideal | % of ideal | vs chat gate_off | prefill tok/s | prefill vs stock | MB/token | bandwidth limit tok/s | % of limit |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            row(md, "chat gate_off", "-", o.get("chat_model").get("gate_off"), false);
            for (var run : o.get("runs")) if (run.has("chat_model")) row(md, "chat", BenchRunner.fmt(run.get("s").asDouble()), run.get("chat_model"), true);
        }
        md.append(String.format(Locale.ROOT, "%nPeak RSS (VmHWM, whole process with both models loaded): %.0f MB.%n%n", o.get("peak_rss_mb").asDouble()));
        md.append("Targets:\n\n| target | value | goal | met |\n|---|---|---|---|\n");
        o.get("targets").fields().forEachRemaining(e -> md.append(String.format(Locale.ROOT, "| %s | %.4f | %s | %s |%n", e.getKey(),
            e.getValue().get("value").asDouble(), e.getValue().get("target").asText(), e.getValue().get("met").asBoolean() ? "yes" : "**no**")));
        md.append("\n![measured vs ideal speedup](").append(png).append(")\n");
        return md.toString();
    }

    private static void row(StringBuilder md, String name, String s, com.fasterxml.jackson.databind.JsonNode v, boolean skip) {
        md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f (%.2f-%.2f) | %.3f (%.3f-%.3f) | %s | %s | %s | %.1f | %.3f | %.1f | %.1f | %.1f%% |%n",
            name, s,
            skip ? String.format(Locale.ROOT, "%.4f", v.get("realized_skip_ratio").asDouble()) : "0",
            v.get("decode_tokens_per_s").asDouble(), v.get("decode_tokens_per_s_min").asDouble(), v.get("decode_tokens_per_s_max").asDouble(),
            v.get("speedup_vs_stock").asDouble(), v.path("speedup_vs_stock_min").asDouble(1), v.path("speedup_vs_stock_max").asDouble(1),
            skip ? String.format(Locale.ROOT, "%.3f", v.get("ideal_speedup").asDouble()) : "1",
            skip ? String.format(Locale.ROOT, "%.1f%%", 100 * v.get("fraction_of_ideal").asDouble()) : "-",
            v.has("speedup_vs_gate_off") ? String.format(Locale.ROOT, "%.3f", v.get("speedup_vs_gate_off").asDouble()) : "-",
            v.get("prefill_tokens_per_s").asDouble(), v.path("prefill_vs_stock").asDouble(1),
            v.get("bytes_per_token_mb").asDouble(), v.get("bandwidth_limit_tokens_per_s").asDouble(), 100 * v.get("fraction_of_bandwidth_limit").asDouble()));
    }

    private static String load(com.fasterxml.jackson.databind.JsonNode a) {
        if (a == null || a.size() != 3) return "n/a";
        return String.format(Locale.ROOT, "%.2f/%.2f/%.2f", a.get(0).asDouble(), a.get(1).asDouble(), a.get(2).asDouble());
    }

    /** The parts of one decode step's bytes, in MB, into {@code node}; returns it. */
    private static ObjectNode putTrafficParts(ObjectNode node, ModelShape.DecodeTraffic t) {
        node.put("attention", t.attention() / 1e6);
        node.put("ffn", t.ffn() / 1e6);
        node.put("output_head", t.outputHead() / 1e6);
        node.put("kv", t.kv() / 1e6);
        node.put("other", t.other() / 1e6);
        return node;
    }
}
