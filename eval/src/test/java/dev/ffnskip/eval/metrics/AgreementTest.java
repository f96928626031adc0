package dev.ffnskip.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AgreementTest {
    @Test
    void identicalSequences() {
        Agreement a = Agreement.compare(new int[] { 1, 2, 3 }, new int[] { 1, 2, 3 });
        assertThat(a.identical()).isTrue();
        assertThat(a.firstDivergence()).isEqualTo(-1);
        assertThat(a.tokenAgreement()).isEqualTo(1.0);
    }

    @Test
    void divergenceInTheMiddleCountsPositionwiseMatches() {
        Agreement a = Agreement.compare(new int[] { 1, 2, 3, 4 }, new int[] { 1, 9, 3, 4 });
        assertThat(a.firstDivergence()).isEqualTo(1);
        assertThat(a.matching()).isEqualTo(3);
        assertThat(a.tokenAgreement()).isEqualTo(0.75);
    }

    @Test
    void aShorterOrLongerOutputDivergesWhereOneEnds() {
        Agreement shorter = Agreement.compare(new int[] { 1, 2, 3, 4 }, new int[] { 1, 2 });
        assertThat(shorter.firstDivergence()).isEqualTo(2);
        assertThat(shorter.tokenAgreement()).isEqualTo(0.5);
        Agreement longer = Agreement.compare(new int[] { 1 }, new int[] { 1, 5, 6, 7 });
        assertThat(longer.firstDivergence()).isEqualTo(1);
        assertThat(longer.tokenAgreement()).isEqualTo(0.25);
        assertThat(Agreement.compare(new int[0], new int[0]).tokenAgreement()).isEqualTo(1.0);
    }
}
