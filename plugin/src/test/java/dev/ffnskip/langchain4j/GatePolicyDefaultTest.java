package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Which gate a chat model and a request use: the model's calibrated default, a calibrated file, the paper gate, dense. */
class GatePolicyDefaultTest {
    static final Path CALIBRATED = Path.of("..", "docs", "results", "skipbench-28m", "calibration", "target-0.05", "policy.json");

    @Test
    void withoutSkipSettingsTheShippedDefaultForTheModelApplies() {
        FfnSkipChatModel chat = FfnSkipChatModel.builder().model(TestModels.skipbench()).temperature(0.0).maxTokens(16).build();
        // skipbench-28m in float32 activations has a shipped calibration (matched by its weights' fingerprint).
        assertThat(chat.defaultGatePolicy()).isSameAs(TestModels.skipbench().defaultPolicy().policy()).isEqualTo(GatePolicies.read(CALIBRATED));
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("What is the first verse of Genesis?")).build());
        assertThat(((FfnSkipChatResponseMetadata) r.metadata()).skipPolicy()).startsWith(chat.defaultGatePolicy().describe()).contains("model default: calibrated policy");
    }

    @Test
    void aCalibratedPolicyFileCanBeLoaded() {
        FfnSkipChatModel chat = FfnSkipChatModel.builder().model(TestModels.skipbench()).gatePolicyFile(CALIBRATED).build();
        assertThat(chat.defaultGatePolicy()).isEqualTo(GatePolicies.read(CALIBRATED));
    }

    @Test
    void paperGateKnobsSelectThePaperGateAndSkipEnabledSwitchesTheDefault() {
        FfnSkipChatModel paper = FfnSkipChatModel.builder().model(TestModels.skipbench()).skipThreshold(0.97).build();
        assertThat(paper.defaultGatePolicy()).isEqualTo(PaperGatePolicy.paperDefault().toBuilder().threshold(0.97).build());

        FfnSkipChatModel dense = FfnSkipChatModel.builder().model(TestModels.skipbench()).skipEnabled(false).temperature(0.0).maxTokens(16).build();
        assertThat(dense.defaultGatePolicy()).isEqualTo(GatePolicy.DENSE);
        ChatResponse on = dense.chat(ChatRequest.builder()
            .messages(UserMessage.from("What is the first verse of Genesis?"))
            .parameters(FfnSkipChatRequestParameters.builder().skipEnabled(true).build())
            .build());
        assertThat(((FfnSkipChatResponseMetadata) on.metadata()).skipPolicy()).startsWith(TestModels.skipbench().defaultPolicy().policy().describe());
        ChatResponse knob = dense.chat(ChatRequest.builder()
            .messages(UserMessage.from("What is the first verse of Genesis?"))
            .parameters(FfnSkipChatRequestParameters.builder().skipThreshold(0.9).build())
            .build());
        assertThat(((FfnSkipChatResponseMetadata) knob.metadata()).skipPolicy()).isEqualTo(PaperGatePolicy.paperDefault().toBuilder().threshold(0.9).build().describe());
    }
}
