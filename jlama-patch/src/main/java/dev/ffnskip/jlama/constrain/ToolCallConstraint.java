package dev.ffnskip.jlama.constrain;

import dev.ffnskip.jlama.generate.TokenBytes;
import dev.ffnskip.jlama.generate.TokenConstraint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Strict tool calls: the answer is either free text or one tool call written as the JSON object
 * {@code {"name": <an offered tool's name>, "parameters": <that tool's parameter schema>}} (the call format of chat
 * templates rendered by Jlama's {@code PromptSupport}, e.g. skipbench-28m's). Which of the two is decided by the first
 * non-whitespace byte of the answer: {@code {} starts the call, which is then constrained like a
 * {@link JsonConstraint} (an {@code anyOf} over the tools, each with its name as a constant, both keys required, no
 * other keys) and may end only once complete; anything else is unconstrained text. An answer may not start with
 * {@code [} (an array would be read as unchecked calls). With {@link #required} there is no free text: the answer
 * starts with {@code {} and is a call. Immutable; build it before decoding to get {@link UnsupportedSchemaException}
 * early.
 */
public final class ToolCallConstraint implements TokenConstraint {
    /** The key of the call's tool name. */
    public static final String NAME_KEY = "name";
    /** The key of the call's arguments. */
    public static final String ARGUMENTS_KEY = "parameters";

    /**
     * One offered tool.
     *
     * @param name the tool's name, exactly as the call must write it
     * @param parameters the schema of its arguments object (definitions are private to the tool)
     */
    public record Tool(String name, SchemaDocument parameters) {
        public Tool {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(parameters, "parameters");
        }
    }

    private final JsonGrammar grammar;
    private final List<String> names;
    private final boolean required;

    private ToolCallConstraint(JsonGrammar grammar, List<String> names, boolean required) {
        this.grammar = grammar;
        this.names = names;
        this.required = required;
    }

    /**
     * @param tools the offered tools (at least one, distinct names)
     * @param required true when the answer must be a tool call (no free text)
     */
    public static ToolCallConstraint of(List<Tool> tools, boolean required) {
        if (tools.isEmpty()) throw new IllegalArgumentException("Strict tool calls need at least one tool");
        Set<String> seen = new LinkedHashSet<>();
        Map<String, SchemaNode> definitions = new LinkedHashMap<>();
        List<SchemaNode> calls = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            Tool tool = tools.get(i);
            if (!seen.add(tool.name())) throw new IllegalArgumentException("Tool name '" + tool.name() + "' is offered twice");
            // Each tool's definitions get a private prefix: two tools may both define "Person" (or refer to their own root, "#").
            String prefix = "tool" + i + ":";
            for (Map.Entry<String, SchemaNode> d : tool.parameters().definitions().entrySet()) {
                definitions.put(prefix + d.getKey(), prefixed(d.getValue(), prefix));
            }
            Map<String, SchemaNode> properties = new LinkedHashMap<>();
            properties.put(NAME_KEY, SchemaNode.EnumNode.ofStrings(List.of(tool.name())));
            properties.put(ARGUMENTS_KEY, prefixed(tool.parameters().root(), prefix));
            calls.add(new SchemaNode.ObjectNode(properties, properties.keySet(), null));
        }
        SchemaNode root = calls.size() == 1 ? calls.get(0) : new SchemaNode.AnyOfNode(calls);
        return new ToolCallConstraint(JsonGrammar.compile(new SchemaDocument(root, definitions)), List.copyOf(seen), required);
    }

    /** {@code node} with every reference renamed into the tool's private namespace. */
    private static SchemaNode prefixed(SchemaNode node, String prefix) {
        return switch (node) {
            case SchemaNode.RefNode r -> new SchemaNode.RefNode(prefix + r.name());
            case SchemaNode.ObjectNode o -> {
                Map<String, SchemaNode> properties = new LinkedHashMap<>();
                o.properties().forEach((k, v) -> properties.put(k, prefixed(v, prefix)));
                yield new SchemaNode.ObjectNode(properties, o.required(), o.additionalProperties() == null ? null : prefixed(o.additionalProperties(), prefix));
            }
            case SchemaNode.ArrayNode a -> new SchemaNode.ArrayNode(prefixed(a.items(), prefix));
            case SchemaNode.AnyOfNode a -> new SchemaNode.AnyOfNode(a.alternatives().stream().map(alt -> prefixed(alt, prefix)).toList());
            default -> node; // leaves hold no references
        };
    }

    /** The offered tools' names, in order. */
    public List<String> toolNames() {
        return names;
    }

    public boolean required() {
        return required;
    }

    /** The grammar of one call (an {@code anyOf} over the tools). */
    public JsonGrammar grammar() {
        return grammar;
    }

    @Override
    public State start(TokenBytes tokens, Set<Integer> endTokens, int vocabularySize) {
        // The anyOf's alternatives all start with '{': each needs its own parse stack until the name tells them apart.
        int stacks = JsonTokenMask.STACKS + names.size();
        JsonTokenMask call = new JsonTokenMask(grammar, tokens, endTokens, vocabularySize, stacks);
        return new ToolCallMask(call, grammar, tokens, vocabularySize, stacks, required);
    }

    @Override
    public String kind() {
        return required ? "tools_required" : "tools";
    }
}
