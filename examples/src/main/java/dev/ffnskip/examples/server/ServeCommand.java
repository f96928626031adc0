package dev.ffnskip.examples.server;

import dev.ffnskip.examples.ModelOptions;
import dev.ffnskip.examples.SkipOptions;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs the OpenAI-compatible RAG backend until SIGTERM or SIGINT, then shuts down gracefully and exits 0: no new
 * connections, running requests finish within the grace period or are cancelled, the document store's last write
 * completes, the model is closed.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "OpenAI-compatible chat + RAG server backed by the skip-accelerated model.")
public final class ServeCommand implements Callable<Integer> {
    private static final Logger logger = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--host", description = "Interface to bind (default: ${DEFAULT-VALUE}; loopback only).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port = 8080;

    @Option(names = "--model-id", description = "Model name clients must send (default: the model folder's name).")
    String modelId;

    @Option(names = "--documents", paramLabel = "FILE", description = "Where ingested documents persist (default: ${DEFAULT-VALUE}).")
    Path documents = Path.of("ffn-skip-documents.json");

    @Option(names = "--max-body-bytes", description = "Largest accepted request body (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes = 1 << 20;

    @Option(names = "--max-queue", description = "Requests allowed to wait for the model; more get HTTP 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue = 32;

    @Option(names = "--temperature", description = "Temperature when a request does not set one (default: ${DEFAULT-VALUE}, greedy).")
    double temperature = 0.0;

    @Option(names = "--request-timeout", paramLabel = "SECONDS", description = "Longest a request may take; then 504 and its generation stops (default: ${DEFAULT-VALUE}).")
    int requestTimeoutSeconds = 600;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", description = "On SIGTERM, how long running requests may finish before they are cancelled (default: ${DEFAULT-VALUE}).")
    int shutdownGraceSeconds = 10;

    @Mixin
    SkipOptions skip = new SkipOptions();

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        boolean signals = Signals.onTermination(stop::countDown);
        FfnSkipModel shared = FfnSkipModel.load(model.model, model.loadOptions());
        GatePolicy policy = skip.policy(shared);
        shared.setMaxWaiting(maxQueue);
        String id = modelId != null ? modelId : shared.info().name();
        FfnSkipChatModel chat = FfnSkipChatModel.builder().model(shared).gatePolicy(policy).temperature(temperature).build();
        FfnSkipStreamingChatModel streaming = FfnSkipStreamingChatModel.builder().model(shared).gatePolicy(policy).temperature(temperature).build();
        DocumentStore store = new DocumentStore(documents, new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40));
        OpenAiServer server = new OpenAiServer(new OpenAiServer.Config(host, port, id, maxBodyBytes, shutdownGraceSeconds, requestTimeoutSeconds), chat, streaming, store)
            .queueDepth(shared::waiting)
            .start();
        Runnable shutdown = () -> {
            server.close();
            shared.close();
        };
        if (!signals) { // no signal handling here: at least shut down cleanly from the JVM's hook (exit status 143)
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                shutdown.run();
                stop.countDown();
            }, "ffn-skip-shutdown"));
        }
        System.out.printf("ffn-skip serving model '%s' at http://%s:%d/v1 (%s; documents in %s)%n", id, host, server.port(), policy.describe(), documents.toAbsolutePath());
        System.out.flush();
        stop.await();
        logger.info("Shutting down (grace period {} s)", shutdownGraceSeconds);
        shutdown.run();
        System.out.println("ffn-skip server stopped");
        System.out.flush();
        return 0;
    }
}
