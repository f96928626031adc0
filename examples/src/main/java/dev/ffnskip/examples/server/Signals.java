package dev.ffnskip.examples.server;

import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT as a request to stop, so that {@code serve} shuts down on its main thread and exits 0 (with
 * only a JVM shutdown hook, a process stopped by a signal exits 128 + the signal's number). Uses
 * {@code sun.misc.Signal} of the JDK's {@code jdk.unsupported} module, reflectively (the JDK has no public API for it).
 */
final class Signals {
    private static final Logger logger = LoggerFactory.getLogger(Signals.class);

    private Signals() {}

    /** Runs {@code action} on SIGTERM or SIGINT; false if signals cannot be handled on this JVM. */
    static boolean onTermination(Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] { handlerClass }, (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                    logger.info("Received SIG{}", signalClass.getMethod("getName").invoke(args[0]));
                    action.run();
                    return null;
                }
                return switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> "Signals.handler";
                };
            });
            var handle = signalClass.getMethod("handle", signalClass, handlerClass);
            for (String name : new String[] { "TERM", "INT" }) handle.invoke(null, signalClass.getConstructor(String.class).newInstance(name), handler);
            return true;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            logger.warn("Cannot handle SIGTERM/SIGINT ({}); shutting down from the JVM's shutdown hook instead", e.toString());
            return false;
        }
    }
}
