package dev.ffnskip.eval.study;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.generate.GenerationStats;

/**
 * One sequence decoded under one skipping rule, as the study needs it: a dense prefill, single-token steps, the
 * next-token logits and the FFN counters. Either a {@link DecodeSession} under a {@link GatePolicy} or the
 * {@link OracleSession}, which no gate can express (it decides after seeing each FFN's output).
 */
interface StudySequence extends AutoCloseable {
    void prefill(int[] tokens);

    void step(int token);

    int argmax();

    double logProbability(int token);

    /** Single-token forwards so far. */
    long decodeSteps();

    /** Decode steps after the rule's dense warm-up. */
    long gatedSteps();

    /** FFN blocks not computed (skipped FFNs and dropped layers). */
    long blocksSkipped();

    /** Share of the decode steps' FFN weight reads not done (blocks whole, channel-sparse FFNs by columns not read). */
    double workSkipped();

    @Override
    void close();

    /** A session of the project's decoder under {@code policy}. */
    static StudySequence of(FfnSkipModel model, GatePolicy policy) {
        return of(model.openSession(policy, false), policy.denseWarmupSteps());
    }

    /** A view of an open session (closing the view closes the session). */
    static StudySequence of(DecodeSession s, int warmup) {
        return new StudySequence() {
            @Override
            public void prefill(int[] tokens) {
                s.prefill(tokens);
            }

            @Override
            public void step(int token) {
                s.step(token);
            }

            @Override
            public int argmax() {
                return s.argmax();
            }

            @Override
            public double logProbability(int token) {
                return s.logProbability(token);
            }

            @Override
            public long decodeSteps() {
                return s.stats().decodeSteps();
            }

            @Override
            public long gatedSteps() {
                return Math.max(0, s.stats().decodeSteps() - warmup);
            }

            @Override
            public long blocksSkipped() {
                GenerationStats st = s.stats();
                return st.ffnSkipped() + st.layersDropped();
            }

            @Override
            public double workSkipped() {
                return s.stats().ffnWorkSkipped();
            }

            @Override
            public void close() {
                s.close();
            }
        };
    }
}
