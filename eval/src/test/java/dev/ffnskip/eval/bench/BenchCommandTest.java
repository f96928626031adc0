package dev.ffnskip.eval.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.eval.Main;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The scripted interface end to end on the tiny shape: fields and consistency only, no timing assertions. */
class BenchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DECODE_STEPS = 8;

    @TempDir
    static Path tmp;

    static JsonNode run;
    static String stdout;
    static String markdown;
    static boolean llamaCpp;

    @BeforeAll
    static void runBench() throws IOException {
        Path json = tmp.resolve("results").resolve("bench-tiny.json");
        stdout = bench(json, "--skip-ratios", "0,0.3,0.4", (llamaCpp = LlamaCppRunner.available()) ? "--llama-cpp" : "--no-llama-cpp");
        run = JSON.readTree(json.toFile());
        markdown = Files.readString(tmp.resolve("results").resolve("bench-tiny.md"));
        assertThat(Files.size(tmp.resolve("results").resolve("bench-tiny.png"))).isPositive();
    }

    /** Runs {@code bench --shape tiny} with the test's prompt, steps and rounds plus {@code extra}; returns its stdout. */
    static String bench(Path json, String... extra) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> args = new ArrayList<>(List.of("bench", "--shape", "tiny", "--json", json.toString(), "--cache-dir", tmp.resolve("cache").toString(),
            "--prompt-tokens", "16", "--decode-steps", Integer.toString(DECODE_STEPS), "--repeats", "2", "--warmup-rounds", "1"));
        args.addAll(List.of(extra));
        int code = cl.execute(args.toArray(String[]::new));
        assertThat(code).as("exit code, stderr: %s", err).isZero();
        return out.toString();
    }

    @Test
    void documentedFieldsArePresent() {
        assertThat(run.get("stock").get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(run.get("gate_off").get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(run.get("gate_off").get("speedup_vs_stock").asDouble()).isPositive();
        assertThat(run.get("runs")).hasSize(3);
        double[] expected = { 0, 0.3, 0.4 };
        for (int i = 0; i < 3; i++) {
            JsonNode r = run.get("runs").get(i);
            assertThat(r.get("s").asDouble()).isEqualTo(expected[i]);
            for (String f : new String[] { "decode_tokens_per_s", "speedup_vs_stock", "ideal_speedup", "prefill_tokens_per_s" }) {
                assertThat(r.get(f).asDouble()).as(f).isPositive();
            }
            assertThat(r.has("realized_skip_ratio")).isTrue();
            assertThat(r.has("fraction_of_ideal")).isTrue();
            assertThat(r.get("decode_tokens_per_s_samples")).hasSize(2);
            assertThat(r.get("chat_model").get("decode_tokens_per_s").asDouble()).isPositive();
        }
        assertThat(run.get("peak_rss_mb").asDouble()).isPositive();
        assertThat(run.get("f").asDouble()).isBetween(0.0, 1.0);
        assertThat(run.get("prompt_tokens").asInt()).isEqualTo(16);
        assertThat(run.get("decode_steps").asInt()).isEqualTo(DECODE_STEPS);
        assertThat(run.get("repeats").asInt()).isEqualTo(2);
        assertThat(run.get("stock_generate").get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(run.get("chat_model").get("gate_off").get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(run.get("targets").has("speedup_vs_stock_at_s0.4")).isTrue();
        assertThat(run.get("command").asText()).contains("bench --shape tiny");
        assertThat(stdout).contains("bench: s=0.4");
    }

    @Test
    void llamaCppRunsInterleavedOnTheSameShape() {
        assumeThat(llamaCpp).as("llama.cpp: %s", LlamaCppRunner.availability().reason()).isTrue();
        JsonNode l = run.get("llama_cpp");
        assertThat(l).as("the llama.cpp row").isNotNull();
        assertThat(l.get("decode_tokens_per_s").asDouble()).isPositive();
        assertThat(l.get("prefill_tokens_per_s").asDouble()).isPositive();
        assertThat(l.get("speedup_vs_stock").asDouble()).isPositive();
        // once per measured round, not in the warm-up round, every step decoded, the same prompt tokens as ours
        assertThat(l.get("decode_tokens_per_s_samples")).hasSize(2);
        assertThat(l.get("decode_steps").asInt()).isEqualTo(DECODE_STEPS);
        assertThat(l.get("prompt_tokens").asInt()).isEqualTo(16);
        assertThat(l.get("threads").asInt()).isEqualTo(run.get("threads").asInt());
        assertThat(l.get("system_info").asText()).contains("n_threads = " + run.get("threads").asInt());
        assertThat(Path.of(l.get("gguf").asText())).exists().hasParent(Path.of(run.get("q4_folder").asText()).getParent());
        double mean = run.get("mean_context").asDouble();
        assertThat(l.get("bytes_per_token_mb").asDouble()).isEqualTo(ModelShape.TINY.ggmlQ4_0DecodeTraffic(mean).total() / 1e6, offset(1e-9));
        assertThat(markdown).contains("| llama.cpp (Q4_0 GGUF) |");
        assertThat(stdout).contains("bench: llama.cpp ");
    }

    /** Every variant as a fraction of the bandwidth limit: measured bandwidth over its bytes read per token. */
    @Test
    void everyVariantReportsItsShareOfTheBandwidthLimit() {
        double bw = run.get("read_bandwidth").get("gb_per_s").asDouble() * 1e9;
        assertThat(bw).isPositive().isFinite();
        assertThat(run.get("read_bandwidth").get("threads").asInt()).isEqualTo(run.get("threads").asInt());
        List<JsonNode> variants = new ArrayList<>(List.of(run.get("stock"), run.get("gate_off"), run.get("stock_generate"), run.get("chat_model").get("gate_off")));
        run.get("runs").forEach(r -> {
            variants.add(r);
            variants.add(r.get("chat_model"));
        });
        if (run.has("llama_cpp")) variants.add(run.get("llama_cpp"));
        for (JsonNode v : variants) {
            double bytes = v.get("bytes_per_token_mb").asDouble() * 1e6;
            assertThat(v.get("bandwidth_limit_tokens_per_s").asDouble()).isCloseTo(bw / bytes, offset(1e-6 * bw / bytes));
            assertThat(v.get("fraction_of_bandwidth_limit").asDouble())
                .isCloseTo(v.get("decode_tokens_per_s").asDouble() * bytes / bw, offset(1e-9)).isPositive();
        }
        // skipped FFNs are not read: the byte count of a run is the dense count less the skipped share of the FFN bytes
        double dense = run.get("gate_off").get("bytes_per_token_mb").asDouble();
        double ffn = run.get("bytes_per_token_mb").get("ffn").asDouble();
        assertThat(dense).isEqualTo(run.get("bytes_per_token_mb").get("total").asDouble());
        for (JsonNode r : run.get("runs")) {
            assertThat(r.get("bytes_per_token_mb").asDouble()).isCloseTo(dense - ffn * r.get("realized_skip_ratio").asDouble(), offset(1e-9));
        }
        assertThat(markdown).contains("% of limit").contains("Read bandwidth measured by the bench");
    }

    @Test
    void realizedSkipRatiosMatchTheRequestedOnes() {
        int layers = ModelShape.TINY.layers();
        for (JsonNode r : run.get("runs")) {
            double s = r.get("s").asDouble();
            // the raw policy skips floor(N s L) of N x L blocks
            assertThat(r.get("realized_skip_ratio").asDouble()).isEqualTo(Math.floor(DECODE_STEPS * s * layers + 1e-9) / (DECODE_STEPS * layers));
            assertThat(r.get("ideal_speedup").asDouble()).isEqualTo(1 / (1 - run.get("f").asDouble() * r.get("realized_skip_ratio").asDouble()), org.assertj.core.data.Offset.offset(1e-12));
            // the chat policy skips round(s L) middle layers at every step; the random model must not stop early
            JsonNode chat = r.get("chat_model");
            assertThat(chat.get("decode_steps").asInt()).isEqualTo(DECODE_STEPS);
            assertThat(chat.get("realized_skip_ratio").asDouble()).isEqualTo((double) ForcedSkip.skippedPerStep(s, layers) / layers);
        }
        assertThat(run.get("gate_off").get("realized_skip_ratio").asDouble()).isZero();
    }

    @Test
    void withoutChannelSparsitiesThereIsNoChannelRow() {
        assertThat(run.has("channel")).isFalse();
        assertThat(markdown).doesNotContain("channel skipping");
        assertThat(stdout).doesNotContain("bench: channel");
    }

    /**
     * Channel skipping at 50%: thresholds from one dense decode of the bench prompt, so the realized share of FFN
     * weight reads not done on the measured decodes is near 0.5 (the sparse decode's own activations differ a little).
     */
    @Test
    void channelSparsityRunsBesideTheBlockRows() throws IOException {
        Path json = tmp.resolve("channel").resolve("bench-channel.json");
        String out = bench(json, "--skip-ratios", "0.5", "--channel-sparsities", "0.5", "--no-chat", "--no-stock-generate", "--no-llama-cpp");
        JsonNode o = JSON.readTree(json.toFile());
        assertThat(o.get("runs")).as("the block-skip rows stay").hasSize(1);
        assertThat(o.get("channel")).hasSize(1);
        JsonNode ch = o.get("channel").get(0);
        assertThat(ch.get("s").asDouble()).isEqualTo(0.5);
        assertThat(ch.get("policy").asText()).startsWith("channel-skip target=0.50 warmup=0").contains("one dense decode of the bench prompt");
        assertThat(ch.get("ffn_work_skipped").asDouble()).isBetween(0.3, 0.7);
        assertThat(ch.get("ffn_work_skipped_samples")).hasSize(2);
        // no FFN block is skipped whole: the share comes from the channels
        assertThat(ch.get("realized_skip_ratio").asDouble()).isZero();
        for (String f : new String[] { "decode_tokens_per_s", "decode_tokens_per_s_min", "speedup_vs_gate_off", "speedup_vs_stock", "prefill_tokens_per_s" }) {
            assertThat(ch.get(f).asDouble()).as(f).isPositive();
        }
        assertThat(ch.get("decode_tokens_per_s_samples")).hasSize(2);
        assertThat(ch.get("decode_steps").asInt()).isEqualTo(DECODE_STEPS);
        double bw = o.get("read_bandwidth").get("gb_per_s").asDouble() * 1e9;
        assertThat(ch.get("fraction_of_bandwidth_limit").asDouble())
            .isCloseTo(ch.get("decode_tokens_per_s").asDouble() * ch.get("bytes_per_token_mb").asDouble() * 1e6 / bw, offset(1e-9));
        String md = Files.readString(json.resolveSibling("bench-channel.md"));
        assertThat(md).contains("Channel skipping (`--channel-sparsities`, not block skipping)")
            .contains(String.format(java.util.Locale.ROOT, "| channel skipping | 0.5 | %.4f", ch.get("ffn_work_skipped").asDouble()));
        assertThat(out).contains("bench: channel s=0.5");
    }

    /** The byte model's Q4 sizes agree with the tensors Jlama's quantizer actually wrote. */
    @Test
    void q4ByteModelMatchesTheQuantizedFiles() throws IOException {
        Path q4 = Path.of(run.get("q4_folder").asText());
        ModelShape s = ModelShape.TINY;
        long attention = 0;
        long ffn = 0;
        long head = 0;
        for (String file : new String[] { "model.safetensors", "lm_head.safetensors" }) {
            Iterator<Map.Entry<String, JsonNode>> it = header(q4.resolve(file)).fields();
            while (it.hasNext()) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                long bytes = e.getValue().get("data_offsets").get(1).asLong() - e.getValue().get("data_offsets").get(0).asLong();
                String name = e.getKey().replaceFirst("\\.qb$", "");
                if (name.contains(".self_attn.")) attention += bytes;
                else if (name.contains(".mlp.")) ffn += bytes;
                else if (name.equals("lm_head.weight")) head += bytes;
            }
        }
        ModelShape.DecodeTraffic t = s.q4DecodeTraffic(0);
        assertThat((double) attention).isEqualTo(t.attention());
        assertThat((double) ffn).isEqualTo(t.ffn());
        assertThat((double) head).isEqualTo(t.outputHead());
    }

    private static JsonNode header(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            ByteBuffer h = ByteBuffer.allocate((int) len.getLong(0));
            ch.read(h, 8);
            return JSON.readTree(h.array());
        }
    }
}
