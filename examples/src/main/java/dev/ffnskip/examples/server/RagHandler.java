package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.langchain4j.FfnSkipChatRequestParameters;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.ContentMetadata;
import dev.langchain4j.rag.query.Query;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /v1/documents} (ingest) and {@code GET /v1/documents} (list), and {@code POST /v1/rag/chat}: retrieve
 * passages for a question and answer from them, returning the sources.
 */
final class RagHandler {
    private final DocumentStore store;
    private final ChatModel chatModel;

    RagHandler(DocumentStore store, ChatModel chatModel) {
        this.store = store;
        this.chatModel = chatModel;
    }

    /** Runs on a virtual thread; not cancelled by a disconnect (the document is then stored but not acknowledged). */
    void ingest(Exchange exchange) {
        JsonNode body = exchange.jsonBody();
        List<Map.Entry<String, String>> docs = new ArrayList<>();
        if (body.has("documents")) {
            JsonNode list = body.get("documents");
            if (!list.isArray() || list.isEmpty()) throw ApiError.invalid("documents", "'documents' must be a non-empty array.");
            for (int i = 0; i < list.size(); i++) docs.add(document(list.get(i), "documents[" + i + "]"));
        } else {
            docs.add(document(body, ""));
        }
        List<DocumentStore.Ingested> ingested = store.ingest(docs);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("documents");
        ingested.forEach(d -> arr.addObject().put("id", d.id()).put("segments", d.segments()));
        out.put("total_documents", store.documents().size());
        exchange.sendJson(200, out);
    }

    private static Map.Entry<String, String> document(JsonNode node, String prefix) {
        String p = prefix.isEmpty() ? "" : prefix + ".";
        if (!node.isObject()) throw ApiError.wrongType(prefix, "an object");
        JsonNode text = node.get("text");
        if (text == null || text.isNull()) throw ApiError.missing(p + "text");
        if (!text.isTextual()) throw ApiError.wrongType(p + "text", "a string");
        if (text.asText().isBlank()) throw ApiError.invalid(p + "text", "Document text must not be blank.");
        JsonNode id = node.get("id");
        if (id != null && !id.isNull() && !id.isTextual()) throw ApiError.wrongType(p + "id", "a string");
        return Map.entry(id == null || id.isNull() ? "doc-" + UUID.randomUUID() : id.asText(), text.asText());
    }

    void list(Exchange exchange) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("documents");
        store.documents().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> arr.addObject().put("id", e.getKey()).put("segments", e.getValue()));
        exchange.sendJson(200, out);
    }

    /** Runs on a virtual thread; the generation stops if the request is cancelled. */
    void answer(Exchange exchange) {
        JsonNode body = exchange.jsonBody();
        JsonNode q = body.get("question");
        if (q == null || q.isNull()) throw ApiError.missing("question");
        if (!q.isTextual() || q.asText().isBlank()) throw ApiError.wrongType("question", "a non-blank string");
        int maxResults = body.path("max_results").asInt(1);
        if (maxResults < 1 || maxResults > 10) throw ApiError.invalid("max_results", "'max_results' must be between 1 and 10.");
        double minScore = body.path("min_score").asDouble(0.0);

        List<Content> passages = store.retriever(maxResults, minScore).retrieve(Query.from(q.asText()));
        if (passages.isEmpty()) {
            throw new ApiError(404, "invalid_request_error", "no_documents", "question", "No ingested passage matches the question; POST /v1/documents first.");
        }
        StringBuilder context = new StringBuilder();
        for (Content c : passages) context.append(context.isEmpty() ? "" : "\n").append(c.textSegment().text());
        Integer maxTokens = ChatCompletionRequest.integer(body, "max_tokens", 1);
        FfnSkipChatRequestParameters.Builder parameters = FfnSkipChatRequestParameters.builder().maxOutputTokens(maxTokens != null ? maxTokens : 64);
        ChatCompletionRequest.skipSettings(body.get("ffn_skip"), parameters); // the same checks as chat completions
        ChatRequest request = ChatRequest.builder()
            .messages(UserMessage.from("Context:\n" + context + "\n\nQuestion: " + q.asText()))
            .parameters(parameters.build())
            .build();
        ChatResponse response = ChatCompletionsHandler.blockingChat(exchange, chatModel, request);
        if (response == null) return;
        exchange.generation(response, false);

        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("answer", response.aiMessage().text());
        ArrayNode sources = out.putArray("sources");
        for (Content c : passages) {
            ObjectNode s = sources.addObject();
            s.put("document_id", c.textSegment().metadata().getString(DocumentStore.DOCUMENT_ID));
            Integer segment = c.textSegment().metadata().getInteger(DocumentStore.SEGMENT);
            if (segment != null) s.put("segment", segment);
            s.put("text", c.textSegment().text());
            Object score = c.metadata().get(ContentMetadata.SCORE);
            if (score instanceof Number n) s.put("score", n.doubleValue());
        }
        OpenAiFormat.usage(out, response.tokenUsage());
        OpenAiFormat.ffnSkip(out, response.metadata());
        exchange.sendJson(200, out);
    }
}
