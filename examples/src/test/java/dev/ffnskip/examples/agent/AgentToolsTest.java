package dev.ffnskip.examples.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.service.AiServices;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The agent calls each kind of tool the model was trained on and answers with the tool's result. */
class AgentToolsTest {
    @Test
    void numbersPrintLikeTheTrainingData() {
        assertThat(AgentTools.number(82.0)).isEqualTo("82");
        assertThat(AgentTools.number(-297)).isEqualTo("-297");
        assertThat(AgentTools.number(725.3176)).isEqualTo("725.3176");
    }

    @Test
    void agentCallsToolsAndAnswersWithTheirResults() {
        List<String> printed = new ArrayList<>();
        FfnSkipChatModel chat = FfnSkipChatModel.builder().model(TestModels.skipbench()).temperature(0.0).listeners(new TurnPrinter(System.out)).build();
        String[][] cases = {
            { "What is 37 plus 45?", "add(a=37, b=45) -> 82", "82" },
            { "Is it raining in Mumbai?", "get_weather(city=Mumbai) -> foggy, 28 degrees", "foggy, 28 degrees" },
            { "What is the local time in Tokyo?", "get_time(city=Tokyo) -> 21:05", "21:05" },
            { "How much is 100 EUR in USD?", "convert_currency(amount=100, from=EUR, to=USD) -> 108.70 USD", "108.70 USD" },
        };
        for (String[] c : cases) {
            AgentTools tools = new AgentTools(printed::add);
            AgentCommand.Agent agent = AiServices.builder(AgentCommand.Agent.class).chatModel(chat).tools(tools).build();
            String answer = agent.chat(c[0]);
            assertThat(tools.calls()).as(c[0]).containsExactly(c[1]);
            assertThat(answer).as(c[0]).contains(c[2]);
        }
        assertThat(printed).hasSize(cases.length);
    }

    /** SmolLM2's chat template has no tool format: the agent says so and which model to use, instead of a stack trace. */
    @Test
    void agentOnAModelWithoutToolFormatStopsWithAClearMessage() {
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new AgentCommand()).setErr(new PrintWriter(err, true));
        int exit = command.execute("--model", SharedAssets.smollm2().toString(), "--cache-dir", TestModels.cacheDir().toString(), "-q", "What is 37 plus 45?");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("SmolLM2-135M-Instruct.Q4_1's chat template has no tool format").contains("--model ../shared/models/skipbench-28m");
    }
}
