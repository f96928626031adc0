package dev.ffnskip.eval.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the read-only models and eval data live: {@code -Dffnskip.shared.dir}, else {@code FFNSKIP_SHARED_DIR}, else
 * the first {@code shared} folder found next to the working directory or one of its parents (the repository's
 * {@code ../shared}).
 */
public final class Shared {
    private Shared() {}

    public static Path dir() {
        String configured = System.getProperty("ffnskip.shared.dir");
        if (configured == null || configured.isBlank()) configured = System.getenv("FFNSKIP_SHARED_DIR");
        if (configured != null && !configured.isBlank()) return Path.of(configured).toAbsolutePath().normalize();
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("shared").resolve("eval"))) return d.resolve("shared");
            if (d.getParent() != null && Files.isDirectory(d.getParent().resolve("shared").resolve("eval"))) return d.getParent().resolve("shared");
        }
        throw new IllegalStateException("shared models and data not found next to " + Path.of("").toAbsolutePath()
            + "; pass --model and --data, or set -Dffnskip.shared.dir=DIR or FFNSKIP_SHARED_DIR");
    }

    public static Path model(String name) {
        return dir().resolve("models").resolve(name);
    }

    public static Path eval(String file) {
        return dir().resolve("eval").resolve(file);
    }
}
