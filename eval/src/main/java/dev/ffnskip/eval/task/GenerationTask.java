package dev.ffnskip.eval.task;

import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import java.util.ArrayList;
import java.util.List;

/**
 * A task whose items are greedy generations from one or more prompts (turns). All policies of a run share each
 * turn's dense prefill ({@code FfnSkipModel.generateEach}); scoring sees the texts of all turns.
 */
abstract class GenerationTask extends Task {
    abstract int defaultNewTokens();

    /** Scores {@code r}, whose {@code texts} hold one text per turn. */
    abstract void score(EvalItem item, ItemResult r);

    @Override
    public List<ItemResult> runMany(FfnSkipModel model, List<? extends GatePolicy> policies, EvalItem item, TaskOptions options) {
        int layers = model.info().layers();
        List<ItemResult> results = new ArrayList<>();
        for (int i = 0; i < policies.size(); i++) results.add(new ItemResult(item.id(), item.kind()));
        for (int[] prompt : item.prompts()) {
            int newTokens = options.newTokensOr(defaultNewTokens());
            List<GenerationResult> decodes = model.generateEach(prompt, policies.stream().map(p -> GenerationRequest.builder().maxNewTokens(newTokens).gate(p).build()).toList());
            for (int i = 0; i < policies.size(); i++) results.get(i).addTurn(decodes.get(i), policies.get(i).denseWarmupSteps());
        }
        for (ItemResult r : results) score(item, r);
        return results;
    }
}
