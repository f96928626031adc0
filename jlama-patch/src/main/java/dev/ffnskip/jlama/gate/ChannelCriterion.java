package dev.ffnskip.jlama.gate;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a {@link ChannelSkipPolicy}'s thresholds are compared with, per channel and token.
 *
 * <p>{@link #MAGNITUDE} is TEAL's rule (arXiv 2408.14690): the activation's magnitude alone. {@link #WEIGHTED} is the
 * weight-informed rule of WINA (arXiv 2505.19427): the magnitude times the L2 norm of the weight column the channel
 * multiplies (for an input channel, its column of gate and up together; for an intermediate channel, its column of
 * down), which is the size of what the channel adds to the FFN's output, so a channel with a small activation but a
 * large column is kept and one with a large activation but a negligible column is dropped.
 */
public enum ChannelCriterion {
    MAGNITUDE("magnitude"),
    WEIGHTED("weighted");

    private final String id;

    ChannelCriterion(String id) {
        this.id = id;
    }

    /** The name used in policy JSON and on command lines. */
    public String id() {
        return id;
    }

    /** Parses {@link #id()}, case-insensitively; names the accepted values otherwise. */
    public static ChannelCriterion of(String id) {
        for (ChannelCriterion c : values()) {
            if (c.id.equalsIgnoreCase(id.trim())) return c;
        }
        throw new IllegalArgumentException("unknown channel criterion \"" + id + "\" (" + Arrays.stream(values()).map(ChannelCriterion::id).collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
