package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One chat model instance used from 16 threads at once, 8 requests each: every caller gets exactly the answer the same
 * question gets sequentially (greedy decoding), with its own token usage. Half the threads stream through a streaming
 * model sharing the same loaded weights, so blocking and streaming generations interleave on one FfnSkipModel.
 */
class ConcurrencyTest {
    private static final int THREADS = 16;
    private static final int REQUESTS_PER_THREAD = 8;

    @Test
    void everyConcurrentCallerGetsTheSequentialAnswer() throws Exception {
        FfnSkipChatModel model = TestSupport.chatModelBuilder().build();
        FfnSkipStreamingChatModel streaming = TestSupport.streamingModelBuilder().build();
        assertThat(streaming.model()).isSameAs(model.model());

        // 16 questions with short answers (a few tokens each) keep the 128 requests quick.
        List<String> questions = TestSupport.eval("factoid_qa.jsonl", 60).stream()
            .filter(row -> row.get("answer").asText().length() <= 8)
            .limit(16)
            .map(row -> row.get("question").asText())
            .toList();
        assertThat(questions).hasSize(16);
        Map<String, ChatResponse> sequential = new ConcurrentHashMap<>();
        for (String q : questions) sequential.put(q, model.chat(ChatRequest.builder().messages(UserMessage.from(q)).build()));

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<String>>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<String> mismatches = new ArrayList<>();
                    for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                        String q = questions.get((thread * 5 + i * 3) % questions.size());
                        ChatResponse expected = sequential.get(q);
                        ChatResponse actual;
                        if (thread % 2 == 0) {
                            actual = model.chat(ChatRequest.builder().messages(UserMessage.from(q)).build());
                        } else {
                            TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
                            streaming.chat(q, handler);
                            actual = handler.await();
                            if (!handler.text().equals(actual.aiMessage().text())) mismatches.add("streamed pieces differ for " + q);
                        }
                        if (!actual.aiMessage().text().equals(expected.aiMessage().text())
                            || !actual.tokenUsage().equals(expected.tokenUsage())) {
                            mismatches.add(q + ": [" + actual.aiMessage().text() + "] " + actual.tokenUsage() + " vs [" + expected.aiMessage().text() + "] " + expected.tokenUsage());
                        }
                    }
                    return mismatches;
                }));
            }
            start.countDown();
            List<String> mismatches = new ArrayList<>();
            for (Future<List<String>> f : futures) mismatches.addAll(f.get(5, TimeUnit.MINUTES));
            assertThat(mismatches).isEmpty();
        } finally {
            pool.shutdownNow();
        }
        assertThat(model.model().waiting()).isZero();
    }
}
