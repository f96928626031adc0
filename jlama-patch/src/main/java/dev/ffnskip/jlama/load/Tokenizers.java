package dev.ffnskip.jlama.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.model.llama.LlamaTokenizer;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import dev.ffnskip.jlama.tokenizer.BpeVocabulary;
import dev.ffnskip.jlama.tokenizer.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Chooses the tokenizer for a model folder. Jlama's own BPE tokenizer is kept wherever it is right; ours
 * ({@link ByteLevelBpeTokenizer}) is used for folders converted from GGUF (their pre-tokenizer is named by the GGUF
 * metadata) and for Hugging Face folders whose pre-tokenizer splits every digit on its own, which Jlama 0.8.4 gets
 * wrong (it keeps runs of digits together, so "2024" becomes one piece instead of four).
 */
public final class Tokenizers {
    /** Field of a converted folder's tokenizer.json naming the GGUF pre-tokenizer ({@code tokenizer.ggml.pre}). */
    static final String GGUF_PRE_FIELD = "ffn_skip_gguf_pre";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Tokenizers() {}

    public static Tokenizer forFolder(Path dir) {
        Path json = dir.resolve(ModelFolder.TOKENIZER);
        Path config = dir.resolve(ModelFolder.TOKENIZER_CONFIG);
        try {
            JsonNode root = JSON.readTree(json.toFile());
            if (root.has(GGUF_PRE_FIELD)) return new ByteLevelBpeTokenizer(vocabularyOf(root, config, root.get(GGUF_PRE_FIELD).asText()));
            if (splitsDigitsIndividually(root.path("pre_tokenizer"))) return ByteLevelBpeTokenizer.fromHuggingFaceJson(json, config);
            return new LlamaTokenizer(dir);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read the tokenizer in " + dir + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException("Unsupported tokenizer in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean splitsDigitsIndividually(JsonNode pre) {
        if ("Digits".equals(pre.path("type").asText()) && pre.path("individual_digits").asBoolean(false)) return true;
        for (JsonNode p : pre.path("pretokenizers")) if (splitsDigitsIndividually(p)) return true;
        return false;
    }

    private static BpeVocabulary vocabularyOf(JsonNode root, Path configFile, String pre) throws IOException {
        Map<Integer, String> byId = new TreeMap<>();
        root.path("model").path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        int size = byId.isEmpty() ? 0 : ((TreeMap<Integer, String>) byId).lastKey() + 1;
        List<String> tokens = new ArrayList<>(size);
        for (int id = 0; id < size; id++) tokens.add(byId.getOrDefault(id, ""));
        int[] types = new int[size];
        java.util.Arrays.fill(types, 1);
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt();
            if (id >= 0 && id < size) {
                tokens.set(id, added.path("content").asText());
                types[id] = added.path("special").asBoolean(false) ? 3 : 4;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : root.path("model").path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        JsonNode config = Files.isRegularFile(configFile) ? JSON.readTree(configFile.toFile()) : JSON.createObjectNode();
        return new BpeVocabulary(
            tokens,
            merges,
            types,
            pre,
            idOf(tokens, config.path("bos_token").asText(null)),
            idOf(tokens, config.path("eos_token").asText(null)),
            config.path("add_bos_token").asBoolean(false),
            Optional.ofNullable(config.path("chat_template").asText(null))
        );
    }

    private static OptionalInt idOf(List<String> tokens, String token) {
        if (token == null) return OptionalInt.empty();
        int id = tokens.indexOf(token);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }
}
