package dev.ffnskip.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DropInDemoTest {
    @Test
    void answersThroughAiServices() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            DropInDemo.main(new String[] { SharedAssets.skipbench().toString() });
        } finally {
            System.setOut(original);
        }
        // The drop-in keeps JlamaChatModel's default temperature (0.3); the answer to this question is stable anyway.
        assertThat(captured.toString(StandardCharsets.UTF_8).strip()).isEqualTo("Fe");
    }
}
