package dev.ffnskip.eval.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process-wide memory figures from {@code /proc/self/status} and the load average; NaN where unavailable. */
public final class ProcStatus {
    private ProcStatus() {}

    /** Peak resident set size of this process (VmHWM), in MiB. Process-wide: every model loaded so far counts. */
    public static double peakRssMb() {
        return field("VmHWM");
    }

    /** Current resident set size (VmRSS), in MiB. */
    public static double rssMb() {
        return field("VmRSS");
    }

    private static double field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name + ":")) {
                    String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0; // kB
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return Double.NaN;
    }

    /** The 1, 5 and 15 minute load averages, or an empty array. */
    public static double[] loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] { Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Double.parseDouble(parts[2]) };
        } catch (IOException | RuntimeException e) {
            return new double[0];
        }
    }
}
