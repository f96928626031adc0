package dev.ffnskip.examples.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI's official Node SDK ({@code openai} on npm, the version pinned in {@code src/test/node/package-lock.json})
 * against the server: {@code src/test/node/sdk-check.mjs} runs blocking and streaming completions, structured output
 * ({@code response_format} json_schema and json_object, a schema error), tool calls,
 * {@code runTools}, aborts, typed errors, 429 retries and concurrent requests, and must pass every check.
 *
 * <p>The SDK is installed with {@code npm ci} into {@code target/node-sdk} (once; {@code .ci/run} makes sure node and
 * npm exist). Without node the test is skipped locally and fails in CI ({@code CI=true}).
 */
class OpenAiNodeSdkIT {
    static final Path NODE_SOURCES = Path.of("src", "test", "node");
    static final Path NODE_DIR = Path.of("target", "node-sdk");

    @TempDir
    Path tmp;

    static boolean nodeAvailable() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static Run run(Path dir, long minutes, List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (var in = p.getInputStream()) {
                for (byte[] b = new byte[8192]; ; ) {
                    int n = in.read(b);
                    if (n < 0) break;
                    String s = new String(b, 0, n, StandardCharsets.UTF_8);
                    System.out.print(s);
                    synchronized (out) {
                        out.append(s);
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        reader.start();
        boolean done = p.waitFor(minutes, TimeUnit.MINUTES);
        if (!done) p.destroyForcibly();
        reader.join(10_000);
        synchronized (out) {
            return new Run(done ? p.exitValue() : -1, out.toString());
        }
    }

    record Run(int exit, String output) {}

    /** {@code npm ci} into target/node-sdk, unless the pinned SDK is already there. */
    static void installSdk() throws Exception {
        Files.createDirectories(NODE_DIR);
        for (String f : List.of("package.json", "package-lock.json", "sdk-check.mjs")) {
            Files.copy(NODE_SOURCES.resolve(f), NODE_DIR.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.isRegularFile(NODE_DIR.resolve("node_modules/openai/package.json"))
            && Files.readString(NODE_DIR.resolve("node_modules/openai/package.json")).contains("\"version\": \"6.49.0\"")) return;
        Run install = run(NODE_DIR, 5, List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of());
        assertThat(install.exit()).as("npm ci: %s", install.output()).isZero();
    }

    @Test
    void openAiNodeSdkRunsEveryCheckAgainstTheServer() throws Exception {
        if (!nodeAvailable()) {
            if ("true".equals(System.getenv("CI"))) throw new AssertionError("node is not installed; .ci/run installs it");
            Assumptions.abort("node is not installed");
        }
        installSdk();
        FfnSkipModel model = TestModels.skipbench();
        model.setMaxWaiting(3);
        try (OpenAiServer server = new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 1 << 20, 5),
            FfnSkipChatModel.builder().model(model).temperature(0.0).build(),
            FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build(),
            new DocumentStore(tmp.resolve("docs.json"), new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40)))
            .queueDepth(model::waiting).start()) {
            Run result = run(NODE_DIR, 8, List.of("node", "sdk-check.mjs"), Map.of("FFNSKIP_BASE_URL", "http://127.0.0.1:" + server.port() + "/v1"));
            assertThat(result.exit()).as(result.output()).isZero();
            assertThat(result.output()).containsPattern("(?m)^\\d+ passed, 0 failed$").doesNotContain("FAIL ");
            assertThat(model.openSessions()).isZero();
        } finally {
            model.setMaxWaiting(Integer.MAX_VALUE);
        }
    }
}
