package dev.ffnskip.jlama.ops;

import static dev.ffnskip.jlama.ops.NativeKernelBugsTest.K;
import static dev.ffnskip.jlama.ops.NativeKernelBugsTest.dot;
import static dev.ffnskip.jlama.ops.NativeKernelBugsTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import org.junit.jupiter.api.Test;

/** What the guard changes for every Jlama caller in the JVM, and its switch. */
class TensorOperationsGuardTest {

    /**
     * After the guard, {@code TensorOperationsProvider.get()} (what every Jlama class, stock models included, calls)
     * is the corrected wrapper around Jlama's own choice, and a 13-row prefill matmul that Jlama's native kernel gets
     * wrong in rows 10-12 comes out right through it.
     */
    @Test
    void everyJlamaCallerGetsTheCorrectedOperations() {
        TensorOperations active = TensorOperationsGuard.ensureCorrect();
        assertThat(TensorOperationsGuard.ensureCorrect()).isSameAs(active).isSameAs(TensorOperationsProvider.get());
        assumeThat(active).as("ffnskip.ops=uncorrected in this JVM").isInstanceOf(CorrectedTensorOperations.class);
        TensorOperations jlamas = ((CorrectedTensorOperations) active).delegate();
        assertThat(jlamas).isNotInstanceOf(CorrectedTensorOperations.class);
        assertThat(active.name()).contains(jlamas.name());

        AbstractTensor a = random(DType.F32, 13, K, 1);
        AbstractTensor b = random(DType.F32, 64, K, 2);
        assertThat(wrongRows(active, a, b)).isZero();
        assumeThat(jlamas.getClass().getSimpleName()).as("the tail-row bug is in Jlama's native kernel").isEqualTo("NativeSimdTensorOperations");
        assertThat(wrongRows(jlamas, a, b)).isEqualTo(3);
    }

    @Test
    void theSwitchIsThePropertyElseTheEnvironmentVariable() {
        assertThat(TensorOperationsGuard.switchedOff(null, null)).isFalse();
        assertThat(TensorOperationsGuard.switchedOff("uncorrected", null)).isTrue();
        assertThat(TensorOperationsGuard.switchedOff(null, "uncorrected")).isTrue();
        assertThat(TensorOperationsGuard.switchedOff("corrected", "uncorrected")).isFalse();
        assertThatThrownBy(() -> TensorOperationsGuard.switchedOff("off", null)).hasMessageContaining("'corrected' or 'uncorrected', was 'off'");
    }

    private static int wrongRows(TensorOperations ops, AbstractTensor a, AbstractTensor b) {
        FloatBufferTensor result = new FloatBufferTensor(13, 64);
        ops.batchDotProduct(result, a, b, 0, 0, K, 0, 0, 64);
        int wrong = 0;
        for (int i = 0; i < 13; i++) {
            for (int j = 0; j < 64; j++) {
                if (Math.abs(result.get(i, j) - dot(a, b, i, j)) > 1e-3) {
                    wrong++;
                    break;
                }
            }
        }
        return wrong;
    }
}
