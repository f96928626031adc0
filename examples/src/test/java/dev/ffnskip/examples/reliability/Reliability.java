package dev.ffnskip.examples.reliability;

/** Scale of the reliability suite: CI runs it scaled down; {@code -Dffnskip.reliability.full=true} runs the full load. */
final class Reliability {
    static final boolean FULL = Boolean.getBoolean("ffnskip.reliability.full");

    /** Concurrent requests per load test (200 in the full run). */
    static final int CONCURRENT = FULL ? 200 : 64;

    /** Sequential requests of the memory test (1,000 in the full run). */
    static final int SEQUENTIAL = FULL ? 1000 : 150;

    private Reliability() {}
}
