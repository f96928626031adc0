package dev.ffnskip.jlama.model;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The gate's signal kernel: one vectorised, allocation-free pass over h_mid and h_out that yields
 * cos(h_mid, h_out) and |h_out - h_mid| / |h_mid|.
 */
public final class ResidualCosine {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private float cosine;
    private float updateToResidualNorm;

    /** Measures the first row of two F32 working-memory tensors over their first {@code length} values. */
    public void measure(AbstractTensor hMid, AbstractTensor hOut, int length) {
        FloatBufferTensor a = (FloatBufferTensor) hMid;
        FloatBufferTensor b = (FloatBufferTensor) hOut;
        FloatVector dot = FloatVector.zero(SPECIES);
        FloatVector midSq = FloatVector.zero(SPECIES);
        FloatVector outSq = FloatVector.zero(SPECIES);
        int upper = SPECIES.loopBound(length);
        int i = 0;
        for (; i < upper; i += SPECIES.length()) {
            FloatVector x = a.getVector(SPECIES, 0, i);
            FloatVector y = b.getVector(SPECIES, 0, i);
            dot = x.fma(y, dot);
            midSq = x.fma(x, midSq);
            outSq = y.fma(y, outSq);
        }
        double d = dot.reduceLanes(VectorOperators.ADD);
        double m = midSq.reduceLanes(VectorOperators.ADD);
        double o = outSq.reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            float x = a.get(0, i);
            float y = b.get(0, i);
            d += x * y;
            m += x * x;
            o += y * y;
        }
        set(d, m, o);
    }

    private void set(double dot, double midSq, double outSq) {
        double denominator = Math.sqrt(midSq * outSq);
        cosine = denominator == 0 ? 0f : (float) (dot / denominator);
        double update = Math.max(0.0, outSq - 2 * dot + midSq);
        updateToResidualNorm = midSq == 0 ? 0f : (float) Math.sqrt(update / midSq);
    }

    public float cosine() {
        return cosine;
    }

    public float updateToResidualNorm() {
        return updateToResidualNorm;
    }
}
