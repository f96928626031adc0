package dev.ffnskip.eval.bench.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import dev.ffnskip.jlama.constrain.JsonConstraint;
import dev.ffnskip.jlama.generate.TokenBytes;
import dev.ffnskip.jlama.generate.TokenConstraint;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoader;
import dev.ffnskip.jlama.load.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Structured output's per-decode-step cost: one JSON-schema token mask ({@code TokenConstraint.State.allowedNext})
 * over a real vocabulary, averaged over every position of a nested document (objects three deep, an array, an enum,
 * numbers, a nullable field), so string contents (where nearly every token is allowed and the trie walk is longest)
 * and structural positions (where almost nothing is) both count as they do in decoding. Vocabularies:
 * {@code skipbench} (skipbench-28m, 8,192 tokens) and {@code smollm2} (SmolLM2-135M-Instruct, 49,152 tokens; its GGUF
 * file is converted once into the cache).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp eval/target/ffn-skip-eval.jar \
 *     org.openjdk.jmh.Main JsonMaskBenchmark -f 1 -wi 3 -i 5 -r 1s -prof gc
 * </pre>
 *
 * {@code gc.alloc.rate.norm} is ~0 B/op: mask computation allocates nothing in steady state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED" })
public class JsonMaskBenchmark {
    static final String SCHEMA = """
        {"type":"object","properties":{
          "person":{"type":"object","properties":{"name":{"type":"string"},"address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"integer"}},"required":["city","zip"],"additionalProperties":false}},"required":["name","address"],"additionalProperties":false},
          "tags":{"type":"array","items":{"type":"string"}},
          "color":{"enum":["RED","GREEN","BLUE"]},
          "score":{"type":"number"},
          "nickname":{"type":["string","null"]}},
         "required":["person","tags","color","score","nickname"],"additionalProperties":false}""";
    static final String DOCUMENT = "{\"person\": {\"name\": \"Ada Lovelace\", \"address\": {\"city\": \"London\", \"zip\": 12345}}, "
        + "\"tags\": [\"mathematician\", \"writer\"], \"color\": \"BLUE\", \"score\": 36.5, \"nickname\": null}";

    /** {@code skipbench} (8,192 tokens) or {@code smollm2} (49,152 tokens). */
    @Param({ "skipbench", "smollm2" })
    String vocabulary;

    private TokenConstraint.State[] positions;
    private long[] allowed;
    private int next;

    @Setup
    public void setUp() throws Exception {
        Path shared = Path.of(System.getProperty("ffnskip.shared.dir", "../shared"));
        Path folder = vocabulary.equals("skipbench")
            ? shared.resolve("models/skipbench-28m")
            : ModelLoader.prepare(shared.resolve("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"), LoadOptions.defaults()).folder().path();
        TokenBytes bytes = TokenBytes.load(folder.resolve("tokenizer.json"));
        int size = new ObjectMapper().readTree(folder.resolve("config.json").toFile()).get("vocab_size").asInt();
        Tokenizer tokenizer = Tokenizers.forFolder(folder);
        long[] ids = tokenizer.encode(DOCUMENT);
        JsonConstraint constraint = JsonConstraint.schema(SCHEMA);
        Set<Integer> end = Set.of(tokenizer.getModel().eosToken() == null ? 0 : tokenizer.getModel().vocabLookup.get(tokenizer.getModel().eosToken()).intValue());
        List<TokenConstraint.State> states = new ArrayList<>();
        for (int k = 0; k < ids.length; k++) {
            TokenConstraint.State s = constraint.start(bytes, end, size);
            for (int j = 0; j < k; j++) s.accept((int) ids[j]);
            states.add(s);
        }
        positions = states.toArray(new TokenConstraint.State[0]);
        allowed = new long[(size + 63) / 64];
        System.out.printf("%n%s: %d tokens in the vocabulary, %d mask positions (the document's tokens)%n", vocabulary, size, positions.length);
    }

    /** One decode step's mask, cycling through the document's positions. */
    @Benchmark
    public long mask() {
        TokenConstraint.State s = positions[next];
        next = next + 1 == positions.length ? 0 : next + 1;
        s.allowedNext(allowed);
        return allowed[0] ^ allowed[allowed.length - 1];
    }
}
