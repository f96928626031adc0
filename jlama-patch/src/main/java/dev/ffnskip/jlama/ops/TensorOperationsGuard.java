package dev.ffnskip.jlama.ops;

import com.github.tjake.jlama.tensor.operations.TensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the process-wide Jlama tensor operations correct before any model runs.
 *
 * <p>Jlama picks its operations once, in {@link TensorOperationsProvider}, and every Jlama class calls
 * {@code TensorOperationsProvider.get()} directly, so the only place to fix its kernel bugs for the whole process (our
 * gated model and stock Jlama alike) is that provider: the chosen operations are wrapped in
 * {@link CorrectedTensorOperations}. Native SIMD operations stay the fast path.
 *
 * <p>{@code -Dffnskip.ops=uncorrected} keeps Jlama's raw operations (for diagnosis only).
 */
public final class TensorOperationsGuard {
    private static final Logger logger = LoggerFactory.getLogger(TensorOperationsGuard.class);
    private static final String NATIVE_CLASS = "com.github.tjake.jlama.tensor.operations.NativeSimdTensorOperations";

    private TensorOperationsGuard() {}

    /** Installs the corrected operations if needed; idempotent and thread-safe. Returns the active operations. */
    public static synchronized TensorOperations ensureCorrect() {
        TensorOperations current = TensorOperationsProvider.get();
        if (current instanceof CorrectedTensorOperations) return current;
        if ("uncorrected".equals(System.getProperty("ffnskip.ops"))) {
            logger.warn("ffnskip.ops=uncorrected: Jlama's kernels miscompute some prompt lengths and matrix sizes");
            return current;
        }
        boolean isNative = current.getClass().getName().equals(NATIVE_CLASS);
        CorrectedTensorOperations corrected = new CorrectedTensorOperations(current, isNative);
        try {
            Field instanceField = TensorOperationsProvider.class.getDeclaredField("instance");
            instanceField.setAccessible(true);
            Object provider = instanceField.get(null);
            Field providerField = TensorOperationsProvider.class.getDeclaredField("provider");
            providerField.setAccessible(true);
            providerField.set(provider, corrected);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("Cannot install corrected Jlama tensor operations: " + e, e);
        }
        logger.debug("Installed {}", corrected.name());
        return TensorOperationsProvider.get();
    }

    /** Name of the operations Jlama is using right now. */
    public static String activeName() {
        return TensorOperationsProvider.get().name();
    }
}
