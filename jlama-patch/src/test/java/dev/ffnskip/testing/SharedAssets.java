package dev.ffnskip.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the read-only models and eval data in {@code ../shared} (relative to the repository root).
 * Override with {@code -Dffnskip.shared.dir=DIR} or {@code FFNSKIP_SHARED_DIR=DIR}. Missing files fail the test with a
 * message saying where they were looked for.
 */
public final class SharedAssets {
    private SharedAssets() {}

    public static Path sharedDir() {
        String configured = System.getProperty("ffnskip.shared.dir");
        if (configured == null || configured.isBlank()) configured = System.getenv("FFNSKIP_SHARED_DIR");
        Path dir = configured != null && !configured.isBlank() ? Path.of(configured) : findFromWorkingDirectory();
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(
                "Shared models and data not found at " + dir + ". Put them at ../shared next to the repository, or set "
                    + "-Dffnskip.shared.dir=DIR or FFNSKIP_SHARED_DIR=DIR."
            );
        }
        return dir;
    }

    /** {@code ../shared/models/<name>}, checked to exist. */
    public static Path model(String name) {
        Path dir = sharedDir().resolve("models").resolve(name);
        if (!Files.isDirectory(dir)) throw new IllegalStateException("Shared model folder missing: " + dir);
        return dir;
    }

    /** {@code ../shared/eval/<name>}, checked to exist. */
    public static Path eval(String name) {
        Path file = sharedDir().resolve("eval").resolve(name);
        if (!Files.isRegularFile(file)) throw new IllegalStateException("Shared eval file missing: " + file);
        return file;
    }

    public static Path skipbench() {
        return model("skipbench-28m");
    }

    /** The real reference model: SmolLM2-135M-Instruct as its Q4_1 GGUF file. */
    public static Path smollm2() {
        Path file = model("smollm2-135m-instruct").resolve("SmolLM2-135M-Instruct.Q4_1.gguf");
        if (!Files.isRegularFile(file)) throw new IllegalStateException("Shared model file missing: " + file);
        return file;
    }

    public static Path stories() {
        return model("stories260K");
    }

    private static Path findFromWorkingDirectory() {
        // Module tests run with the module as working directory; the repository root is the first parent with a pom.xml
        // whose own parent has no pom.xml.
        Path dir = Path.of("").toAbsolutePath();
        Path root = dir;
        while (dir != null && Files.isRegularFile(dir.resolve("pom.xml"))) {
            root = dir;
            dir = dir.getParent();
        }
        return root.resolve("..").resolve("shared");
    }
}
