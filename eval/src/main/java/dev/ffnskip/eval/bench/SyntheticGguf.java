package dev.ffnskip.eval.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.load.gguf.GgmlType;
import dev.ffnskip.jlama.load.gguf.GgufValueType;
import dev.ffnskip.jlama.load.gguf.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Writes a llama.cpp-loadable GGUF (architecture {@code llama}, weights Q4_0) from a Jlama Q4 folder of a Llama model,
 * so that llama.cpp runs the very weights the benchmark's Jlama variants run.
 *
 * <p>Conversion. A Jlama Q4 tensor of {@code rows x cols} holds, per block of 32 weights along a row, 16 bytes (weight
 * {@code k < 16} in the low nibble of byte {@code k}, weight {@code k + 16} in its high nibble, value
 * {@code (nibble - 8) x scale}) and, in the tensor {@code NAME.qb}, one float32 scale per block. ggml Q4_0 is the same
 * nibble layout with an fp16 scale in front of the 16 bytes of each block, so the nibbles are copied and only the scale
 * changes: float32 to fp16, rounded to nearest (a relative error of at most 2^-11 per block). Norms become float32.
 *
 * <p>Tied embeddings: the Q4 copy of the embedding that Jlama uses as its head ({@code lm_head.weight}) becomes
 * {@code token_embd.weight} and there is no {@code output.weight}, so llama.cpp uses it for both (its embedding lookup
 * reads one Q4_0 row). An untied head is written as {@code output.weight} beside the original embedding.
 *
 * <p>Q and K are written as Jlama holds them, without the rotary-embedding row permutation a real Hugging Face to GGUF
 * conversion applies: llama.cpp then rotates other pairs of dimensions than Jlama does, which changes the outputs but
 * not the work, and the weights are random anyway. Only speed is compared on this file.
 *
 * <p>Tokenizer: the folder's byte-level BPE vocabulary (no merges) as a {@code gpt2} tokenizer with the default
 * pre-tokenizer, special and unused tokens typed control, BOS added to prompts; N ASCII characters are then N tokens
 * after the BOS, as with Jlama.
 */
public final class SyntheticGguf {
    /** Bumped when the written layout changes. */
    private static final String VERSION = "v1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BLOCK = 32;
    private static final int TOKEN_NORMAL = 1;
    private static final int TOKEN_CONTROL = 3;
    /** Hugging Face layer tensor -> GGUF tensor, in the order they are written. */
    private static final String[][] LAYER_TENSORS = {
        { "input_layernorm", "attn_norm" },
        { "self_attn.q_proj", "attn_q" },
        { "self_attn.k_proj", "attn_k" },
        { "self_attn.v_proj", "attn_v" },
        { "self_attn.o_proj", "attn_output" },
        { "post_attention_layernorm", "ffn_norm" },
        { "mlp.gate_proj", "ffn_gate" },
        { "mlp.up_proj", "ffn_up" },
        { "mlp.down_proj", "ffn_down" },
    };

    private SyntheticGguf() {}

    /**
     * The GGUF of the Jlama Q4 folder {@code q4Folder}, in {@code cacheDir} next to it (named after the folder, whose
     * name carries the fingerprint of its source); written first, atomically, if it does not exist yet.
     */
    public static Path file(Path q4Folder, Path cacheDir) {
        Path target = cacheDir.resolve(q4Folder.getFileName() + "-" + VERSION + ".Q4_0.gguf");
        if (Files.isRegularFile(target)) return target;
        Path tmp = cacheDir.resolve(".tmp-" + UUID.randomUUID() + ".gguf");
        try {
            Files.createDirectories(cacheDir);
            try {
                write(q4Folder, tmp);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
                    if (!Files.isRegularFile(target)) throw raced;
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the GGUF of " + q4Folder + " into " + cacheDir + ": " + e.getMessage(), e);
        }
    }

    /** Converts the Jlama Q4 folder {@code q4Folder} (config, tokenizer, Q4 safetensors) into the GGUF file {@code out}. */
    public static void write(Path q4Folder, Path out) throws IOException {
        JsonNode config = JSON.readTree(q4Folder.resolve("config.json").toFile());
        Map<String, Stored> tensors = Stored.readFolder(q4Folder);
        int hidden = config.get("hidden_size").asInt();
        int heads = config.get("num_attention_heads").asInt();
        int layers = config.get("num_hidden_layers").asInt();
        boolean tied = config.path("tie_word_embeddings").asBoolean(false);

        GgufWriter w = new GgufWriter();
        w.put("general.architecture", "llama");
        w.put("general.name", "ffn-skip synthetic " + q4Folder.getFileName());
        w.putUInt32("general.file_type", 2); // LLAMA_FTYPE_MOSTLY_Q4_0
        w.putUInt32("llama.context_length", config.get("max_position_embeddings").asLong());
        w.putUInt32("llama.embedding_length", hidden);
        w.putUInt32("llama.block_count", layers);
        w.putUInt32("llama.feed_forward_length", config.get("intermediate_size").asLong());
        w.putUInt32("llama.attention.head_count", heads);
        w.putUInt32("llama.attention.head_count_kv", config.path("num_key_value_heads").asLong(heads));
        w.putUInt32("llama.rope.dimension_count", config.path("head_dim").asLong(hidden / heads));
        w.putFloat32("llama.rope.freq_base", (float) config.path("rope_theta").asDouble(10000));
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", (float) config.path("rms_norm_eps").asDouble(1e-5));
        int vocab = tokenizer(q4Folder, config.get("vocab_size").asInt(), w);
        w.putUInt32("llama.vocab_size", vocab);

        Stored head = tensors.get("lm_head.weight");
        if (head == null) throw new IOException(q4Folder + " has no lm_head.weight (Jlama Q4 folders carry a Q4 head, also for tied embeddings)");
        if (tied) {
            addQ4(w, "token_embd.weight", head, tensors);
        } else {
            addAny(w, "token_embd.weight", require(tensors, "model.embed_tokens.weight"), tensors);
            addQ4(w, "output.weight", head, tensors);
        }
        for (int l = 0; l < layers; l++) {
            for (String[] t : LAYER_TENSORS) {
                String name = "model.layers." + l + "." + t[0] + ".weight";
                addAny(w, "blk." + l + "." + t[1] + ".weight", require(tensors, name), tensors);
            }
        }
        addAny(w, "output_norm.weight", require(tensors, "model.norm.weight"), tensors);
        w.write(out);
    }

    /** Adds the tokenizer metadata from the folder's tokenizer.json and tokenizer_config.json; returns the vocabulary size. */
    private static int tokenizer(Path folder, int vocabSize, GgufWriter w) throws IOException {
        JsonNode tok = JSON.readTree(folder.resolve("tokenizer.json").toFile());
        JsonNode model = tok.get("model");
        if (!"BPE".equals(model.path("type").asText())) throw new IOException("tokenizer.json of " + folder + " is not BPE");
        if (model.path("merges").size() != 0) throw new IOException("tokenizer.json of " + folder + " has merges; only the byte-level synthetic vocabulary is supported");
        String[] tokens = new String[vocabSize];
        Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields();
        while (it.hasNext()) {
            var e = it.next();
            int id = e.getValue().asInt();
            if (id < 0 || id >= vocabSize || tokens[id] != null) throw new IOException("token id " + id + " of '" + e.getKey() + "' is out of range or duplicate");
            tokens[id] = e.getKey();
        }
        Set<Integer> special = new java.util.HashSet<>();
        for (JsonNode a : tok.path("added_tokens")) {
            int id = a.get("id").asInt();
            tokens[id] = a.get("content").asText();
            special.add(id);
        }
        int[] types = new int[vocabSize];
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < vocabSize; id++) {
            if (tokens[id] == null) throw new IOException("tokenizer.json of " + folder + " has no token with id " + id);
            ids.put(tokens[id], id);
            types[id] = special.contains(id) || tokens[id].startsWith("<unused_") ? TOKEN_CONTROL : TOKEN_NORMAL;
        }
        JsonNode tc = JSON.readTree(folder.resolve("tokenizer_config.json").toFile());
        w.put("tokenizer.ggml.model", "gpt2");
        w.put("tokenizer.ggml.pre", "default");
        w.put("tokenizer.ggml.tokens", tokens);
        w.put("tokenizer.ggml.token_type", types);
        w.put("tokenizer.ggml.merges", new GgufWriter.Array(GgufValueType.STRING, List.of()));
        w.putUInt32("tokenizer.ggml.bos_token_id", tokenId(ids, tc, "bos_token"));
        w.putUInt32("tokenizer.ggml.eos_token_id", tokenId(ids, tc, "eos_token"));
        // Jlama prefixes the BOS when it encodes a prompt; llama.cpp does so only when told
        w.put("tokenizer.ggml.add_bos_token", true);
        w.put("tokenizer.ggml.add_eos_token", false);
        return vocabSize;
    }

    private static int tokenId(Map<String, Integer> ids, JsonNode tokenizerConfig, String key) throws IOException {
        JsonNode v = tokenizerConfig.get(key);
        String text = v == null ? null : v.isTextual() ? v.asText() : v.path("content").asText(null);
        Integer id = text == null ? null : ids.get(text);
        if (id == null) throw new IOException("tokenizer_config.json: " + key + " '" + text + "' is not in the vocabulary");
        return id;
    }

    private static Stored require(Map<String, Stored> tensors, String name) throws IOException {
        Stored s = tensors.get(name);
        if (s == null) throw new IOException("the Q4 folder has no tensor " + name);
        return s;
    }

    /** A Q4 matrix as Q4_0, a 1-D (or {@code [1, n]}) norm as float32, a BF16/F32 matrix unchanged. */
    private static void addAny(GgufWriter w, String name, Stored s, Map<String, Stored> all) throws IOException {
        switch (s.dtype()) {
            case "Q4" -> addQ4(w, name, s, all);
            case "BF16", "F32" -> {
                long[] shape = s.shape();
                long cols = shape[shape.length - 1];
                long rows = s.elements() / cols;
                boolean vector = rows == 1;
                if (vector) {
                    w.addTensor(name, GgmlType.F32, new long[] { cols }, s.floats());
                } else {
                    GgmlType type = s.dtype().equals("BF16") ? GgmlType.BF16 : GgmlType.F32;
                    w.addRawTensor(name, type, new long[] { cols, rows }, s::bytes);
                }
            }
            default -> throw new IOException("tensor " + s.name() + " has dtype " + s.dtype() + "; expected Q4, BF16 or F32");
        }
    }

    /** Jlama Q4 (16 nibble bytes per block, float32 scales apart) to ggml Q4_0 (fp16 scale, then the same 16 bytes). */
    private static void addQ4(GgufWriter w, String name, Stored q, Map<String, Stored> all) throws IOException {
        Stored scales = require(all, q.name() + ".qb");
        long[] shape = q.shape();
        if (shape.length != 2 || shape[1] % BLOCK != 0) throw new IOException("Q4 tensor " + q.name() + " has shape " + java.util.Arrays.toString(shape));
        long rows = shape[0], cols = shape[1];
        long blocks = rows * cols / BLOCK;
        if (!scales.dtype().equals("F32") || scales.elements() != blocks) {
            throw new IOException(scales.name() + " should hold " + blocks + " float32 scales, has " + scales.elements() + " " + scales.dtype());
        }
        if (q.end() - q.start() != blocks * 16) throw new IOException(q.name() + " should hold " + blocks * 16 + " bytes, has " + (q.end() - q.start()));
        long outBytes = blocks * GgmlType.Q4_0.bytesPerBlock();
        if (outBytes > Integer.MAX_VALUE - 8) throw new IOException(q.name() + " is too large for one GGUF tensor buffer");
        // converted when the writer reaches it, so only one tensor is on the heap at a time
        w.addRawTensor(name, GgmlType.Q4_0, new long[] { cols, rows }, () -> toQ4_0(q.bytes(), scales.bytes(), (int) blocks));
    }

    private static byte[] toQ4_0(byte[] nibbles, byte[] scales, int blocks) {
        ByteBuffer scale = ByteBuffer.wrap(scales).order(ByteOrder.LITTLE_ENDIAN);
        int size = GgmlType.Q4_0.bytesPerBlock();
        byte[] out = new byte[blocks * size];
        for (int b = 0; b < blocks; b++) {
            short half = Float.floatToFloat16(scale.getFloat(b * Float.BYTES)); // round to nearest even
            int o = b * size;
            out[o] = (byte) half;
            out[o + 1] = (byte) (half >>> 8);
            System.arraycopy(nibbles, b * 16, out, o + 2, 16);
        }
        return out;
    }

    /** One tensor of a safetensors file of the folder. */
    private record Stored(String name, String dtype, long[] shape, Path file, long start, long end) {
        long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        byte[] bytes() throws IOException {
            long n = end - start;
            if (n > Integer.MAX_VALUE - 8) throw new IOException("tensor " + name + " is too large to read at once");
            try (FileChannel ch = FileChannel.open(file)) {
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, start, n);
                byte[] b = new byte[(int) n];
                m.get(b);
                return b;
            }
        }

        float[] floats() throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] f = new float[(int) elements()];
            for (int i = 0; i < f.length; i++) {
                f[i] = dtype.equals("BF16") ? Float.intBitsToFloat((b.getShort(2 * i) & 0xFFFF) << 16) : b.getFloat(4 * i);
            }
            return f;
        }

        /** Every tensor of the folder's safetensors files: the index's files when there is an index, else model.safetensors. */
        static Map<String, Stored> readFolder(Path folder) throws IOException {
            List<Path> files = new ArrayList<>();
            Path index = folder.resolve("model.safetensors.index.json");
            if (Files.isRegularFile(index)) {
                Set<String> names = new java.util.TreeSet<>();
                JSON.readTree(index.toFile()).get("weight_map").elements().forEachRemaining(f -> names.add(f.asText()));
                for (String n : names) files.add(folder.resolve(n));
            } else {
                files.add(folder.resolve("model.safetensors"));
            }
            Map<String, Stored> out = new LinkedHashMap<>();
            for (Path f : files) out.putAll(read(f));
            return out;
        }

        private static Map<String, Stored> read(Path file) throws IOException {
            try (FileChannel ch = FileChannel.open(file)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                ch.read(len, 0);
                long n = len.getLong(0);
                if (n <= 0 || n > 100_000_000 || n + 8 > ch.size()) throw new IOException(file + " is not a safetensors file (header length " + n + ")");
                ByteBuffer h = ByteBuffer.allocate((int) n);
                while (h.hasRemaining() && ch.read(h, 8 + h.position()) >= 0) {
                    // read until full
                }
                long data = 8 + n;
                Map<String, Stored> out = new LinkedHashMap<>();
                Iterator<Map.Entry<String, JsonNode>> it = JSON.readTree(h.array()).fields();
                while (it.hasNext()) {
                    var e = it.next();
                    if (e.getKey().equals("__metadata__")) continue;
                    JsonNode v = e.getValue();
                    long[] shape = new long[v.get("shape").size()];
                    for (int i = 0; i < shape.length; i++) shape[i] = v.get("shape").get(i).asLong();
                    JsonNode off = v.get("data_offsets");
                    out.put(e.getKey(), new Stored(e.getKey(), v.get("dtype").asText(), shape, file, data + off.get(0).asLong(), data + off.get(1).asLong()));
                }
                return out;
            }
        }
    }
}
