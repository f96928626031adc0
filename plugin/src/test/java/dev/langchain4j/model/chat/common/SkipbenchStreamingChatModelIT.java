package dev.langchain4j.model.chat.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.ffnskip.langchain4j.conformance.SkipbenchLimits;
import dev.langchain4j.model.chat.StreamingChatModel;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link FfnSkipStreamingChatModelIT} on skipbench-28m; the tests disabled here ask for knowledge or tools the model lacks. */
class SkipbenchStreamingChatModelIT extends FfnSkipStreamingChatModelIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SKIPBENCH_28M;
    }

    /** As in {@link SkipbenchChatModelIT#maxOutputTokens()}: the suite's question gets a 2-token answer. */
    @Override
    protected int maxOutputTokens() {
        return 1;
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.NO_CAPITALS)
    protected void should_respect_user_message(StreamingChatModel model) {
        super.should_respect_user_message(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.NO_TRANSLATION)
    protected void should_respect_system_message(StreamingChatModel model) {
        super.should_respect_system_message(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.NO_RECALL)
    protected void should_respect_multiple_messages(StreamingChatModel model) {
        super.should_respect_multiple_messages(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingTools")
    @Disabled(SkipbenchLimits.GET_WEATHER)
    protected void should_execute_a_tool_then_answer(StreamingChatModel model) {
        super.should_execute_a_tool_then_answer(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingTools")
    @Disabled(SkipbenchLimits.GET_CURRENT_TIME)
    protected void should_execute_a_tool_without_arguments_then_answer(StreamingChatModel model) {
        super.should_execute_a_tool_without_arguments_then_answer(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingTools")
    @Disabled(SkipbenchLimits.PARALLEL_TOOLS)
    protected void should_execute_multiple_tools_in_parallel_then_answer(StreamingChatModel model) {
        super.should_execute_multiple_tools_in_parallel_then_answer(model);
    }

    @Override
    @Test
    @Disabled(SkipbenchLimits.NO_CAPITALS_STREAMING_CONTRACT)
    void should_propagate_user_exceptions_thrown_from_onPartialResponse() throws Exception {
        super.should_propagate_user_exceptions_thrown_from_onPartialResponse();
    }

    @Override
    @Test
    @Disabled(SkipbenchLimits.NO_CAPITALS_STREAMING_CONTRACT)
    void should_propagate_user_exceptions_thrown_from_onCompleteResponse() throws Exception {
        super.should_propagate_user_exceptions_thrown_from_onCompleteResponse();
    }

    @Override
    @Test
    @Disabled(SkipbenchLimits.NO_CAPITALS_STREAMING_CONTRACT)
    void should_ignore_user_exceptions_thrown_from_onError() throws Exception {
        super.should_ignore_user_exceptions_thrown_from_onError();
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingStructuredOutputs")
    @Disabled(SkipbenchLimits.NO_CAPITALS_JSON)
    protected void should_respect_JSON_response_format(StreamingChatModel model) {
        super.should_respect_JSON_response_format(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingStructuredOutputs")
    @Disabled(SkipbenchLimits.NO_CAPITALS_JSON)
    protected void should_respect_JSON_response_format_with_schema(StreamingChatModel model) {
        super.should_respect_JSON_response_format_with_schema(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingStructuredOutputs")
    @Disabled(SkipbenchLimits.NO_CAPITALS_JSON)
    protected void should_respect_JsonRawSchema_responseFormat(StreamingChatModel model) {
        super.should_respect_JsonRawSchema_responseFormat(model);
    }
}
