package dev.ffnskip.jlama.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that runs one {@link Job} at a time: {@code threads} parts per phase, phase by phase, on the
 * calling thread and {@code threads - 1} helpers. Built for short data-parallel kernels (tens of µs to ms) where the
 * hand-off must cost well under a microsecond and must not allocate.
 *
 * <ul>
 *   <li>{@link #serial()}: one thread, the caller; no synchronisation at all.
 *   <li>{@link #spinning(int, long)}: persistent daemon helpers that poll a shared word for {@code spinNanos} after
 *       each job, then park until the next {@link #run}. Parts are <em>claimed</em> (one CAS each), not assigned: the
 *       caller takes part 0 and then any part no helper has started, so a helper that is descheduled or still waking
 *       up delays nothing (on a busy machine the job degrades to single-threaded speed instead of waiting for a
 *       time slice). The fastest hand-off while jobs arrive back to back; a parked helper costs one {@code unpark}
 *       (a futex wake, several µs) on the next job.
 *   <li>{@link #forkJoin(int, ForkJoinPool)}: one reusable task per helper part and phase submitted to a pool, the
 *       caller joining each phase (a join of a task not yet started runs it on the caller). No threads of its own, no
 *       spinning between jobs.
 * </ul>
 *
 * A team is used by one caller thread at a time ({@link #run} is not reentrant and not thread-safe). {@link #close()}
 * stops the helpers of a spinning team.
 */
public abstract sealed class WorkerTeam implements AutoCloseable {

    /** One unit of team work: called once per part per phase, on some thread of the team. */
    @FunctionalInterface
    public interface Job {
        /**
         * @param part 0..threads-1; which thread runs a part is not fixed (a job must index its data by part)
         * @param phase 0..phases-1; every part of phase {@code p - 1} has finished before any of phase {@code p} starts
         */
        void run(int part, int phase);
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
        private static final int EPOCH = 1; // slot 1 * PAD; slot 0 is left as padding before it
        /** A wait spins this long, then yields on every poll (the awaited thread may have been descheduled). */
        private static final long SPIN_BEFORE_YIELD_NANOS = 20_000L;
        /** {@link #claims} = epoch (high 32 bits) | parts of the job (16 bits) | next unclaimed part (low 16 bits). */
        private static final int FIELD_BITS = 16;
        private static final long FIELD_MASK = (1L << FIELD_BITS) - 1;

        private final int threads;
        private final long spinNanos;
        private final Thread[] helpers;
        /** Slots: EPOCH (wakes helpers), then per helper t: PARKED(t). */
        private final AtomicLongArray slots;
        /**
         * The claim word of the current job: (epoch << 32) | (total parts << 16) | next unclaimed part, parts counted
         * over all phases. Carrying the epoch and the total makes a stale helper's claim fail instead of taking a part
         * of another job.
         */
        private final AtomicLong claims = new AtomicLong();
        /** Parts of the current job finished, over all its phases. */
        private final AtomicInteger completed = new AtomicInteger();
        private volatile boolean closed;
        // Job state: written by the caller before the job is published, read by helpers after they claim a part
        // (the state cannot change before the job completes, which needs that part).
        private Job job;
        private long epoch;
        private volatile Throwable failure;

        Spinning(int threads, long spinNanos) {
            if (threads > 1024) throw new IllegalArgumentException("too many threads: " + threads);
            this.threads = threads;
            this.spinNanos = spinNanos;
            this.slots = new AtomicLongArray((3 + threads) * PAD);
            this.helpers = new Thread[threads];
            for (int t = 1; t < threads; t++) {
                final int index = t;
                Thread h = new Thread(() -> helperLoop(index), "ffn-kernel-helper-" + t);
                h.setDaemon(true);
                helpers[t] = h;
            }
            for (int t = 1; t < threads; t++) helpers[t].start();
        }

        private static int parked(int t) {
            return (2 + t) * PAD;
        }

        @Override
        public int threads() {
            return threads;
        }

        @Override
        public void run(Job job, int phases) {
            if (closed) throw new IllegalStateException("team closed");
            if (phases < 1) return;
            final long total = (long) threads * phases;
            if (total > FIELD_MASK) throw new IllegalArgumentException("too many phases: " + phases);
            this.job = job;
            this.failure = null;
            completed.set(0);
            final long e = ++epoch;
            claims.set((e << 32) | (total << FIELD_BITS)); // volatile: publishes job, completed = 0
            slots.set(EPOCH * PAD, e);
            for (int t = 1; t < threads; t++) {
                if (slots.get(parked(t)) != 0) LockSupport.unpark(helpers[t]);
            }
            participate(e);
            awaitCompleted((int) total);
            this.job = null;
            Throwable f = failure;
            if (f != null) throw rethrow(f);
        }

        /** Claims and runs parts of job {@code e} until none is left (or the job is no longer {@code e}). */
        private void participate(long e) {
            final int tag = (int) e;
            while (true) {
                final long v = claims.get();
                if ((int) (v >>> 32) != tag) return;
                final int total = (int) ((v >>> FIELD_BITS) & FIELD_MASK);
                final int c = (int) (v & FIELD_MASK);
                if (c >= total) return;
                if (!claims.compareAndSet(v, v + 1)) continue;
                final int phase = c / threads;
                if (phase > 0) awaitCompleted(phase * threads); // every part of the previous phases
                try {
                    job.run(c - phase * threads, phase);
                } catch (Throwable x) {
                    if (failure == null) failure = x;
                }
                completed.incrementAndGet();
            }
        }

        /** Waits until {@code completed >= count}: spins, then after {@link #SPIN_BEFORE_YIELD_NANOS} yields. */
        private void awaitCompleted(int count) {
            if (completed.get() >= count) return;
            long start = System.nanoTime();
            int spins = 0;
            while (completed.get() < count) {
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
                participate(e);
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
