package dev.ffnskip.jlama.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link WorkerTeam}: every part runs exactly once per phase, phases in order, failures surface, parking works. */
class ChannelSparseWorkerTeamTest {

    static Stream<Arguments> teams() {
        return Stream.of(Arguments.of("serial", 1, 0L), Arguments.of("spin", 2, WorkerTeam.DEFAULT_SPIN_NANOS),
                Arguments.of("spin", 3, WorkerTeam.DEFAULT_SPIN_NANOS), Arguments.of("spin", 2, 0L), // parks every job
                Arguments.of("forkjoin", 2, 0L), Arguments.of("forkjoin", 4, 0L));
    }

    static WorkerTeam team(String kind, int threads, long spin) {
        return switch (kind) {
            case "serial" -> WorkerTeam.serial();
            case "spin" -> WorkerTeam.spinning(threads, spin);
            default -> WorkerTeam.forkJoin(threads, ForkJoinPool.commonPool());
        };
    }

    @ParameterizedTest(name = "{0}, {1} threads, spin {2} ns")
    @MethodSource("teams")
    void everyPartRunsOncePerPhaseInPhaseOrder(String kind, int threads, long spin) {
        try (WorkerTeam team = team(kind, threads, spin)) {
            assertThat(team.threads()).isEqualTo(threads);
            for (int phases = 1; phases <= 3; phases++) {
                for (int rep = 0; rep < 2000; rep++) {
                    final int ph = phases;
                    AtomicIntegerArray runs = new AtomicIntegerArray(threads * phases);
                    AtomicIntegerArray doneInPhase = new AtomicIntegerArray(phases);
                    team.run((part, phase) -> {
                        // all parts of the previous phase are done before this one starts
                        if (phase > 0 && doneInPhase.get(phase - 1) != threads) throw new AssertionError("phase order");
                        runs.incrementAndGet(phase * threads + part);
                        doneInPhase.incrementAndGet(phase);
                    }, ph);
                    for (int i = 0; i < threads * phases; i++) assertThat(runs.get(i)).as("part/phase %d", i).isEqualTo(1);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("teams")
    void failuresSurfaceAndTheTeamStaysUsable(String kind, int threads, long spin) {
        try (WorkerTeam team = team(kind, threads, spin)) {
            int failing = threads - 1;
            assertThatThrownBy(() -> team.run((part, phase) -> {
                if (part == failing) throw new IllegalStateException("boom " + part);
            }, 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("boom " + failing);
            AtomicIntegerArray runs = new AtomicIntegerArray(threads);
            team.run((part, phase) -> runs.incrementAndGet(part), 1);
            for (int i = 0; i < threads; i++) assertThat(runs.get(i)).isEqualTo(1);
        }
    }

    @Test
    void closedSpinningTeamRejectsWork() {
        WorkerTeam team = WorkerTeam.spinning(2, WorkerTeam.DEFAULT_SPIN_NANOS);
        team.run((part, phase) -> {}, 1);
        team.close();
        assertThatThrownBy(() -> team.run((part, phase) -> {}, 1)).isInstanceOf(IllegalStateException.class);
        assertThat(WorkerTeam.create(1, WorkerTeam.Handoff.SPIN, 0).threads()).isEqualTo(1);
    }
}
