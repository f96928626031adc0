package dev.langchain4j.model.chat.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.ffnskip.langchain4j.conformance.SkipbenchLimits;
import dev.langchain4j.model.chat.ChatModel;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link FfnSkipChatModelIT} on skipbench-28m; the tests disabled here ask for knowledge or tools the model lacks. */
class SkipbenchChatModelIT extends FfnSkipChatModelIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SKIPBENCH_28M;
    }

    /**
     * The suite's question ("What is the capital of Germany? How much is 2 + 2?") gets a 2-token answer from this
     * model, the end token included, so a limit of 5 is never reached; 1 still shows the limit ends the answer (LENGTH).
     */
    @Override
    protected int maxOutputTokens() {
        return 1;
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.NO_CAPITALS)
    protected void should_respect_user_message(ChatModel model) {
        super.should_respect_user_message(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.NO_TRANSLATION)
    protected void should_respect_system_message(ChatModel model) {
        super.should_respect_system_message(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.NO_RECALL)
    protected void should_respect_multiple_messages(ChatModel model) {
        super.should_respect_multiple_messages(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingTools")
    @Disabled(SkipbenchLimits.GET_WEATHER)
    protected void should_execute_a_tool_then_answer(ChatModel model) {
        super.should_execute_a_tool_then_answer(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingTools")
    @Disabled(SkipbenchLimits.GET_CURRENT_TIME)
    protected void should_execute_a_tool_without_arguments_then_answer(ChatModel model) {
        super.should_execute_a_tool_without_arguments_then_answer(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingTools")
    @Disabled(SkipbenchLimits.PARALLEL_TOOLS)
    protected void should_execute_multiple_tools_in_parallel_then_answer(ChatModel model) {
        super.should_execute_multiple_tools_in_parallel_then_answer(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingStructuredOutputs")
    @Disabled(SkipbenchLimits.NO_CAPITALS_JSON)
    protected void should_respect_JSON_response_format(ChatModel model) {
        super.should_respect_JSON_response_format(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingStructuredOutputs")
    @Disabled(SkipbenchLimits.NO_CAPITALS_JSON)
    protected void should_respect_JSON_response_format_with_schema(ChatModel model) {
        super.should_respect_JSON_response_format_with_schema(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingStructuredOutputs")
    @Disabled(SkipbenchLimits.NO_CAPITALS_JSON)
    protected void should_respect_JsonRawSchema_responseFormat(ChatModel model) {
        super.should_respect_JsonRawSchema_responseFormat(model);
    }
}
