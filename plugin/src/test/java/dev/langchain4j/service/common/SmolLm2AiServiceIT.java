package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;

/** {@link FfnSkipAiServiceIT} on SmolLM2-135M-Instruct. */
class SmolLm2AiServiceIT extends FfnSkipAiServiceIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SMOLLM2_135M;
    }
}
