package dev.ffnskip.examples.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics}: Prometheus text whose numbers move with the traffic the server handled. */
class MetricsTest {
    static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    /** The sum of the samples named {@code name} whose labels include {@code labels}. */
    static double sample(String scrape, String name, Map<String, String> labels) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches() || !m.group(1).equals(name)) continue;
            String have = m.group(3) == null ? "" : m.group(3);
            if (labels.entrySet().stream().allMatch(e -> have.contains(e.getKey() + "=\"" + e.getValue() + "\""))) sum += Double.parseDouble(m.group(4));
        }
        return sum;
    }

    static String scrape(String base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
        return r.body();
    }

    static int post(String base, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void numbersMoveWithTraffic() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        try (OpenAiServer server = new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 1 << 20, 5),
            FfnSkipChatModel.builder().model(model).temperature(0.0).build(), FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build(),
            new DocumentStore(tmp.resolve("docs.json"), new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40))).queueDepth(model::waiting).start()) {
            String base = "http://127.0.0.1:" + server.port();
            String before = scrape(base);
            for (String metric : new String[] { "ffnskip_queue_depth", "ffnskip_requests_in_flight", "jvm_memory_used_bytes" }) assertThat(before).contains(metric);
            assertThat(sample(before, "ffnskip_ffn_skip_ratio_count", Map.of())).isZero();

            String question = "\"messages\": [{\"role\": \"user\", \"content\": \"Context:\\nThe mayor of Quillhaven is Dora Pemberton.\\n\\nQuestion: Who is the mayor of Quillhaven?\"}]";
            for (int i = 0; i < 3; i++) assertThat(post(base, "/v1/chat/completions", "{\"model\": \"skipbench-28m\", " + question + "}")).isEqualTo(200);
            for (int i = 0; i < 2; i++) assertThat(post(base, "/v1/chat/completions", "{\"model\": \"skipbench-28m\", \"stream\": true, " + question + "}")).isEqualTo(200);
            assertThat(post(base, "/v1/chat/completions", "{\"model\": \"nope\", " + question + "}")).isEqualTo(404);
            assertThat(post(base, "/v1/unknown", "{}")).isEqualTo(404);

            String after = scrape(base);
            Map<String, String> ok = Map.of("route", "/v1/chat/completions", "status", "200", "method", "POST");
            assertThat(sample(after, "http_server_requests_seconds_count", ok) - sample(before, "http_server_requests_seconds_count", ok)).isEqualTo(5);
            assertThat(sample(after, "http_server_requests_seconds_count", Map.of("route", "/v1/chat/completions", "status", "404"))).isEqualTo(1);
            assertThat(sample(after, "http_server_requests_seconds_count", Map.of("route", "unmatched", "status", "404"))).isEqualTo(1);
            assertThat(sample(after, "http_server_requests_seconds_count", Map.of("route", "/metrics", "status", "200"))).isEqualTo(1); // the first scrape
            // Histogram buckets are cumulative: the +Inf bucket holds every request.
            assertThat(sample(after, "http_server_requests_seconds_bucket", Map.of("route", "/v1/chat/completions", "status", "200", "le", "+Inf"))).isEqualTo(5);

            assertThat(sample(after, "ffnskip_time_to_first_token_seconds_count", Map.of("stream", "true"))).isEqualTo(2);
            assertThat(sample(after, "ffnskip_time_to_first_token_seconds_count", Map.of("stream", "false"))).isEqualTo(3);
            assertThat(sample(after, "ffnskip_time_to_first_token_seconds_sum", Map.of())).isPositive();
            assertThat(sample(after, "ffnskip_decode_tokens_per_second_count", Map.of())).isEqualTo(5);
            assertThat(sample(after, "ffnskip_decode_tokens_per_second_sum", Map.of()) / 5).isGreaterThan(1);
            assertThat(sample(after, "ffnskip_ffn_skip_ratio_count", Map.of())).isEqualTo(5);
            double skipped = sample(after, "ffnskip_ffn_blocks_total", Map.of("outcome", "skipped"));
            double computed = sample(after, "ffnskip_ffn_blocks_total", Map.of("outcome", "computed"));
            assertThat(computed).isPositive();
            assertThat(skipped).as("the default gate skips on this context question").isPositive();
            assertThat(skipped / (skipped + computed)).isBetween(0.0, 1.0);
            assertThat(sample(after, "ffnskip_tokens_total", Map.of("kind", "prompt"))).isGreaterThan(5 * 10);
            assertThat(sample(after, "ffnskip_tokens_total", Map.of("kind", "completion"))).isGreaterThanOrEqualTo(5 * 2);
            assertThat(sample(after, "ffnskip_queue_depth", Map.of())).isZero();
        }
    }
}
