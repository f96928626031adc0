package dev.ffnskip.jlama.gate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.load.ModelFingerprint;
import dev.ffnskip.jlama.load.ModelFolder;
import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calibrations follow the weights (fingerprint) and the precision, never the folder name. */
class CalibrationRegistryTest {
    @TempDir
    Path tmp;

    private Path copyOf(Path dir, String name) throws IOException {
        Path target = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) Files.copy(f, target.resolve(f.getFileName()));
        }
        return target;
    }

    @Test
    void aRenamedCopyKeepsItsCalibrationAndChangedWeightsLoseIt() throws IOException {
        ModelFingerprint original = ModelFingerprint.of(ModelFolder.open(SharedAssets.stories()));
        Path renamed = copyOf(SharedAssets.stories(), "my-renamed-model");
        assertThat(ModelFingerprint.of(ModelFolder.open(renamed))).isEqualTo(original);

        Calibration c = new Calibration("stories260K", original, "F32/F32", new FixedLayerSkip(java.util.Set.of(2), 0), null, null, "test");
        Path dir = tmp.resolve("policies");
        Path stored = CalibrationRegistry.store(c, dir);
        assertThat(CalibrationRegistry.read(stored)).isEqualTo(c);
        CalibrationRegistry registry = CalibrationRegistry.of(List.of(CalibrationRegistry.read(stored)));
        assertThat(registry.choose(ModelFingerprint.of(ModelFolder.open(renamed)), "F32/F32").policy()).isEqualTo(c.policy());
        assertThat(registry.choose(original, "Q4/I8").policy()).as("another precision is not calibrated").isSameAs(GatePolicy.DENSE);
        assertThat(registry.choose(original, "Q4/I8").reason()).contains("running dense").contains("at Q4/I8");

        // One changed weight byte in the middle of the file: another model.
        Path changed = copyOf(SharedAssets.stories(), "changed");
        Path weights = changed.resolve("model.safetensors");
        try (var ch = java.nio.channels.FileChannel.open(weights, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long at = ch.size() / 2;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5a));
            b.rewind();
            ch.write(b, at);
        }
        ModelFingerprint other = ModelFingerprint.of(ModelFolder.open(changed));
        assertThat(other).isNotEqualTo(original);
        assertThat(registry.choose(other, "F32/F32").policy()).isSameAs(GatePolicy.DENSE);
    }

    @Test
    void theShippedCalibrationsParseAndNameTheirPrecision() {
        CalibrationRegistry shipped = CalibrationRegistry.of(List.of());
        assertThat(shipped.calibrations()).isEmpty();
        CalibrationRegistry standard = CalibrationRegistry.standard();
        assertThat(standard.calibrations()).isNotEmpty().allSatisfy(c -> assertThat(c.precision()).matches("[A-Z0-9]+/[A-Z0-9]+"));
    }
}
