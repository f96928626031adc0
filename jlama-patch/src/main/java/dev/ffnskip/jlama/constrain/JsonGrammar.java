package dev.ffnskip.jlama.constrain;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link SchemaDocument} compiled into numbered grammar nodes for the byte-level {@link JsonRecognizer}: references
 * resolved to node ids (so recursive types are cycles in the node graph), objects' keys and enums' literals in byte
 * tries, and for every {@code anyOf} a table from first byte to the one alternative it can start (or "several"), so
 * alternatives distinguishable by their first byte never fork the parse. Immutable and shareable across generations.
 */
public final class JsonGrammar {
    static final int OBJECT = 0, MAP = 1, ARRAY = 2, STRING = 3, INTEGER = 4, NUMBER = 5, LITERAL = 6, ANYOF = 7;
    static final int NONE = -1, SEVERAL = -2;

    final int[] kind;
    /** OBJECT: property value nodes in key order; MAP: {value}; ARRAY: {item}; ANYOF: alternatives. */
    final int[][] children;
    /** OBJECT: its keys (JSON-escaped, closing quote included); LITERAL: its values' JSON text. */
    final ByteTrie[] trie;
    final long[] requiredMask;
    final long[] allMask;
    /** ANYOF: alternative per first byte, {@link #NONE} or {@link #SEVERAL}. */
    final int[][] dispatch;
    final int root;
    private final SchemaDocument document;

    private JsonGrammar(Builder b, int root, SchemaDocument document) {
        int n = b.kinds.size();
        this.kind = b.kinds.stream().mapToInt(Integer::intValue).toArray();
        this.children = b.children.toArray(new int[0][]);
        this.trie = b.tries.toArray(new ByteTrie[0]);
        this.requiredMask = b.required.stream().mapToLong(Long::longValue).toArray();
        this.allMask = b.all.stream().mapToLong(Long::longValue).toArray();
        this.root = root;
        this.document = document;
        rejectLeftRecursion(n);
        boolean[][] first = firstBytes(n);
        this.dispatch = new int[n][];
        for (int id = 0; id < n; id++) {
            if (kind[id] != ANYOF) continue;
            int[] table = new int[256];
            for (int c = 0; c < 256; c++) {
                int found = NONE;
                for (int alt : children[id]) {
                    if (!first[alt][c]) continue;
                    found = found == NONE ? alt : SEVERAL;
                }
                table[c] = found;
            }
            dispatch[id] = table;
        }
    }

    /** Compiles a schema; throws {@link UnsupportedSchemaException} for references that cannot be resolved or recurse without consuming input. */
    public static JsonGrammar compile(SchemaDocument document) {
        Builder b = new Builder(document);
        int root = b.compile(document.root(), "");
        return new JsonGrammar(b, root, document);
    }

    /** JSON mode: any JSON object. */
    public static JsonGrammar anyObject() {
        return compile(SchemaDocument.anyObject());
    }

    public SchemaDocument document() {
        return document;
    }

    int nodeCount() {
        return kind.length;
    }

    private void rejectLeftRecursion(int n) {
        for (int id = 0; id < n; id++) {
            if (kind[id] == ANYOF && reaches(id, id, new HashSet<>())) {
                throw new UnsupportedSchemaException("anyOf", "an anyOf alternative refers back to the anyOf itself without an enclosing object or array");
            }
        }
    }

    private boolean reaches(int from, int target, Set<Integer> seen) {
        for (int alt : children[from]) {
            if (alt == target) return true;
            if (kind[alt] == ANYOF && seen.add(alt) && reaches(alt, target, seen)) return true;
        }
        return false;
    }

    private boolean[][] firstBytes(int n) {
        boolean[][] first = new boolean[n][256];
        for (int id = 0; id < n; id++) {
            switch (kind[id]) {
                case OBJECT, MAP -> first[id]['{'] = true;
                case ARRAY -> first[id]['['] = true;
                case STRING -> first[id]['"'] = true;
                case INTEGER, NUMBER -> {
                    first[id]['-'] = true;
                    for (int c = '0'; c <= '9'; c++) first[id][c] = true;
                }
                case LITERAL -> {
                    for (byte c : trie[id].firstBytes()) first[id][c & 0xFF] = true;
                }
                default -> {}
            }
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int id = 0; id < n; id++) {
                if (kind[id] != ANYOF) continue;
                for (int alt : children[id]) {
                    for (int c = 0; c < 256; c++) {
                        if (first[alt][c] && !first[id][c]) {
                            first[id][c] = true;
                            changed = true;
                        }
                    }
                }
            }
        }
        return first;
    }

    private static final class Builder {
        final List<Integer> kinds = new ArrayList<>();
        final List<int[]> children = new ArrayList<>();
        final List<ByteTrie> tries = new ArrayList<>();
        final List<Long> required = new ArrayList<>();
        final List<Long> all = new ArrayList<>();
        final Map<String, Integer> refs = new HashMap<>();
        final Set<String> filling = new HashSet<>();
        final SchemaDocument document;
        int any = -1;

        Builder(SchemaDocument document) {
            this.document = document;
        }

        int alloc(int k) {
            kinds.add(k);
            children.add(new int[0]);
            tries.add(null);
            required.add(0L);
            all.add(0L);
            return kinds.size() - 1;
        }

        int compile(SchemaNode node, String path) {
            return switch (node) {
                case SchemaNode.RefNode r -> resolve(r.name(), path);
                case SchemaNode.AnyNode a -> any();
                default -> {
                    int id = alloc(-1);
                    fill(id, node, path);
                    yield id;
                }
            };
        }

        int any() {
            if (any >= 0) return any;
            any = alloc(ANYOF);
            int map = alloc(MAP);
            children.set(map, new int[] { any });
            int array = alloc(ARRAY);
            children.set(array, new int[] { any });
            int string = alloc(STRING);
            int number = alloc(NUMBER);
            int literal = alloc(LITERAL);
            tries.set(literal, literals(List.of("true", "false", "null")));
            children.set(any, new int[] { map, array, string, number, literal });
            return any;
        }

        int resolve(String name, String path) {
            Integer known = refs.get(name);
            if (known != null) return known;
            SchemaNode target = document.definitions().get(name);
            if (target == null) throw new UnsupportedSchemaException("$ref", path, "reference '" + name + "' names no definition");
            if (!filling.add(name)) throw new UnsupportedSchemaException("$ref", path, "reference '" + name + "' is an alias cycle");
            try {
                if (target instanceof SchemaNode.RefNode || target instanceof SchemaNode.AnyNode) {
                    int id = compile(target, path);
                    refs.put(name, id);
                    return id;
                }
                int id = alloc(-1);
                refs.put(name, id);
                fill(id, target, path);
                return id;
            } finally {
                filling.remove(name);
            }
        }

        void fill(int id, SchemaNode node, String path) {
            switch (node) {
                case SchemaNode.ObjectNode o -> {
                    if (o.properties().isEmpty() && o.additionalProperties() != null) {
                        kinds.set(id, MAP);
                        children.set(id, new int[] { compile(o.additionalProperties(), path + "/additionalProperties") });
                        return;
                    }
                    kinds.set(id, OBJECT);
                    List<byte[]> keys = new ArrayList<>();
                    int[] values = new int[o.properties().size()];
                    long req = 0;
                    int i = 0;
                    for (Map.Entry<String, SchemaNode> e : o.properties().entrySet()) {
                        String quoted = JsonText.quote(e.getKey());
                        keys.add(quoted.substring(1).getBytes(StandardCharsets.UTF_8)); // opening quote read by the object
                        if (o.required().contains(e.getKey())) req |= 1L << i;
                        values[i++] = compile(e.getValue(), path + "/properties/" + e.getKey());
                    }
                    children.set(id, values);
                    tries.set(id, new ByteTrie(keys));
                    required.set(id, req);
                    all.set(id, values.length == 64 ? -1L : (1L << values.length) - 1);
                }
                case SchemaNode.ArrayNode a -> {
                    kinds.set(id, ARRAY);
                    children.set(id, new int[] { compile(a.items(), path + "/items") });
                }
                case SchemaNode.StringNode s -> kinds.set(id, STRING);
                case SchemaNode.IntegerNode s -> kinds.set(id, INTEGER);
                case SchemaNode.NumberNode s -> kinds.set(id, NUMBER);
                case SchemaNode.BooleanNode s -> literal(id, List.of("true", "false"));
                case SchemaNode.NullNode s -> literal(id, List.of("null"));
                case SchemaNode.EnumNode e -> literal(id, e.jsonValues());
                case SchemaNode.AnyOfNode a -> {
                    kinds.set(id, ANYOF);
                    int[] alts = new int[a.alternatives().size()];
                    for (int i = 0; i < alts.length; i++) alts[i] = compile(a.alternatives().get(i), path + "/anyOf/" + i);
                    children.set(id, alts);
                }
                case SchemaNode.RefNode r -> throw new IllegalStateException("references are resolved by compile");
                case SchemaNode.AnyNode r -> throw new IllegalStateException("any is compiled by compile");
            }
        }

        void literal(int id, List<String> values) {
            kinds.set(id, LITERAL);
            tries.set(id, literals(values));
        }

        static ByteTrie literals(List<String> values) {
            List<byte[]> bytes = new ArrayList<>();
            for (String v : values) bytes.add(v.getBytes(StandardCharsets.UTF_8));
            return new ByteTrie(bytes);
        }
    }
}
