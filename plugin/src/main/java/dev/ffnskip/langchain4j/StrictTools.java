package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.constrain.SchemaDocument;
import dev.ffnskip.jlama.constrain.SchemaNode;
import dev.ffnskip.jlama.constrain.ToolCallConstraint;
import dev.ffnskip.jlama.constrain.UnsupportedSchemaException;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps the offered {@link ToolSpecification}s onto jlama-patch's {@link ToolCallConstraint} ({@code strictTools}):
 * each tool's name and its {@code parameters} schema, mapped as a JSON response format's schema is
 * ({@link ResponseFormats#document}). A tool without parameters takes exactly {@code {}}. A schema construct
 * constrained decoding cannot enforce is an {@link UnsupportedFeatureException} naming the tool and the construct.
 */
final class StrictTools {
    private StrictTools() {}

    static ToolCallConstraint constraint(List<ToolSpecification> specifications, boolean required) {
        List<ToolCallConstraint.Tool> tools = new ArrayList<>();
        for (ToolSpecification spec : specifications) {
            try {
                SchemaDocument parameters = spec.parameters() == null
                    ? SchemaDocument.of(new SchemaNode.ObjectNode(Map.of(), Set.of(), null))
                    : ResponseFormats.document(spec.parameters());
                tools.add(new ToolCallConstraint.Tool(spec.name(), parameters));
            } catch (UnsupportedSchemaException e) {
                throw new UnsupportedFeatureException(
                    "strictTools: JSON schema construct '" + e.construct() + "' in the parameters of tool '" + spec.name()
                        + "' is not supported by the ffn-skip chat model's constrained decoding: " + e.getMessage()
                );
            }
        }
        try {
            return ToolCallConstraint.of(tools, required);
        } catch (UnsupportedSchemaException e) {
            throw new UnsupportedFeatureException("strictTools: JSON schema construct '" + e.construct() + "' is not supported: " + e.getMessage());
        }
    }
}
