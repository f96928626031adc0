package dev.ffnskip.jlama.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.jlama.load.ModelFingerprint;
import java.util.Objects;

/**
 * A gate policy calibrated for one model's weights at one precision, with what it was measured to cost.
 *
 * <p>JSON form (the files {@code eval calibrate} writes and {@link CalibrationRegistry} reads):
 * {@code {"model": name, "fingerprint": "sha256:...", "precision": "F32/F32", "policy": {...},
 * "budget": {...}, "measured": {...}, "command": "..."}}; {@code policy} is {@link GatePolicies}' form, {@code model}
 * is informative only (matching is by fingerprint and precision), {@code budget} and {@code measured} are kept as given.
 *
 * @param precision weight and activation types as {@code ModelInfo.precision()} spells them
 */
public record Calibration(String model, ModelFingerprint fingerprint, String precision, GatePolicy policy, JsonNode budget, JsonNode measured, String command) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Calibration {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(policy, "policy");
        model = model == null ? "" : model;
        budget = budget == null ? JSON.createObjectNode() : budget;
        measured = measured == null ? JSON.createObjectNode() : measured;
        command = command == null ? "" : command;
    }

    public static Calibration fromJson(JsonNode o) {
        if (o == null || !o.isObject()) throw new IllegalArgumentException("a calibration must be a JSON object");
        for (String field : new String[] { "fingerprint", "precision", "policy" }) {
            if (!o.has(field)) throw new IllegalArgumentException("a calibration needs \"" + field + "\"");
        }
        return new Calibration(
            o.path("model").asText(""),
            new ModelFingerprint(o.get("fingerprint").asText()),
            o.get("precision").asText(),
            GatePolicies.fromJson(o.get("policy")),
            o.get("budget"),
            o.get("measured"),
            o.path("command").asText("")
        );
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", model);
        o.put("fingerprint", fingerprint.id());
        o.put("precision", precision);
        o.set("policy", GatePolicies.toJson(policy));
        o.set("budget", budget);
        o.set("measured", measured);
        o.put("command", command);
        return o;
    }
}
