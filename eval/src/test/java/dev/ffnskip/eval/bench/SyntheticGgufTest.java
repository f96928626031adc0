package dev.ffnskip.eval.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppPrompt;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppResult;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppRunner;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoader;
import dev.ffnskip.jlama.load.gguf.GgmlType;
import dev.ffnskip.jlama.load.gguf.GgufFile;
import dev.ffnskip.jlama.load.gguf.GgufTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GGUF the bench writes for llama.cpp, on the tiny shape: read back by our GGUF reader (tensors, types, dims,
 * metadata; Q4_0 values against Jlama's own Q4 tensors), loaded and run by llama.cpp; and the bandwidth probe.
 */
class SyntheticGgufTest {
    private static final ModelShape S = ModelShape.TINY;

    @TempDir
    static Path tmp;

    static Path q4;
    static Path gguf;

    @BeforeAll
    static void write() {
        Path source = SyntheticLlama.folder(S, tmp);
        q4 = ModelLoader.prepare(source, LoadOptions.builder().quantizeToQ4(true).cacheDirectory(tmp).build()).folder().path();
        gguf = SyntheticGguf.file(q4, tmp);
    }

    /** GGUF name -> Jlama name and GGUF dims (innermost first) of every tensor of the tiny shape. */
    static Map<String, Object[]> expectedTensors() {
        Map<String, Object[]> t = new LinkedHashMap<>();
        t.put("token_embd.weight", new Object[] { "lm_head.weight", new long[] { S.hidden(), S.vocab() } });
        for (int l = 0; l < S.layers(); l++) {
            String p = "model.layers." + l + ".", b = "blk." + l + ".";
            t.put(b + "attn_norm.weight", new Object[] { p + "input_layernorm.weight", new long[] { S.hidden() } });
            t.put(b + "attn_q.weight", new Object[] { p + "self_attn.q_proj.weight", new long[] { S.hidden(), S.hidden() } });
            t.put(b + "attn_k.weight", new Object[] { p + "self_attn.k_proj.weight", new long[] { S.hidden(), S.kvWidth() } });
            t.put(b + "attn_v.weight", new Object[] { p + "self_attn.v_proj.weight", new long[] { S.hidden(), S.kvWidth() } });
            t.put(b + "attn_output.weight", new Object[] { p + "self_attn.o_proj.weight", new long[] { S.hidden(), S.hidden() } });
            t.put(b + "ffn_norm.weight", new Object[] { p + "post_attention_layernorm.weight", new long[] { S.hidden() } });
            t.put(b + "ffn_gate.weight", new Object[] { p + "mlp.gate_proj.weight", new long[] { S.hidden(), S.intermediate() } });
            t.put(b + "ffn_up.weight", new Object[] { p + "mlp.up_proj.weight", new long[] { S.hidden(), S.intermediate() } });
            t.put(b + "ffn_down.weight", new Object[] { p + "mlp.down_proj.weight", new long[] { S.intermediate(), S.hidden() } });
        }
        t.put("output_norm.weight", new Object[] { "model.norm.weight", new long[] { S.hidden() } });
        return t;
    }

    @Test
    void readsBackWithTheLlamaTensorsTypesAndDims() {
        Map<String, Object[]> expected = expectedTensors();
        try (GgufFile f = GgufFile.open(gguf)) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.tensors()).extracting(GgufTensor::name).containsExactlyInAnyOrderElementsOf(expected.keySet());
            assertThat(f.tensor("output.weight")).as("tied embeddings: llama.cpp uses token_embd as head").isEmpty();
            for (var e : expected.entrySet()) {
                GgufTensor t = f.requireTensor(e.getKey());
                long[] dims = (long[]) e.getValue()[1];
                assertThat(t.dims()).as(e.getKey()).containsExactly(dims);
                assertThat(t.type()).as(e.getKey()).isEqualTo(dims.length == 1 ? GgmlType.F32 : GgmlType.Q4_0);
            }
        }
    }

    @Test
    void metadataDescribesTheShapeAndTheByteLevelTokenizer() {
        try (GgufFile f = GgufFile.open(gguf)) {
            assertThat(f.string("general.architecture")).isEqualTo("llama");
            assertThat(f.integer("llama.block_count")).isEqualTo(S.layers());
            assertThat(f.integer("llama.embedding_length")).isEqualTo(S.hidden());
            assertThat(f.integer("llama.feed_forward_length")).isEqualTo(S.intermediate());
            assertThat(f.integer("llama.attention.head_count")).isEqualTo(S.heads());
            assertThat(f.integer("llama.attention.head_count_kv")).isEqualTo(S.kvHeads());
            assertThat(f.integer("llama.rope.dimension_count")).isEqualTo(S.headSize());
            assertThat(f.integer("llama.context_length")).isEqualTo(S.contextLength());
            assertThat(f.number("llama.rope.freq_base")).isEqualTo(S.ropeTheta());
            assertThat(f.number("llama.attention.layer_norm_rms_epsilon")).isCloseTo(1e-5, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(f.string("tokenizer.ggml.model")).isEqualTo("gpt2");
            assertThat(f.string("tokenizer.ggml.pre")).isEqualTo("default");
            List<?> tokens = f.array("tokenizer.ggml.tokens");
            List<?> types = f.array("tokenizer.ggml.token_type");
            assertThat(tokens).hasSize(S.vocab());
            assertThat(types).hasSize(S.vocab());
            assertThat(f.array("tokenizer.ggml.merges")).isEmpty();
            assertThat(tokens.get((int) f.integer("tokenizer.ggml.bos_token_id"))).isEqualTo("<|begin_of_text|>");
            assertThat(tokens.get((int) f.integer("tokenizer.ggml.eos_token_id"))).isEqualTo("<|end|>");
            assertThat(f.bool("tokenizer.ggml.add_bos_token")).isTrue();
            // byte-level symbols are normal tokens (GPT-2's mapping: 'A' is itself, the space byte is U+0120); the rest control
            int a = tokens.indexOf("A"), space = tokens.indexOf("\u0120");
            assertThat(a).isPositive();
            assertThat(space).isPositive();
            assertThat(types.get(a)).isEqualTo(1L);
            assertThat(types.get(space)).isEqualTo(1L);
            assertThat(types.get(0)).isEqualTo(3L);
            assertThat(types.get(S.vocab() - 1)).isEqualTo(3L);
            assertThat(types.stream().filter(t -> t.equals(1L)).count()).isEqualTo(256);
        }
    }

    /** Every weight of the GGUF equals Jlama's Q4 weight up to the fp16 rounding of its block's scale (2^-11 relative). */
    @Test
    void q4_0ValuesAreJlamasQ4ValuesUpToTheFp16Scale() throws Exception {
        try (GgufFile f = GgufFile.open(gguf); WeightLoader weights = SafeTensorSupport.loadWeights(q4.toFile())) {
            long compared = 0, nonZero = 0;
            for (var e : expectedTensors().entrySet()) {
                GgufTensor t = f.requireTensor(e.getKey());
                float[] ours = f.dequantize(t);
                AbstractTensor jlama = weights.load((String) e.getValue()[0]);
                int cols = (int) t.rowLength(), rows = (int) t.rowCount();
                if (t.type() == GgmlType.Q4_0) assertThat(jlama).as(e.getKey()).isInstanceOf(Q4ByteBufferTensor.class);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        float want = jlama.shape().dims() == 1 ? jlama.get(c) : jlama.get(r, c);
                        float got = ours[r * cols + c];
                        if (Math.abs(got - want) > Math.abs(want) * 0x1p-11f + 1e-12f) {
                            throw new AssertionError(e.getKey() + "[" + r + ", " + c + "] = " + got + ", Jlama's " + want);
                        }
                        compared++;
                        if (want != 0) nonZero++;
                    }
                }
            }
            assertThat(compared).isEqualTo(countWeights());
            assertThat(nonZero).as("random weights, not a file of zeros").isGreaterThan(compared / 2);
        }
    }

    private static long countWeights() {
        return S.layers() * (S.attentionParameters() + S.ffnParameters() + 2L * S.hidden()) + S.outputHeadParameters() + S.hidden();
    }

    /** The byte model of llama.cpp's decode step agrees with the tensor sizes of the file it reads. */
    @Test
    void ggmlByteModelMatchesTheFile() {
        long attention = 0, ffn = 0, head = 0;
        try (GgufFile f = GgufFile.open(gguf)) {
            for (GgufTensor t : f.tensors()) {
                if (t.name().contains(".attn_") && !t.name().endsWith("attn_norm.weight")) attention += t.byteSize();
                else if (t.name().contains(".ffn_") && !t.name().endsWith("ffn_norm.weight")) ffn += t.byteSize();
                else if (t.name().equals("token_embd.weight")) head += t.byteSize();
            }
        }
        ModelShape.DecodeTraffic traffic = S.ggmlQ4_0DecodeTraffic(0);
        assertThat((double) attention).isEqualTo(traffic.attention());
        assertThat((double) ffn).isEqualTo(traffic.ffn());
        assertThat((double) head).isEqualTo(traffic.outputHead());
    }

    @Test
    void isWrittenOnceAndReused() throws IOException {
        var modified = Files.getLastModifiedTime(gguf);
        assertThat(SyntheticGguf.file(q4, tmp)).isEqualTo(gguf);
        assertThat(Files.getLastModifiedTime(gguf)).isEqualTo(modified);
        assertThat(gguf.getParent()).isEqualTo(q4.getParent());
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).toList()).isEmpty();
        }
    }

    @Test
    void llamaCppLoadsItAndDecodesTheRequestedTokens() throws IOException {
        assumeThat(LlamaCppRunner.available()).as("llama.cpp: %s", LlamaCppRunner.availability().reason()).isTrue();
        int steps = 12;
        String text = BenchRunner.promptText(15);
        // A few seconds (JVM start, load, 13 tokens on the tiny model); the timeout only guards a hang.
        LlamaCppRunner.Config c = LlamaCppRunner.Config.of(gguf).withThreads(2).withMaxTokens(steps + 1).withWarmup(0).withCtxSize(S.contextLength())
            .withIgnoreEos(true).withTimeout(Duration.ofSeconds(120)).withWorkDir(tmp.resolve("llamacpp"));
        LlamaCppResult r = LlamaCppRunner.run(c, List.of(new LlamaCppPrompt("tiny", text)));
        LlamaCppResult.PromptResult p = r.prompt("tiny");
        assertThat(p.tokenCounts()).isEqualTo("llama.cpp");
        assertThat(p.promptTokens()).as("15 ASCII characters are 15 byte tokens after the BOS").isEqualTo(16);
        assertThat(p.generatedTokens()).isEqualTo(steps + 1);
        assertThat(p.decodeSteps()).isEqualTo(steps);
        assertThat(p.stop()).isEqualTo("limit");
        assertThat(p.decodeTokensPerSecond()).isPositive().isFinite();
        assertThat(r.systemInfo()).contains("n_threads = 2");
    }

    @Test
    void bandwidthProbeReturnsAPositiveFiniteRate() {
        ReadBandwidth.Result r = ReadBandwidth.measure(2, 64L << 20, 1, 3);
        assertThat(r.bytesPerSecond()).isPositive().isFinite();
        System.out.printf("bandwidth probe: %.2f GB/s (shared machine, not representative)%n", r.gigabytesPerSecond());
        assertThat(r.samples()).hasSize(3);
        for (double x : r.samples()) assertThat(x).isPositive().isFinite().isLessThanOrEqualTo(r.bytesPerSecond());
        assertThat(r.threads()).isEqualTo(2);
        assertThat(r.bufferBytes()).isPositive().isLessThanOrEqualTo(64L << 20);
        // plausible for DRAM read by two cores: more than 100 MB/s, less than 10 TB/s
        assertThat(r.gigabytesPerSecond()).isBetween(0.1, 10_000.0);
        assertThatThrownBy(() -> ReadBandwidth.measure(0, 1 << 20, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReadBandwidth.measure(2, 16, 1, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too small");
    }
}
