package dev.ffnskip.examples.reliability;

import dev.ffnskip.examples.server.DocumentStore;
import dev.ffnskip.examples.server.OpenAiServer;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The process {@link IngestCrashIT} kills: the real server ({@link OpenAiServer}) and document store
 * ({@link DocumentStore}) with a fast deterministic embedding model (384 dimensions, like all-MiniLM-L6-v2) and no
 * chat model, so that it starts in well under a second and spends its time persisting. Prints
 * {@code LISTENING <port>} once it serves.
 */
public final class CrashTarget {
    private CrashTarget() {}

    public static void main(String[] args) throws Exception {
        DocumentStore store = new DocumentStore(Path.of(args[0]), new HashEmbeddings(), DocumentSplitters.recursive(400, 40));
        OpenAiServer server = new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "crash-target", 8 << 20, 1), new NoChat(), new NoStreaming(), store).start();
        System.out.println("LISTENING " + server.port());
        System.out.flush();
        if (args.length > 1 && args[1].equals("--exit")) { // a training run for the class-data archive
            server.close();
            System.exit(0);
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    /** 384 pseudo-random floats seeded by the text. */
    static final class HashEmbeddings implements EmbeddingModel {
        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            List<Embedding> out = new ArrayList<>(segments.size());
            for (TextSegment s : segments) {
                Random r = new Random(s.text().hashCode());
                float[] v = new float[384];
                for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
                Embedding e = Embedding.from(v);
                e.normalize();
                out.add(e);
            }
            return Response.from(out);
        }

        @Override
        public int dimension() {
            return 384;
        }
    }

    static final class NoChat implements ChatModel {
        @Override
        public dev.langchain4j.model.chat.response.ChatResponse doChat(ChatRequest request) {
            throw new UnsupportedOperationException("no chat model in the crash target");
        }
    }

    static final class NoStreaming implements StreamingChatModel {
        @Override
        public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
            handler.onError(new UnsupportedOperationException("no chat model in the crash target"));
        }
    }
}
