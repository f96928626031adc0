package dev.ffnskip.eval.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the CPU time of a benchmark run went, by part of the decoder, from a JFR recording with CPU-time samples
 * (JDK 25: {@code jdk.CPUTimeSample}, which also samples threads inside the native matmul kernels) or, failing that,
 * execution and native-method samples.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -XX:StartFlightRecording=filename=run.jfr,settings=profile,+jdk.CPUTimeSample#enabled=true,+jdk.CPUTimeSample#throttle=2ms \
 *     -jar eval/target/ffn-skip-eval.jar bench ...
 * java -cp eval/target/ffn-skip-eval.jar dev.ffnskip.eval.bench.JfrSummary run.jfr
 * </pre>
 *
 * A sample is attributed to the first frame (from the top of its stack) that names a known part; Jlama's worker
 * threads only show the matmul lambda they run, which is why the parts are named after Jlama's lambdas.
 */
public final class JfrSummary {
    private JfrSummary() {}

    /** Part name by frame (class simple name + method, or a prefix of it); first match from the top of the stack wins. */
    private static final String[][] PARTS = {
        { "ResidualCosine.measure", "gate: cosine signal" },
        { "MLPBlock.lambda$forward$0", "FFN: gate+up matmul" },
        { "MLPBlock.lambda$forward$3", "FFN: down matmul" },
        { "MLPBlock.lambda$forward$2", "FFN: SiLU (common pool)" },
        { "MLPBlock.forward", "FFN: other (maccumulate, quantize)" },
        { "AbstractModel.lambda$sample$", "head: matmul (F32 x Q4)" },
        { "AbstractModel.sample", "head: norm + argmax" },
        { "CausalSelfAttention.lambda$forward$0", "attention: q (or qkv) matmul" },
        { "CausalSelfAttention.lambda$forward$1", "attention: k, v matmuls" },
        { "CausalSelfAttention.lambda$forward$6", "attention: RoPE" },
        { "CausalSelfAttention.lambda$forward$7", "attention: scores, softmax, values" },
        { "CausalSelfAttention.lambda$forward$8", "attention: o matmul" },
        { "CausalSelfAttention.forward", "attention: other (KV copy, quantize)" },
        { "RMSNorm.forward", "norms (RMSNorm)" },
        { "LlamaModel.maybeQuantize", "activation quantize (I8)" },
        { "GatedLlamaModel.maybeQuantize", "activation quantize (I8)" },
        { "GatedTransformerBlock.forward", "layer: other (residual adds)" },
        { "TransformerBlock.forward", "layer: other (residual adds)" },
        { "StatsRecorder.", "gate: decisions + stats" },
        { "GatedLlamaModel.decodeStep", "gate: decisions + stats" },
        { "FfnGate", "gate: decisions + stats" },
        { "ForkJoinPool.", "thread pool: scheduling, parking" },
        { "ForkJoinTask.", "thread pool: scheduling, parking" },
    };

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: JfrSummary RECORDING.jfr");
            System.exit(2);
        }
        System.out.print(summarize(Path.of(args[0])));
    }

    public static String summarize(Path jfr) throws IOException {
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        String type = events.stream().anyMatch(e -> e.getEventType().getName().equals("jdk.CPUTimeSample")) ? "jdk.CPUTimeSample" : null;
        Map<String, Integer> byPart = new LinkedHashMap<>();
        Map<String, Integer> byThread = new LinkedHashMap<>();
        int total = 0;
        for (RecordedEvent e : events) {
            String name = e.getEventType().getName();
            boolean wanted = type != null ? name.equals(type) : name.equals("jdk.ExecutionSample") || name.equals("jdk.NativeMethodSample");
            if (!wanted) continue;
            RecordedStackTrace st = e.getStackTrace();
            if (st == null) continue;
            total++;
            byPart.merge(part(st.getFrames()), 1, Integer::sum);
            String thread = e.hasField("eventThread") && e.getThread("eventThread") != null ? e.getThread("eventThread").getJavaName() : "?";
            byThread.merge(thread == null ? "?" : thread.replaceAll("-\\d+$", "-N"), 1, Integer::sum);
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s: %d samples (%s)%n", jfr.getFileName(), total, type != null ? type : "execution + native method samples"));
        append(out, "part", byPart, total);
        append(out, "thread", byThread, total);
        return out.toString();
    }

    private static void append(StringBuilder out, String title, Map<String, Integer> counts, int total) {
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort((a, b) -> Integer.compare(b.getValue(), a.getValue()));
        out.append(String.format(Locale.ROOT, "| %s | share of CPU samples |%n|---|---|%n", title));
        for (var e : sorted) out.append(String.format(Locale.ROOT, "| %s | %.1f%% |%n", e.getKey(), 100.0 * e.getValue() / total));
    }

    static String part(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String type = f.getMethod().getType().getName();
            String simple = type.substring(type.lastIndexOf('.') + 1);
            String m = simple + "." + f.getMethod().getName();
            for (String[] p : PARTS) if (m.startsWith(p[0]) || simple.startsWith(p[0])) return p[1];
        }
        return "other (loading, JSON, JIT, ...)";
    }
}
