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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM on {@code serve} (the packaged jar): it stops accepting connections, lets an ingest that is running finish
 * (acknowledged and persisted), cancels a generation that outlasts the grace period (its stream ends with a
 * {@code server_shutting_down} error event), and exits 0 within the grace period plus a few seconds. Every request
 * is in the access log on one line with the {@code x-request-id} its client received.
 */
class ServeShutdownIT {
    static final Pattern LISTENING = Pattern.compile("at http://127\\.0\\.0\\.1:(\\d+)/v1");
    static final int GRACE_SECONDS = 2;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path tmp;

    static double inFlight(String metrics) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(metrics)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith("ffnskip_requests_in_flight ")).mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).sum();
    }

    @Test
    void sigtermFinishesOrCancelsInFlightRequestsPersistsAndExitsZero() throws Exception {
        Path documents = tmp.resolve("documents.json");
        List<String> command = List.of(
            Path.of(System.getProperty("java.home.for.tests", System.getProperty("java.home")), "bin", "java").toString(),
            "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
            "-jar", Path.of("target", "ffn-skip-examples.jar").toString(),
            "serve", "--model", SharedAssets.skipbench().toString(), "--precision", "f32", "--port", "0", "--documents", documents.toString(),
            "--shutdown-grace", String.valueOf(GRACE_SECONDS)
        );
        Path log = tmp.resolve("serve.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String base = null;
        try {
            long started = System.nanoTime();
            while (base == null && p.isAlive() && System.nanoTime() - started < TimeUnit.MINUTES.toNanos(3)) {
                Matcher m = LISTENING.matcher(Files.readString(log));
                if (m.find()) base = "http://127.0.0.1:" + m.group(1) + "/v1";
                else Thread.sleep(50);
            }
            assertThat(base).as("server started: %s", Files.readString(log)).isNotNull();

            // Warm up (JIT, the embedding model), so that the timings below are the steady state's.
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/documents")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"warm\", \"text\": \"Warm-up text.\"}")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"What is the chemical symbol for iron?\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            // A long stream (~550 tokens) that will outlast the grace period; its headers come with its first event.
            HttpRequest story = HttpRequest.newBuilder(URI.create(base + "/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"skipbench-28m\", \"stream\": true, \"max_tokens\": 1000, \"ffn_skip\": {\"enabled\": false}, \"messages\": [{\"role\": \"user\", \"content\": \"Tell me a long story.\"}]}"))
                .build();
            HttpResponse<java.util.stream.Stream<String>> streamHead = http.send(story, HttpResponse.BodyHandlers.ofLines());
            CompletableFuture<String> streamBody = CompletableFuture.supplyAsync(() -> String.join("\n", streamHead.body().toList()));
            // An ingest in flight when SIGTERM arrives, on a raw socket: its headers and the first half of its body
            // now, the rest after the signal, so it cannot have finished before (nor have been refused).
            StringBuilder text = new StringBuilder("The mayor of Quillhaven is Dora Pemberton. ");
            for (int i = 0; i < 20; i++) text.append("Sentence ").append(i).append(" about the Sable River and its bridges. ");
            byte[] body = json.createObjectNode().put("id", "quill").put("text", text.toString()).toString().getBytes(StandardCharsets.UTF_8);
            java.net.Socket ingestSocket = new java.net.Socket("127.0.0.1", URI.create(base).getPort());
            ingestSocket.setSoTimeout(60_000);
            java.io.OutputStream ingestOut = ingestSocket.getOutputStream();
            ingestOut.write(("POST /v1/documents HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            ingestOut.write(body, 0, body.length / 2);
            ingestOut.flush();
            String metrics = base.replace("/v1", "/metrics");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (inFlight(metrics) < 3 && System.nanoTime() < deadline) Thread.sleep(5); // the stream, the ingest, this scrape
            assertThat(inFlight(metrics)).as("the stream and the ingest are in flight").isGreaterThanOrEqualTo(3);
            long signalled = System.nanoTime();
            p.destroy(); // SIGTERM
            Thread.sleep(300);
            ingestOut.write(body, body.length / 2, body.length - body.length / 2); // the rest of the ingest's body
            ingestOut.flush();

            dev.ffnskip.examples.server.RawHttp.Response ack = dev.ffnskip.examples.server.RawHttp.Response.read(ingestSocket.getInputStream());
            ingestSocket.close();
            assertThat(ack.status()).as(ack.body()).isEqualTo(200);
            assertThat(p.waitFor(GRACE_SECONDS + 30, TimeUnit.SECONDS)).as("exited in time").isTrue();
            double exitSeconds = (System.nanoTime() - signalled) / 1e9;
            assertThat(p.exitValue()).as(Files.readString(log)).isZero();

            assertThat(streamHead.statusCode()).isEqualTo(200);
            String streamed = streamBody.get(30, TimeUnit.SECONDS);
            assertThat(streamed).contains("\"code\":\"server_shutting_down\"").doesNotContain("[DONE]");
            long events = streamed.lines().filter(l -> l.startsWith("data: ")).count();
            System.out.printf("ServeShutdownIT: exit 0 after %.1f s (grace %d s); the stream was cut after %d events; the ingest was acknowledged%n", exitSeconds, GRACE_SECONDS, events);
            assertThat(exitSeconds).isLessThan(GRACE_SECONDS + 15);

            // Persisted: the acknowledged document is in the file.
            JsonNode onDisk = json.readTree(Files.readString(documents));
            assertThat(onDisk.get("documents").findValuesAsText("id")).contains("quill");
            // Nobody listens any more.
            assertThat(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/models")).GET().build(), HttpResponse.BodyHandlers.ofString()))
                .failsWithin(Duration.ofSeconds(10));

            // One access-log line per request, with the id its client got.
            String output = Files.readString(log);
            String ingestId = ack.headers().get("x-request-id");
            String streamId = streamHead.headers().firstValue("x-request-id").orElseThrow();
            assertThat(output).containsPattern("id=" + ingestId + " method=POST route=/v1/documents status=200 ms=\\d");
            assertThat(output).containsPattern("id=" + streamId + " method=POST route=/v1/chat/completions status=200 ");
            assertThat(output).contains("ffn-skip server stopped");
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            System.out.println("---- serve output ----\n" + Files.readString(log));
        }
    }
}
