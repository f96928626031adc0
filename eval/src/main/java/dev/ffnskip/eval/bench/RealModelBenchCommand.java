package dev.ffnskip.eval.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppPrompt;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppResult;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppRunner;
import dev.ffnskip.eval.cli.CommandText;
import dev.ffnskip.eval.cli.Shared;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoader;
import dev.ffnskip.jlama.load.StockJlama;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench-real}: decode speed on a real model and real chat prompts: stock Jlama, ours with the gate off, ours
 * with the model's default (calibrated) policy or a given policy file, interleaved per prompt for several rounds in
 * one process, then llama.cpp ({@code de.kherud:llama}) on the same GGUF file and the same rendered prompts in a
 * separate process. Reports median decode tokens/s per engine and the realized FFN work skipped.
 */
@Command(name = "bench-real", mixinStandardHelpOptions = true,
    description = "Real-model decode benchmark: stock Jlama vs ffn-skip dense vs ffn-skip with a policy vs llama.cpp on the same GGUF.")
public final class RealModelBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "FILE.gguf", description = "A GGUF file (default: the shared SmolLM2-135M-Instruct Q4_1).")
    Path model;

    @Option(names = "--policy", paramLabel = "FILE", description = "Gate policy JSON for the skip variant (default: the model's default policy).")
    Path policyFile;

    @Option(names = "--prompts", defaultValue = "8", description = "Chat prompts from chat_prompts.jsonl (default: ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--max-tokens", defaultValue = "64", description = "New tokens per prompt (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--q4", description = "Run stock and ours on the Jlama Q4 copy of the model (I8 decode inputs on our native kernel): "
        + "a speed measurement only; Q4 re-quantization changes the model (docs/results/smollm2-135m-instruct/precision.md). Default: float32.")
    boolean q4;

    @Option(names = "--no-llamacpp", description = "Skip the llama.cpp peer.")
    boolean noLlamaCpp;

    @Option(names = "--json", paramLabel = "FILE", required = true, description = "Result JSON; a Markdown table is written beside it.")
    Path json;

    @Override
    public Integer call() throws Exception {
        Path gguf = model != null ? model : Shared.model("smollm2-135m-instruct").resolve("SmolLM2-135M-Instruct.Q4_1.gguf");
        LoadOptions options = q4
            ? LoadOptions.builder().quantizeToQ4(true).workingQuantizationType(DType.I8).build()
            : LoadOptions.builder().workingQuantizationType(DType.F32).build();
        List<LlamaCppPrompt> rendered = LlamaCppPrompt.fromChatJsonl(Shared.eval("chat_prompts.jsonl"), prompts, LlamaCppPrompt.SMOLLM2_DEFAULT_SYSTEM);
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("command", CommandText.of(spec));
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        Map<String, Double> work = new LinkedHashMap<>();
        try (FfnSkipModel ours = FfnSkipModel.load(gguf, options); StockJlama stock = StockJlama.load(ModelLoader.prepare(gguf, options))) {
            GatePolicy policy = policyFile != null ? GatePolicies.read(policyFile) : ours.defaultPolicy().policy();
            root.put("model", ours.info().name());
            root.put("fingerprint", ours.info().fingerprint().id());
            root.put("precision", ours.info().precision());
            root.put("native_decode_kernel", ours.jlama().usesNativeDecodeKernel());
            root.put("policy", policy.describe());
            root.put("default_policy_reason", ours.defaultPolicy().reason());
            List<PromptContext> contexts = new ArrayList<>();
            for (LlamaCppPrompt p : rendered) contexts.add(PromptContext.of(p.prompt()));
            for (String v : List.of("stock", "dense", "policy")) rates.put(v, new ArrayList<>());
            double skippedWork = 0, steps = 0;
            for (int round = -1; round < rounds; round++) { // round -1 warms the JIT up and is not recorded
                for (PromptContext ctx : contexts) {
                    int[] ids = ours.encode(ctx);
                    // the order rotates: whichever engine runs right after another finds its weights in cache
                    StockJlama.Result s = null;
                    GenerationResult d = null, p = null;
                    for (int k = 0; k < 3; k++) {
                        switch ((k + round + 3) % 3) {
                            case 0 -> s = stock.generateGreedy(ctx, maxTokens);
                            case 1 -> d = ours.generate(ids, GenerationRequest.builder().maxNewTokens(maxTokens).gate(GatePolicy.DENSE).build());
                            default -> p = ours.generate(ids, GenerationRequest.builder().maxNewTokens(maxTokens).gate(policy).build());
                        }
                    }
                    if (round < 0) continue;
                    // stock reports its generation time for all tokens after the first (as our decode time does)
                    if (s.tokenIds().length > 1 && s.generateMillis() > 0) rates.get("stock").add((s.tokenIds().length - 1) / (s.generateMillis() / 1e3));
                    rates.get("dense").add(d.stats().decodeTokensPerSecond());
                    rates.get("policy").add(p.stats().decodeTokensPerSecond());
                    skippedWork += p.stats().ffnWorkSkipped() * p.stats().decodeSteps();
                    steps += p.stats().decodeSteps();
                }
            }
            work.put("policy", steps == 0 ? 0 : skippedWork / steps);
        }
        if (!noLlamaCpp) {
            LlamaCppResult peer = LlamaCppRunner.run(
                LlamaCppRunner.Config.of(gguf).withThreads(2).withMaxTokens(maxTokens).withRounds(rounds).withTimeout(Duration.ofMinutes(20))
                    .withWorkDir(Files.createTempDirectory("bench-real-llamacpp")),
                rendered
            );
            List<Double> r = new ArrayList<>();
            for (var pr : peer.prompts()) r.addAll(pr.decodeTokensPerSecondSamples().isEmpty() ? List.of(pr.decodeTokensPerSecond()) : pr.decodeTokensPerSecondSamples());
            rates.put("llama.cpp", r);
            root.put("llamacpp_system_info", String.valueOf(peer.systemInfo()));
        }
        ArrayNode table = root.putArray("engines");
        StringBuilder md = new StringBuilder("| engine | median decode tok/s | vs ffn-skip dense | FFN work skipped |\n|---|---|---|---|\n");
        double dense = median(rates.get("dense"));
        for (var e : rates.entrySet()) {
            double m = median(e.getValue());
            table.addObject().put("engine", e.getKey()).put("median_decode_tokens_per_s", m).put("samples", e.getValue().size())
                .put("ffn_work_skipped", work.getOrDefault(e.getKey(), 0.0));
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.2fx | %s |%n", e.getKey(), m, m / dense,
                work.containsKey(e.getKey()) ? String.format(Locale.ROOT, "%.3f", work.get(e.getKey())) : "-"));
            System.out.printf(Locale.ROOT, "%-10s %6.1f tok/s (median of %d)%n", e.getKey(), m, e.getValue().size());
        }
        if (json.getParent() != null) Files.createDirectories(json.getParent());
        mapper.writeValue(json.toFile(), root);
        Files.writeString(Path.of(json.toString().replaceFirst("\\.json$", "") + ".md"),
            "# Real-model decode benchmark\n\n`" + root.get("command").asText() + "`\n\nModel " + root.get("model").asText() + " (" + root.get("precision").asText()
                + "), policy: " + root.get("policy").asText() + "\n\n" + md);
        System.out.println("wrote " + json);
        return 0;
    }

    private static double median(List<Double> values) {
        if (values == null || values.isEmpty()) return Double.NaN;
        double[] v = values.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
