package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.ffnskip.langchain4j.conformance.SmolLm2Limits;
import dev.langchain4j.model.chat.ChatModel;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link FfnSkipAiServiceWithToolsIT} on SmolLM2-135M-Instruct. Every test of this suite needs the model to call a tool,
 * and this model's chat template has no tool format, so each is disabled for that reason; the provider's refusal is
 * checked by the chat model suites and ToolFormatTest. (The suite has no "tools not supported" switch.)
 */
class SmolLm2AiServiceWithToolsIT extends FfnSkipAiServiceWithToolsIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SMOLLM2_135M;
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    void should_execute_tool_with_primitive_parameters(ChatModel model) {
        super.should_execute_tool_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_tool_with_pojo_with_primitives(ChatModel model) {
        super.should_execute_tool_with_pojo_with_primitives(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_tool_with_pojo_with_nested_pojo(ChatModel model) {
        super.should_execute_tool_with_pojo_with_nested_pojo(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    void should_execute_tool_without_parameters(ChatModel model) {
        super.should_execute_tool_without_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_tool_with_enum_parameter(ChatModel model) {
        super.should_execute_tool_with_enum_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingMapParametersInTools")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    void should_execute_tool_with_map_parameter(ChatModel model) {
        super.should_execute_tool_with_map_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_tool_with_list_of_strings_parameter(ChatModel model) {
        super.should_execute_tool_with_list_of_strings_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    void should_execute_tool_with_set_of_enums_parameter(ChatModel model) {
        super.should_execute_tool_with_set_of_enums_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_tool_with_collection_of_integers_parameter(ChatModel model) {
        super.should_execute_tool_with_collection_of_integers_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_tool_with_list_of_POJOs_parameter(ChatModel model) {
        super.should_execute_tool_with_list_of_POJOs_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_tool_with_uuid_parameter(ChatModel model) {
        super.should_execute_tool_with_uuid_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_normal_tool_with_primitive_parameters(ChatModel model) {
        super.should_execute_normal_tool_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_immediate_tool_with_primitive_parameters(ChatModel model) {
        super.should_execute_immediate_tool_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_normal_tool_in_parallel_with_primitive_parameters(ChatModel model) {
        super.should_execute_normal_tool_in_parallel_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_execute_immediate_tool_in_parallel_with_primitive_parameters(ChatModel model) {
        super.should_execute_immediate_tool_in_parallel_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_return_to_LLM(ChatModel model) {
        super.should_return_to_LLM(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_return_immediately_from_first_tool_when_not_called_in_parallel(ChatModel model) {
        super.should_return_immediately_from_first_tool_when_not_called_in_parallel(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_keep_memory_consistent_using_return_immediate(ChatModel model) {
        super.should_keep_memory_consistent_using_return_immediate(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_throw_using_immediate_tool_on_service_not_returning_Result(ChatModel model) {
        super.should_throw_using_immediate_tool_on_service_not_returning_Result(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_allow_empty_tool_result(ChatModel model) {
        super.should_allow_empty_tool_result(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    protected void should_allow_blank_tool_result(ChatModel model) {
        super.should_allow_blank_tool_result(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TOOL_FORMAT)
    void should_fail_when_tool_returns_image_and_provider_does_not_support_it(ChatModel model) {
        super.should_fail_when_tool_returns_image_and_provider_does_not_support_it(model);
    }
}
