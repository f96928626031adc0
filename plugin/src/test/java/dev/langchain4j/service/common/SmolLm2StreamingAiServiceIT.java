package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.ffnskip.langchain4j.conformance.SmolLm2Limits;
import dev.langchain4j.model.chat.StreamingChatModel;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link FfnSkipStreamingAiServiceIT} on SmolLM2-135M-Instruct: the tests disabled here need a tool call. */
class SmolLm2StreamingAiServiceIT extends FfnSkipStreamingAiServiceIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SMOLLM2_135M;
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_tool_without_arguments(StreamingChatModel model) throws Exception {
        super.should_execute_tool_without_arguments(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_keep_memory_consistent_when_streaming_using_immediate_tool(StreamingChatModel model) {
        super.should_keep_memory_consistent_when_streaming_using_immediate_tool(model);
    }
}
