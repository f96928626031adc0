package dev.ffnskip.eval.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;

/** How a run names the command that produced it, and its one-line console summary. */
public final class CommandText {
    private CommandText() {}

    public static String of(CommandSpec spec) {
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        // originalArgs are the whole command line's arguments, the subcommand name included
        return "java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar eval/target/ffn-skip-eval.jar "
            + args.stream().map(CommandText::quote).collect(Collectors.joining(" "));
    }

    private static String quote(String a) {
        return a.matches("[A-Za-z0-9_./=:,+-]+") ? a : "'" + a.replace("'", "'\\''") + "'";
    }

    public static String oneLine(JsonNode s) {
        StringBuilder b = new StringBuilder();
        b.append(s.path("task").asText()).append(' ').append(s.path("mode").asText());
        b.append(String.format(Locale.ROOT, " n=%d skip=%.4f tok/s=%.1f", s.path("n").asInt(), s.path("realized_skip_ratio").asDouble(), s.path("tokens_per_s").asDouble()));
        for (String m : List.of("exact_match", "token_f1", "rouge_l", "call_exact", "answer_exact", "exact_vs_dense", "matched_prefix", "rouge_l_vs_dense", "perplexity", "output_tokens")) {
            if (s.has(m)) b.append(String.format(Locale.ROOT, " %s=%.4f", m, s.get(m).asDouble()));
        }
        JsonNode a = s.get("agreement");
        if (a != null) b.append(String.format(Locale.ROOT, " agreement=%.4f identical=%.4f", a.path("token_agreement").asDouble(), a.path("identical_fraction").asDouble()));
        return b.toString();
    }
}
