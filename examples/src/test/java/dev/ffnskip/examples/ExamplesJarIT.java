package dev.ffnskip.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the packaged jar the way README does. */
class ExamplesJarIT {
    static final Path JAR = Path.of("target", "ffn-skip-examples.jar");

    record Run(int exit, String stdout, List<String> stderr) {}

    static Run java(boolean withFlags, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home.for.tests", System.getProperty("java.home")), "bin", "java").toString());
        if (withFlags) command.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        // The JVM itself announces incubator modules on stderr; that line is not ours.
        List<String> errLines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        return new Run(p.exitValue(), out, errLines);
    }

    @Test
    void badModelExitsNonZeroWithOneLineNamingThePath() throws Exception {
        assertThat(Files.isRegularFile(JAR)).isTrue();
        Run run = java(true, "ab", "--model", "/no/such/model-dir");
        assertThat(run.exit()).isNotZero();
        assertThat(run.stderr()).containsExactly("error: Model folder does not exist: /no/such/model-dir");
    }

    @Test
    void missingVectorModuleIsExplained() throws Exception {
        Run run = java(false, "ab");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.stderr()).singleElement().asString().contains("--add-modules jdk.incubator.vector");
    }
}
