package dev.ffnskip.eval.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's memory read bandwidth as a decode step sees it: {@code threads} threads sum disjoint slices of one
 * off-heap buffer much larger than any cache with the widest vectors the JVM has, timed from the first thread's start
 * to the last thread's end; the best of several runs. Decoding one token reads every weight once, so bandwidth over the bytes read per
 * token is the speed no engine can beat on this machine.
 */
public final class ReadBandwidth {
    private static final VectorSpecies<Long> SPECIES = LongVector.SPECIES_PREFERRED;
    /** Bytes per unrolled step: four vectors in flight per thread. */
    private static final int STEP = 4 * SPECIES.vectorByteSize();

    /**
     * One probe.
     *
     * @param bytesPerSecond the best run's bytes read per second
     * @param samples every run's bytes per second, in order
     */
    public record Result(double bytesPerSecond, int threads, long bufferBytes, int passes, double[] samples) {
        public Result {
            samples = samples.clone();
        }

        @Override
        public double[] samples() {
            return samples.clone();
        }

        public double gigabytesPerSecond() {
            return bytesPerSecond / 1e9;
        }
    }

    private ReadBandwidth() {}

    /**
     * Measures with {@code threads} threads over a buffer of {@code bufferBytes} (rounded down to a whole number of
     * vector steps per thread), each run summing the whole buffer {@code passes} times; {@code runs} runs after one
     * unrecorded one.
     */
    public static Result measure(int threads, long bufferBytes, int passes, int runs) {
        if (threads < 1 || passes < 1 || runs < 1) throw new IllegalArgumentException("threads, passes and runs must be positive");
        long slice = bufferBytes / threads / STEP * STEP;
        if (slice < STEP) throw new IllegalArgumentException("buffer of " + bufferBytes + " bytes is too small for " + threads + " threads");
        long total = slice * threads;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(total, 4096);
            buffer.fill((byte) 1); // touch every page before timing, and give the sum a known value
            long expected = 0x0101010101010101L * (slice / Long.BYTES) * passes;
            double[] samples = new double[runs];
            run(buffer, threads, slice, passes, expected); // unrecorded: JIT and thread start-up
            for (int r = 0; r < runs; r++) {
                long nanos = run(buffer, threads, slice, passes, expected);
                samples[r] = (double) total * passes / (nanos / 1e9);
            }
            return new Result(Arrays.stream(samples).max().orElseThrow(), threads, total, passes, samples);
        }
    }

    /**
     * One timed run: nanoseconds from the first thread's start (all leave one barrier) until the last thread is done.
     * The caller does not take part: on a machine with as many cores as threads it may only run again after them.
     */
    private static long run(MemorySegment buffer, int threads, long slice, int passes, long expected) {
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicLong begin = new AtomicLong(Long.MAX_VALUE);
        AtomicLong end = new AtomicLong(Long.MIN_VALUE);
        List<Thread> workers = new ArrayList<>();
        long[] sums = new long[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = Thread.ofPlatform().name("read-bandwidth-" + t).unstarted(() -> {
                try {
                    start.await();
                    begin.accumulateAndGet(System.nanoTime(), Math::min);
                    long s = 0;
                    for (int p = 0; p < passes; p++) s += sum(buffer, id * slice, slice);
                    sums[id] = s;
                    end.accumulateAndGet(System.nanoTime(), Math::max);
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            });
            workers.add(w);
            w.start();
        }
        try {
            for (Thread w : workers) w.join();
        } catch (Exception e) {
            workers.forEach(Thread::interrupt);
            throw new IllegalStateException("bandwidth probe interrupted", e);
        }
        if (failure[0] != null) throw new IllegalStateException("bandwidth probe failed: " + failure[0], failure[0]);
        // the sums are checked, so the JIT cannot drop the reads and a wrong loop cannot pass as fast
        for (long s : sums) {
            if (s != expected) throw new IllegalStateException("bandwidth probe summed " + s + ", expected " + expected);
        }
        return end.get() - begin.get();
    }

    private static long sum(MemorySegment m, long from, long bytes) {
        LongVector a = LongVector.zero(SPECIES), b = a, c = a, d = a;
        int w = SPECIES.vectorByteSize();
        for (long o = from, stop = from + bytes; o < stop; o += STEP) {
            a = a.add(LongVector.fromMemorySegment(SPECIES, m, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(LongVector.fromMemorySegment(SPECIES, m, o + w, ByteOrder.LITTLE_ENDIAN));
            c = c.add(LongVector.fromMemorySegment(SPECIES, m, o + 2L * w, ByteOrder.LITTLE_ENDIAN));
            d = d.add(LongVector.fromMemorySegment(SPECIES, m, o + 3L * w, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }
}
