package dev.ffnskip.jlama.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The {@code ffnskip.kernels} switch: our kernel unless asked otherwise; a typo is an error naming the choices. */
class DecodeKernelsTest {
    @Test
    void nativeByDefaultAndEitherValueInAnyCase() {
        assertThat(DecodeKernels.parse(null)).isEqualTo(DecodeKernels.NATIVE);
        assertThat(DecodeKernels.parse(" ")).isEqualTo(DecodeKernels.NATIVE);
        assertThat(DecodeKernels.parse("stock")).isEqualTo(DecodeKernels.STOCK);
        assertThat(DecodeKernels.parse(" Native ")).isEqualTo(DecodeKernels.NATIVE);
    }

    @Test
    void anythingElseIsRefusedWithTheChoices() {
        assertThatThrownBy(() -> DecodeKernels.parse("jlama"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("ffnskip.kernels")
            .hasMessageContaining("'native' or 'stock'")
            .hasMessageContaining("jlama");
    }
}
