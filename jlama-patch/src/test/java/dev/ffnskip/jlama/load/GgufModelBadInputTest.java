package dev.ffnskip.jlama.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.load.gguf.GgmlType;
import dev.ffnskip.jlama.load.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF files that describe no loadable model fail with a {@link ModelLoadException} naming the problem, before
 * anything is written to the cache; a well-formed tiny file loads and generates.
 */
class GgufModelBadInputTest {
    private static final int HIDDEN = 64, HEADS = 2, KV_HEADS = 1, FFN = 128, LAYERS = 2;

    @TempDir
    Path tmp;

    /** A tiny random-weight Llama with a 4-token-plus-bytes vocabulary; {@code edit} changes it before writing. */
    private Path tinyModel(String name, Consumer<Spec> edit) {
        Spec s = new Spec();
        edit.accept(s);
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", s.architecture);
        String a = s.architecture;
        if (!s.omit.equals(a + ".block_count")) w.putUInt32(a + ".block_count", LAYERS);
        w.putUInt32(a + ".context_length", 64);
        w.putUInt32(a + ".embedding_length", HIDDEN);
        w.putUInt32(a + ".feed_forward_length", FFN);
        w.putUInt32(a + ".attention.head_count", HEADS);
        w.putUInt32(a + ".attention.head_count_kv", KV_HEADS);
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
        w.putFloat32(a + ".rope.freq_base", 10000f);
        List<String> tokens = new ArrayList<>(List.of("<s>", "</s>"));
        for (char c = 'a'; c <= 'z'; c++) tokens.add(String.valueOf(c));
        tokens.add("Ġ");
        List<Long> types = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) types.add(i < 2 ? 3L : 1L);
        w.put("tokenizer.ggml.model", s.tokenizerModel);
        w.put("tokenizer.ggml.pre", "gpt2");
        w.put("tokenizer.ggml.tokens", new GgufWriter.Array(dev.ffnskip.jlama.load.gguf.GgufValueType.STRING, tokens));
        w.put("tokenizer.ggml.merges", new GgufWriter.Array(dev.ffnskip.jlama.load.gguf.GgufValueType.STRING, List.of("a b")));
        w.put("tokenizer.ggml.token_type", new GgufWriter.Array(dev.ffnskip.jlama.load.gguf.GgufValueType.INT32, types.stream().map(Long::intValue).toList()));
        w.putUInt32("tokenizer.ggml.bos_token_id", 0);
        w.putUInt32("tokenizer.ggml.eos_token_id", 1);
        Random r = new Random(1);
        int vocab = tokens.size();
        tensor(w, r, "token_embd.weight", HIDDEN, vocab);
        tensor(w, r, "output_norm.weight", HIDDEN);
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            tensor(w, r, p + "attn_norm.weight", HIDDEN);
            tensor(w, r, p + "attn_q.weight", HIDDEN, s.qRows);
            tensor(w, r, p + "attn_k.weight", HIDDEN, KV_HEADS * HIDDEN / HEADS);
            tensor(w, r, p + "attn_v.weight", HIDDEN, KV_HEADS * HIDDEN / HEADS);
            tensor(w, r, p + "attn_output.weight", HIDDEN, HIDDEN);
            tensor(w, r, p + "ffn_norm.weight", HIDDEN);
            tensor(w, r, p + "ffn_gate.weight", HIDDEN, FFN);
            tensor(w, r, p + "ffn_up.weight", HIDDEN, FFN);
            if (!s.omit.equals(p + "ffn_down.weight")) tensor(w, r, p + "ffn_down.weight", FFN, HIDDEN);
        }
        Path file = tmp.resolve(name + ".gguf");
        w.write(file);
        return file;
    }

    private static void tensor(GgufWriter w, Random r, String name, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.05 + (name.contains("norm") ? 1 : 0));
        w.addTensor(name, GgmlType.F32, dims, v);
    }

    static final class Spec {
        String architecture = "llama";
        String tokenizerModel = "gpt2";
        String omit = "";
        long qRows = HIDDEN;
    }

    private LoadOptions options() {
        return LoadOptions.builder().workingQuantizationType(com.github.tjake.jlama.safetensors.DType.F32).cacheDirectory(tmp.resolve("cache")).build();
    }

    private void assertFails(Path file, String... messageParts) throws IOException {
        assertThatThrownBy(() -> ModelLoader.prepare(file, options()))
            .isInstanceOf(ModelLoadException.class)
            .message()
            .contains(messageParts);
        Path cache = tmp.resolve("cache");
        if (Files.isDirectory(cache)) {
            try (Stream<Path> left = Files.list(cache)) {
                assertThat(left.toList()).as("nothing half-written in the cache").isEmpty();
            }
        }
    }

    @Test
    void unsupportedArchitectureIsNamed() throws IOException {
        assertFails(tinyModel("falcon", s -> s.architecture = "falcon"), "unsupported architecture 'falcon'");
    }

    @Test
    void missingMetadataKeyIsNamed() throws IOException {
        assertFails(tinyModel("no-layers", s -> s.omit = "llama.block_count"), "llama.block_count");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        assertFails(tinyModel("no-down", s -> s.omit = "blk.1.ffn_down.weight"), "blk.1.ffn_down.weight");
    }

    @Test
    void shapeThatDisagreesWithTheMetadataIsNamed() throws IOException {
        assertFails(tinyModel("bad-q", s -> s.qRows = HIDDEN + 32), "blk.0.attn_q.weight", "metadata implies");
    }

    @Test
    void unsupportedTokenizerIsNamed() throws IOException {
        assertFails(tinyModel("spm", s -> s.tokenizerModel = "llama"), "tokenizer.ggml.model 'llama'");
    }

    @Test
    void wellFormedTinyFileLoadsFromTheFileOrItsFolderAndGenerates() throws IOException {
        Path file = tinyModel("tiny", s -> {});
        try (FfnSkipModel model = FfnSkipModel.load(file, options())) {
            assertThat(model.info().name()).isEqualTo("tiny");
            assertThat(model.info().layers()).isEqualTo(LAYERS);
            assertThat(model.info().fingerprint()).isEqualTo(ModelFingerprint.ofFile(file));
            int[] prompt = model.encodeText("abc");
            assertThat(prompt).isNotEmpty();
            var result = model.generate(prompt, dev.ffnskip.jlama.generate.GenerationRequest.builder().maxNewTokens(4).gate(dev.ffnskip.jlama.gate.GatePolicy.DENSE).build());
            assertThat(result.generatedTokens()).isBetween(1, 4);
        }
        // The folder holding the file loads the same model (converted once: same cache entry).
        assertThat(ModelLoader.prepare(tmp, options()).source().path()).isEqualTo(ModelLoader.prepare(file, options()).source().path());
    }

    @Test
    void folderWithTwoGgufFilesAsksWhichOne() throws IOException {
        tinyModel("one", s -> {});
        tinyModel("two", s -> {});
        assertThatThrownBy(() -> ModelLoader.prepare(tmp, options())).isInstanceOf(ModelLoadException.class).hasMessageContaining("several GGUF files");
    }
}
