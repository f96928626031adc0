package dev.langchain4j.model.chat.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;

/** {@link FfnSkipChatModelListenerIT} on skipbench-28m. */
class SkipbenchChatModelListenerIT extends FfnSkipChatModelListenerIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SKIPBENCH_28M;
    }
}
