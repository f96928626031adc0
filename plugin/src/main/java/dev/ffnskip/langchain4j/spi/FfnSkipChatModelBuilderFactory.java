package dev.ffnskip.langchain4j.spi;

import dev.ffnskip.langchain4j.FfnSkipChatModel;
import java.util.function.Supplier;

/**
 * Supplies the builder {@link FfnSkipChatModel#builder()} returns, for frameworks that preconfigure chat models (the
 * counterpart of langchain4j-jlama's {@code JlamaChatModelBuilderFactory}). Register an implementation in
 * {@code META-INF/services/dev.ffnskip.langchain4j.spi.FfnSkipChatModelBuilderFactory}; the first one found wins.
 */
public interface FfnSkipChatModelBuilderFactory extends Supplier<FfnSkipChatModel.Builder> {}
