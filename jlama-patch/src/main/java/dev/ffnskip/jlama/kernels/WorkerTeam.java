package dev.ffnskip.jlama.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that runs one {@link Job} at a time, phase by phase, on the calling thread (index 0) and
 * {@code threads - 1} helpers, with a barrier between phases. Built for short data-parallel kernels (tens of µs) where
 * the hand-off must cost well under a microsecond and must not allocate.
 *
 * <ul>
 *   <li>{@link #serial()}: one thread, the caller; no synchronisation at all.
 *   <li>{@link #spinning(int, long)}: persistent daemon helpers that spin on a shared epoch for {@code spinNanos} after
 *       each job, then park until the next {@link #run}; phase barriers spin. The fastest hand-off while jobs arrive
 *       back to back; a parked helper costs one {@code unpark} (a futex wake, several µs) on the next job.
 *   <li>{@link #forkJoin(int, ForkJoinPool)}: one reusable task per helper and phase submitted to a pool, the caller
 *       joining each phase. No threads of its own, no spinning between jobs.
 * </ul>
 *
 * A team is used by one caller thread at a time ({@link #run} is not reentrant and not thread-safe). {@link #close()}
 * stops the helpers of a spinning team.
 */
public abstract sealed class WorkerTeam implements AutoCloseable {

    /** One unit of team work: called once per thread per phase. */
    @FunctionalInterface
    public interface Job {
        /**
         * @param thread 0 for the caller, 1..threads-1 for helpers
         * @param phase 0..phases-1; every thread has finished phase {@code p - 1} before any starts phase {@code p}
         */
        void run(int thread, int phase);
    }

    /** How a team hands work to its helpers. */
    public enum Handoff {
        /** Persistent helpers, spin then park ({@link #spinning}). */
        SPIN,
        /** Reusable tasks on {@link ForkJoinPool#commonPool()} ({@link #forkJoin}). */
        FORK_JOIN
    }

    /** Default time a spinning helper keeps polling after a job before it parks: 100 µs. */
    public static final long DEFAULT_SPIN_NANOS = 100_000L;

    private WorkerTeam() {}

    /** A single-threaded team: {@link #run} runs every phase on the caller. */
    public static WorkerTeam serial() {
        return new Serial();
    }

    /** A team of {@code threads} with the given hand-off (1 thread is always {@link #serial()}). */
    public static WorkerTeam create(int threads, Handoff handoff, long spinNanos) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1: " + threads);
        if (threads == 1) return serial();
        return switch (handoff) {
            case SPIN -> spinning(threads, spinNanos);
            case FORK_JOIN -> forkJoin(threads, ForkJoinPool.commonPool());
        };
    }

    /** A team of {@code threads} (caller included) with persistent spin-then-park helpers. */
    public static WorkerTeam spinning(int threads, long spinNanos) {
        if (threads < 2) throw new IllegalArgumentException("a spinning team needs >= 2 threads: " + threads);
        if (spinNanos < 0) throw new IllegalArgumentException("spinNanos must be >= 0");
        return new Spinning(threads, spinNanos);
    }

    /** A team of {@code threads} (caller included) whose helper parts run as tasks on {@code pool}. */
    public static WorkerTeam forkJoin(int threads, ForkJoinPool pool) {
        if (threads < 2) throw new IllegalArgumentException("a fork-join team needs >= 2 threads: " + threads);
        return new ForkJoin(threads, pool);
    }

    /** Threads in the team, the caller included. */
    public abstract int threads();

    /** Runs {@code phases} phases of {@code job} on every thread of the team and returns when all are done. */
    public abstract void run(Job job, int phases);

    @Override
    public void close() {}

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException("team job failed", t);
    }

    static final class Serial extends WorkerTeam {
        @Override
        public int threads() {
            return 1;
        }

        @Override
        public void run(Job job, int phases) {
            for (int p = 0; p < phases; p++) job.run(0, p);
        }
    }

    static final class Spinning extends WorkerTeam {
        /** Longs between two hot slots: 128 bytes, so no two threads' slots share a cache line (or a prefetch pair). */
        private static final int PAD = 16;
        private static final int EPOCH = 1; // slot 1; slot 0 is left as padding before it
        /** A barrier or join spins this long, then yields on every poll (the peer may have been descheduled). */
        private static final long SPIN_BEFORE_YIELD_NANOS = 20_000L;

        private final int threads;
        private final long spinNanos;
        private final Thread[] helpers;
        /** Slots: EPOCH, then per thread t: ARRIVE(t), DONE(t), PARKED(t). */
        private final AtomicLongArray slots;
        private volatile boolean closed;
        // Job state: written by the caller before the epoch is published, read by helpers after they observe it.
        private Job job;
        private int phases;
        private long epoch;
        private volatile Throwable failure;

        Spinning(int threads, long spinNanos) {
            this.threads = threads;
            this.spinNanos = spinNanos;
            this.slots = new AtomicLongArray((2 + 3 * threads) * PAD);
            this.helpers = new Thread[threads];
            for (int t = 1; t < threads; t++) {
                final int index = t;
                Thread h = new Thread(() -> helperLoop(index), "ffn-kernel-helper-" + t);
                h.setDaemon(true);
                helpers[t] = h;
            }
            for (int t = 1; t < threads; t++) helpers[t].start();
        }

        private static int arrive(int t) {
            return (2 + 3 * t) * PAD;
        }

        private static int done(int t) {
            return (3 + 3 * t) * PAD;
        }

        private static int parked(int t) {
            return (4 + 3 * t) * PAD;
        }

        @Override
        public int threads() {
            return threads;
        }

        @Override
        public void run(Job job, int phases) {
            if (closed) throw new IllegalStateException("team closed");
            this.job = job;
            this.phases = phases;
            this.failure = null;
            final long e = ++epoch;
            slots.set(EPOCH * PAD, e);
            for (int t = 1; t < threads; t++) {
                if (slots.get(parked(t)) != 0) LockSupport.unpark(helpers[t]);
            }
            runPhases(0, job, phases);
            for (int t = 1; t < threads; t++) awaitAtLeast(done(t), e);
            this.job = null;
            Throwable f = failure;
            if (f != null) throw rethrow(f);
        }

        private void runPhases(int t, Job job, int phases) {
            for (int p = 0; p < phases; p++) {
                try {
                    job.run(t, p);
                } catch (Throwable x) {
                    if (failure == null) failure = x;
                }
                if (p + 1 < phases) barrier(t);
            }
        }

        /** Every thread calls this the same number of times per job: a per-thread arrival counter. */
        private void barrier(int t) {
            final long v = slots.getPlain(arrive(t)) + 1;
            slots.setRelease(arrive(t), v);
            for (int k = 0; k < threads; k++) {
                if (k != t) awaitAtLeast(arrive(k), v);
            }
        }

        /** Waits until {@code slots[slot] >= value}: spins, then after {@link #SPIN_BEFORE_YIELD_NANOS} yields. */
        private void awaitAtLeast(int slot, long value) {
            if (slots.getAcquire(slot) >= value) return;
            long start = System.nanoTime();
            int spins = 0;
            while (slots.getAcquire(slot) < value) {
                if ((++spins & 31) != 0) {
                    Thread.onSpinWait();
                } else if (System.nanoTime() - start > SPIN_BEFORE_YIELD_NANOS) {
                    Thread.yield();
                }
            }
        }

        private void helperLoop(int t) {
            long seen = 0;
            while (true) {
                final long e = awaitEpoch(t, seen);
                if (e < 0) return;
                seen = e;
                runPhases(t, job, phases);
                slots.setRelease(done(t), e);
            }
        }

        /** Spins for up to {@code spinNanos}, then parks, until the epoch differs from {@code seen}; -1 once closed. */
        private long awaitEpoch(int t, long seen) {
            final long deadline = System.nanoTime() + spinNanos;
            int spins = 0;
            while (true) {
                long e = slots.getAcquire(EPOCH * PAD);
                if (e != seen) return e;
                if (closed) return -1;
                Thread.onSpinWait();
                if ((++spins & 63) == 0 && System.nanoTime() - deadline > 0) {
                    // Dekker-style: publish "parked", then re-check the epoch; run() publishes the epoch, then checks
                    // "parked". With volatile accesses on both sides one of the two sees the other.
                    slots.set(parked(t), 1);
                    while (slots.get(EPOCH * PAD) == seen && !closed) LockSupport.park(this);
                    slots.set(parked(t), 0);
                    spins = 0;
                }
            }
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            for (int t = 1; t < threads; t++) LockSupport.unpark(helpers[t]);
            for (int t = 1; t < threads; t++) {
                try {
                    helpers[t].join(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    static final class ForkJoin extends WorkerTeam {
        private final int threads;
        private final ForkJoinPool pool;
        private final Part[] parts;

        ForkJoin(int threads, ForkJoinPool pool) {
            this.threads = threads;
            this.pool = pool;
            this.parts = new Part[threads];
            for (int t = 1; t < threads; t++) parts[t] = new Part(t);
        }

        @Override
        public int threads() {
            return threads;
        }

        @Override
        public void run(Job job, int phases) {
            for (int p = 0; p < phases; p++) {
                for (int t = 1; t < threads; t++) {
                    Part part = parts[t];
                    part.reinitialize();
                    part.job = job;
                    part.phase = p;
                    pool.execute(part);
                }
                Throwable failure = null;
                try {
                    job.run(0, p);
                } catch (Throwable x) {
                    failure = x;
                }
                for (int t = 1; t < threads; t++) {
                    parts[t].quietlyJoin();
                    Throwable x = parts[t].getException();
                    if (failure == null && x != null) failure = x;
                }
                if (failure != null) throw rethrow(failure);
            }
        }

        /** A reusable task: one helper's part of one phase. */
        static final class Part extends ForkJoinTask<Void> {
            private static final long serialVersionUID = 1L;
            final int thread;
            transient Job job;
            int phase;

            Part(int thread) {
                this.thread = thread;
            }

            @Override
            public Void getRawResult() {
                return null;
            }

            @Override
            protected void setRawResult(Void value) {}

            @Override
            protected boolean exec() {
                job.run(thread, phase);
                return true;
            }
        }
    }
}
