package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One chat model instance used from 16 threads at once, 8 requests each: every caller gets exactly the answer the same
 * question gets sequentially (greedy decoding), with its own token usage. Then blocking and streaming callers mixed on
 * two chat models sharing the same loaded weights.
 */
class ConcurrencyTest {
    private static FfnSkipChatModel model;
    private static List<String> questions;
    private static final Map<String, ChatResponse> SEQUENTIAL = new ConcurrentHashMap<>();

    @BeforeAll
    static void sequentialAnswers() {
        model = TestSupport.chatModelBuilder().build();
        // 16 questions with short answers (a few tokens each) keep the 128 requests quick.
        questions = TestSupport.eval("factoid_qa.jsonl", 60).stream()
            .filter(row -> row.get("answer").asText().length() <= 8)
            .limit(16)
            .map(row -> row.get("question").asText())
            .toList();
        assertThat(questions).hasSize(16);
        for (String q : questions) SEQUENTIAL.put(q, blocking(model, q));
    }

    private static ChatResponse blocking(FfnSkipChatModel m, String question) {
        return m.chat(ChatRequest.builder().messages(UserMessage.from(question)).build());
    }

    private static String mismatch(String q, ChatResponse actual) {
        ChatResponse expected = SEQUENTIAL.get(q);
        if (actual.aiMessage().text().equals(expected.aiMessage().text()) && actual.tokenUsage().equals(expected.tokenUsage())) return null;
        return q + ": [" + actual.aiMessage().text() + "] " + actual.tokenUsage() + " vs [" + expected.aiMessage().text() + "] " + expected.tokenUsage();
    }

    /** Runs {@code perThread} on {@code threads} threads released at once; returns every mismatch reported. */
    private static List<String> runConcurrently(int threads, java.util.function.IntFunction<Callable<List<String>>> perThread) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<List<String>> work = perThread.apply(t);
                futures.add(pool.submit(() -> {
                    start.await();
                    return work.call();
                }));
            }
            start.countDown();
            List<String> mismatches = new ArrayList<>();
            for (Future<List<String>> f : futures) mismatches.addAll(f.get(5, TimeUnit.MINUTES));
            return mismatches;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void sixteenThreadsOnOneInstanceGetTheSequentialAnswers() throws Exception {
        List<String> mismatches = runConcurrently(16, thread -> () -> {
            List<String> found = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String q = questions.get((thread * 5 + i * 3) % questions.size());
                String m = mismatch(q, blocking(model, q));
                if (m != null) found.add(m);
            }
            return found;
        });
        assertThat(mismatches).isEmpty();
        assertThat(model.model().waiting()).isZero();
    }

    @Test
    void blockingAndStreamingCallersShareOneModel() throws Exception {
        FfnSkipStreamingChatModel streaming = TestSupport.streamingModelBuilder().build();
        assertThat(streaming.model()).isSameAs(model.model());
        List<String> mismatches = runConcurrently(6, thread -> () -> {
            List<String> found = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String q = questions.get((thread * 7 + i) % questions.size());
                ChatResponse actual;
                if (thread % 2 == 0) {
                    actual = blocking(model, q);
                } else {
                    TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
                    streaming.chat(q, handler);
                    actual = handler.await();
                    if (!handler.text().equals(actual.aiMessage().text())) found.add("streamed pieces differ for " + q);
                }
                String m = mismatch(q, actual);
                if (m != null) found.add(m);
            }
            return found;
        });
        assertThat(mismatches).isEmpty();
    }
}
