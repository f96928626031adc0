package dev.ffnskip.langchain4j.spi;

import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import java.util.function.Supplier;

/**
 * Supplies the builder {@link FfnSkipStreamingChatModel#builder()} returns, for frameworks that preconfigure chat
 * models (the counterpart of langchain4j-jlama's {@code JlamaStreamingChatModelBuilderFactory}). Register an
 * implementation in {@code META-INF/services/dev.ffnskip.langchain4j.spi.FfnSkipStreamingChatModelBuilderFactory}; the
 * first one found wins.
 */
public interface FfnSkipStreamingChatModelBuilderFactory extends Supplier<FfnSkipStreamingChatModel.Builder> {}
