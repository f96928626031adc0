package dev.ffnskip.examples.server;

import dev.ffnskip.jlama.ModelBusyException;
import dev.ffnskip.jlama.generate.PromptTooLongException;
import dev.langchain4j.exception.UnsupportedFeatureException;

/** Maps exceptions from the model layer to OpenAI-style API errors. */
final class Errors {
    private Errors() {}

    static ApiError toApiError(Throwable error) {
        Throwable e = error;
        // LangChain4j wraps some failures; the root names the problem.
        while (e.getCause() != null && !(e instanceof ApiError) && !(e instanceof PromptTooLongException) && !(e instanceof ModelBusyException)
            && !(e instanceof UnsupportedFeatureException) && e.getCause() != e) {
            if (e instanceof IllegalArgumentException) break;
            e = e.getCause();
        }
        if (e instanceof ApiError api) return api;
        if (e instanceof PromptTooLongException) return new ApiError(400, "invalid_request_error", "context_length_exceeded", "messages", e.getMessage());
        if (e instanceof ModelBusyException) return new ApiError(429, "server_error", "model_busy", null, e.getMessage());
        if (e instanceof UnsupportedFeatureException) return ApiError.unsupported(null, e.getMessage());
        if (e instanceof IllegalArgumentException) return ApiError.invalid(null, e.getMessage());
        return new ApiError(500, "server_error", "internal_error", null, "The server failed to generate a response: " + e);
    }
}
