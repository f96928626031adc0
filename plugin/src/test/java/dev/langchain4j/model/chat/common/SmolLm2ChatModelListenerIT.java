package dev.langchain4j.model.chat.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;

/** {@link FfnSkipChatModelListenerIT} on SmolLM2-135M-Instruct. */
class SmolLm2ChatModelListenerIT extends FfnSkipChatModelListenerIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SMOLLM2_135M;
    }
}
