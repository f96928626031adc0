package dev.ffnskip.examples.agent;

import dev.ffnskip.examples.ModelOptions;
import dev.ffnskip.examples.SkipOptions;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A tool-using AiServices agent: prints every tool call and the skip statistics of every model turn. */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Tool-using agent on the skip-accelerated model.")
public final class AgentCommand implements Callable<Integer> {
    static final List<String> DEFAULT_QUESTIONS = List.of(
        "What is 37 plus 45?",
        "Subtract 670 from 373.",
        "Multiply 56 by 78.",
        "Divide 61652 by 85.",
        "Is it raining in Mumbai?",
        "What is the local time in Tokyo?",
        "Which element has the symbol Sn? Use the lookup tool.",
        "Search the documents for the warranty terms.",
        "How much is 100 EUR in USD?"
    );

    /** The agent's interface: one question, one answer, tools in between. */
    public interface Agent {
        @SystemMessage("Use the tools when they help.")
        String chat(String question);
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = { "-q", "--question" }, description = "Question(s) to ask (default: one per tool).")
    List<String> questions;

    @Mixin
    SkipOptions skip = new SkipOptions();

    @Override
    public Integer call() {
        PrintStream out = System.out;
        try (FfnSkipModel shared = FfnSkipModel.load(model.model, model.loadOptions())) {
            FfnSkipChatModel chat = FfnSkipChatModel.builder()
                .model(shared)
                .gatePolicy(skip.policy(shared))
                .temperature(0.0) // greedy: the same question gives the same tool calls
                .listeners(new TurnPrinter(out))
                .build();
            if (!chat.supportsTools()) {
                spec.commandLine().getErr().println(
                    "agent: " + shared.info().name() + "'s chat template has no tool format, so it cannot be offered tools; "
                        + "use a model trained on tool calls, e.g. --model ../shared/models/skipbench-28m"
                );
                return 2;
            }
            for (String question : questions == null ? DEFAULT_QUESTIONS : questions) {
                out.println("> " + question);
                AgentTools tools = new AgentTools(line -> out.println("    tool " + line));
                Agent agent = AiServices.builder(Agent.class).chatModel(chat).tools(tools).build();
                out.println("  " + agent.chat(question));
            }
        }
        return 0;
    }
}
