package dev.ffnskip.jlama.load.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real SmolLM2-135M-Instruct Q4_1 GGUF (Q4_1 weights, Q8_0 token embedding, F32 norms) against the references
 * transformers/gguf-py computed in {@code ../shared/eval/reference_smollm2-135m-instruct.json}: per tensor the type, the
 * GGUF dims, the first 8 dequantized values (exactly) and the float64 sum and sum of squares of all values.
 */
class GgufSmolLm2TensorsTest {
    private static final int CHUNK = 1 << 20; // elements per dequantizeRows call: a multiple of every block size

    private static GgufFile file;
    private static JsonNode reference;

    @BeforeAll
    static void load() throws IOException {
        Path gguf = SharedAssets.model("smollm2-135m-instruct").resolve("SmolLM2-135M-Instruct.Q4_1.gguf");
        Path json = SharedAssets.eval("reference_smollm2-135m-instruct.json");
        if (!Files.isRegularFile(gguf)) throw new IllegalStateException("Shared SmolLM2 GGUF missing: " + gguf);
        file = GgufFile.open(gguf);
        reference = new ObjectMapper().readTree(json.toFile()).get("tensors");
        if (reference == null) throw new IllegalStateException(json + " has no 'tensors' section");
    }

    @AfterAll
    static void close() {
        if (file != null) file.close();
    }

    @Test
    void metadata() {
        assertThat(file.version()).isEqualTo(3);
        assertThat(file.string("general.architecture")).isEqualTo("llama");
        assertThat(file.integer("llama.block_count")).isEqualTo(30);
        assertThat(file.integer("llama.embedding_length")).isEqualTo(576);
        assertThat(file.string("tokenizer.ggml.model")).isEqualTo("gpt2");
        assertThat(file.string("tokenizer.ggml.pre")).isEqualTo("smollm");
        List<?> tokens = file.array("tokenizer.ggml.tokens");
        assertThat(tokens).hasSize(49152);
        assertThat(tokens.get(0)).isEqualTo("<|endoftext|>");
        assertThat(tokens.get(1)).isEqualTo("<|im_start|>");
        assertThat(tokens.get(2)).isEqualTo("<|im_end|>");
        assertThat(file.arrayElementType("tokenizer.ggml.tokens")).contains(GgufValueType.STRING);
        assertThat(file.array("tokenizer.ggml.merges")).hasSize(48900).allMatch(m -> m instanceof String);
    }

    @Test
    void everyTensorMatchesTheReference() {
        Set<String> expectedNames = new LinkedHashSet<>();
        reference.fieldNames().forEachRemaining(expectedNames::add);
        Set<String> actualNames = new LinkedHashSet<>();
        for (GgufTensor t : file.tensors()) actualNames.add(t.name());
        assertThat(actualNames).containsExactlyInAnyOrderElementsOf(expectedNames);

        float[] buffer = new float[CHUNK];
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        long elements = 0;
        for (Map.Entry<String, JsonNode> e : reference.properties()) {
            String name = e.getKey();
            JsonNode ref = e.getValue();
            GgufTensor t = file.requireTensor(name);
            assertThat(t.type().name()).as(name + " type").isEqualTo(ref.get("type").asText());
            long[] dims = new long[ref.get("gguf_dims").size()];
            for (int i = 0; i < dims.length; i++) dims[i] = ref.get("gguf_dims").get(i).asLong();
            assertThat(t.dims()).as(name + " dims").containsExactly(dims);

            // Neumaier-compensated float64 sums. A float32 converts to float64 exactly and the square of a float32
            // (24-bit significand) is exact in float64 (53 bits), so these sums are accurate to about one rounding;
            // the reference (numpy, pairwise summation) sums in another order, so the two agree to a relative 1e-9
            // of the sum of magnitudes, not bit for bit.
            Neumaier sum = new Neumaier();
            Neumaier sumsq = new Neumaier();
            double sumAbs = 0;
            float[] first8 = new float[8];
            long total = t.elementCount();
            for (long at = 0; at < total; at += CHUNK) {
                int n = (int) Math.min(CHUNK, total - at);
                file.dequantizeRows(t, at, n, buffer, 0);
                if (at == 0) System.arraycopy(buffer, 0, first8, 0, Math.min(8, n));
                for (int i = 0; i < n; i++) {
                    double x = buffer[i];
                    sum.add(x);
                    sumsq.add(x * x);
                    sumAbs += Math.abs(x);
                }
            }
            elements += total;

            JsonNode refFirst8 = ref.get("first8");
            for (int i = 0; i < refFirst8.size(); i++) {
                float want = (float) refFirst8.get(i).doubleValue();
                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(first8[i])) {
                    failures.add(name + " first8[" + i + "]: expected " + want + ", got " + first8[i]);
                }
            }
            check(failures, name + " sum", ref.get("sum").doubleValue(), sum.value(), sumAbs);
            check(failures, name + " sumsq", ref.get("sumsq").doubleValue(), sumsq.value(), sumsq.value());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(failures).as("tensors differing from the reference").isEmpty();
        assertThat(elements).isGreaterThan(130_000_000L);
        // A full dequantization of the 98 MB file must take seconds, not minutes (generous for slow CI machines).
        assertThat(seconds).as("seconds to dequantize and sum all " + elements + " elements").isLessThan(30);
    }

    /** Relative 1e-9 of the magnitude scale (the sum of |x| for sums, the value itself for sums of squares). */
    private static void check(List<String> failures, String what, double expected, double actual, double scale) {
        double tolerance = 1e-9 * Math.max(Math.abs(expected), scale) + 1e-12;
        if (!(Math.abs(expected - actual) <= tolerance)) {
            failures.add(what + ": expected " + expected + ", got " + actual + " (difference "
                + Math.abs(expected - actual) + ", tolerance " + tolerance + ")");
        }
    }

    /** Kahan-Babuska (Neumaier) compensated summation. */
    private static final class Neumaier {
        private double sum;
        private double compensation;

        void add(double x) {
            double t = sum + x;
            if (Math.abs(sum) >= Math.abs(x)) compensation += (sum - t) + x;
            else compensation += (x - t) + sum;
            sum = t;
        }

        double value() {
            return sum + compensation;
        }
    }
}
