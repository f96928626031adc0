package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.DocumentSplitter;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.rag.content.retriever.ContentRetriever;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;

/**
 * Text documents, chunked and embedded into LangChain4j's in-memory embedding store, persisted to one file.
 *
 * <p>Every ingest is acknowledged only after the whole store has been written to a temporary file and atomically
 * moved over the previous one, so killing the process at any moment loses no acknowledged document: the file on disk
 * is always a complete earlier or later state. Ingests are serialized; searches see a consistent store.
 *
 * <p>{@code -D}{@value #NON_ATOMIC_PROPERTY}{@code =true} is a test-only switch that writes the file in place instead
 * (truncate, then write; no temporary file, no fsync, no rename): {@code IngestCrashIT} uses it to show that its
 * kills land during persistence and would catch a non-atomic write.
 */
public final class DocumentStore {
    private static final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(DocumentStore.class);
    static final String DOCUMENT_ID = "document_id";
    static final String SEGMENT = "segment";
    /** Test-only: persist non-atomically, to show that the crash test catches it (see the class comment). */
    static final String NON_ATOMIC_PROPERTY = "ffnskip.documents.nonAtomicWriteForTests";

    private final Path file;
    private final EmbeddingModel embeddings;
    private final DocumentSplitter splitter;
    private InMemoryEmbeddingStore<TextSegment> store;
    private final Map<String, Integer> segmentsByDocument = new LinkedHashMap<>();

    record Ingested(String id, int segments) {}

    public DocumentStore(Path file, EmbeddingModel embeddings, DocumentSplitter splitter) {
        this.file = file;
        this.embeddings = embeddings;
        this.splitter = splitter;
        this.store = new InMemoryEmbeddingStore<>();
        deleteStaleTemporaryFiles();
        if (Files.isRegularFile(file)) load();
    }

    /** Temporary files left by a process killed while it persisted (never the store itself). */
    private void deleteStaleTemporaryFiles() {
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) return;
        String prefix = file.getFileName().toString();
        try (var stale = Files.newDirectoryStream(parent, p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".tmp") && !name.equals(prefix);
        })) {
            for (Path p : stale) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: a stale temporary file is harmless
        }
    }

    private void load() {
        try {
            JsonNode root = Json.MAPPER.readTree(file.toFile());
            store = InMemoryEmbeddingStore.fromJson(root.get("store").asText());
            root.get("documents").forEach(d -> segmentsByDocument.put(d.get("id").asText(), d.get("segments").asInt()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Cannot read the document store " + file + ": " + e.getMessage(), e);
        }
    }

    /** Adds (or replaces, by id) documents; returns only once they are durable on disk. */
    List<Ingested> ingest(List<Map.Entry<String, String>> documents) {
        // Splitting and embedding need no lock (retrieval goes on meanwhile); only applying them to the store is serialized.
        List<Embedded> embedded = new ArrayList<>();
        for (Map.Entry<String, String> doc : documents) {
            String id = doc.getKey();
            List<TextSegment> segments = splitter.split(Document.from(doc.getValue(), Metadata.from(DOCUMENT_ID, id)));
            for (int i = 0; i < segments.size(); i++) segments.get(i).metadata().put(SEGMENT, i);
            embedded.add(new Embedded(id, segments, embeddings.embedAll(segments).content()));
        }
        return apply(embedded);
    }

    private record Embedded(String id, List<TextSegment> segments, List<Embedding> vectors) {}

    private synchronized List<Ingested> apply(List<Embedded> documents) {
        InMemoryEmbeddingStore<TextSegment> next = InMemoryEmbeddingStore.fromJson(store.serializeToJson());
        Map<String, Integer> nextCounts = new LinkedHashMap<>(segmentsByDocument);
        List<Ingested> result = new ArrayList<>();
        for (Embedded doc : documents) {
            if (nextCounts.containsKey(doc.id())) next.removeAll(metadataKey(DOCUMENT_ID).isEqualTo(doc.id()));
            next.addAll(doc.vectors(), doc.segments());
            nextCounts.put(doc.id(), doc.segments().size());
            result.add(new Ingested(doc.id(), doc.segments().size()));
        }
        persist(next, nextCounts);
        store = next;
        segmentsByDocument.clear();
        segmentsByDocument.putAll(nextCounts);
        return result;
    }

    private void persist(InMemoryEmbeddingStore<TextSegment> next, Map<String, Integer> counts) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", 1);
        ArrayNode docs = root.putArray("documents");
        counts.forEach((id, n) -> docs.addObject().put("id", id).put("segments", n));
        root.put("store", next.serializeToJson());
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            logger.debug("Writing {} documents to {}", counts.size(), file);
            long start = System.nanoTime();
            if (Boolean.getBoolean(NON_ATOMIC_PROPERTY)) {
                Json.MAPPER.writeValue(file.toFile(), root);
                logger.debug("Wrote {} bytes in {} ms (in place)", Files.size(file), (System.nanoTime() - start) / 1_000_000);
                return;
            }
            Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
            try {
                Json.MAPPER.writeValue(tmp.toFile(), root);
                try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                long size = Files.size(tmp);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
                logger.debug("Wrote {} bytes in {} ms", size, (System.nanoTime() - start) / 1_000_000);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot persist the document store to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Returns once no write of the store is in progress (each ingest persists before it returns). */
    synchronized void awaitWrites() {
        // Holding the lock is the wait: ingests persist while holding it.
    }

    synchronized ContentRetriever retriever(int maxResults, double minScore) {
        return EmbeddingStoreContentRetriever.builder()
            .embeddingStore(store)
            .embeddingModel(embeddings)
            .maxResults(maxResults)
            .minScore(minScore)
            .build();
    }

    synchronized Map<String, Integer> documents() {
        return Map.copyOf(segmentsByDocument);
    }
}
