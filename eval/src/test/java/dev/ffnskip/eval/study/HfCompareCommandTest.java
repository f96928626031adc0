package dev.ffnskip.eval.study;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HfCompareCommandTest {
    @Test
    void agreementIsNoDivergence() {
        assertThat(HfCompareCommand.firstDivergence(new float[] { 0f, 3f, 1f }, 4, 1)).isNull();
    }

    @Test
    void divergenceReportsTopTwoTheReferenceAndItsRank() {
        HfCompareCommand.Divergence d = HfCompareCommand.firstDivergence(new float[] { 0.5f, 3f, 2.75f, 2.9f }, 7, 2);
        assertThat(d.step()).isEqualTo(7);
        assertThat(d.ours()).isEqualTo(1);
        assertThat(d.second()).isEqualTo(3);
        assertThat(d.reference()).isEqualTo(2);
        assertThat(d.referenceRank()).isEqualTo(2);
        assertThat(d.marginToReference()).isEqualTo(0.25, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(d.marginTop2()).isEqualTo(0.1, org.assertj.core.api.Assertions.within(1e-6));
    }

    @Test
    void anExactTieGoesToTheLowerIdLikeTheDecoder() {
        // the decoder's argmax returns the first maximum, so a reference with the higher id diverges at margin 0
        HfCompareCommand.Divergence d = HfCompareCommand.firstDivergence(new float[] { 1f, 2f, 2f }, 0, 2);
        assertThat(d.ours()).isEqualTo(1);
        assertThat(d.marginToReference()).isZero();
        assertThat(HfCompareCommand.firstDivergence(new float[] { 1f, 2f, 2f }, 0, 1)).isNull();
    }
}
