package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.ffnskip.langchain4j.conformance.SkipbenchLimits;
import dev.langchain4j.model.chat.ChatModel;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link FfnSkipAiServiceIT} on skipbench-28m. */
class SkipbenchAiServiceIT extends FfnSkipAiServiceIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SKIPBENCH_28M;
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.NO_CAPITALS)
    void should_answer_simple_question(ChatModel model) {
        super.should_answer_simple_question(model);
    }
}
