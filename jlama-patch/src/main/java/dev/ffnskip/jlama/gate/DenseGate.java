package dev.ffnskip.jlama.gate;

/** Computes every layer; keeps no state, so one instance serves all generations. */
enum DenseGate implements FfnGate {
    INSTANCE;

    @Override
    public void beginStep(int step) {}

    @Override
    public LayerAction action(int layer) {
        return LayerAction.COMPUTE;
    }
}
