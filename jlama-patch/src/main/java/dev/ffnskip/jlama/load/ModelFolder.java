package dev.ffnskip.jlama.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face model folder, checked offline before Jlama touches it: config, tokenizer files and every safetensors
 * file (single or sharded) are present, parse, and describe a supported Llama-family model whose tensors all exist
 * with the shapes the config implies. Every failure is a {@link ModelLoadException} naming the file and the problem.
 */
public final class ModelFolder {
    static final String CONFIG = "config.json";
    static final String TOKENIZER = "tokenizer.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String SINGLE_WEIGHTS = "model.safetensors";
    static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    static final String OUTPUT_HEAD = "lm_head.weight";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Architecture architecture;
    private final JsonNode config;
    private final List<Path> weightFiles;
    private final String weightType;
    private final boolean hasTokenizerConfig;
    private final boolean hasOutputHead;

    private ModelFolder(
        Path dir,
        Architecture architecture,
        JsonNode config,
        List<Path> weightFiles,
        String weightType,
        boolean hasTokenizerConfig,
        boolean hasOutputHead
    ) {
        this.dir = dir;
        this.architecture = architecture;
        this.config = config;
        this.weightFiles = weightFiles;
        this.weightType = weightType;
        this.hasTokenizerConfig = hasTokenizerConfig;
        this.hasOutputHead = hasOutputHead;
    }

    /** Opens and validates {@code dir}; reads headers only, never weights. */
    public static ModelFolder open(Path dir) {
        if (dir == null) throw new ModelLoadException("Model folder is null");
        Path folder = dir.toAbsolutePath().normalize();
        if (!Files.exists(folder)) throw new ModelLoadException("Model folder does not exist: " + folder);
        if (!Files.isDirectory(folder)) throw new ModelLoadException("Model path is not a folder: " + folder);
        if (!Files.isReadable(folder)) throw new ModelLoadException("Model folder is not readable: " + folder);

        JsonNode config = readJson(requireFile(folder, CONFIG, "the model configuration"));
        Architecture architecture = architectureOf(folder, config);
        checkConfig(folder, config);

        JsonNode tokenizer = readJson(requireFile(folder, TOKENIZER, "the tokenizer"));
        if (!tokenizer.has("model") || !tokenizer.get("model").has("vocab")) {
            throw new ModelLoadException("Tokenizer file " + folder.resolve(TOKENIZER) + " has no model.vocab section");
        }
        boolean hasTokenizerConfig = Files.isRegularFile(folder.resolve(TOKENIZER_CONFIG));
        if (hasTokenizerConfig) readJson(folder.resolve(TOKENIZER_CONFIG));

        List<Path> weightFiles = weightFiles(folder);
        Map<String, SafetensorsHeader.TensorEntry> tensors = new HashMap<>();
        for (Path file : weightFiles) tensors.putAll(SafetensorsHeader.read(file).tensors());
        checkTensors(folder, config, tensors);
        String weightType = tensors.get("model.layers.0.mlp.down_proj.weight").dtype();
        boolean hasOutputHead = tensors.containsKey(OUTPUT_HEAD);
        return new ModelFolder(folder, architecture, config, List.copyOf(weightFiles), weightType, hasTokenizerConfig, hasOutputHead);
    }

    public Path path() {
        return dir;
    }

    public Architecture architecture() {
        return architecture;
    }

    /** The safetensors type of the decoder weights, e.g. BF16, F32 or Q4. */
    public String weightType() {
        return weightType;
    }

    public int numberOfLayers() {
        return config.get("num_hidden_layers").asInt();
    }

    public int hiddenSize() {
        return config.get("hidden_size").asInt();
    }

    public int intermediateSize() {
        return config.get("intermediate_size").asInt();
    }

    public int contextLength() {
        return config.get("max_position_embeddings").asInt();
    }

    public List<Path> weightFiles() {
        return weightFiles;
    }

    /** Whether the weights hold an output head of their own ({@code lm_head.weight}; else the embeddings are tied). */
    public boolean hasOutputHead() {
        return hasOutputHead;
    }

    public boolean hasTokenizerConfig() {
        return hasTokenizerConfig;
    }

    private static Path requireFile(Path folder, String name, String what) {
        Path file = folder.resolve(name);
        if (!Files.isRegularFile(file)) throw new ModelLoadException("Model folder " + folder + " has no " + name + " (" + what + ")");
        if (!Files.isReadable(file)) throw new ModelLoadException("Cannot read " + file);
        return file;
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) throw new ModelLoadException("Malformed JSON in " + file + ": not a JSON object");
            return node;
        } catch (JsonProcessingException e) {
            throw new ModelLoadException("Malformed JSON in " + file + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Architecture architectureOf(Path folder, JsonNode config) {
        JsonNode modelType = config.get("model_type");
        if (modelType == null || !modelType.isTextual()) {
            throw new ModelLoadException(folder.resolve(CONFIG) + " has no model_type field");
        }
        return Architecture.fromModelType(modelType.asText())
            .orElseThrow(() -> new ModelLoadException(
                "Unsupported architecture '" + modelType.asText() + "' in " + folder.resolve(CONFIG) + "; ffn-skip supports "
                    + Architecture.supportedList()
            ));
    }

    private static void checkConfig(Path folder, JsonNode config) {
        Path file = folder.resolve(CONFIG);
        for (String field : List.of(
            "hidden_size", "intermediate_size", "num_attention_heads", "num_hidden_layers", "vocab_size", "max_position_embeddings", "rms_norm_eps"
        )) {
            JsonNode value = config.get(field);
            if (value == null || !value.isNumber()) throw new ModelLoadException(file + " lacks the numeric field " + field);
            if (!field.equals("rms_norm_eps") && value.asLong() <= 0) throw new ModelLoadException(file + ": " + field + " must be positive, was " + value);
        }
        int hidden = config.get("hidden_size").asInt();
        int heads = config.get("num_attention_heads").asInt();
        int kvHeads = config.path("num_key_value_heads").asInt(heads);
        if (hidden % heads != 0) throw new ModelLoadException(file + ": hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelLoadException(file + ": num_attention_heads " + heads + " is not divisible by num_key_value_heads " + kvHeads);
        }
        if (config.has("head_dim") && config.get("head_dim").asInt() != hidden / heads) {
            throw new ModelLoadException(file + ": head_dim " + config.get("head_dim") + " differs from hidden_size/num_attention_heads, which Jlama 0.8.4 assumes");
        }
        JsonNode act = config.get("hidden_act");
        if (act != null && !act.asText().equalsIgnoreCase("silu")) {
            throw new ModelLoadException(file + ": hidden_act '" + act.asText() + "' is not supported (silu only)");
        }
        if (!config.has("bos_token_id") || !config.has("eos_token_id")) {
            throw new ModelLoadException(file + " lacks bos_token_id or eos_token_id");
        }
    }

    private static List<Path> weightFiles(Path folder) {
        Path index = folder.resolve(WEIGHTS_INDEX);
        if (Files.isRegularFile(index)) {
            JsonNode map = readJson(index).get("weight_map");
            if (map == null || !map.isObject() || map.isEmpty()) throw new ModelLoadException(index + " has no weight_map");
            Set<String> shards = new LinkedHashSet<>();
            map.fields().forEachRemaining(e -> shards.add(e.getValue().asText()));
            List<Path> files = new ArrayList<>();
            for (String shard : shards) {
                Path file = folder.resolve(shard).normalize();
                if (!file.startsWith(folder)) throw new ModelLoadException(index + " points outside the model folder: " + shard);
                if (!Files.isRegularFile(file)) throw new ModelLoadException("Shard " + shard + " listed in " + index + " is missing");
                files.add(file);
            }
            return files;
        }
        Path single = folder.resolve(SINGLE_WEIGHTS);
        if (Files.isRegularFile(single)) return List.of(single);
        throw new ModelLoadException("Model folder " + folder + " has no weights (" + SINGLE_WEIGHTS + " or " + WEIGHTS_INDEX + ")");
    }

    private static void checkTensors(Path folder, JsonNode config, Map<String, SafetensorsHeader.TensorEntry> tensors) {
        int hidden = config.get("hidden_size").asInt();
        int intermediate = config.get("intermediate_size").asInt();
        int heads = config.get("num_attention_heads").asInt();
        int kvHeads = config.path("num_key_value_heads").asInt(heads);
        int headSize = hidden / heads;
        int vocab = config.get("vocab_size").asInt();
        requireTensor(folder, tensors, "model.embed_tokens.weight", vocab, hidden);
        requireTensor(folder, tensors, "model.norm.weight", hidden);
        if (tensors.containsKey(OUTPUT_HEAD) || !config.path("tie_word_embeddings").asBoolean(false)) {
            requireTensor(folder, tensors, OUTPUT_HEAD, vocab, hidden);
        }
        for (int l = 0; l < config.get("num_hidden_layers").asInt(); l++) {
            String p = "model.layers." + l + ".";
            requireTensor(folder, tensors, p + "input_layernorm.weight", hidden);
            requireTensor(folder, tensors, p + "post_attention_layernorm.weight", hidden);
            requireTensor(folder, tensors, p + "self_attn.q_proj.weight", heads * headSize, hidden);
            requireTensor(folder, tensors, p + "self_attn.k_proj.weight", kvHeads * headSize, hidden);
            requireTensor(folder, tensors, p + "self_attn.v_proj.weight", kvHeads * headSize, hidden);
            requireTensor(folder, tensors, p + "self_attn.o_proj.weight", hidden, heads * headSize);
            requireTensor(folder, tensors, p + "mlp.gate_proj.weight", intermediate, hidden);
            requireTensor(folder, tensors, p + "mlp.up_proj.weight", intermediate, hidden);
            requireTensor(folder, tensors, p + "mlp.down_proj.weight", hidden, intermediate);
        }
    }

    private static void requireTensor(Path folder, Map<String, SafetensorsHeader.TensorEntry> tensors, String name, long... shape) {
        SafetensorsHeader.TensorEntry entry = tensors.get(name);
        if (entry == null) throw new ModelLoadException("Model folder " + folder + " lacks tensor " + name);
        long expected = 1;
        for (long d : shape) expected *= d;
        if (entry.elements() != expected || (entry.shape().length == shape.length && !java.util.Arrays.equals(entry.shape(), shape))) {
            throw new ModelLoadException(
                "Tensor " + name + " in " + folder + " has shape " + java.util.Arrays.toString(entry.shape()) + " but config.json implies "
                    + java.util.Arrays.toString(shape)
            );
        }
    }
}
