package dev.ffnskip.jlama.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ffnskip.jlama.load.ModelFingerprint;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The calibrated gate policies a model can get by default, matched by the fingerprint of its weights and the
 * precision it runs at, never by file or folder name.
 *
 * <p>Two sources: the calibrations shipped in this jar ({@code dev/ffnskip/jlama/policies/*.json}, listed in
 * {@code index.txt}) and the JSON files in a directory ({@link #userDirectory()}, where {@code eval calibrate}
 * stores what it finds). A later source wins over an earlier one for the same fingerprint and precision. A model with
 * no calibration runs dense: skipping is never guessed.
 */
public final class CalibrationRegistry {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String RESOURCE_DIR = "/dev/ffnskip/jlama/policies/";

    private final List<Calibration> calibrations;

    private CalibrationRegistry(List<Calibration> calibrations) {
        this.calibrations = List.copyOf(calibrations);
    }

    /** The shipped calibrations plus those in {@link #userDirectory()}. */
    public static CalibrationRegistry standard() {
        List<Calibration> all = new ArrayList<>(shipped());
        all.addAll(readDirectory(userDirectory()));
        return new CalibrationRegistry(all);
    }

    public static CalibrationRegistry of(List<Calibration> calibrations) {
        return new CalibrationRegistry(calibrations);
    }

    /**
     * Where calibrations are stored: {@code -Dffnskip.policies.dir}, else {@code FFNSKIP_POLICIES_DIR}, else
     * {@code ~/.cache/ffn-skip/policies}.
     */
    public static Path userDirectory() {
        String configured = System.getProperty("ffnskip.policies.dir", System.getenv("FFNSKIP_POLICIES_DIR"));
        return configured != null && !configured.isBlank()
            ? Path.of(configured)
            : dev.ffnskip.jlama.load.LoadOptions.defaultCacheDirectory().resolve("policies");
    }

    public List<Calibration> calibrations() {
        return calibrations;
    }

    public Optional<Calibration> find(ModelFingerprint fingerprint, String precision) {
        Calibration found = null;
        for (Calibration c : calibrations) {
            if (c.fingerprint().equals(fingerprint) && c.precision().equals(precision)) found = c;
        }
        return Optional.ofNullable(found);
    }

    /** The default gate for a model: its calibration if there is one, else dense, with the reason either way. */
    public PolicyChoice choose(ModelFingerprint fingerprint, String precision) {
        Optional<Calibration> c = find(fingerprint, precision);
        if (c.isPresent()) {
            return new PolicyChoice(
                c.get().policy(),
                c,
                "calibrated policy for these weights (" + fingerprint.shortId() + ") at " + precision + ": " + c.get().policy().describe()
            );
        }
        boolean other = calibrations.stream().anyMatch(x -> x.fingerprint().equals(fingerprint));
        return new PolicyChoice(
            GatePolicy.DENSE,
            Optional.empty(),
            "no calibrated skip policy for these weights (" + fingerprint.shortId() + ")" + (other ? " at " + precision : "")
                + ": running dense (calibrate with `eval calibrate`)"
        );
    }

    /** Stores {@code c} in {@code dir} atomically, as {@code <fingerprint>-<precision>.json}; returns the file. */
    public static Path store(Calibration c, Path dir) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(c.fingerprint().shortId() + "-" + c.precision().replace('/', '_') + ".json");
            Path tmp = Files.createTempFile(dir, ".calibration-", ".json");
            JSON.writeValue(tmp.toFile(), c.toJson());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot store the calibration in " + dir + ": " + e.getMessage(), e);
        }
    }

    public static Calibration read(Path file) {
        try {
            return Calibration.fromJson(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read calibration " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid calibration " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<Calibration> readDirectory(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.list(dir)) {
            List<Calibration> out = new ArrayList<>();
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().startsWith(".")).sorted().toList()) {
                out.add(read(f));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list calibrations in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static List<Calibration> shipped() {
        List<Calibration> out = new ArrayList<>();
        try (InputStream index = CalibrationRegistry.class.getResourceAsStream(RESOURCE_DIR + "index.txt")) {
            if (index == null) return out;
            for (String name : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
                if (name.isBlank() || name.startsWith("#")) continue;
                try (InputStream in = CalibrationRegistry.class.getResourceAsStream(RESOURCE_DIR + name.strip())) {
                    if (in == null) throw new IllegalStateException("shipped calibration " + name + " is listed but missing");
                    JsonNode node = JSON.readTree(in);
                    out.add(Calibration.fromJson(node));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the shipped calibrations: " + e.getMessage(), e);
        }
    }
}
