package dev.ffnskip.examples.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.testing.TestModels;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Many sequential requests leave heap and off-heap memory where they were after warm-up: no KV cache or tensor leaks.
 * {@link Reliability#SEQUENTIAL} requests (1,000 in the full run); prints the measurements.
 */
class MemoryStabilityTest {
    static final List<String> QUESTIONS = ConcurrentLoadTest.QUESTIONS;

    record Usage(long heap, long direct, long mapped, long rss) {
        static Usage now() throws InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(50);
            }
            long direct = 0, mapped = 0;
            for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                if (pool.getName().equals("direct")) direct = pool.getMemoryUsed();
                if (pool.getName().equals("mapped")) mapped = pool.getMemoryUsed();
            }
            return new Usage(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), direct, mapped, currentRss());
        }

        /** Resident set size of the whole process (Linux), which also sees native allocations outside Java's pools. */
        static long currentRss() {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux
            }
            return 0;
        }

        @Override
        public String toString() {
            return String.format("heap %.1f MB, direct %.1f MB, mapped %.1f MB, RSS %.0f MB", heap / 1e6, direct / 1e6, mapped / 1e6, rss / 1e6);
        }
    }

    @Test
    void sequentialRequestsDoNotLeakMemory() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        FfnSkipChatModel chat = FfnSkipChatModel.builder().model(model).temperature(0.0).maxTokens(32).build();
        for (int i = 0; i < 30; i++) chat.chat(QUESTIONS.get(i % QUESTIONS.size()));
        Usage warm = Usage.now();
        Usage peak = warm;
        int n = Reliability.SEQUENTIAL;
        for (int i = 0; i < n; i++) {
            chat.chat(QUESTIONS.get(i % QUESTIONS.size()));
            if ((i + 1) % Math.max(1, n / 5) == 0) {
                Usage u = Usage.now();
                System.out.printf("after %4d requests: %s%n", i + 1, u);
                peak = new Usage(Math.max(peak.heap, u.heap), Math.max(peak.direct, u.direct), Math.max(peak.mapped, u.mapped), Math.max(peak.rss, u.rss));
            }
        }
        Usage end = Usage.now();
        System.out.printf("memory after warm-up: %s; after %d more requests: %s%n", warm, n, end);
        assertThat(model.openSessions()).isZero();
        // One request's KV cache is ~16 MB off-heap and its scratch tensors a few MB: a leak of one per request would
        // show as gigabytes. Allow GC noise and Jlama's tensor-cache warm-up.
        assertThat(end.heap - warm.heap).as("heap growth").isLessThan(64L << 20);
        assertThat(end.direct - warm.direct).as("direct (off-heap) growth").isLessThan(32L << 20);
        assertThat(end.mapped - warm.mapped).as("mapped growth").isLessThan(1L << 20);
        System.out.printf("peak during the run: %s%n", peak);
    }
}
