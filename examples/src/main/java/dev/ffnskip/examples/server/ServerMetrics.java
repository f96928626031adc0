package dev.ffnskip.examples.server;

import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus metrics (Micrometer), served at {@code GET /metrics}:
 * <ul>
 *   <li>{@code http_server_requests_seconds} (histogram): every request by {@code method}, {@code route} (the route
 *       template, {@code unmatched} for unknown URLs) and {@code status} ({@code 499}: the client went away first);</li>
 *   <li>{@code ffnskip_queue_depth}: requests waiting for the model; {@code ffnskip_requests_in_flight};</li>
 *   <li>{@code ffnskip_time_to_first_token_seconds} (histogram, by {@code stream}): measured at the first streamed
 *       token; for a blocking request, its duration less its decode time;</li>
 *   <li>{@code ffnskip_decode_tokens_per_second} and {@code ffnskip_ffn_skip_ratio} (histograms per generation);</li>
 *   <li>{@code ffnskip_ffn_blocks_total} by {@code outcome} ({@code skipped}, {@code computed}): the realized skip
 *       ratio over any window is {@code rate(skipped) / (rate(skipped) + rate(computed))};</li>
 *   <li>{@code ffnskip_tokens_total} by {@code kind} ({@code prompt}, {@code completion}); JVM memory, threads, CPU.</li>
 * </ul>
 */
final class ServerMetrics {
    private static final Duration[] LATENCY_BUCKETS = durations(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final DistributionSummary decodeSpeed;
    private final DistributionSummary skipRatio;
    private final Counter skipped;
    private final Counter computed;
    private final Counter promptTokens;
    private final Counter completionTokens;

    ServerMetrics(IntSupplier queueDepth, IntSupplier inFlight) {
        Gauge.builder("ffnskip.queue.depth", queueDepth, IntSupplier::getAsInt).strongReference(true)
            .description("Requests waiting for the model").register(registry);
        Gauge.builder("ffnskip.requests.in.flight", inFlight, IntSupplier::getAsInt).strongReference(true)
            .description("HTTP requests being handled").register(registry);
        decodeSpeed = DistributionSummary.builder("ffnskip.decode.tokens.per.second").description("Decode speed of each generation")
            .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000).register(registry);
        skipRatio = DistributionSummary.builder("ffnskip.ffn.skip.ratio").description("Fraction of decode FFN blocks skipped, per generation")
            .serviceLevelObjectives(0.001, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1).register(registry);
        skipped = Counter.builder("ffnskip.ffn.blocks").tag("outcome", "skipped").description("Decode FFN blocks skipped or computed").register(registry);
        computed = Counter.builder("ffnskip.ffn.blocks").tag("outcome", "computed").description("Decode FFN blocks skipped or computed").register(registry);
        promptTokens = Counter.builder("ffnskip.tokens").tag("kind", "prompt").description("Tokens read and generated").register(registry);
        completionTokens = Counter.builder("ffnskip.tokens").tag("kind", "completion").description("Tokens read and generated").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    private static Duration[] durations(double... seconds) {
        Duration[] d = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) d[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        return d;
    }

    /** Records a finished request (its route, status and duration) and the generation it ran, if any. */
    void record(Exchange exchange) {
        long nanos = exchange.elapsedNanos();
        Timer.builder("http.server.requests").description("HTTP requests")
            .tag("method", exchange.method()).tag("route", exchange.route()).tag("status", String.valueOf(exchange.recordedStatus()))
            .serviceLevelObjectives(LATENCY_BUCKETS)
            .register(registry)
            .record(nanos, TimeUnit.NANOSECONDS);
        ChatResponse response = exchange.generation();
        if (response == null) return;
        TokenUsage usage = response.tokenUsage();
        if (usage != null && usage.inputTokenCount() != null) promptTokens.increment(usage.inputTokenCount());
        if (usage != null && usage.outputTokenCount() != null) completionTokens.increment(usage.outputTokenCount());
        long ttft = exchange.firstTokenNanos();
        if (response.metadata() instanceof FfnSkipChatResponseMetadata m) {
            if (!Double.isNaN(m.decodeTokensPerSecond()) && m.decodeTokensPerSecond() > 0) decodeSpeed.record(m.decodeTokensPerSecond());
            if (ttft < 0 && !Double.isNaN(m.decodeMillis())) ttft = Math.max(0, nanos - (long) (m.decodeMillis() * 1e6));
            if (m.ffnSkipped() + m.ffnComputed() > 0) skipRatio.record(m.skipRatio());
            skipped.increment(m.ffnSkipped());
            computed.increment(m.ffnComputed());
        }
        if (ttft >= 0) {
            Timer.builder("ffnskip.time.to.first.token").description("Time from the request to its first generated token")
                .tag("stream", String.valueOf(exchange.streamed()))
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry)
                .record(ttft, TimeUnit.NANOSECONDS);
        }
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    String scrape() {
        return registry.scrape();
    }

    void close() {
        registry.close();
    }
}
