package dev.ffnskip.jlama.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON codec of gate policies, e.g. the output of the eval harness's {@code calibrate} command. (Which policy a
 * model gets by default is {@link CalibrationRegistry}'s business.)
 *
 * <p>A policy file is one JSON object with a {@code "type"}; other top-level fields (description, calibration
 * report, ...) are ignored by the reader. Types and fields (snake_case):
 * <ul>
 *   <li>{@code dense}: no fields.</li>
 *   <li>{@code skip} ({@link PaperGatePolicy}): {@code enabled, threshold, protect_first, protect_last, warmup_tokens,
 *       max_skip_fraction, layer_thresholds} (array, one per layer; {@code null} = never saturates); missing fields
 *       take the builder defaults.</li>
 *   <li>{@code layerwise} ({@link LayerwiseSkipPolicy}): {@code cosine_thresholds} (array, {@code null} = never
 *       triggers), {@code skip_layers}, {@code warmup_tokens}, {@code max_skips_per_token}, {@code num_layers}, {@code sticky} (default true).</li>
 *   <li>{@code fixed} ({@link FixedLayerSkip}, a calibrate candidate that can win): {@code layers, warmup_tokens}.</li>
 *   <li>{@code channel} ({@link ChannelSkipPolicy}): {@code input_thresholds, intermediate_thresholds} (arrays, one
 *       per layer), {@code warmup_tokens}, {@code target_sparsity}, {@code criterion} ({@code magnitude}, the default,
 *       or {@code weighted}: see {@link ChannelCriterion}), optional {@code blocks} (a block-skipping policy).</li>
 * </ul>
 * The eval harness's baselines (random skip) have their JSON form in eval's {@code BaselinePolicies}, which
 * delegates the types above to this class.
 */
public final class GatePolicies {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private GatePolicies() {}

    /** Reads a policy file; throws {@link IllegalArgumentException} naming the problem for malformed content. */
    public static GatePolicy read(Path file) {
        try {
            return fromJson(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read gate policy " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid gate policy " + file + ": " + e.getMessage(), e);
        }
    }

    public static GatePolicy parse(String json) {
        try {
            return fromJson(JSON.readTree(json));
        } catch (IOException e) {
            throw new IllegalArgumentException("Malformed gate policy JSON: " + e.getMessage(), e);
        }
    }

    /** Writes {@link #toJson(GatePolicy)} to {@code file}. */
    public static void write(GatePolicy policy, Path file) {
        try {
            JSON.writeValue(file.toFile(), toJson(policy));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write gate policy " + file + ": " + e.getMessage(), e);
        }
    }

    public static String toJsonString(GatePolicy policy) {
        try {
            return JSON.writeValueAsString(toJson(policy));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode toJson(GatePolicy policy) {
        ObjectNode o = JSON.createObjectNode();
        if (policy == GatePolicy.DENSE) {
            o.put("type", "dense");
        } else if (policy instanceof PaperGatePolicy p) {
            o.put("type", "skip");
            o.put("enabled", p.enabled());
            o.put("threshold", p.threshold());
            o.put("protect_first", p.protectFirst());
            o.put("protect_last", p.protectLast());
            o.put("warmup_tokens", p.warmupTokens());
            o.put("max_skip_fraction", p.maxSkipFraction());
            if (!p.layerThresholds().isEmpty()) thresholds(o.putArray("layer_thresholds"), p.layerThresholds());
        } else if (policy instanceof LayerwiseSkipPolicy p) {
            o.put("type", "layerwise");
            o.put("num_layers", p.numLayers());
            thresholds(o.putArray("cosine_thresholds"), p.cosineThresholds());
            ArrayNode layers = o.putArray("skip_layers");
            p.skipLayers().forEach(layers::add);
            o.put("warmup_tokens", p.warmupTokens());
            o.put("max_skips_per_token", p.maxSkipsPerToken());
            o.put("sticky", p.sticky());
        } else if (policy instanceof ChannelSkipPolicy p) {
            o.put("type", "channel");
            ArrayNode in = o.putArray("input_thresholds");
            p.inputThresholds().forEach(in::add);
            ArrayNode mid = o.putArray("intermediate_thresholds");
            p.intermediateThresholds().forEach(mid::add);
            o.put("warmup_tokens", p.warmupTokens());
            o.put("target_sparsity", p.targetSparsity());
            o.put("criterion", p.criterion().id());
            p.blocks().ifPresent(b -> o.set("blocks", toJson(b)));
        } else if (policy instanceof FixedLayerSkip p) {
            o.put("type", "fixed");
            ArrayNode layers = o.putArray("layers");
            p.layers().forEach(layers::add);
            o.put("warmup_tokens", p.warmupTokens());
        } else {
            throw new IllegalArgumentException("No JSON form for policy " + policy.getClass().getName() + " (" + policy.describe() + ")");
        }
        return o;
    }

    public static GatePolicy fromJson(JsonNode o) {
        if (o == null || !o.isObject()) throw new IllegalArgumentException("a policy must be a JSON object");
        String type = o.path("type").asText("");
        return switch (type) {
            case "dense" -> GatePolicy.DENSE;
            case "skip" -> {
                PaperGatePolicy.Builder b = PaperGatePolicy.builder();
                if (o.has("enabled")) b.enabled(bool(o, "enabled"));
                if (o.has("threshold")) b.threshold(number(o, "threshold"));
                if (o.has("protect_first")) b.protectFirst(integer(o, "protect_first"));
                if (o.has("protect_last")) b.protectLast(integer(o, "protect_last"));
                if (o.has("warmup_tokens")) b.warmupTokens(integer(o, "warmup_tokens"));
                if (o.has("max_skip_fraction")) b.maxSkipFraction(number(o, "max_skip_fraction"));
                if (o.hasNonNull("layer_thresholds")) b.layerThresholds(thresholds(o, "layer_thresholds"));
                yield b.build();
            }
            case "layerwise" -> new LayerwiseSkipPolicy(
                integer(o, "num_layers"),
                thresholds(o, "cosine_thresholds"),
                layers(o, "skip_layers"),
                integer(o, "warmup_tokens"),
                integer(o, "max_skips_per_token"),
                !o.has("sticky") || bool(o, "sticky")
            );
            case "channel" -> new ChannelSkipPolicy(
                thresholds(o, "input_thresholds"),
                thresholds(o, "intermediate_thresholds"),
                o.has("warmup_tokens") ? integer(o, "warmup_tokens") : 0,
                o.has("target_sparsity") ? number(o, "target_sparsity") : 0.0,
                o.hasNonNull("blocks") ? java.util.Optional.of(fromJson(o.get("blocks"))) : java.util.Optional.empty(),
                o.hasNonNull("criterion") ? ChannelCriterion.of(o.get("criterion").asText()) : ChannelCriterion.MAGNITUDE
            );
            case "fixed" -> new FixedLayerSkip(layers(o, "layers"), integer(o, "warmup_tokens"));
            case "" -> throw new IllegalArgumentException("missing \"type\"");
            default -> throw new IllegalArgumentException("unknown policy type \"" + type + "\" (dense, skip, layerwise, channel, fixed)");
        };
    }

    private static void thresholds(ArrayNode into, List<Double> values) {
        for (double v : values) {
            if (Double.isInfinite(v)) into.addNull();
            else into.add(v);
        }
    }

    private static List<Double> thresholds(JsonNode o, String field) {
        JsonNode a = o.get(field);
        if (a == null || !a.isArray()) throw new IllegalArgumentException("\"" + field + "\" must be an array");
        List<Double> out = new ArrayList<>();
        for (JsonNode v : a) {
            if (v.isNull()) out.add(Double.POSITIVE_INFINITY);
            else if (v.isNumber()) out.add(v.asDouble());
            else throw new IllegalArgumentException("\"" + field + "\" entries must be numbers or null, found " + v);
        }
        return out;
    }

    private static Set<Integer> layers(JsonNode o, String field) {
        JsonNode a = o.get(field);
        if (a == null || !a.isArray()) throw new IllegalArgumentException("\"" + field + "\" must be an array of layer indices");
        Set<Integer> out = new TreeSet<>();
        for (JsonNode v : a) {
            if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new IllegalArgumentException("\"" + field + "\" entries must be integers, found " + v);
            out.add(v.asInt());
        }
        return out;
    }

    private static double number(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isNumber()) throw new IllegalArgumentException("\"" + field + "\" must be a number");
        return v.asDouble();
    }

    private static int integer(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException("\"" + field + "\" must be an integer");
        return v.asInt();
    }

    private static boolean bool(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isBoolean()) throw new IllegalArgumentException("\"" + field + "\" must be true or false");
        return v.asBoolean();
    }
}
