package dev.ffnskip.eval.run;

import dev.ffnskip.eval.task.EvalItem;
import dev.ffnskip.eval.task.ItemResult;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.eval.task.TaskOptions;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Runs a task's items under several policies on all replicas of a pool, with a progress bar on stderr. */
public final class Runner {
    private final ModelPool pool;
    private final boolean progress;

    public Runner(ModelPool pool, boolean progress) {
        this.pool = pool;
        this.progress = progress;
    }

    public ModelPool pool() {
        return pool;
    }

    /** Runs every item under every policy (policies of one item share its prefill); results per policy, in item order. */
    public List<List<ItemResult>> runMany(Task task, List<EvalItem> items, List<? extends GatePolicy> policies, TaskOptions options, String label) {
        ItemResult[][] results = new ItemResult[policies.size()][items.size()];
        AtomicInteger next = new AtomicInteger();
        ProgressBar bar = progress
            ? new ProgressBarBuilder().setTaskName(label).setInitialMax(items.size()).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(2000).continuousUpdate().clearDisplayOnFinish().build()
            : null;
        ExecutorService workers = Executors.newFixedThreadPool(pool.size(), r -> {
            Thread t = new Thread(r, "eval-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (FfnSkipModel model : pool.replicas()) {
                futures.add(workers.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < items.size(); ) {
                        List<ItemResult> r = task.runMany(model, policies, items.get(i), options);
                        for (int p = 0; p < policies.size(); p++) results[p][i] = r.get(p);
                        if (bar != null) bar.step();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            next.set(items.size());
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            throw new IllegalStateException(cause);
        } finally {
            workers.shutdownNow();
            if (bar != null) bar.close();
        }
        List<List<ItemResult>> out = new ArrayList<>();
        for (ItemResult[] r : results) out.add(Arrays.asList(r));
        return out;
    }
}
