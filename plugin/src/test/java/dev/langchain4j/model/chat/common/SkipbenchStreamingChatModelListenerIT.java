package dev.langchain4j.model.chat.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;

/** {@link FfnSkipStreamingChatModelListenerIT} on skipbench-28m. */
class SkipbenchStreamingChatModelListenerIT extends FfnSkipStreamingChatModelListenerIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SKIPBENCH_28M;
    }
}
