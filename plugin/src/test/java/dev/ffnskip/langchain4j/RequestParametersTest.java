package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.junit.jupiter.api.Test;

/** Default and per-request parameters take effect, listeners see everything, unsupported parameters are refused. */
class RequestParametersTest {
    /** A summarisation prompt: a 9-token answer, long enough for the gate to skip. */
    static final String SUMMARY_PROMPT = TestSupport.eval("summarize.jsonl", 2).get(1).get("prompt").asText();
    static final String IRON = "What is the chemical symbol for iron?";

    private static FfnSkipChatModel model;

    @BeforeAll
    static void setUp() {
        model = TestSupport.chatModelBuilder().build();
    }

    private static ChatResponse chat(String question, ChatRequestParameters parameters) {
        return model.chat(ChatRequest.builder().messages(UserMessage.from(question)).parameters(parameters).build());
    }

    private static FfnSkipChatResponseMetadata meta(ChatResponse response) {
        return (FfnSkipChatResponseMetadata) response.metadata();
    }

    private static int[] promptIds(String question) {
        FfnSkipModel m = model.model();
        return m.encode(m.promptSupport().orElseThrow().builder().addUserMessage(question).build());
    }

    static class RecordingListener implements ChatModelListener {
        final List<ChatModelRequestContext> requests = new CopyOnWriteArrayList<>();
        final List<ChatModelResponseContext> responses = new CopyOnWriteArrayList<>();
        final List<ChatModelErrorContext> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onRequest(ChatModelRequestContext context) {
            requests.add(context);
        }

        @Override
        public void onResponse(ChatModelResponseContext context) {
            responses.add(context);
        }

        @Override
        public void onError(ChatModelErrorContext context) {
            errors.add(context);
        }
    }

    @Test
    void listenersReceiveRequestResponseAndMetadata() {
        RecordingListener listener = new RecordingListener();
        FfnSkipChatModel listened = TestSupport.chatModelBuilder().listeners(listener).build();
        ChatResponse response = listened.chat(ChatRequest.builder()
            .messages(UserMessage.from(SUMMARY_PROMPT))
            .parameters(FfnSkipChatRequestParameters.builder().skipThreshold(0.9).build())
            .build());

        assertThat(listener.requests).hasSize(1);
        ChatRequestParameters seen = listener.requests.get(0).chatRequest().parameters();
        assertThat(seen).isInstanceOf(FfnSkipChatRequestParameters.class);
        assertThat(seen.temperature()).isEqualTo(0.0);
        assertThat(seen.modelName()).isEqualTo("skipbench-28m");
        assertThat(((FfnSkipChatRequestParameters) seen).skipThreshold()).isEqualTo(0.9);

        assertThat(listener.responses).hasSize(1);
        ChatResponse heard = listener.responses.get(0).chatResponse();
        assertThat(heard).isSameAs(response);
        FfnSkipChatResponseMetadata metadata = meta(heard);
        assertThat(metadata.modelName()).isEqualTo("skipbench-28m");
        assertThat(metadata.id()).startsWith("ffnskip-");
        assertThat(metadata.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(metadata.layers()).isEqualTo(16);
        assertThat(metadata.skipPolicy()).contains("thr=0.9");
        assertThat(metadata.tokenUsage().inputTokenCount()).isEqualTo(promptIds(SUMMARY_PROMPT).length);
        assertThat(metadata.tokenUsage().outputTokenCount()).isEqualTo(metadata.tokenIds().length).isEqualTo(metadata.decodeSteps() + 1);
        assertThat(metadata.ffnSkipped() + metadata.ffnComputed()).isEqualTo(metadata.ffnTotal());
        assertThat(metadata.ffnSkipped()).isPositive();
        assertThat(metadata.skipRatio()).isEqualTo((double) metadata.ffnSkipped() / metadata.ffnTotal());
        assertThat(metadata.ffnSkippedPerLayer()).hasSize(16);
        assertThat(metadata.ffnSkippedPerLayer()[0]).isZero(); // protected
        assertThat(metadata.prefillMillis()).isPositive();
        assertThat(metadata.decodeTokensPerSecond()).isPositive();

        // Errors reach listeners too.
        assertThatThrownBy(() -> listened.chat(ChatRequest.builder().messages(UserMessage.from(IRON)).frequencyPenalty(0.5).build()))
            .isInstanceOf(UnsupportedFeatureException.class);
        assertThat(listener.errors).hasSize(1);
        assertThat(listener.errors.get(0).error()).isInstanceOf(UnsupportedFeatureException.class);
    }

    interface Assistant {
        Result<String> answer(String question);
    }

    @Test
    void aiServicesResultCarriesTheMetadata() {
        Result<String> result = AiServices.create(Assistant.class, model).answer(IRON);
        assertThat(result.content()).isEqualTo("Fe");
        assertThat(result.finalResponse().metadata()).isInstanceOf(FfnSkipChatResponseMetadata.class);
        assertThat(meta(result.finalResponse()).tokenIds()).isNotEmpty();
        assertThat(result.tokenUsage().outputTokenCount()).isEqualTo(2); // "Fe", <|end|>
    }

    @Test
    void skipDisabledGivesExactlyTheDenseTokens() {
        GenerationResult dense = model.model().generate(
            promptIds(SUMMARY_PROMPT),
            GenerationRequest.builder().maxNewTokens(100).gate(GatePolicy.DENSE).build()
        );
        ChatResponse off = chat(SUMMARY_PROMPT, FfnSkipChatRequestParameters.builder().skipEnabled(false).build());
        assertThat(meta(off).tokenIds()).containsExactly(dense.tokenIds());
        assertThat(off.aiMessage().text()).isEqualTo(dense.text());
        assertThat(meta(off).ffnSkipped()).isZero();
        assertThat(meta(off).skipPolicy()).isEqualTo("dense");

        ChatResponse on = chat(SUMMARY_PROMPT, ChatRequestParameters.builder().build());
        assertThat(meta(on).ffnSkipped()).isPositive();
    }

    @Test
    void tinyThresholdSkipsALotAndTheCapBoundsIt() {
        ChatResponse normal = chat(SUMMARY_PROMPT, ChatRequestParameters.builder().build());
        ChatResponse tiny = chat(SUMMARY_PROMPT, FfnSkipChatRequestParameters.builder().skipThreshold(0.01).build());
        ChatResponse capped = chat(SUMMARY_PROMPT, FfnSkipChatRequestParameters.builder().skipThreshold(0.01).maxSkipFraction(0.25).build());
        assertThat(meta(tiny).skipRatio()).isGreaterThan(0.5).isGreaterThan(meta(normal).skipRatio());
        // warm-up 2 steps dense, protect 2+2: a tiny threshold skips every other layer's FFN after the warm-up
        long afterWarmup = meta(tiny).decodeSteps() - 2L;
        assertThat(meta(tiny).ffnSkipped()).isEqualTo(afterWarmup * 12);
        // cap 0.25 of 16 layers = at most 4 skipped FFNs per token
        assertThat(meta(capped).ffnSkipped()).isEqualTo((meta(capped).decodeSteps() - 2L) * 4);
        assertThat(meta(capped).skipPolicy()).contains("cap=0.25");
    }

    @Test
    void maxOutputTokensAndStopSequencesEndTheAnswer() {
        ChatResponse three = chat(SUMMARY_PROMPT, ChatRequestParameters.builder().maxOutputTokens(3).build());
        assertThat(three.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(three.tokenUsage().outputTokenCount()).isEqualTo(3);
        assertThat(meta(three).engineFinishReason()).isEqualTo(dev.ffnskip.jlama.generate.FinishReason.MAX_TOKENS);

        ChatResponse full = chat(SUMMARY_PROMPT, ChatRequestParameters.builder().build());
        assertThat(full.aiMessage().text()).isEqualTo("One to whom something is addressed.");
        ChatResponse stopped = chat(SUMMARY_PROMPT, ChatRequestParameters.builder().stopSequences("something").build());
        assertThat(stopped.aiMessage().text()).isEqualTo("One to whom ");
        assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(meta(stopped).engineFinishReason()).isEqualTo(dev.ffnskip.jlama.generate.FinishReason.STOP_SEQUENCE);
    }

    @Test
    void samplingParametersAreHonoured() {
        String greedy = chat(SUMMARY_PROMPT, ChatRequestParameters.builder().build()).aiMessage().text();
        // top-k 1 and a tiny top-p keep only the most likely token: sampling at any temperature is then greedy.
        assertThat(chat(SUMMARY_PROMPT, ChatRequestParameters.builder().temperature(1.5).topK(1).build()).aiMessage().text()).isEqualTo(greedy);
        assertThat(chat(SUMMARY_PROMPT, ChatRequestParameters.builder().temperature(1.5).topP(1e-6).build()).aiMessage().text()).isEqualTo(greedy);
        // A seed makes sampling reproducible.
        FfnSkipChatRequestParameters seeded = FfnSkipChatRequestParameters.builder().temperature(1.2).seed(42L).maxOutputTokens(30).build();
        assertThat(chat(SUMMARY_PROMPT, seeded).aiMessage().text()).isEqualTo(chat(SUMMARY_PROMPT, seeded).aiMessage().text());
    }

    @Test
    void builderDefaultsAndRequestOverridesCombine() {
        FfnSkipChatModel denseByDefault = TestSupport.chatModelBuilder()
            .skipPolicy(null) // a policy and dense in one builder would conflict
            .skipEnabled(false)
            .defaultRequestParameters(FfnSkipChatRequestParameters.builder().maxOutputTokens(5).stopSequences("zzz").build())
            .maxTokens(7)
            .build();
        FfnSkipChatRequestParameters defaults = denseByDefault.defaultRequestParameters();
        assertThat(defaults.maxOutputTokens()).isEqualTo(7); // the builder's own setter wins over defaultRequestParameters
        assertThat(defaults.stopSequences()).containsExactly("zzz");
        assertThat(defaults.temperature()).isEqualTo(0.0);
        assertThat(denseByDefault.defaultGatePolicy().mayDeviateFromDense()).isFalse();

        ChatResponse dense = denseByDefault.chat(ChatRequest.builder().messages(UserMessage.from(SUMMARY_PROMPT)).maxOutputTokens(20).build());
        assertThat(meta(dense).ffnSkipped()).isZero();
        assertThat(dense.tokenUsage().outputTokenCount()).isLessThanOrEqualTo(20).isGreaterThan(7);
        ChatResponse skipping = denseByDefault.chat(ChatRequest.builder()
            .messages(UserMessage.from(SUMMARY_PROMPT))
            .parameters(FfnSkipChatRequestParameters.builder().skipEnabled(true).maxOutputTokens(20).build())
            .build());
        assertThat(meta(skipping).ffnSkipped()).isPositive();
    }

    @Test
    void finishReasonsMapToLangChain4j() {
        assertThat(ChatEngine.finishReason(dev.ffnskip.jlama.generate.FinishReason.STOP_TOKEN)).isEqualTo(FinishReason.STOP);
        assertThat(ChatEngine.finishReason(dev.ffnskip.jlama.generate.FinishReason.STOP_SEQUENCE)).isEqualTo(FinishReason.STOP);
        assertThat(ChatEngine.finishReason(dev.ffnskip.jlama.generate.FinishReason.MAX_TOKENS)).isEqualTo(FinishReason.LENGTH);
        assertThat(ChatEngine.finishReason(dev.ffnskip.jlama.generate.FinishReason.CONTEXT_LENGTH)).isEqualTo(FinishReason.LENGTH);
        assertThat(ChatEngine.finishReason(dev.ffnskip.jlama.generate.FinishReason.CANCELLED)).isEqualTo(FinishReason.OTHER);

        // CANCELLED for real: an interrupted caller's generation stops after its first token.
        Thread.currentThread().interrupt();
        ChatResponse interrupted;
        try {
            interrupted = chat(SUMMARY_PROMPT, ChatRequestParameters.builder().build());
        } finally {
            Thread.interrupted();
        }
        assertThat(interrupted.finishReason()).isEqualTo(FinishReason.OTHER);
        assertThat(meta(interrupted).engineFinishReason()).isEqualTo(dev.ffnskip.jlama.generate.FinishReason.CANCELLED);
        assertThat(interrupted.tokenUsage().outputTokenCount()).isEqualTo(1);
        assertThat(model.chat(IRON)).isEqualTo("Fe");
    }

    @Test
    void unsupportedParametersAreRefusedByName() {
        assertUnsupported(ChatRequestParameters.builder().frequencyPenalty(0.5).build(), "frequencyPenalty");
        assertUnsupported(ChatRequestParameters.builder().presencePenalty(0.5).build(), "presencePenalty");
        assertUnsupported(
            ChatRequestParameters.builder().responseFormat(JsonSchema.builder().name("answer").rootElement(dev.langchain4j.model.chat.request.json.JsonRawSchema.from("{\"type\":\"integer\",\"minimum\":3}")).build()).build(),
            "JSON schema construct 'minimum'"
        );
        assertUnsupported(
            ChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).toolSpecifications(dev.langchain4j.agent.tool.ToolSpecification.builder().name("add").build()).build(),
            "JSON response format together with tools"
        );
        assertUnsupported(ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).build(), "ToolChoice.REQUIRED");
        assertUnsupported(ChatRequestParameters.builder().modelName("gpt-4o").build(), "modelName");
        // Neutral values are fine.
        ChatResponse ok = chat(IRON, ChatRequestParameters.builder()
            .frequencyPenalty(0.0)
            .presencePenalty(0.0)
            .responseFormat(ResponseFormat.builder().type(ResponseFormatType.TEXT).build())
            .toolChoice(ToolChoice.AUTO)
            .modelName("skipbench-28m")
            .build());
        assertThat(ok.aiMessage().text()).isEqualTo("Fe");
    }

    @Test
    void supportedCapabilitiesReportWhatWorks() {
        // LangChain4j's only capability, RESPONSE_FORMAT_JSON_SCHEMA: constrained decoding enforces the schema, so
        // AiServices may send it (StructuredOutputTest checks that it works).
        assertThat(model.supportedCapabilities()).containsExactly(dev.langchain4j.model.chat.Capability.RESPONSE_FORMAT_JSON_SCHEMA);
        assertThat(TestSupport.streamingModelBuilder().build().supportedCapabilities()).containsExactly(dev.langchain4j.model.chat.Capability.RESPONSE_FORMAT_JSON_SCHEMA);
        assertThat(model.provider()).isEqualTo(dev.langchain4j.model.ModelProvider.OTHER);
    }

    @Test
    void chatRequestOptionsReachTheListenersThroughDoChat() {
        // LangChain4j 1.13+'s chat(ChatRequest, ChatRequestOptions): its listener attributes are what the listeners see,
        // in onRequest, onResponse and onError, blocking and streaming.
        RecordingListener listener = new RecordingListener();
        ChatRequestOptions options = ChatRequestOptions.builder().addListenerAttribute("tenant", "acme").build();
        FfnSkipChatModel blocking = TestSupport.chatModelBuilder().listeners(listener).build();
        ChatRequest iron = ChatRequest.builder().messages(UserMessage.from(IRON)).build();
        assertThat(blocking.chat(iron, options).aiMessage().text()).isEqualTo("Fe");
        assertThatThrownBy(() -> blocking.chat(ChatRequest.builder().messages(UserMessage.from(IRON)).topK(0).build(), options))
            .isInstanceOf(dev.langchain4j.exception.InvalidRequestException.class);

        FfnSkipStreamingChatModel streaming = TestSupport.streamingModelBuilder().listeners(listener).build();
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        streaming.chat(iron, options, handler);
        assertThat(handler.await().aiMessage().text()).isEqualTo("Fe");
        assertThatThrownBy(() -> streaming.chat(ChatRequest.builder().messages(UserMessage.from(IRON)).topK(0).build(), options, new TestSupport.RecordingHandler()))
            .isInstanceOf(dev.langchain4j.exception.InvalidRequestException.class);

        assertThat(listener.requests).hasSize(4).allSatisfy(c -> assertThat(c.attributes()).containsEntry("tenant", "acme"));
        assertThat(listener.responses).hasSize(2).allSatisfy(c -> assertThat(c.attributes()).containsEntry("tenant", "acme"));
        assertThat(listener.errors).hasSize(2).allSatisfy(c -> assertThat(c.attributes()).containsEntry("tenant", "acme"));
        // The defaults were merged into what the listeners saw (LangChain4j's chat() did it, then called our doChat).
        assertThat(listener.requests.get(0).chatRequest().parameters().modelName()).isEqualTo("skipbench-28m");
        assertThat(listener.requests.get(2).chatRequest().parameters().temperature()).isEqualTo(0.0);
    }

    /** Records INFO messages, formatted. */
    static final class RecordingLogger extends LegacyAbstractLogger {
        final List<String> infos = new CopyOnWriteArrayList<>();

        RecordingLogger() {
            this.name = "recording";
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
            if (level == Level.INFO) infos.add(MessageFormatter.basicArrayFormat(pattern, arguments));
        }

        @Override
        public boolean isTraceEnabled() {
            return true;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }
    }

    @Test
    void requestsAndResponsesAreLoggedOnlyWhenAskedFor() {
        RecordingLogger quiet = new RecordingLogger();
        TestSupport.chatModelBuilder().logger(quiet).build().chat(IRON);
        TestSupport.RecordingHandler quietStream = new TestSupport.RecordingHandler();
        TestSupport.streamingModelBuilder().logger(quiet).build().chat(IRON, quietStream);
        quietStream.await();
        assertThat(quiet.infos).as("off by default").isEmpty();

        RecordingLogger log = new RecordingLogger();
        TestSupport.chatModelBuilder().logger(log).logRequests(true).logResponses(true).build().chat(IRON);
        assertThat(log.infos).hasSize(2);
        assertThat(log.infos.get(0))
            .startsWith("Request to skipbench-28m:")
            .contains("temperature=0.0")
            .contains("<|user|>\n" + IRON + "<|end|>\n<|assistant|>\n") // the prompt as the model reads it
            .containsPattern("prompt \\(\\d+ tokens\\)");
        assertThat(log.infos.get(1)).startsWith("Response from skipbench-28m:").contains("finishReason=STOP").contains("text = \"Fe\"");

        RecordingLogger streamLog = new RecordingLogger();
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        TestSupport.streamingModelBuilder().logger(streamLog).logResponses(true).build().chat(IRON, handler);
        handler.await();
        assertThat(streamLog.infos).hasSize(1);
        assertThat(streamLog.infos.get(0)).startsWith("Response from skipbench-28m:").contains("text = \"Fe\"");
    }

    private static void assertUnsupported(ChatRequestParameters parameters, String name) {
        assertThatThrownBy(() -> chat(IRON, parameters)).isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining(name);
    }

    @Test
    void streamingTextEqualsBlockingTextForGreedyDecoding() {
        FfnSkipStreamingChatModel streaming = TestSupport.streamingModelBuilder().build();
        for (String question : List.of(SUMMARY_PROMPT, IRON, "Which language has the code ar?")) {
            ChatResponse blocking = chat(question, ChatRequestParameters.builder().build());
            TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
            streaming.chat(question, handler);
            ChatResponse streamed = handler.await();
            assertThat(handler.text()).isEqualTo(blocking.aiMessage().text());
            assertThat(streamed.aiMessage().text()).isEqualTo(blocking.aiMessage().text());
            assertThat(meta(streamed).tokenIds()).containsExactly(meta(blocking).tokenIds());
            assertThat(meta(streamed).ffnSkippedPerLayer()).containsExactly(meta(blocking).ffnSkippedPerLayer());
            assertThat(streamed.finishReason()).isEqualTo(blocking.finishReason());
            assertThat(streamed.tokenUsage()).isEqualTo(blocking.tokenUsage());
        }
    }
}
