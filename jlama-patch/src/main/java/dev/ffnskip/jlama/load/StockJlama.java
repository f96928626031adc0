package dev.ffnskip.jlama.load;

import com.github.tjake.jlama.model.AbstractModel;
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
import com.github.tjake.jlama.util.JsonSupport;
import dev.ffnskip.jlama.ops.TensorOperationsGuard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Unmodified Jlama, for A/B comparisons and parity tests: the stock model class of the architecture, built exactly as
 * {@code ModelSupport.loadModel} builds it, generating with the stock {@code AbstractModel.generate}.
 *
 * <p>The only addition is a recording override of {@code sample} that remembers the ids stock Jlama picked (its
 * {@code generate} returns text only); the override calls the stock method and changes nothing. Single-threaded.
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

    public static StockJlama load(ModelLoader.Prepared prepared) {
        TensorOperationsGuard.ensureCorrect();
        Path dir = prepared.folder().path();
        List<Integer> sampled = new ArrayList<>();
        try {
            Config config = JsonSupport.om.readValue(dir.resolve(ModelFolder.CONFIG).toFile(), prepared.folder().architecture().configClass());
            // Stock generate keeps its KV cache in memory-mapped files under the working directory; use a private one we can delete.
            Path workingDirectory = Files.createTempDirectory("ffn-skip-stock-kv");
            config.setWorkingDirectory(workingDirectory.toFile());
            AbstractModel model = build(prepared, config, sampled);
            return new StockJlama(model, sampled, workingDirectory);
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

    private void deletePageFiles() {
        try (Stream<Path> files = Files.list(workingDirectory)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        model.close();
        try (Stream<Path> walk = Files.walk(workingDirectory)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
