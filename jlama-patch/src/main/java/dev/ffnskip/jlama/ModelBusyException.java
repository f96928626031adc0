package dev.ffnskip.jlama;

/** Too many requests are already waiting for the model; retry later or raise the queue limit. */
public class ModelBusyException extends IllegalStateException {
    public ModelBusyException(int waiting, int limit) {
        super("Model is busy: " + waiting + " requests are already waiting (queue limit " + limit + ")");
    }
}
