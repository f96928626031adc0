package dev.ffnskip.jlama.constrain;

/**
 * A schema uses a construct constrained decoding cannot enforce (or is malformed). Thrown before any decoding.
 * {@link #construct()} names the JSON Schema keyword, {@link #path()} where it is (a JSON pointer, may be empty).
 */
public final class UnsupportedSchemaException extends IllegalArgumentException {
    private final String construct;
    private final String path;

    public UnsupportedSchemaException(String construct, String message) {
        this(construct, "", message);
    }

    public UnsupportedSchemaException(String construct, String path, String message) {
        super(path.isEmpty() ? message : message + " (at " + path + ")");
        this.construct = construct;
        this.path = path;
    }

    public String construct() {
        return construct;
    }

    public String path() {
        return path;
    }
}
