package dev.ffnskip.jlama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads a {@link BpeVocabulary} from a Hugging Face {@code tokenizer.json} (and optionally {@code
 * tokenizer_config.json}).
 *
 * <p>Understood layouts: a BPE model without normalizer whose pre-tokenizer is {@code ByteLevel(use_regex=true,
 * add_prefix_space=false)} ({@code gpt2}), {@code Sequence[Digits(individual_digits=true), ByteLevel(...)]}
 * ({@code smollm}), or {@code Sequence[Split(<pattern>, Isolated), ByteLevel(use_regex=false)]} with the Llama 3 or
 * Qwen2 pattern ({@code llama-bpe}, {@code qwen2}). Anything else is refused with a message saying what was found.
 *
 * <p>Token types: added tokens marked {@code special} are control tokens, other added tokens user-defined, the rest
 * normal. BOS/EOS and the chat template come from {@code tokenizer_config.json}; {@code add_bos_token} is read there,
 * or inferred from a {@code TemplateProcessing} post-processor that starts with the BOS token.
 */
final class HuggingFaceTokenizerFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HuggingFaceTokenizerFiles() {}

    static BpeVocabulary read(Path tokenizerJson, Path tokenizerConfigJson) {
        JsonNode root = readJson(tokenizerJson);
        JsonNode config = tokenizerConfigJson == null ? null : readJson(tokenizerConfigJson);
        String where = tokenizerJson.toString();

        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText(null))) {
            throw new IllegalArgumentException(where + ": model type is " + model.path("type") + ", not BPE");
        }
        if (!root.path("normalizer").isNull() && !root.path("normalizer").isMissingNode()) {
            throw new IllegalArgumentException(where + ": a normalizer is not supported: " + root.path("normalizer"));
        }
        String pre = preTokenizerName(root.path("pre_tokenizer"), where);
        if (model.path("ignore_merges").asBoolean(false) != PreTokenizer.byName(pre).ignoreMerges()) {
            throw new IllegalArgumentException(
                where + ": ignore_merges=" + model.path("ignore_merges") + " does not go with the " + pre + " pre-tokenizer"
            );
        }

        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Integer> types = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : model.path("vocab").properties()) put(byId, e.getValue().asInt(-1), e.getKey(), where);
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt(-1);
            String content = added.path("content").asText(null);
            if (content == null) throw new IllegalArgumentException(where + ": added token " + added + " has no content");
            String existing = byId.get(id);
            if (existing != null && !existing.equals(content)) {
                throw new IllegalArgumentException(where + ": id " + id + " is both \"" + existing + "\" and added token \"" + content + "\"");
            }
            byId.put(id, content);
            types.put(id, added.path("special").asBoolean(false) ? BpeVocabulary.CONTROL : BpeVocabulary.USER_DEFINED);
        }
        int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        List<String> tokens = new ArrayList<>(size);
        for (int id = 0; id < size; id++) {
            String token = byId.get(id);
            if (token == null) throw new IllegalArgumentException(where + ": the vocabulary has no token with id " + id + " (ids must be 0.." + (size - 1) + ")");
            tokens.add(token);
        }
        int[] tokenTypes = new int[size];
        Arrays.fill(tokenTypes, BpeVocabulary.NORMAL);
        types.forEach((id, type) -> tokenTypes[id] = type);

        List<String> merges = new ArrayList<>();
        for (JsonNode merge : model.path("merges")) {
            if (merge.isTextual()) {
                merges.add(merge.asText());
            } else if (merge.isArray() && merge.size() == 2) {
                merges.add(merge.get(0).asText() + " " + merge.get(1).asText());
            } else {
                throw new IllegalArgumentException(where + ": merge " + merges.size() + " is neither \"a b\" nor [\"a\", \"b\"]: " + merge);
            }
        }

        Map<String, Integer> idOf = new HashMap<>();
        for (int i = tokens.size() - 1; i >= 0; i--) idOf.put(tokens.get(i), i);
        OptionalInt bos = OptionalInt.empty();
        OptionalInt eos = OptionalInt.empty();
        boolean addBos = false;
        Optional<String> template = Optional.empty();
        if (config != null) {
            bos = tokenOf(config.path("bos_token"), idOf, "bos_token", tokenizerConfigJson);
            eos = tokenOf(config.path("eos_token"), idOf, "eos_token", tokenizerConfigJson);
            template = chatTemplate(config.path("chat_template"));
            addBos = config.has("add_bos_token") ? config.path("add_bos_token").asBoolean(false) : postProcessorAddsBos(root, bos, tokens);
        }
        if (addBos && bos.isEmpty()) throw new IllegalArgumentException(where + ": the BOS token is added but not named in the tokenizer config");
        return new BpeVocabulary(tokens, merges, tokenTypes, pre, bos, eos, addBos, template);
    }

    private static void put(Map<Integer, String> byId, int id, String token, String where) {
        if (id < 0) throw new IllegalArgumentException(where + ": token \"" + token + "\" has no valid id");
        String previous = byId.put(id, token);
        if (previous != null) throw new IllegalArgumentException(where + ": id " + id + " is both \"" + previous + "\" and \"" + token + "\"");
    }

    private static String preTokenizerName(JsonNode pre, String where) {
        if (isByteLevel(pre, true)) return PreTokenizer.GPT2.ggufName();
        if ("Sequence".equals(pre.path("type").asText()) && pre.path("pretokenizers").size() == 2) {
            JsonNode first = pre.path("pretokenizers").get(0);
            JsonNode second = pre.path("pretokenizers").get(1);
            if ("Digits".equals(first.path("type").asText()) && first.path("individual_digits").asBoolean(false) && isByteLevel(second, true)) {
                return PreTokenizer.SMOLLM.ggufName();
            }
            if ("Split".equals(first.path("type").asText())
                && "Isolated".equals(first.path("behavior").asText())
                && !first.path("invert").asBoolean(false)
                && isByteLevel(second, false)) {
                String regex = first.path("pattern").path("Regex").asText(null);
                for (PreTokenizer p : List.of(PreTokenizer.LLAMA_BPE, PreTokenizer.QWEN2)) {
                    if (p.regex().equals(regex)) return p.ggufName();
                }
            }
        }
        throw new IllegalArgumentException(
            where + ": unsupported pre-tokenizer " + pre + "; supported are ByteLevel(use_regex=true), "
                + "Sequence[Digits(individual_digits=true), ByteLevel(use_regex=true)] and Sequence[Split(Llama 3 or Qwen2 pattern), ByteLevel(use_regex=false)], "
                + "all with add_prefix_space=false"
        );
    }

    private static boolean isByteLevel(JsonNode node, boolean useRegex) {
        return "ByteLevel".equals(node.path("type").asText())
            && !node.path("add_prefix_space").asBoolean(false)
            && node.path("use_regex").asBoolean(true) == useRegex;
    }

    private static OptionalInt tokenOf(JsonNode node, Map<String, Integer> idOf, String key, Path where) {
        String content = node.isTextual() ? node.asText() : node.path("content").asText(null);
        if (content == null || node.isNull()) return OptionalInt.empty();
        Integer id = idOf.get(content);
        if (id == null) throw new IllegalArgumentException(where + ": " + key + " \"" + content + "\" is not in the vocabulary");
        return OptionalInt.of(id);
    }

    private static Optional<String> chatTemplate(JsonNode node) {
        if (node.isTextual()) return Optional.of(node.asText()).filter(t -> !t.isBlank());
        if (node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText())) return Optional.of(named.path("template").asText()).filter(t -> !t.isBlank());
            }
        }
        return Optional.empty();
    }

    private static boolean postProcessorAddsBos(JsonNode root, OptionalInt bos, List<String> tokens) {
        if (bos.isEmpty()) return false;
        String bosText = tokens.get(bos.getAsInt());
        List<JsonNode> processors = new ArrayList<>();
        JsonNode post = root.path("post_processor");
        if ("Sequence".equals(post.path("type").asText())) post.path("processors").forEach(processors::add);
        else processors.add(post);
        for (JsonNode p : processors) {
            if ("TemplateProcessing".equals(p.path("type").asText()) && p.path("single").size() > 0) {
                return bosText.equals(p.path("single").get(0).path("SpecialToken").path("id").asText(null));
            }
        }
        return false;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("Tokenizer file not found: " + file);
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }
}
