package dev.ffnskip.jlama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The SmolLM2-135M-Instruct tokenizer and its reference data from {@code ../shared}, loaded once per JVM. */
final class SmolLm2Tokenizer {
    static final String MODEL = "smollm2-135m-instruct";

    private static ByteLevelBpeTokenizer tokenizer;
    private static JsonNode reference;

    private SmolLm2Tokenizer() {}

    static Path folder() {
        return SharedAssets.model(MODEL);
    }

    static synchronized ByteLevelBpeTokenizer get() {
        if (tokenizer == null) {
            tokenizer = ByteLevelBpeTokenizer.fromHuggingFaceJson(folder().resolve("tokenizer.json"), folder().resolve("tokenizer_config.json"));
        }
        return tokenizer;
    }

    static synchronized JsonNode reference() {
        if (reference == null) {
            try {
                reference = new ObjectMapper().readTree(SharedAssets.eval("reference_" + MODEL + ".json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return reference;
    }

    /** A reference case: a text and the ids Hugging Face encodes it to. */
    record Case(String text, long[] ids) {
        @Override
        public String toString() {
            String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
            return shown.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        }
    }

    /** The 25 entries under "tokenizer". */
    static List<Case> tokenizerCases() {
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : reference().path("tokenizer")) cases.add(new Case(c.path("text").asText(), ids(c.path("ids"))));
        return cases;
    }

    /** The rows of a JSON-lines file in ../shared/eval. */
    static List<JsonNode> jsonl(String name) {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(SharedAssets.eval(name))) if (!line.isBlank()) rows.add(json.readTree(line));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    static long[] ids(JsonNode array) {
        long[] ids = new long[array.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = array.get(i).asLong();
        return ids;
    }
}
