package dev.ffnskip.jlama.load;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.model.llama.LlamaModel;
import com.github.tjake.jlama.model.mistral.MistralModel;
import com.github.tjake.jlama.model.qwen2.Qwen2Model;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.util.JsonSupport;
import dev.ffnskip.jlama.ops.TensorOperationsGuard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Unmodified Jlama, for A/B comparisons, parity tests and benchmarks: the stock model class of the architecture, built
 * exactly as {@code ModelSupport.loadModel} builds it. The one place that runs stock Jlama: {@link #generateGreedy}
 * (the stock {@code AbstractModel.generate}), {@link #decodeGreedy} (the same decode on token ids, timed) and, for the
 * layer benchmark, {@link #transformerBlock} and {@link #newKvBuffer}.
 *
 * <p>The only addition is a recording override of {@code sample} that remembers the ids stock Jlama picked (its
 * {@code generate} returns text only); the override calls the stock method and changes nothing. The only reflection
 * on Jlama internals in the project is {@link #transformerBlock}. Single-threaded.
 */
public final class StockJlama implements AutoCloseable {
    private final AbstractModel model;
    private final List<Integer> sampled;
    private final Path workingDirectory;

    /** What stock Jlama generated. */
    public record Result(int[] tokenIds, String text, Generator.FinishReason finishReason, long promptMillis, long generateMillis) {}

    private StockJlama(AbstractModel model, List<Integer> sampled, Path workingDirectory) {
        this.model = model;
        this.sampled = sampled;
        this.workingDirectory = workingDirectory;
    }

    /** Stock Jlama whose {@code generate} keeps its KV pages in memory-mapped files in a private temporary folder. */
    public static StockJlama load(ModelLoader.Prepared prepared) {
        return load(prepared, true);
    }

    /**
     * Stock Jlama with no working directory (KV pages of {@code generate} in memory, as {@code ModelSupport.loadModel}
     * without one); what the benchmark times.
     */
    public static StockJlama loadInMemory(ModelLoader.Prepared prepared) {
        return load(prepared, false);
    }

    private static StockJlama load(ModelLoader.Prepared prepared, boolean mappedKv) {
        TensorOperationsGuard.ensureCorrect();
        Path dir = prepared.folder().path();
        List<Integer> sampled = new ArrayList<>();
        try {
            Config config = JsonSupport.om.readValue(dir.resolve(ModelFolder.CONFIG).toFile(), prepared.folder().architecture().configClass());
            Path workingDirectory = mappedKv ? Files.createTempDirectory("ffn-skip-stock-kv") : null;
            if (workingDirectory != null) config.setWorkingDirectory(workingDirectory.toFile());
            return new StockJlama(build(prepared, config, sampled), sampled, workingDirectory);
        } catch (IOException e) {
            throw new ModelLoadException("Cannot load " + dir + " with stock Jlama: " + e.getMessage(), e);
        }
    }

    /**
     * The stock model class of the architecture, built as {@code ModelSupport.loadModel} builds it but with the
     * folder's tokenizer chosen by {@link Tokenizers} (Jlama's own unless it mis-tokenizes the vocabulary).
     *
     * @param sampled receives every sampled id, or null
     */
    static AbstractModel build(ModelLoader.Prepared prepared, Config config, List<Integer> sampled) {
        Path dir = prepared.folder().path();
        Tokenizer tokenizer = Tokenizers.forFolder(dir);
        WeightLoader weights = SafeTensorSupport.loadWeights(dir.toFile());
        DType wq = prepared.workingQuantizationType();
        Optional<DType> mq = prepared.modelQuantization();
        AbstractModel.InferenceType type = AbstractModel.InferenceType.FULL_GENERATION;
        return switch (prepared.folder().architecture()) {
            case LLAMA -> new LlamaModel(type, config, weights, tokenizer, DType.F32, wq, mq) {
                @Override
                public int sample(AbstractTensor output, float temperature, float uniformSample, AbstractTensor logits) {
                    return record(sampled, super.sample(output, temperature, uniformSample, logits));
                }
            };
            case MISTRAL -> new MistralModel(type, config, weights, tokenizer, DType.F32, wq, mq) {
                @Override
                public int sample(AbstractTensor output, float temperature, float uniformSample, AbstractTensor logits) {
                    return record(sampled, super.sample(output, temperature, uniformSample, logits));
                }
            };
            case QWEN2 -> new Qwen2Model(type, config, weights, tokenizer, DType.F32, wq, mq) {
                @Override
                public int sample(AbstractTensor output, float temperature, float uniformSample, AbstractTensor logits) {
                    return record(sampled, super.sample(output, temperature, uniformSample, logits));
                }
            };
        };
    }

    private static int record(List<Integer> sampled, int token) {
        if (sampled != null) sampled.add(token);
        return token;
    }

    public AbstractModel model() {
        return model;
    }

    /**
     * Greedy stock generation of at most {@code maxNewTokens} tokens (end token included), with a fresh session.
     * Stock Jlama counts its limit over prompt plus output, so the limit passed is the prompt length plus the budget.
     */
    public Result generateGreedy(PromptContext prompt, int maxNewTokens) {
        int promptLength = model.encodePrompt(prompt).length;
        sampled.clear();
        Generator.Response response = model.generate(UUID.randomUUID(), prompt, 0f, promptLength + maxNewTokens - 1, (text, millis) -> {});
        int[] ids = sampled.stream().mapToInt(Integer::intValue).toArray();
        deletePageFiles();
        return new Result(ids, response.responseText, response.finishReason, response.promptTimeMs, response.generateTimeMs);
    }

    /** What {@link #decodeGreedy} measured ({@link System#nanoTime()}); {@code headNanos} is the part spent in {@code sample}. */
    public record Timing(long prefillNanos, long decodeNanos, long headNanos, long totalNanos, int lastToken) {}

    /**
     * Prefills {@code prompt} and runs {@code steps} greedy decode steps the way {@code AbstractModel.generate} decodes:
     * {@code batchForward} of the prompt, then per token {@code forward} and greedy {@code sample} into one logits
     * tensor. Only the KV cache differs from {@code generate}: an in-memory ephemeral buffer ({@link #newKvBuffer}),
     * which is what our {@code DecodeSession} uses too. Nothing is decoded to text.
     */
    public Timing decodeGreedy(int[] prompt, int steps) {
        long start = System.nanoTime();
        sampled.clear();
        int vocabularySize = model.getConfig().vocabularySize;
        try (KvBufferCache.KvBuffer kv = newKvBuffer(); AbstractTensor logits = model.makeDenseTensor(vocabularySize)) {
            long t0 = System.nanoTime();
            AbstractTensor last = model.batchForward(prompt, 0, kv);
            int next = model.sample(last.slice(last.shape().first() - 1), 0f, 0f, logits);
            last.close();
            long t1 = System.nanoTime();
            long head = 0;
            for (int i = 0; i < steps; i++) {
                AbstractTensor out = model.forward(next, prompt.length + i, kv, Optional.empty());
                long h = System.nanoTime();
                next = model.sample(out, 0f, 0f, logits);
                head += System.nanoTime() - h;
                out.close();
            }
            long t2 = System.nanoTime();
            return new Timing(t1 - t0, t2 - t1, head, System.nanoTime() - start, next);
        }
    }

    /** An in-memory KV buffer as Jlama's own cache hands out ({@code KvBufferCache} is public API). Close it. */
    public KvBufferCache.KvBuffer newKvBuffer() {
        return new KvBufferCache(model).getEphemeralKvBuffer();
    }

    /**
     * Stock Jlama's decoder layer {@code layer}, for benchmarking one layer against ours. Jlama keeps its blocks in the
     * protected {@code AbstractModel.transformerBlocks} with no accessor, so this reads the field reflectively: the
     * project's one reflective access to Jlama, kept here so a Jlama upgrade that renames it breaks one place.
     */
    public TransformerBlock transformerBlock(int layer) {
        try {
            Field f = AbstractModel.class.getDeclaredField("transformerBlocks");
            f.setAccessible(true);
            return ((TransformerBlock[]) f.get(model))[layer];
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot reach Jlama's transformer blocks (AbstractModel.transformerBlocks): " + e, e);
        }
    }

    private void deletePageFiles() {
        if (workingDirectory == null) return;
        try (Stream<Path> files = Files.list(workingDirectory)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        model.close();
        if (workingDirectory == null) return;
        try (Stream<Path> walk = Files.walk(workingDirectory)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
