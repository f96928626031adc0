package dev.ffnskip.jlama.model;

import com.github.tjake.jlama.math.ActivationFunction;
import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.tensor.AbstractTensor;
import dev.ffnskip.jlama.kernels.Q4DecodeMatmul;
import dev.ffnskip.jlama.ops.CorrectedTensorOperations;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One decode row's FFN, {@code down(act(gate x) * up x)}, on our native kernel: the same operations as Jlama's
 * {@code MLPBlock}, in two parallel phases instead of three. Jlama computes gate and up in one parallel pass, then the
 * activation in a parallel stream on the common fork-join pool (an element at a time through the tensor API), then
 * down; here each worker applies the activation to the rows of gate and up it has just computed, while they are in
 * its cache, and down follows. Prefill rows and models off our kernel keep Jlama's {@code MLPBlock}.
 */
final class NativeDecodeFfn {
    private final GatedLlamaModel model;
    private final ActivationFunction.Type activation;
    private final AbstractTensor[] gateUp;
    private final AbstractTensor down;
    private final int hidden;
    private final int inter;

    NativeDecodeFfn(GatedLlamaModel model, ActivationFunction.Type activation, AbstractTensor gate, AbstractTensor up, AbstractTensor down) {
        this.model = model;
        this.activation = activation;
        this.gateUp = new AbstractTensor[] { gate, up };
        this.down = down;
        this.hidden = gate.shape().last();
        this.inter = gate.shape().first();
    }

    /**
     * @param input the FFN input of one row, quantized for the matmul (I8)
     * @return a new {@code [1, hidden]} tensor; the caller closes it
     */
    AbstractTensor forward(AbstractTensor input) {
        try (AbstractTensor g = model.makeDenseTensor(1, inter); AbstractTensor u = model.makeDenseTensor(1, inter)) {
            AbstractTensor[] results = { g, u };
            MemorySegment gs = g.getMemorySegment(), us = u.getMemorySegment();
            VectorMath.pchunk(0, inter, (start, n) -> {
                int rows = CorrectedTensorOperations.completeChunk(inter, start, n);
                run(Q4DecodeMatmul.tryRun(results, input, gateUp, 0, hidden, start, rows));
                for (int i = start, end = start + rows; i < end; i++) {
                    float a = ActivationFunction.eval(activation, gs.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                    gs.setAtIndex(ValueLayout.JAVA_FLOAT, i, a * us.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                }
            });
            AbstractTensor out = model.makeDenseTensor(1, hidden);
            try (AbstractTensor activations = model.quantizeForMatmul(g)) {
                VectorMath.pchunk(0, hidden, (start, n) ->
                    run(Q4DecodeMatmul.tryRun(out, activations, down, 0, inter, start, CorrectedTensorOperations.completeChunk(hidden, start, n))));
            } catch (RuntimeException e) {
                out.close();
                throw e;
            }
            return out;
        }
    }

    /** The block only builds this FFN for weights our kernel took, and decode rows always fit it. */
    private static void run(boolean done) {
        if (!done) throw new IllegalStateException("the native decode kernel refused an FFN product it had adopted");
    }
}
