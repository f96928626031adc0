package dev.ffnskip.eval.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import java.nio.file.Path;

/**
 * The policy JSON of the eval harness: {@link GatePolicies} (the types users run) plus the baselines that live only
 * here. {@code random} ({@link RandomFfnSkip}): {@code probability, protect_first, protect_last, warmup_tokens, seed}.
 */
public final class BaselinePolicies {
    private BaselinePolicies() {}

    public static ObjectNode toJson(GatePolicy policy) {
        if (!(policy instanceof RandomFfnSkip p)) return GatePolicies.toJson(policy);
        ObjectNode o = RunRecord.JSON.createObjectNode();
        o.put("type", "random");
        o.put("probability", p.probability());
        o.put("protect_first", p.protectFirst());
        o.put("protect_last", p.protectLast());
        o.put("warmup_tokens", p.warmupTokens());
        o.put("seed", p.seed());
        return o;
    }

    public static GatePolicy fromJson(JsonNode o) {
        if (o == null || !"random".equals(o.path("type").asText())) return GatePolicies.fromJson(o);
        for (String f : new String[] {"probability", "protect_first", "protect_last", "warmup_tokens"}) {
            if (!o.path(f).isNumber()) throw new IllegalArgumentException("\"" + f + "\" must be a number");
        }
        return new RandomFfnSkip(
            o.get("probability").asDouble(), o.get("protect_first").asInt(), o.get("protect_last").asInt(),
            o.get("warmup_tokens").asInt(), o.path("seed").asLong(0));
    }

    /** Reads a policy file of any type above; errors name the file. */
    public static GatePolicy read(Path file) {
        try {
            return fromJson(RunRecord.JSON.readTree(file.toFile()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("Cannot read gate policy " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid gate policy " + file + ": " + e.getMessage(), e);
        }
    }
}
