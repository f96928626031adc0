package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.kernels.DecodeKernels;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoadException;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.jlama.JlamaChatModel;
import dev.langchain4j.model.jlama.JlamaStreamingChatModel;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builder options: Jlama compatibility, model sources, sharing, quantization and clear errors for bad configuration. */
class BuilderTest {
    private static final String IRON = RequestParametersTest.IRON;

    @Test
    void acceptsEverythingJlamaChatModelBuilderAccepts() {
        assertAcceptsAllOf(JlamaChatModel.JlamaChatModelBuilder.class, FfnSkipChatModel.Builder.class);
        assertAcceptsAllOf(JlamaStreamingChatModel.JlamaStreamingChatModelBuilder.class, FfnSkipStreamingChatModel.Builder.class);
    }

    private static void assertAcceptsAllOf(Class<?> jlamaBuilder, Class<?> ours) {
        List<String> missing = Arrays.stream(jlamaBuilder.getDeclaredMethods())
            .filter(m -> Modifier.isPublic(m.getModifiers()) && !m.getName().equals("toString"))
            .filter(m -> {
                try {
                    Method mine = ours.getMethod(m.getName(), m.getParameterTypes());
                    if (m.getName().equals("build")) {
                        return !ChatModel.class.isAssignableFrom(mine.getReturnType()) && !StreamingChatModel.class.isAssignableFrom(mine.getReturnType());
                    }
                    return !mine.getReturnType().isAssignableFrom(ours); // the chain goes on with our builder
                } catch (NoSuchMethodException e) {
                    return true;
                }
            })
            .map(Method::toString)
            .toList();
        assertThat(missing).as("methods of %s that %s lacks", jlamaBuilder.getSimpleName(), ours.getSimpleName()).isEmpty();
    }

    @Test
    void theOneLineSwapCompilesAndRuns(@TempDir Path cache) throws Exception {
        Path link = Files.createSymbolicLink(cache.resolve("tjake_skipbench-28m"), TestSupport.skipbench());
        try {
            // Exactly the JlamaChatModel builder chain, with the class name swapped.
            ChatModel model = FfnSkipChatModel.builder()
                .modelName("tjake/skipbench-28m")
                .modelCachePath(cache)
                .authToken(null)
                .threadCount(null)
                .quantizeModelAtRuntime(false)
                .workingDirectory(cache)
                .workingQuantizedType(DType.F32)
                .temperature(0.0f)
                .maxTokens(64)
                .build();
            assertThat(model.chat(IRON)).isEqualTo("Fe");
            assertThat(model.chat(dev.langchain4j.data.message.UserMessage.from(IRON)).metadata().modelName()).isEqualTo("tjake/skipbench-28m");
        } finally {
            Files.delete(link); // never let the temp-dir cleanup near the shared model
        }
    }

    @Test
    void modelNameIsResolvedFromTheCacheOffline(@TempDir Path cache) throws Exception {
        // Jlama's layout: <cache>/<owner>_<name>, owner "na" for ids without one. Found, so nothing is downloaded.
        Path link = Files.createSymbolicLink(cache.resolve("na_skipbench-28m"), TestSupport.skipbench());
        try {
            FfnSkipChatModel model = TestSupport.chatModelBuilder().modelPath(null).modelName("skipbench-28m").modelCachePath(cache).build();
            assertThat(model.chat(IRON)).isEqualTo("Fe");
            // The same folder and options as modelPath(skipbench): the same loaded model.
            assertThat(model.model()).isSameAs(TestSupport.chatModelBuilder().build().model());
        } finally {
            Files.delete(link);
        }
    }

    @Test
    void anUncachedModelNameIsNotDownloadedWhenDownloadsAreOff(@TempDir Path cache) {
        assertThatThrownBy(() -> FfnSkipChatModel.builder().modelName("someone/missing-model").modelCachePath(cache).allowDownload(false).build())
            .isInstanceOf(ModelLoadException.class)
            .hasMessageContaining("'someone/missing-model' is not in the model cache")
            .hasMessageContaining(cache.resolve("someone_missing-model").toString())
            .hasMessageContaining("allowDownload(false)");
        assertThatThrownBy(() -> FfnSkipChatModel.builder().modelName("a/b/c").build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("Hugging Face id 'owner/name'");
    }

    @Test
    void missingModelFolderIsNamed() {
        Path missing = Path.of("/nonexistent/models/skipbench-28m");
        assertThatThrownBy(() -> FfnSkipChatModel.builder().modelPath(missing).build())
            .isInstanceOf(ModelLoadException.class)
            .hasMessageContaining("Model folder does not exist: " + missing);
        assertThatThrownBy(() -> FfnSkipStreamingChatModel.builder().modelPath(missing).build())
            .isInstanceOf(ModelLoadException.class)
            .hasMessageContaining(missing.toString());
    }

    @Test
    void badValuesFailWithTheirName() {
        assertBad(TestSupport.chatModelBuilder().skipThreshold(1.5), "skipThreshold must be in (0, 1], was 1.5");
        assertBad(TestSupport.chatModelBuilder().skipThreshold(0.0), "skipThreshold must be in (0, 1], was 0.0");
        assertBad(TestSupport.chatModelBuilder().maxSkipFraction(-0.1), "maxSkipFraction must be in [0, 1]");
        assertBad(TestSupport.chatModelBuilder().warmupTokens(-1), "warmupTokens must be >= 0");
        assertBad(TestSupport.chatModelBuilder().skipPolicy(PaperGatePolicy.builder().protectFirst(10).protectLast(6).build()), "protected layers (protectFirst 10 + protectLast 6)");
        assertBad(TestSupport.chatModelBuilder().temperature(-1.0f), "temperature must be a finite number >= 0");
        assertBad(TestSupport.chatModelBuilder().maxTokens(0), "maxOutputTokens (maxTokens) must be >= 1");
        assertBad(TestSupport.chatModelBuilder().topP(0.0), "topP must be in (0, 1]");
        assertBad(TestSupport.chatModelBuilder().stopSequences(List.of("")), "stopSequences must not contain empty strings");
        assertBad(TestSupport.chatModelBuilder().threadCount(0), "threadCount must be >= 1");
        assertBad(TestSupport.chatModelBuilder().workingQuantizedType(DType.Q4), "workingQuantizationType must be one of I8, BF16, F32");
        assertBad(TestSupport.chatModelBuilder().workingDirectory(Path.of("/nonexistent/work")), "Working directory does not exist: /nonexistent/work");
        assertBad(TestSupport.chatModelBuilder().modelName("tjake/skipbench-28m"), "either modelPath");
        assertBad(FfnSkipChatModel.builder(), "No model: set modelPath(Path)");
        FfnSkipModel loaded = TestSupport.chatModelBuilder().build().model();
        assertBad(FfnSkipChatModel.builder().model(loaded).modelPath(TestSupport.skipbench()), "either model(FfnSkipModel) or modelPath/modelName");
        assertBad(FfnSkipChatModel.builder().model(loaded).threadCount(2), "cannot apply to it");
    }

    @Test
    void anotherDefaultModelNameIsAnUnsupportedFeatureAsPerRequest() {
        // One chat model serves one model: LangChain4j's UnsupportedFeatureException, the same type and wording as per request.
        assertThatThrownBy(() -> TestSupport.chatModelBuilder().defaultRequestParameters(ChatRequestParameters.builder().modelName("llama3").build()).build())
            .isExactlyInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("'modelName' 'llama3' (in defaultRequestParameters) is not supported")
            .hasMessageContaining("does not support switching models")
            .hasMessageContaining("serves 'skipbench-28m'");
        assertThatThrownBy(() -> TestSupport.streamingModelBuilder().defaultRequestParameters(FfnSkipChatRequestParameters.builder().modelName("llama3").build()).build())
            .isExactlyInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("does not support switching models");
        assertThatThrownBy(() -> TestSupport.chatModelBuilder().build().chat(ChatRequest.builder().messages(UserMessage.from(IRON)).modelName("llama3").build()))
            .isExactlyInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("'modelName' 'llama3' (request parameter) is not supported")
            .hasMessageContaining("does not support switching models");
        // The served name itself is fine, as a default and per request.
        FfnSkipChatModel named = TestSupport.chatModelBuilder().defaultRequestParameters(ChatRequestParameters.builder().modelName("skipbench-28m").build()).build();
        assertThat(named.chat(ChatRequest.builder().messages(UserMessage.from(IRON)).modelName("skipbench-28m").build()).aiMessage().text()).isEqualTo("Fe");
    }

    private static void assertBad(FfnSkipChatModel.Builder builder, String message) {
        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void modelsAreSharedByFolderAndOptions() {
        FfnSkipChatModel a = TestSupport.chatModelBuilder().build();
        FfnSkipStreamingChatModel b = TestSupport.streamingModelBuilder().skipPolicy(null).skipEnabled(false).temperature(0.7).build(); // skipPolicy and dense together would conflict
        assertThat(b.model()).isSameAs(a.model());
        assertThat(FfnSkipModels.isLoaded(TestSupport.skipbench(), LoadOptions.builder().workingQuantizationType(DType.F32).build())).isTrue();

        FfnSkipChatModel explicit = FfnSkipChatModel.builder().model(a.model()).build();
        assertThat(explicit.model()).isSameAs(a.model());
        explicit.close(); // not its model: stays usable
        assertThat(a.chat(IRON)).isEqualTo("Fe");

        try (FfnSkipChatModel own = TestSupport.chatModelBuilder().shareModel(false).build()) {
            assertThat(own.model()).isNotSameAs(a.model());
            assertThat(own.chat(IRON)).isEqualTo("Fe");
        }
    }

    @Test
    void defaultLoadOptionsWork() {
        // Jlama's default working type (I8 requested: BF16 activations for this BF16 model) and Jlama's 0.3 temperature.
        FfnSkipChatModel model = FfnSkipChatModel.builder().modelPath(TestSupport.skipbench()).build();
            assertThat(model.model().info().workingQuantizationType()).isEqualTo("BF16");
            assertThat(model.defaultRequestParameters().temperature()).isEqualTo(0.3);
            assertThat(model.defaultRequestParameters().maxOutputTokens()).isEqualTo(model.model().info().contextLength());
            // No skip knob configured: the model's default. skipbench-28m is calibrated for float32 activations only,
            // so with BF16 activations it runs dense (never a guessed gate).
            assertThat(model.defaultGatePolicy()).isEqualTo(dev.ffnskip.jlama.gate.GatePolicy.DENSE);
            assertThat(model.model().defaultPolicy().reason()).contains("no calibrated skip policy");
            assertThat(model.defaultRequestParameters().skipPolicy()).isNull();
            String answer = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from(IRON))
                .temperature(0.0)
                .build()).aiMessage().text();
            assertThat(answer).isEqualTo("Fe");
        }
    
        @Test
        void quantizeModelAtRuntimeLoadsAQ4Copy() {
            FfnSkipChatModel model = TestSupport.chatModelBuilder()
                .quantizeModelAtRuntime(true)
                .quantizationCachePath(TestModels.cacheDir())
                .build();
        assertThat(model.model().info().weightType()).isEqualTo("Q4");
        assertThat(model.model().info().path()).startsWith(TestModels.cacheDir());
        assertThat(model.chat(IRON)).isEqualTo("Fe");
    }

    @Test
    void quantizeHeadInputLoadsItsOwnModelAndHasNoEffectOnFloat32Activations() {
        // on Jlama's kernels (ours quantize every decode input, the head's included)
        FfnSkipChatModel plain = TestSupport.chatModelBuilder().quantizeModelAtRuntime(true).quantizationCachePath(TestModels.cacheDir())
            .decodeKernels(DecodeKernels.STOCK).build();
        FfnSkipChatModel quantizedHead = TestSupport.chatModelBuilder()
            .quantizeModelAtRuntime(true)
            .quantizationCachePath(TestModels.cacheDir())
            .quantizeHeadInput(true)
            .decodeKernels(DecodeKernels.STOCK)
            .build();
        assertThat(quantizedHead.model()).as("a different load option, a different shared model").isNotSameAs(plain.model());
        // skipbench-28m's hidden size (384) keeps Jlama's Q4 layers on F32 activations, so there is no I8 head to use.
        assertThat(quantizedHead.model().jlama().workingQuantizationType()).isEqualTo(DType.F32);
        assertThat(quantizedHead.model().jlama().quantizesHeadInput()).isFalse();
        assertThat(quantizedHead.chat(IRON)).isEqualTo(plain.chat(IRON)).isEqualTo("Fe");
    }

    @Test
    void decodeKernelsChoosesBetweenOurNativeKernelAndJlamas() {
        FfnSkipChatModel ours = TestSupport.chatModelBuilder().quantizeModelAtRuntime(true).quantizationCachePath(TestModels.cacheDir())
            .decodeKernels(DecodeKernels.NATIVE).build();
        FfnSkipChatModel jlamas = TestSupport.chatModelBuilder().quantizeModelAtRuntime(true).quantizationCachePath(TestModels.cacheDir())
            .decodeKernels(DecodeKernels.STOCK).build();
        assertThat(ours.model()).isNotSameAs(jlamas.model());
        assertThat(ours.model().jlama().usesNativeDecodeKernel()).isTrue();
        assertThat(jlamas.model().jlama().usesNativeDecodeKernel()).isFalse();
        assertThat(ours.chat(IRON)).isEqualTo(jlamas.chat(IRON)).isEqualTo("Fe");
        assertThatThrownBy(() -> TestSupport.chatModelBuilder().model(ours.model()).modelPath(null).decodeKernels(DecodeKernels.STOCK).build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("decodeKernels");
    }
}
