package dev.ffnskip.examples.server;

/**
 * An error answered in OpenAI's format: {@code {"error": {"message", "type", "param", "code"}}} with an HTTP status.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;

    public ApiError(int status, String type, String code, String param, String message) {
        this(status, type, code, param, message, null);
    }

    public ApiError(int status, String type, String code, String param, String message, Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", "invalid_value", param, message);
    }

    public static ApiError missing(String param) {
        return new ApiError(400, "invalid_request_error", "missing_required_parameter", param, "Missing required parameter: '" + param + "'.");
    }

    public static ApiError wrongType(String param, String expected) {
        return new ApiError(400, "invalid_request_error", "invalid_type", param, "Invalid type for '" + param + "': expected " + expected + ".");
    }

    public static ApiError unsupported(String param, String message) {
        return new ApiError(400, "invalid_request_error", "unsupported_parameter", param, message);
    }

    /** A 429 for a busy model, in OpenAI's rate-limit shape, telling the client when to retry. */
    public static ApiError busy(String message, int retryAfterSeconds) {
        return new ApiError(429, "requests", "rate_limit_exceeded", null, message, retryAfterSeconds);
    }

    /** Seconds for a {@code Retry-After} header, or null for none. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
