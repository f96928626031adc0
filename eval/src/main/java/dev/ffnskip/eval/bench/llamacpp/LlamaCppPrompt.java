package dev.ffnskip.eval.bench.llamacpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One prompt for the llama.cpp peer: raw text, already rendered with the model's chat template (the peer adds no
 * template and no special tokens beyond what the text spells out).
 */
public record LlamaCppPrompt(String id, String prompt) {
    /** SmolLM2-Instruct's default system message, used when a conversation does not start with one. */
    public static final String SMOLLM2_DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

    public LlamaCppPrompt {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prompt, "prompt");
    }

    /** One chat message. */
    public record Message(String role, String content) {}

    /**
     * ChatML as SmolLM2-Instruct renders it: the default system message unless the first message is a system message,
     * then {@code <|im_start|>{role}\n{content}<|im_end|>\n} per message, then the open assistant turn.
     */
    public static String chatMl(List<Message> messages, String defaultSystem) {
        StringBuilder sb = new StringBuilder();
        boolean hasSystem = !messages.isEmpty() && "system".equals(messages.get(0).role());
        if (!hasSystem && defaultSystem != null) {
            sb.append("<|im_start|>system\n").append(defaultSystem).append("<|im_end|>\n");
        }
        for (Message m : messages) {
            sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        return sb.append("<|im_start|>assistant\n").toString();
    }

    /**
     * The first {@code limit} rows of a chat JSONL file ({@code {"id": ..., "messages": [{"role", "content"}...]}}, the
     * format of {@code shared/eval/chat_prompts.jsonl}), rendered with {@link #chatMl}.
     */
    public static List<LlamaCppPrompt> fromChatJsonl(Path file, int limit, String defaultSystem) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<LlamaCppPrompt> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (out.size() >= limit) break;
            if (line.isBlank()) continue;
            JsonNode row = json.readTree(line);
            List<Message> messages = new ArrayList<>();
            for (JsonNode m : row.path("messages")) messages.add(new Message(m.path("role").asText(), m.path("content").asText()));
            if (messages.isEmpty()) throw new IOException("row without messages in " + file + ": " + line);
            String id = row.hasNonNull("id") ? row.get("id").asText() : "row-" + out.size();
            out.add(new LlamaCppPrompt(id, chatMl(messages, defaultSystem)));
        }
        return out;
    }
}
