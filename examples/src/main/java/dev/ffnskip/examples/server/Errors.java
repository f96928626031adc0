package dev.ffnskip.examples.server;

import dev.ffnskip.jlama.ModelBusyException;
import dev.ffnskip.jlama.generate.PromptTooLongException;
import dev.ffnskip.langchain4j.ContextLengthExceededException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.UnsupportedFeatureException;

/**
 * Maps exceptions from the model layer to OpenAI-style API errors. The provider throws LangChain4j's exception types:
 * {@link InvalidRequestException} (its subclass {@link ContextLengthExceededException} for a prompt that does not fit)
 * is the client's error (400), {@link RateLimitException} a busy model (429 with {@code Retry-After}),
 * {@link UnsupportedFeatureException} a feature this server lacks (400 {@code unsupported_parameter}). Anything else
 * is the server's failure (500). The cause chain is searched, since LangChain4j and executors wrap failures.
 */
final class Errors {
    /** What a busy response tells the client to wait before retrying. */
    static final int RETRY_AFTER_SECONDS = 1;

    private Errors() {}

    static ApiError toApiError(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            ApiError mapped = map(e);
            if (mapped != null) return mapped;
        }
        return new ApiError(500, "server_error", "internal_error", null, "The server failed to generate a response: " + error);
    }

    private static ApiError map(Throwable e) {
        if (e instanceof ApiError api) return api;
        if (e instanceof ContextLengthExceededException || e instanceof PromptTooLongException) {
            return new ApiError(400, "invalid_request_error", "context_length_exceeded", "messages", e.getMessage());
        }
        if (e instanceof RateLimitException || e instanceof ModelBusyException) return ApiError.busy(e.getMessage(), RETRY_AFTER_SECONDS);
        if (e instanceof UnsupportedFeatureException) return ApiError.unsupported(null, e.getMessage());
        if (e instanceof InvalidRequestException || e instanceof IllegalArgumentException) return ApiError.invalid(null, e.getMessage());
        return null;
    }
}
