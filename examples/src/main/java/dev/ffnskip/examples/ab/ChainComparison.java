package dev.ffnskip.examples.ab;

import dev.ffnskip.examples.agent.AgentCommand;
import dev.ffnskip.examples.agent.AgentTools;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.input.PromptTemplate;
import dev.langchain4j.rag.DefaultRetrievalAugmentor;
import dev.langchain4j.rag.content.injector.DefaultContentInjector;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.store.embedding.EmbeddingStoreIngestor;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The A/B job on LangChain4j chains: the same RAG chain and tool agent run with a dense and a skipping
 * {@link FfnSkipChatModel} (sharing one loaded model), side by side.
 */
final class ChainComparison {
    static final List<String> RAG_QUESTIONS = List.of(
        "Who is the mayor of Quillhaven?",
        "Who wrote \"The Clock of Blulus\"?",
        "What is Cusik Lunnadale's profession?",
        "When was the Orvane Bridge completed?"
    );
    static final List<String> AGENT_QUESTIONS = List.of(
        "What is 37 plus 45?", "Is it raining in Mumbai?", "Which element has the symbol Sn? Use the lookup tool.", "How much is 100 EUR in USD?"
    );

    interface RagAssistant {
        String answer(String question);
    }

    /** One question through both models. */
    record Row(String chain, String question, String dense, String skip) {
        boolean agree() {
            return dense.equals(skip);
        }
    }

    /** Pools decode steps, decode time and FFN counts over every model call of one chat model. */
    static final class Meter implements ChatModelListener {
        long steps;
        double seconds;
        long skipped;
        long total;

        @Override
        public void onResponse(ChatModelResponseContext context) {
            if (context.chatResponse().metadata() instanceof FfnSkipChatResponseMetadata m) {
                steps += m.decodeSteps();
                seconds += m.decodeMillis() / 1000.0;
                skipped += m.ffnSkipped();
                total += (long) m.decodeSteps() * m.layers();
            }
        }

        double tokensPerSecond() {
            return seconds == 0 ? Double.NaN : steps / seconds;
        }

        double skipRatio() {
            return total == 0 ? 0 : (double) skipped / total;
        }
    }

    private final Meter denseMeter = new Meter();
    private final Meter skipMeter = new Meter();
    private final List<Row> rows = new ArrayList<>();
    /** Why the agent chain did not run (null if it did). */
    private String agentSkipped;

    List<Row> run(FfnSkipModel shared, GatePolicy policy, PrintStream progress) {
        FfnSkipChatModel dense = FfnSkipChatModel.builder().model(shared).gatePolicy(GatePolicy.DENSE).temperature(0.0).listeners(denseMeter).build();
        FfnSkipChatModel skip = FfnSkipChatModel.builder().model(shared).gatePolicy(policy).temperature(0.0).listeners(skipMeter).build();

        EmbeddingModel embeddings = new AllMiniLmL6V2EmbeddingModel();
        InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        EmbeddingStoreIngestor.builder().embeddingModel(embeddings).embeddingStore(store).build().ingest(documents());
        RagAssistant denseRag = rag(dense, embeddings, store);
        RagAssistant skipRag = rag(skip, embeddings, store);
        for (String q : RAG_QUESTIONS) {
            rows.add(new Row("rag", q, denseRag.answer(q), skipRag.answer(q)));
            progress.print('.');
            progress.flush();
        }
        if (!dense.supportsTools()) {
            agentSkipped = shared.info().name() + "'s chat template has no tool format, so the provider offers it no tools";
        } else {
            for (String q : AGENT_QUESTIONS) {
                rows.add(new Row("agent", q, agent(dense).chat(q), agent(skip).chat(q)));
                progress.print('.');
                progress.flush();
            }
        }
        progress.println();
        return rows;
    }

    private static RagAssistant rag(FfnSkipChatModel model, EmbeddingModel embeddings, InMemoryEmbeddingStore<TextSegment> store) {
        // The model was trained on "Context:\n<passage>\n\nQuestion: <question>".
        var injector = DefaultContentInjector.builder().promptTemplate(PromptTemplate.from("Context:\n{{contents}}\n\nQuestion: {{userMessage}}")).build();
        var retriever = EmbeddingStoreContentRetriever.builder().embeddingStore(store).embeddingModel(embeddings).maxResults(1).build();
        return AiServices.builder(RagAssistant.class)
            .chatModel(model)
            .retrievalAugmentor(DefaultRetrievalAugmentor.builder().contentRetriever(retriever).contentInjector(injector).build())
            .build();
    }

    private static AgentCommand.Agent agent(FfnSkipChatModel model) {
        return AiServices.builder(AgentCommand.Agent.class).chatModel(model).tools(new AgentTools(line -> {})).build();
    }

    private static List<Document> documents() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(ChainComparison.class.getResourceAsStream("/chain-documents.txt"), StandardCharsets.UTF_8))) {
            return in.lines().filter(l -> !l.isBlank()).map(Document::from).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void print(PrintStream out) {
        out.println();
        out.printf("%-6s %-48s %-26s %-26s %s%n", "chain", "question", "dense answer", "skip answer", "agree");
        for (Row r : rows) out.printf("%-6s %-48s %-26s %-26s %s%n", r.chain(), clip(r.question(), 48), clip(r.dense(), 26), clip(r.skip(), 26), r.agree() ? "yes" : "no");
        long agree = rows.stream().filter(Row::agree).count();
        out.println();
        out.printf("%-6s %10s %11s%n", "model", "tokens/s", "skip ratio");
        out.printf("%-6s %10.1f %11.3f%n", "dense", denseMeter.tokensPerSecond(), denseMeter.skipRatio());
        out.printf("%-6s %10.1f %11.3f%n", "skip", skipMeter.tokensPerSecond(), skipMeter.skipRatio());
        out.printf("answers agree: %d/%d%n", agree, rows.size());
        if (agentSkipped != null) out.println("agent chain skipped: " + agentSkipped);
    }

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("rows", rows.stream().map(r -> Map.of("chain", r.chain(), "question", r.question(), "dense", r.dense(), "skip", r.skip(), "agree", r.agree())).toList());
        root.put("summary", Map.of(
            "dense", Map.of("tokens_per_s", denseMeter.tokensPerSecond(), "skip_ratio", denseMeter.skipRatio()),
            "skip", Map.of("tokens_per_s", skipMeter.tokensPerSecond(), "skip_ratio", skipMeter.skipRatio()),
            "agreement", rows.isEmpty() ? 0.0 : rows.stream().filter(Row::agree).count() / (double) rows.size()
        ));
        if (agentSkipped != null) root.put("agent_skipped", agentSkipped);
        return root;
    }

    private static String clip(String s, int n) {
        String one = s.replace('\n', ' ');
        return one.length() <= n ? one : one.substring(0, n - 3) + "...";
    }
}
