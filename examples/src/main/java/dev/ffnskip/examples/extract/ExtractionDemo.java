package dev.ffnskip.examples.extract;

import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import java.nio.file.Path;
import java.util.List;

/**
 * Structured output: an AiServices method returning a record. The provider declares
 * {@code RESPONSE_FORMAT_JSON_SCHEMA}, so LangChain4j sends the record's JSON schema and the model's decoding is
 * constrained to it: the answer always parses (only its content depends on the model).
 */
public final class ExtractionDemo {
    /** What to extract. */
    public record Person(String name, int age, List<String> occupations) {}

    interface Extractor {
        Result<Person> extract(String text);
    }

    public static void main(String[] args) {
        ChatModel model = FfnSkipChatModel.builder()
            .modelPath(Path.of(args.length > 0 ? args[0] : "../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"))
            .temperature(0.0)
            .maxTokens(96)
            .build();
        Extractor extractor = AiServices.create(Extractor.class, model);
        String text = args.length > 1 ? args[1] : "Ada Lovelace, 36, was an English mathematician and writer.";
        Result<Person> result = extractor.extract(text);
        FfnSkipChatResponseMetadata meta = (FfnSkipChatResponseMetadata) result.finalResponse().metadata();
        System.out.println("text:      " + text);
        System.out.println("extracted: " + result.content());
        System.out.printf("decoding:  %s, FFN skip ratio %.3f, %s%n", meta.structuredOutput(), meta.skipRatio(), meta.skipPolicy());
    }
}
