package dev.ffnskip.examples.demo;

import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.service.AiServices;
import java.nio.file.Path;

/** The smallest drop-in: an AiServices chain where JlamaChatModel was, now skip-accelerated. */
public final class DropInDemo {
    interface Assistant {
        String chat(String question);
    }

    public static void main(String[] args) {
        ChatModel model = FfnSkipChatModel.builder() // was: JlamaChatModel.builder()
            .modelPath(Path.of(args.length > 0 ? args[0] : "../shared/models/skipbench-28m"))
            .build();
        Assistant assistant = AiServices.create(Assistant.class, model);
        System.out.println(assistant.chat("What is the chemical symbol for iron?"));
    }
}
