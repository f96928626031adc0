package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.langchain4j.spi.FfnSkipChatModelBuilderFactory;
import dev.ffnskip.langchain4j.spi.FfnSkipStreamingChatModelBuilderFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** builder() asks registered builder factories first, like langchain4j-jlama's builders do. */
class SpiTest {
    public static class MarkedChatBuilder extends FfnSkipChatModel.Builder {}

    public static class MarkedStreamingBuilder extends FfnSkipStreamingChatModel.Builder {}

    public static class ChatFactory implements FfnSkipChatModelBuilderFactory {
        @Override
        public FfnSkipChatModel.Builder get() {
            return new MarkedChatBuilder();
        }
    }

    public static class StreamingFactory implements FfnSkipStreamingChatModelBuilderFactory {
        @Override
        public FfnSkipStreamingChatModel.Builder get() {
            return new MarkedStreamingBuilder();
        }
    }

    @Test
    void registeredFactoriesSupplyTheBuilders(@TempDir Path dir) throws Exception {
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve(FfnSkipChatModelBuilderFactory.class.getName()), ChatFactory.class.getName() + "\n");
        Files.writeString(services.resolve(FfnSkipStreamingChatModelBuilderFactory.class.getName()), StreamingFactory.class.getName() + "\n");

        assertThat(FfnSkipChatModel.builder()).isExactlyInstanceOf(FfnSkipChatModel.Builder.class);
        Thread thread = Thread.currentThread();
        ClassLoader original = thread.getContextClassLoader();
        try (URLClassLoader withServices = new URLClassLoader(new URL[] {dir.toUri().toURL()}, original)) {
            thread.setContextClassLoader(withServices);
            FfnSkipChatModel.Builder builder = FfnSkipChatModel.builder();
            assertThat(builder).isInstanceOf(MarkedChatBuilder.class);
            assertThat(FfnSkipStreamingChatModel.builder()).isInstanceOf(MarkedStreamingBuilder.class);
            // A supplied builder builds a working model.
            assertThat(builder.modelPath(TestSupport.skipbench()).workingQuantizedType(com.github.tjake.jlama.safetensors.DType.F32).temperature(0.0).build().chat(RequestParametersTest.IRON))
                .isEqualTo("Fe");
        } finally {
            thread.setContextClassLoader(original);
        }
    }
}
