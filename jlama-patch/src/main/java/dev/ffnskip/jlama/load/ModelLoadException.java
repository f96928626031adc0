package dev.ffnskip.jlama.load;

/** A model folder that cannot be loaded; the message names the folder or file and what is wrong with it. */
public class ModelLoadException extends IllegalArgumentException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
