package dev.ffnskip.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Chat prompts read from JSONL rows {@code {"id": ..., "messages": [{"role": ..., "content": ...}]}}. */
public final class Prompts {
    /** One prompt: an id and its chat messages. */
    public record Prompt(String id, List<Message> messages) {
        public PromptContext render(Optional<PromptSupport> support) {
            PromptSupport ps = support.orElseThrow(() -> new IllegalArgumentException("The model has no chat template; use raw text prompts"));
            PromptSupport.Builder b = ps.builder();
            for (Message m : messages) {
                switch (m.role()) {
                    case "system" -> b.addSystemMessage(m.content());
                    case "user" -> b.addUserMessage(m.content());
                    case "assistant" -> b.addAssistantMessage(m.content());
                    default -> throw new IllegalArgumentException("Prompt " + id + ": unsupported role '" + m.role() + "'");
                }
            }
            return b.build();
        }
    }

    public record Message(String role, String content) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private Prompts() {}

    public static List<Prompt> read(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("Prompt file not found: " + file.toAbsolutePath());
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }

    /** The built-in prompts of the A/B job. */
    public static List<Prompt> builtIn() {
        try (InputStream in = Prompts.class.getResourceAsStream("/ab-prompts.jsonl")) {
            return read(in, "ab-prompts.jsonl");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Prompt> read(InputStream in, String name) throws IOException {
        List<Prompt> prompts = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        int lineNumber = 0;
        for (String line; (line = reader.readLine()) != null; ) {
            lineNumber++;
            if (line.isBlank()) continue;
            JsonNode row;
            try {
                row = JSON.readTree(line);
            } catch (IOException e) {
                throw new IllegalArgumentException(name + " line " + lineNumber + ": not valid JSON");
            }
            JsonNode messages = row.get("messages");
            if (messages == null || !messages.isArray() || messages.isEmpty()) {
                throw new IllegalArgumentException(name + " line " + lineNumber + ": needs a non-empty \"messages\" array");
            }
            List<Message> list = new ArrayList<>();
            for (JsonNode m : messages) list.add(new Message(m.path("role").asText("user"), m.path("content").asText()));
            prompts.add(new Prompt(row.path("id").asText("prompt-" + lineNumber), List.copyOf(list)));
        }
        if (prompts.isEmpty()) throw new IllegalArgumentException(name + " holds no prompts");
        return prompts;
    }
}
