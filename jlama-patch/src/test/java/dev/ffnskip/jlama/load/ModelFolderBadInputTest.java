package dev.ffnskip.jlama.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken model folders fail before Jlama sees them, with a message naming the file and the problem. */
class ModelFolderBadInputTest {
    @TempDir
    Path tmp;

    /** A copy of skipbench-28m made of symlinks, so single files can be replaced. */
    private Path linkedCopy() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        try (Stream<Path> files = Files.list(SharedAssets.skipbench())) {
            for (Path f : files.toList()) Files.createSymbolicLink(dir.resolve(f.getFileName()), f);
        }
        return dir;
    }

    private static void replace(Path dir, String name, String content) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
        Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Test
    void validFolderOpens() {
        ModelFolder folder = ModelFolder.open(SharedAssets.skipbench());
        assertThat(folder.architecture()).isEqualTo(Architecture.LLAMA);
        assertThat(folder.numberOfLayers()).isEqualTo(16);
        assertThat(folder.weightType()).isEqualTo("BF16");
    }

    @Test
    void missingFolder() {
        assertThatThrownBy(() -> ModelFolder.open(tmp.resolve("nope")))
            .isInstanceOf(ModelLoadException.class)
            .hasMessageContaining("Model folder does not exist")
            .hasMessageContaining("nope");
    }

    @Test
    void emptyFolder() {
        assertThatThrownBy(() -> ModelFolder.open(tmp)).hasMessageContaining("has no config.json");
    }

    @Test
    void pathIsAFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("x.txt"), "hi");
        assertThatThrownBy(() -> ModelFolder.open(file)).hasMessageContaining("not a folder");
    }

    @Test
    void missingTokenizer() throws IOException {
        Path dir = linkedCopy();
        Files.delete(dir.resolve("tokenizer.json"));
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("has no tokenizer.json");
    }

    @Test
    void malformedTokenizer() throws IOException {
        Path dir = linkedCopy();
        replace(dir, "tokenizer.json", "{\"model\": ");
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("Malformed JSON").hasMessageContaining("tokenizer.json");
    }

    @Test
    void malformedConfig() throws IOException {
        Path dir = linkedCopy();
        replace(dir, "config.json", "{ not json");
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("Malformed JSON").hasMessageContaining("config.json");
    }

    @Test
    void configMissingAField() throws IOException {
        Path dir = linkedCopy();
        String config = Files.readString(SharedAssets.skipbench().resolve("config.json")).replace("\"num_hidden_layers\": 16,", "");
        replace(dir, "config.json", config);
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("lacks the numeric field num_hidden_layers");
    }

    @Test
    void unsupportedArchitecture() throws IOException {
        Path dir = linkedCopy();
        String config = Files.readString(SharedAssets.skipbench().resolve("config.json")).replace("\"model_type\": \"llama\"", "\"model_type\": \"gpt2\"");
        replace(dir, "config.json", config);
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("Unsupported architecture 'gpt2'").hasMessageContaining("llama, mistral, qwen2");
    }

    @Test
    void configThatDisagreesWithTheWeights() throws IOException {
        Path dir = linkedCopy();
        String config = Files.readString(SharedAssets.skipbench().resolve("config.json")).replace("\"intermediate_size\": 1024", "\"intermediate_size\": 2048");
        replace(dir, "config.json", config);
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("mlp.gate_proj.weight").hasMessageContaining("config.json implies");
    }

    @Test
    void missingWeights() throws IOException {
        Path dir = linkedCopy();
        Files.delete(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("has no weights");
    }

    @Test
    void corruptSafetensorsHeader() throws IOException {
        Path dir = linkedCopy();
        Files.delete(dir.resolve("model.safetensors"));
        ByteBuffer bytes = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(40).put("{\"model.embed_tokens.weight\": {\"dty".getBytes(StandardCharsets.US_ASCII));
        Files.write(dir.resolve("model.safetensors"), bytes.array());
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("Corrupt safetensors file").hasMessageContaining("not valid JSON");
    }

    @Test
    void impossibleHeaderLength() throws IOException {
        Path dir = linkedCopy();
        Files.delete(dir.resolve("model.safetensors"));
        Files.write(dir.resolve("model.safetensors"), ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("header length").hasMessageContaining("impossible");
    }

    @Test
    void truncatedSafetensors() throws IOException {
        Path dir = linkedCopy();
        Files.delete(dir.resolve("model.safetensors"));
        try (InputStream in = Files.newInputStream(SharedAssets.skipbench().resolve("model.safetensors"));
             OutputStream out = Files.newOutputStream(dir.resolve("model.safetensors"))) {
            out.write(in.readNBytes(5_000_000));
        }
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("truncated file or lying header");
    }

    @Test
    void shardIndexPointingAtAMissingShard() throws IOException {
        Path dir = linkedCopy();
        replace(dir, "model.safetensors.index.json", "{\"weight_map\": {\"model.norm.weight\": \"model-00001-of-00002.safetensors\"}}");
        assertThatThrownBy(() -> ModelFolder.open(dir)).hasMessageContaining("Shard model-00001-of-00002.safetensors").hasMessageContaining("missing");
    }
}
