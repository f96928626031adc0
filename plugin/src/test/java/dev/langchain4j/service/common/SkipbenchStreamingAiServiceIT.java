package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.ffnskip.langchain4j.conformance.SkipbenchLimits;
import dev.langchain4j.model.chat.StreamingChatModel;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link FfnSkipStreamingAiServiceIT} on skipbench-28m. */
class SkipbenchStreamingAiServiceIT extends FfnSkipStreamingAiServiceIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SKIPBENCH_28M;
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.NO_CAPITALS)
    void should_answer_simple_question(StreamingChatModel model) throws Exception {
        super.should_answer_simple_question(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.CURRENT_DATE)
    protected void should_execute_tool_without_arguments(StreamingChatModel model) throws Exception {
        super.should_execute_tool_without_arguments(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_ARG0_ARG1)
    protected void should_keep_memory_consistent_when_streaming_using_immediate_tool(StreamingChatModel model) {
        super.should_keep_memory_consistent_when_streaming_using_immediate_tool(model);
    }
}
