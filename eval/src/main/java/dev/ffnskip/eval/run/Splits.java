package dev.ffnskip.eval.run;

import dev.ffnskip.eval.task.EvalItem;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The deterministic calibration / evaluation split: an item belongs to the calibration split when the 32-bit FNV-1a
 * hash of its UTF-8 {@code id} is divisible by 5 (about 20% of every file), otherwise to the evaluation split. It
 * depends only on the id, so it is stable under re-ordering, {@code --limit} and new items.
 */
public final class Splits {
    private Splits() {}

    public enum Split {
        ALL,
        CALIB,
        EVAL;

        public static Split parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "all" -> ALL;
                case "calib", "calibration" -> CALIB;
                case "eval", "evaluation", "heldout", "test" -> EVAL;
                default -> throw new IllegalArgumentException("unknown split '" + s + "', expected all, calib or eval");
            };
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static int fnv1a(String id) {
        int h = 0x811c9dc5;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        return h;
    }

    public static boolean isCalibration(String id) {
        return Integer.remainderUnsigned(fnv1a(id), 5) == 0;
    }

    /** The items of {@code split}, in file order, at most {@code limit} of them (0 or less = all). */
    public static List<EvalItem> select(List<EvalItem> items, Split split, int limit) {
        var stream = items.stream().filter(i -> switch (split) {
            case ALL -> true;
            case CALIB -> isCalibration(i.id());
            case EVAL -> !isCalibration(i.id());
        });
        if (limit > 0) stream = stream.limit(limit);
        return stream.toList();
    }
}
