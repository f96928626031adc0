package dev.ffnskip.eval.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.gate.LayerwiseSkipPolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy JSON that calibrate writes and the plugin reads (GatePolicies lives in jlama-patch). */
class GatePoliciesJsonTest {
    @TempDir
    Path tmp;

    @Test
    void everyPolicyTypeRoundTrips() {
        List<Double> perLayer = new ArrayList<>(Collections.nCopies(16, 0.97));
        perLayer.set(3, Double.POSITIVE_INFINITY);
        List<GatePolicy> policies = List.of(
            GatePolicy.DENSE,
            PaperGatePolicy.paperDefault(),
            PaperGatePolicy.paperDefault().toBuilder().threshold(0.95).warmupTokens(0).maxSkipFraction(0.25).layerThresholds(perLayer).build(),
            new LayerwiseSkipPolicy(16, perLayer, Set.of(4, 5, 9), 1, 3),
            new dev.ffnskip.jlama.gate.FixedLayerSkip(Set.of(11, 12, 13), 2)
        );
        for (GatePolicy p : policies) {
            Path file = tmp.resolve("p.json");
            GatePolicies.write(p, file);
            assertThat(GatePolicies.read(file)).as(p.describe()).isEqualTo(p);
        }
    }

    /** The eval-only baselines round-trip through eval's codec, and the production codec does not know them. */
    @Test
    void baselinesRoundTripOnlyThroughTheEvalCodec() throws Exception {
        RandomFfnSkip random = new RandomFfnSkip(0.3, 2, 2, 0, 7);
        Path file = tmp.resolve("random.json");
        Files.writeString(file, BaselinePolicies.toJson(random).toString());
        assertThat(BaselinePolicies.read(file)).isEqualTo(random);
        assertThatThrownBy(() -> GatePolicies.read(file)).hasMessageContaining("unknown policy type \"random\"");
        assertThatThrownBy(() -> GatePolicies.toJson(random)).hasMessageContaining("No JSON form");
        assertThat(BaselinePolicies.toJson(PaperGatePolicy.paperDefault())).isEqualTo(GatePolicies.toJson(PaperGatePolicy.paperDefault()));
    }

    @Test
    void extraTopLevelFieldsAreIgnoredAndMissingSkipFieldsTakeDefaults() {
        GatePolicy p = GatePolicies.parse("{\"type\":\"skip\",\"threshold\":0.97,\"calibration\":{\"target\":0.25}}");
        assertThat(p).isEqualTo(PaperGatePolicy.paperDefault().toBuilder().threshold(0.97).build());
    }

    @Test
    void malformedPoliciesAreRejectedWithTheReason() throws Exception {
        assertThatThrownBy(() -> GatePolicies.parse("{\"threshold\":0.9}")).hasMessageContaining("type");
        assertThatThrownBy(() -> GatePolicies.parse("{\"type\":\"magic\"}")).hasMessageContaining("magic");
        assertThatThrownBy(() -> GatePolicies.parse("{\"type\":\"skip\",\"threshold\":1.5}")).hasMessageContaining("threshold");
        assertThatThrownBy(() -> GatePolicies.parse("{\"type\":\"layerwise\",\"num_layers\":2,\"cosine_thresholds\":[0.9],\"skip_layers\":[1],\"warmup_tokens\":0,\"max_skips_per_token\":1}"))
            .hasMessageContaining("cosineThresholds");
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{not json");
        assertThatThrownBy(() -> GatePolicies.read(bad)).hasMessageContaining(bad.toString());
    }

    /**
     * The shipped calibration for skipbench-28m is exactly the policy calibrate wrote, matched by the weights'
     * fingerprint at float32 activations; other models, and skipbench-28m at other precisions, run dense.
     */
    @Test
    void shippedCalibrationIsTheCalibratedPolicyFileMatchedByFingerprint() {
        Path file = Path.of("..", "docs", "results", "skipbench-28m", "calibration", "target-0.05", "policy.json");
        var registry = dev.ffnskip.jlama.gate.CalibrationRegistry.standard();
        var skipbench = dev.ffnskip.jlama.load.ModelFingerprint.of(dev.ffnskip.jlama.load.ModelFolder.open(dev.ffnskip.testing.SharedAssets.skipbench()));
        assertThat(registry.choose(skipbench, "BF16/F32").policy()).isEqualTo(GatePolicies.read(file));
        assertThat(registry.choose(skipbench, "Q4/I8").policy()).isEqualTo(dev.ffnskip.jlama.gate.GatePolicy.DENSE);
        var stories = dev.ffnskip.jlama.load.ModelFingerprint.of(dev.ffnskip.jlama.load.ModelFolder.open(dev.ffnskip.testing.SharedAssets.stories()));
        assertThat(registry.choose(stories, "F32/F32").policy()).isEqualTo(dev.ffnskip.jlama.gate.GatePolicy.DENSE);
        assertThat(registry.choose(stories, "F32/F32").reason()).contains("running dense");
    }

    @Test
    void localTriggerFollowsTheLatestComputedLayer() {
        List<Double> t = new ArrayList<>(Collections.nCopies(6, 0.9));
        LayerwiseSkipPolicy local = new LayerwiseSkipPolicy(6, t, Set.of(2, 4), 0, 6, false);
        FfnGate gate = local.newGate(6);
        gate.beginStep(0);
        List<Integer> skipped = new ArrayList<>();
        float[] cos = { 0.95f, 0.5f, 0f, 0.95f, 0f, 0.5f }; // layer 1 clears the trigger set by layer 0; layer 3 sets it again
        for (int l = 0; l < 6; l++) {
            if (gate.action(l) == LayerAction.SKIP_FFN) skipped.add(l);
            else gate.observe(l, cos[l], 0.1f);
        }
        assertThat(skipped).containsExactly(4);
    }

    @Test
    void layerwiseGateSkipsOnlyItsLayersAfterAPerLayerTrigger() {
        List<Double> t = new ArrayList<>(Collections.nCopies(8, Double.POSITIVE_INFINITY));
        t.set(2, 0.9);
        LayerwiseSkipPolicy policy = new LayerwiseSkipPolicy(8, t, Set.of(1, 4, 5, 6), 1, 2);
        FfnGate gate = policy.newGate(8);
        // warm-up step: never skips even when triggered
        gate.beginStep(0);
        for (int l = 0; l < 8; l++) {
            assertThat(gate.action(l)).isEqualTo(LayerAction.COMPUTE);
            gate.observe(l, 0.99f, 0.01f);
        }
        gate.beginStep(1);
        List<Integer> skipped = new ArrayList<>();
        for (int l = 0; l < 8; l++) {
            LayerAction a = gate.action(l);
            if (a == LayerAction.SKIP_FFN) skipped.add(l);
            else gate.observe(l, l == 2 ? 0.95f : 0.99f, 0.01f); // only layer 2 can trigger
        }
        // layer 1 is before the trigger; the cap of 2 stops after layers 4 and 5
        assertThat(skipped).containsExactly(4, 5);
        assertThatThrownBy(() -> policy.newGate(9)).hasMessageContaining("8 layers");
        // the paper gate in this form
        LayerwiseSkipPolicy paper = LayerwiseSkipPolicy.of(PaperGatePolicy.paperDefault(), 16);
        assertThat(paper.skipLayers()).containsExactlyInAnyOrder(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
        assertThat(paper.maxSkipsPerToken()).isEqualTo(16);
    }
}
