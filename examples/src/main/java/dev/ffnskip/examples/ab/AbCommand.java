package dev.ffnskip.examples.ab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ffnskip.examples.ModelOptions;
import dev.ffnskip.examples.Prompts;
import dev.ffnskip.examples.SkipOptions;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The main job: the same prompts through stock Jlama, our decoder with the gate off, and our decoder with FFN
 * skipping, interleaved per prompt; prints tokens/s, realized skip ratio and whether the outputs agree.
 */
@Command(
    name = "ab",
    mixinStandardHelpOptions = true,
    description = "A/B: stock Jlama vs ffn-skip with the gate off vs ffn-skip with skipping, on the same prompts."
)
public final class AbCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--prompts", paramLabel = "FILE", description = "JSONL rows with id and messages (default: built-in prompts).")
    Path prompts;

    @Option(names = "--max-tokens", description = "New tokens per prompt at most (default: ${DEFAULT-VALUE}).")
    int maxTokens = 64;

    @Option(names = "--repeat", description = "Passes over the prompts; timings pool all passes (default: ${DEFAULT-VALUE}).")
    int repeat = 2;

    @Mixin
    SkipOptions skip = new SkipOptions();

    @Option(names = "--json", paramLabel = "OUT", description = "Write all numbers and token ids as JSON.")
    Path json;

    @Option(names = "--chain", description = "Compare LangChain4j chains instead (a RAG chain and a tool agent), dense vs skip.")
    boolean chain;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, was " + maxTokens);
        if (repeat < 1) throw new IllegalArgumentException("--repeat must be >= 1, was " + repeat);
        List<Prompts.Prompt> prompts = this.prompts == null ? Prompts.builtIn() : Prompts.read(this.prompts);

        PrintStream out = System.out;
        if (chain) return runChains(out);
        AbReport report;
        try (AbRunner runner = AbRunner.open(model.model, model.loadOptions())) {
            GatePolicy policy = skip.policy(runner.gated());
            out.println(runner.describe(prompts.size(), maxTokens, policy));
            report = runner.run(prompts, maxTokens, repeat, policy, out);
        }
        report.print(out);
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report.toJson());
            out.println("wrote " + json);
        }
        return 0;
    }

    private int runChains(PrintStream out) throws Exception {
        ChainComparison comparison = new ChainComparison();
        try (FfnSkipModel shared = FfnSkipModel.load(model.model, model.loadOptions())) {
            GatePolicy policy = skip.policy(shared);
            out.printf("ffn-skip chain A/B on %s: a RAG chain and a tool agent, greedy; skip policy: %s%n", shared.info().name(), policy.describe());
            comparison.run(shared, policy, out);
        }
        comparison.print(out);
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), comparison.toJson());
            out.println("wrote " + json);
        }
        return 0;
    }
}
