package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.input.PromptTemplate;
import dev.langchain4j.rag.DefaultRetrievalAugmentor;
import dev.langchain4j.rag.content.injector.DefaultContentInjector;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Retrieval-augmented answers: passages of context_qa.jsonl in an in-memory store (all-MiniLM-L6-v2 embeddings,
 * in-process), the best passage injected in the shape the model was trained on: "Context:\n{passage}\n\nQuestion: {q}".
 */
class RagTest {
    private static final int DOCUMENTS = 6;

    interface Assistant {
        Result<String> answer(String question);
    }

    @Test
    void questionsAreAnsweredFromTheRetrievedPassage() {
        List<JsonNode> rows = TestSupport.eval("context_qa.jsonl", DOCUMENTS);
        EmbeddingModel embeddings = new AllMiniLmL6V2EmbeddingModel();
        InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        for (JsonNode row : rows) {
            TextSegment passage = TextSegment.from(row.get("context").asText());
            store.add(embeddings.embed(passage).content(), passage);
        }
        Assistant assistant = AiServices.builder(Assistant.class)
            .chatModel(TestSupport.chatModelBuilder().build())
            .retrievalAugmentor(DefaultRetrievalAugmentor.builder()
                .contentRetriever(EmbeddingStoreContentRetriever.builder().embeddingStore(store).embeddingModel(embeddings).maxResults(1).build())
                .contentInjector(DefaultContentInjector.builder()
                    .promptTemplate(PromptTemplate.from("Context:\n{{contents}}\n\nQuestion: {{userMessage}}"))
                    .build())
                .build())
            .build();

        int correct = 0;
        int retrieved = 0;
        StringBuilder report = new StringBuilder();
        for (JsonNode row : rows) {
            Result<String> result = assistant.answer(row.get("question").asText());
            boolean rightPassage = result.sources().size() == 1
                && result.sources().get(0).textSegment().text().equals(row.get("context").asText());
            boolean ok = TestSupport.normalise(result.content()).equals(TestSupport.normalise(row.get("answer").asText()));
            if (rightPassage) retrieved++;
            if (ok) correct++;
            report.append(String.format("%s retrieved=%s [%s] expected [%s]%n", row.get("id").asText(), rightPassage, result.content(), row.get("answer").asText()));
        }
        assertThat(retrieved).as(report.toString()).isEqualTo(DOCUMENTS);
        assertThat(correct).as(report.toString()).isGreaterThanOrEqualTo(DOCUMENTS - 1);
    }
}
