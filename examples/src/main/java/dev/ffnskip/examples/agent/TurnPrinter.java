package dev.ffnskip.examples.agent;

import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import java.io.PrintStream;

/** Prints the skip statistics of every model turn (a tool call turn or an answer turn). */
public final class TurnPrinter implements ChatModelListener {
    private final PrintStream out;
    private int turn;

    public TurnPrinter(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onResponse(ChatModelResponseContext context) {
        turn++;
        var response = context.chatResponse();
        String what = response.aiMessage().hasToolExecutionRequests() ? "tool call" : "answer";
        if (response.metadata() instanceof FfnSkipChatResponseMetadata m) {
            out.printf("    turn %d (%s): %d prompt + %d generated tokens, %.1f%% of FFN blocks skipped, %.1f tokens/s%n",
                turn, what, response.tokenUsage().inputTokenCount(), response.tokenUsage().outputTokenCount(), 100 * m.skipRatio(), m.decodeTokensPerSecond());
        }
    }
}
