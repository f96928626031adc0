package dev.ffnskip.jlama.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.load.gguf.GgufFile;
import dev.ffnskip.jlama.load.gguf.GgufFormatException;
import dev.ffnskip.jlama.load.gguf.GgufTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a GGUF file into the Hugging Face folder layout the rest of the loader reads, once, into the cache.
 *
 * <p>Jlama 0.8.4 has no kernel for GGUF's block layouts (Q4_1, Q8_0, K-quants ...), so the tensors are dequantized
 * exactly to float32 (the values transformers computes with) and written as one {@code model.safetensors}; the config
 * comes from the {@code <arch>.*} metadata and the tokenizer and chat template from the {@code tokenizer.*} metadata
 * alone. GGUF stores the Q and K projections of Llama-style models with their rows permuted for llama.cpp's
 * interleaved rotary layout; they are permuted back to the Hugging Face half-split layout Jlama expects.
 *
 * <p>The copy is written to a temporary folder and moved into place atomically; a folder is only ever reused when it
 * is complete. It also records the source's {@link ModelFingerprint}, so calibrated policies follow the weights, not
 * the file name.
 */
final class GgufImport {
    private static final Logger logger = LoggerFactory.getLogger(GgufImport.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bumped whenever the layout of the copies changes, so stale copies are not reused. */
    private static final String FORMAT = "1";
    static final String SOURCE_FILE = ModelFingerprint.SOURCE_FILE;

    private GgufImport() {}

    /** A {@code .gguf} file, or a folder holding exactly one {@code .gguf} file and no {@code config.json}. */
    static Optional<Path> ggufOf(Path path) {
        if (path == null) return Optional.empty();
        if (Files.isRegularFile(path) && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) return Optional.of(path);
        if (!Files.isDirectory(path) || Files.exists(path.resolve(ModelFolder.CONFIG))) return Optional.empty();
        try (Stream<Path> files = Files.list(path)) {
            List<Path> ggufs = files.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")).sorted().toList();
            if (ggufs.size() > 1) {
                throw new ModelLoadException("Model folder " + path + " holds several GGUF files " + ggufs.stream().map(p -> p.getFileName().toString()).toList() + "; name one of them");
            }
            return ggufs.stream().findFirst();
        } catch (IOException e) {
            throw new ModelLoadException("Cannot list " + path + ": " + e.getMessage(), e);
        }
    }

    /** The converted folder for {@code gguf}, made now if the cache does not hold it yet. */
    static Path converted(Path gguf, Path cacheDirectory) {
        Path file = gguf.toAbsolutePath().normalize();
        ModelFingerprint fingerprint = ModelFingerprint.ofFile(file);
        String stem = file.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        Path target = cacheDirectory.resolve(stem + "-GGUF-F32-" + fingerprint.shortId() + "-v" + FORMAT);
        if (Files.isRegularFile(target.resolve(SOURCE_FILE))) return target;
        try (GgufFile model = GgufFile.open(file)) {
            GgufLayout layout = GgufLayout.of(model);
            Files.createDirectories(cacheDirectory);
            Path staging = cacheDirectory.resolve(".tmp-" + UUID.randomUUID());
            Files.createDirectory(staging);
            try {
                logger.info("Converting {} ({} tensors) to float32 into {}", file, model.tensors().size(), target);
                writeConfig(layout, staging);
                writeTokenizer(model, layout, staging);
                writeWeights(model, layout, staging.resolve(ModelFolder.SINGLE_WEIGHTS));
                Map<String, Object> source = new LinkedHashMap<>();
                source.put("gguf", file.toString());
                source.put("fingerprint", fingerprint.id());
                source.put("format", FORMAT);
                JSON.writerWithDefaultPrettyPrinter().writeValue(staging.resolve(SOURCE_FILE).toFile(), source);
                try {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
                    if (!Files.isRegularFile(target.resolve(SOURCE_FILE))) throw raced;
                } catch (IOException e) {
                    if (!Files.isRegularFile(target.resolve(SOURCE_FILE))) throw e;
                }
            } finally {
                deleteTree(staging);
            }
            return target;
        } catch (IOException e) {
            throw new ModelLoadException("Cannot convert " + file + " into " + cacheDirectory + ": " + e.getMessage(), e);
        }
    }

    private static void writeConfig(GgufLayout layout, Path dir) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of(layout.architecture() == Architecture.QWEN2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
        c.put("model_type", layout.architecture().modelType());
        c.put("hidden_size", layout.hidden());
        c.put("intermediate_size", layout.intermediate());
        c.put("num_hidden_layers", layout.layers());
        c.put("num_attention_heads", layout.heads());
        c.put("num_key_value_heads", layout.kvHeads());
        c.put("head_dim", layout.hidden() / layout.heads());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", layout.contextLength());
        c.put("rms_norm_eps", layout.rmsEps());
        c.put("rope_theta", layout.ropeTheta());
        c.put("tie_word_embeddings", !layout.hasOutputHead());
        c.put("vocab_size", layout.vocabSize());
        c.put("bos_token_id", layout.bosToken());
        c.put("eos_token_id", layout.eosToken());
        c.put("torch_dtype", "float32");
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(ModelFolder.CONFIG).toFile(), c);
    }

    private static void writeTokenizer(GgufFile model, GgufLayout layout, Path dir) throws IOException {
        String kind = model.string("tokenizer.ggml.model");
        if (!kind.equals("gpt2")) {
            throw new GgufFormatException(model.path(), "tokenizer.ggml.model '" + kind + "' is not supported (gpt2-style byte-level BPE only)");
        }
        List<?> tokens = model.array("tokenizer.ggml.tokens");
        List<?> merges = model.array("tokenizer.ggml.merges");
        List<?> types = model.find("tokenizer.ggml.token_type").map(v -> (List<?>) v).orElse(List.of());
        String pre = model.find("tokenizer.ggml.pre").map(Object::toString).orElse("default");
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<Map<String, Object>> added = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id).toString();
            vocab.putIfAbsent(token, id);
            int type = id < types.size() ? ((Number) types.get(id)).intValue() : 1;
            if (type == 3 || type == 4) { // control and user-defined tokens are matched literally, never merged
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", id);
                a.put("content", token);
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", false);
                a.put("special", true);
                added.add(a);
            }
        }
        Map<String, Object> bpe = new LinkedHashMap<>();
        bpe.put("type", "BPE");
        bpe.put("dropout", null);
        bpe.put("unk_token", null);
        bpe.put("fuse_unk", false);
        bpe.put("byte_fallback", false);
        bpe.put("ignore_merges", false);
        bpe.put("vocab", vocab);
        bpe.put("merges", merges);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("version", "1.0");
        t.put("added_tokens", added);
        t.put("normalizer", null);
        t.put("pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", true));
        // Which GGUF pre-tokenizer this vocabulary needs (e.g. smollm: digits one by one, then GPT-2's split); our
        // tokenizer reads it, Hugging Face tools ignore the extra field.
        t.put(Tokenizers.GGUF_PRE_FIELD, pre);
        t.put("post_processor", null);
        t.put("decoder", Map.of("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true));
        t.put("model", bpe);
        JSON.writeValue(dir.resolve(ModelFolder.TOKENIZER).toFile(), t);

        Map<String, Object> tc = new LinkedHashMap<>();
        tc.put("tokenizer_class", "GPT2Tokenizer");
        tc.put("add_bos_token", model.find("tokenizer.ggml.add_bos_token").map(v -> (Boolean) v).orElse(false));
        tc.put("bos_token", tokens.get(layout.bosToken()).toString());
        tc.put("eos_token", tokens.get(layout.eosToken()).toString());
        model.find("tokenizer.chat_template").ifPresent(template -> tc.put("chat_template", template.toString()));
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(ModelFolder.TOKENIZER_CONFIG).toFile(), tc);
    }

    /** One float32 safetensors file; tensors are dequantized and written one at a time. */
    private static void writeWeights(GgufFile model, GgufLayout layout, Path file) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (GgufLayout.Mapped m : layout.tensors()) {
            long bytes = m.tensor().elementCount() * Float.BYTES;
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", "F32");
            entry.put("shape", m.shape());
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(m.hfName(), entry);
            offset += bytes;
        }
        header.put("__metadata__", Map.of("format", "pt", "source", "gguf"));
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        java.util.Arrays.fill(headerBytes, (byte) ' ');
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded));
            out.write(ByteBuffer.wrap(headerBytes));
            for (GgufLayout.Mapped m : layout.tensors()) {
                float[] values = model.dequantize(m.tensor());
                if (m.rotaryHeads() > 0) values = unpermuteRotary(values, m.rotaryHeads(), Math.toIntExact(m.tensor().dims()[0]));
                ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                buffer.asFloatBuffer().put(values);
                while (buffer.hasRemaining()) out.write(buffer);
            }
        }
    }

    /**
     * GGUF's Llama converter orders each head's rows as (pair index, half) so that rotating adjacent rows equals the
     * Hugging Face rotation of the two halves; this restores the Hugging Face order: HF row {@code h*d + j*d/2 + i}
     * is GGUF row {@code h*d + 2i + j}.
     */
    static float[] unpermuteRotary(float[] rows, int heads, int columns) {
        int totalRows = rows.length / columns;
        if (totalRows % heads != 0 || (totalRows / heads) % 2 != 0) {
            throw new ModelLoadException("cannot undo the rotary row order: " + totalRows + " rows over " + heads + " heads");
        }
        int headDim = totalRows / heads;
        int half = headDim / 2;
        float[] out = new float[rows.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int from = h * headDim + 2 * i + j;
                    int to = h * headDim + j * half + i;
                    System.arraycopy(rows, from * columns, out, to * columns, columns);
                }
            }
        }
        return out;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** What a GGUF file holds, checked against its own metadata before anything is written. */
    record GgufLayout(
        Architecture architecture,
        int layers,
        int hidden,
        int intermediate,
        int heads,
        int kvHeads,
        int contextLength,
        double rmsEps,
        double ropeTheta,
        int vocabSize,
        int bosToken,
        int eosToken,
        boolean hasOutputHead,
        List<Mapped> tensors
    ) {
        /** A GGUF tensor with its Hugging Face name, shape (outermost first) and, for Q/K, the heads to un-permute. */
        record Mapped(GgufTensor tensor, String hfName, List<Long> shape, int rotaryHeads) {}

        static GgufLayout of(GgufFile f) {
            String arch = f.string("general.architecture");
            Architecture architecture = switch (arch) {
                case "llama" -> Architecture.LLAMA;
                case "mistral" -> Architecture.MISTRAL;
                case "qwen2" -> Architecture.QWEN2;
                default -> throw new GgufFormatException(f.path(), "unsupported architecture '" + arch + "'; ffn-skip reads llama, mistral and qwen2 GGUF files");
            };
            int layers = intKey(f, arch + ".block_count");
            int hidden = intKey(f, arch + ".embedding_length");
            int intermediate = intKey(f, arch + ".feed_forward_length");
            int heads = intKey(f, arch + ".attention.head_count");
            int kvHeads = f.find(arch + ".attention.head_count_kv").isPresent() ? intKey(f, arch + ".attention.head_count_kv") : heads;
            int context = intKey(f, arch + ".context_length");
            double eps = f.number(arch + ".attention.layer_norm_rms_epsilon");
            double theta = f.find(arch + ".rope.freq_base").isPresent() ? f.number(arch + ".rope.freq_base") : 10000.0;
            int tokens = f.array("tokenizer.ggml.tokens").size();
            int vocab = f.find(arch + ".vocab_size").isPresent() ? intKey(f, arch + ".vocab_size") : tokens;
            int bos = intKey(f, "tokenizer.ggml.bos_token_id");
            int eos = intKey(f, "tokenizer.ggml.eos_token_id");
            if (hidden % heads != 0) throw new GgufFormatException(f.path(), "embedding_length " + hidden + " is not divisible by head_count " + heads);
            if (kvHeads <= 0 || heads % kvHeads != 0) throw new GgufFormatException(f.path(), "head_count " + heads + " is not divisible by head_count_kv " + kvHeads);
            if (f.find(arch + ".rope.dimension_count").isPresent() && intKey(f, arch + ".rope.dimension_count") != hidden / heads) {
                throw new GgufFormatException(f.path(), "rope.dimension_count " + intKey(f, arch + ".rope.dimension_count") + " differs from the head size " + hidden / heads + " (partial rotary embeddings are not supported)");
            }
            if (tokens != vocab) throw new GgufFormatException(f.path(), "" + tokens + " tokenizer tokens but vocab_size " + vocab);
            if (bos < 0 || bos >= vocab || eos < 0 || eos >= vocab) throw new GgufFormatException(f.path(), "bos/eos token ids " + bos + "/" + eos + " are outside the vocabulary");
            if (f.tensor("rope_freqs.weight").isPresent()) {
                throw new GgufFormatException(f.path(), "rope_freqs.weight (Llama 3 rotary scaling) is not supported");
            }
            int headDim = hidden / heads;
            boolean permuted = architecture != Architecture.QWEN2; // llama.cpp permutes Q/K for its interleaved rotary layout only
            List<Mapped> mapped = new ArrayList<>();
            mapped.add(require(f, "token_embd.weight", "model.embed_tokens.weight", 0, vocab, hidden));
            mapped.add(require(f, "output_norm.weight", "model.norm.weight", 0, hidden));
            boolean head = f.tensor("output.weight").isPresent();
            if (head) mapped.add(require(f, "output.weight", "lm_head.weight", 0, vocab, hidden));
            for (int l = 0; l < layers; l++) {
                String g = "blk." + l + ".";
                String h = "model.layers." + l + ".";
                mapped.add(require(f, g + "attn_norm.weight", h + "input_layernorm.weight", 0, hidden));
                mapped.add(require(f, g + "attn_q.weight", h + "self_attn.q_proj.weight", permuted ? heads : 0, (long) heads * headDim, hidden));
                mapped.add(require(f, g + "attn_k.weight", h + "self_attn.k_proj.weight", permuted ? kvHeads : 0, (long) kvHeads * headDim, hidden));
                mapped.add(require(f, g + "attn_v.weight", h + "self_attn.v_proj.weight", 0, (long) kvHeads * headDim, hidden));
                mapped.add(require(f, g + "attn_output.weight", h + "self_attn.o_proj.weight", 0, hidden, (long) heads * headDim));
                if (architecture == Architecture.QWEN2) {
                    mapped.add(require(f, g + "attn_q.bias", h + "self_attn.q_proj.bias", 0, (long) heads * headDim));
                    mapped.add(require(f, g + "attn_k.bias", h + "self_attn.k_proj.bias", 0, (long) kvHeads * headDim));
                    mapped.add(require(f, g + "attn_v.bias", h + "self_attn.v_proj.bias", 0, (long) kvHeads * headDim));
                }
                mapped.add(require(f, g + "ffn_norm.weight", h + "post_attention_layernorm.weight", 0, hidden));
                mapped.add(require(f, g + "ffn_gate.weight", h + "mlp.gate_proj.weight", 0, intermediate, hidden));
                mapped.add(require(f, g + "ffn_up.weight", h + "mlp.up_proj.weight", 0, intermediate, hidden));
                mapped.add(require(f, g + "ffn_down.weight", h + "mlp.down_proj.weight", 0, hidden, intermediate));
            }
            return new GgufLayout(architecture, layers, hidden, intermediate, heads, kvHeads, context, eps, theta, vocab, bos, eos, head, List.copyOf(mapped));
        }

        private static int intKey(GgufFile f, String key) {
            long v = f.integer(key);
            if (v <= 0 && !key.endsWith("_token_id") || v > Integer.MAX_VALUE) throw new GgufFormatException(f.path(), "metadata " + key + " = " + v + " is out of range");
            return (int) v;
        }

        /** @param shape Hugging Face order (outermost first); GGUF lists dims innermost first */
        private static Mapped require(GgufFile f, String name, String hfName, int rotaryHeads, long... shape) {
            GgufTensor t = f.tensor(name).orElseThrow(() -> new GgufFormatException(f.path(), "lacks tensor " + name));
            long[] dims = t.dims();
            boolean ok = dims.length == shape.length;
            for (int i = 0; ok && i < shape.length; i++) ok = dims[i] == shape[shape.length - 1 - i];
            if (!ok) {
                long[] expected = new long[shape.length];
                for (int i = 0; i < shape.length; i++) expected[i] = shape[shape.length - 1 - i];
                throw new GgufFormatException(f.path(), "tensor " + name + " has dims " + java.util.Arrays.toString(dims) + " but the metadata implies " + java.util.Arrays.toString(expected));
            }
            List<Long> hf = new ArrayList<>();
            for (long d : shape) hf.add(d);
            return new Mapped(t, hfName, hf, rotaryHeads);
        }
    }
}
