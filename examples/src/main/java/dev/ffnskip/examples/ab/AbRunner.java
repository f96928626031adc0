package dev.ffnskip.examples.ab;

import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import dev.ffnskip.examples.Prompts;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.ModelInfo;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoader;
import dev.ffnskip.jlama.load.StockJlama;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** Loads stock Jlama and the gated model from the same prepared folder and runs the three modes interleaved. */
final class AbRunner implements AutoCloseable {
    private final FfnSkipModel gated;
    private final StockJlama stock;

    private AbRunner(FfnSkipModel gated, StockJlama stock) {
        this.gated = gated;
        this.stock = stock;
    }

    static AbRunner open(Path modelDir, LoadOptions options) {
        FfnSkipModel gated = FfnSkipModel.load(modelDir, options);
        return new AbRunner(gated, StockJlama.load(ModelLoader.prepare(modelDir, options)));
    }

    ModelInfo info() {
        return gated.info();
    }

    FfnSkipModel gated() {
        return gated;
    }

    String describe(int prompts, int maxTokens, GatePolicy policy) {
        ModelInfo i = gated.info();
        return String.format(
            "ffn-skip A/B on %s: %d layers, %s weights, %s activations, %s%n%d prompts, at most %d new tokens, greedy; skip policy: %s%nmodel default: %s",
            i.name(), i.layers(), i.weightType(), i.workingQuantizationType(), i.tensorOperations(), prompts, maxTokens, policy.describe(),
            gated.defaultPolicy().reason()
        );
    }

    AbReport run(List<Prompts.Prompt> prompts, int maxTokens, int repeat, GatePolicy policy, PrintStream progress) {
        AbReport report = new AbReport(gated.info(), policy, maxTokens);
        // Warm-up: one untimed pass of every mode so the JIT has compiled the decode path before anything is measured.
        runPrompt(prompts.get(0), maxTokens, policy, null);
        for (int pass = 0; pass < repeat; pass++) {
            for (Prompts.Prompt prompt : prompts) {
                runPrompt(prompt, maxTokens, policy, report.prompt(prompt.id()));
                progress.print('.');
                progress.flush();
            }
        }
        progress.println();
        return report;
    }

    private void runPrompt(Prompts.Prompt prompt, int maxTokens, GatePolicy policy, AbReport.PromptResult into) {
        PromptContext context = prompt.render(gated.promptSupport());
        int[] ids = gated.encode(context);
        StockJlama.Result s = stock.generateGreedy(context, maxTokens);
        GenerationResult dense = gated.generate(ids, GenerationRequest.builder().maxNewTokens(maxTokens).gate(GatePolicy.DENSE).build());
        GenerationResult skip = gated.generate(ids, GenerationRequest.builder().maxNewTokens(maxTokens).gate(policy).build());
        if (into != null) into.record(s, dense, skip);
    }

    @Override
    public void close() {
        try {
            stock.close();
        } finally {
            gated.close();
        }
    }
}
