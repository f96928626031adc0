package dev.ffnskip.jlama.load.gguf;

import dev.ffnskip.jlama.load.ModelLoadException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A GGUF file that cannot be read: wrong magic, unsupported version, truncated, implausible counts, unknown or
 * unsupported tensor types, or a metadata key that is missing or has another type than asked for. The message starts
 * with the file and then says what is wrong and where.
 */
public class GgufFormatException extends ModelLoadException {
    private final transient Path file;

    /** {@code message} should name the file; prefer {@link #GgufFormatException(Path, String)}. */
    public GgufFormatException(String message) {
        super(message);
        this.file = null;
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
        this.file = null;
    }

    /** The message is {@code "<file>: <problem>"}. */
    public GgufFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public GgufFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in, when the exception was made with one. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }
}
