package dev.ffnskip.jlama.ops;

import com.github.tjake.jlama.tensor.operations.TensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import java.lang.reflect.Field;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the process-wide Jlama tensor operations correct before any model runs.
 *
 * <p>Jlama picks its operations once, in {@link TensorOperationsProvider}, and every Jlama class calls
 * {@code TensorOperationsProvider.get()} directly, so the only place to fix its kernel bugs is that provider's private
 * singleton: the chosen operations are wrapped in {@link CorrectedTensorOperations}. <strong>This is process-wide</strong>:
 * from the first model load on, every Jlama model in the JVM (stock Jlama and {@code langchain4j-jlama} included)
 * runs the corrected operations. It is logged once at INFO when it takes effect. Native SIMD operations stay the
 * fast path.
 *
 * <p>Switch: {@code -Dffnskip.ops=uncorrected} or the environment variable {@code FFNSKIP_OPS=uncorrected} leaves
 * Jlama's operations untouched (the property wins over the variable). Our models then run Jlama's raw kernels, which
 * miscompute some prompt lengths and matrix sizes (docs/parity.md); use it to keep other Jlama users in the JVM
 * exactly stock, or for diagnosis.
 */
public final class TensorOperationsGuard {
    private static final Logger logger = LoggerFactory.getLogger(TensorOperationsGuard.class);
    private static final String NATIVE_CLASS = "com.github.tjake.jlama.tensor.operations.NativeSimdTensorOperations";
    static final String PROPERTY = "ffnskip.ops";
    static final String ENVIRONMENT = "FFNSKIP_OPS";
    private static boolean reportedOff;

    private TensorOperationsGuard() {}

    /** Installs the corrected operations unless switched off; idempotent and thread-safe. Returns the active operations. */
    public static synchronized TensorOperations ensureCorrect() {
        TensorOperations current = TensorOperationsProvider.get();
        if (current instanceof CorrectedTensorOperations) return current;
        if (switchedOff(System.getProperty(PROPERTY), System.getenv(ENVIRONMENT))) {
            if (!reportedOff) {
                reportedOff = true;
                logger.warn("{}=uncorrected: Jlama's tensor operations ({}) stay as they are; they miscompute some prompt lengths and matrix sizes",
                    PROPERTY, current.name());
            }
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
        logger.info("Replaced Jlama's process-wide tensor operations {} by {}: every Jlama model in this JVM now uses them "
            + "(-D{}=uncorrected or {}=uncorrected turns this off; see docs/parity.md)", current.name(), corrected.name(), PROPERTY, ENVIRONMENT);
        return TensorOperationsProvider.get();
    }

    /** Whether the switch says to leave Jlama's operations alone: the property if set, else the environment variable. */
    static boolean switchedOff(String property, String environment) {
        String value = property != null ? property : environment;
        if (value == null || value.isBlank() || value.equalsIgnoreCase("corrected")) return false;
        if (value.strip().toLowerCase(Locale.ROOT).equals("uncorrected")) return true;
        throw new IllegalArgumentException(PROPERTY + " / " + ENVIRONMENT + " must be 'corrected' or 'uncorrected', was '" + value + "'");
    }

    /** Name of the operations Jlama is using right now. */
    public static String activeName() {
        return TensorOperationsProvider.get().name();
    }
}
