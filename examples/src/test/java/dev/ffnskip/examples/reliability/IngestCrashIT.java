package dev.ffnskip.examples.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.SharedAssets;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Killing the server (SIGKILL) in the middle of an ingest loses no previously acknowledged document. */
class IngestCrashIT {
    static final Pattern LISTENING = Pattern.compile("at http://127\\.0\\.0\\.1:(\\d+)/v1");
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path tmp;

    record Server(Process process, String base) {}

    Server start(Path documents) throws Exception {
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home.for.tests", System.getProperty("java.home")), "bin", "java").toString(),
            "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
            "-jar", Path.of("target", "ffn-skip-examples.jar").toString(),
            "serve", "--model", SharedAssets.skipbench().toString(), "--precision", "f32", "--port", "0", "--documents", documents.toString()
        ));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> out.lines().forEach(l -> {}));
                drain.setDaemon(true);
                drain.start();
                return new Server(p, "http://127.0.0.1:" + m.group(1) + "/v1");
            }
        }
        throw new AssertionError("server did not start: exit " + p.waitFor());
    }

    static HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void acknowledgedDocumentsSurviveAKillDuringIngest() throws Exception {
        Path documents = tmp.resolve("documents.json");
        Server first = start(documents);
        try {
            HttpResponse<String> acked = post(first.base() + "/documents", "{\"id\": \"quill\", \"text\": \"The mayor of Quillhaven is Dora Pemberton. Quillhaven lies on the Sable River.\"}");
            assertThat(acked.statusCode()).as(acked.body()).isEqualTo(200);

            // A big document (hundreds of chunks to embed) is being ingested when the process is killed.
            StringBuilder big = new StringBuilder();
            for (int i = 0; i < 1200; i++) big.append("Paragraph ").append(i).append(" of the big report talks about river ").append(i % 37).append(" and its bridges. ");
            String body = "{\"id\": \"big\", \"text\": " + json.writeValueAsString(big.toString()) + "}";
            CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                HttpRequest.newBuilder(URI.create(first.base() + "/documents")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString()
            );
            Thread.sleep(700);
            assertThat(pending).as("the big ingest is still running when the process is killed").isNotDone();
            first.process().destroyForcibly();
            assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            pending.handle((r, e) -> null).get(30, TimeUnit.SECONDS);
        } finally {
            first.process().destroyForcibly();
        }

        // The file on disk is a complete state, and the acknowledged document is in it.
        JsonNode onDisk = json.readTree(Files.readString(documents));
        assertThat(onDisk.get("documents").findValuesAsText("id")).contains("quill");

        Server second = start(documents);
        try {
            HttpResponse<String> listed = http.send(HttpRequest.newBuilder(URI.create(second.base() + "/documents")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(json.readTree(listed.body()).get("documents").findValuesAsText("id")).contains("quill");
            HttpResponse<String> answer = post(second.base() + "/rag/chat", "{\"question\": \"Who is the mayor of Quillhaven?\", \"max_results\": 1, \"ffn_skip\": {\"enabled\": false}}");
            assertThat(json.readTree(answer.body()).get("answer").asText()).isEqualTo("Dora Pemberton");
        } finally {
            second.process().destroy();
            second.process().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
