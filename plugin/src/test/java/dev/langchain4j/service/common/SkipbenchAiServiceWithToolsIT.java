package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.ffnskip.langchain4j.conformance.SkipbenchLimits;
import dev.langchain4j.model.chat.ChatModel;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link FfnSkipAiServiceWithToolsIT} on skipbench-28m. The suite's tools are its own ({@code process},
 * {@code currentTime}, {@code add(arg0, arg1)}, ...), none of them the 9 tools this model was trained to call, so
 * only the tests that need no tool call by the model run; tool round trips on the trained tools are tested by the
 * plugin's ToolsTest.
 */
class SkipbenchAiServiceWithToolsIT extends FfnSkipAiServiceWithToolsIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SKIPBENCH_28M;
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_ARG0_ARG1)
    void should_execute_tool_with_primitive_parameters(ChatModel model) {
        super.should_execute_tool_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "process(Person)")
    protected void should_execute_tool_with_pojo_with_primitives(ChatModel model) {
        super.should_execute_tool_with_pojo_with_primitives(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "process(Person with an Address)")
    protected void should_execute_tool_with_pojo_with_nested_pojo(ChatModel model) {
        super.should_execute_tool_with_pojo_with_nested_pojo(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "currentTime")
    void should_execute_tool_without_parameters(ChatModel model) {
        super.should_execute_tool_without_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "currentTemperature")
    protected void should_execute_tool_with_enum_parameter(ChatModel model) {
        super.should_execute_tool_with_enum_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("modelsSupportingMapParametersInTools")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "process(Map)")
    void should_execute_tool_with_map_parameter(ChatModel model) {
        super.should_execute_tool_with_map_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "processNames")
    protected void should_execute_tool_with_list_of_strings_parameter(ChatModel model) {
        super.should_execute_tool_with_list_of_strings_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "process(Set of colours)")
    void should_execute_tool_with_set_of_enums_parameter(ChatModel model) {
        super.should_execute_tool_with_set_of_enums_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "processNumbers")
    protected void should_execute_tool_with_collection_of_integers_parameter(ChatModel model) {
        super.should_execute_tool_with_collection_of_integers_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "process(List of Person)")
    protected void should_execute_tool_with_list_of_POJOs_parameter(ChatModel model) {
        super.should_execute_tool_with_list_of_POJOs_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "getUsernameFromId")
    protected void should_execute_tool_with_uuid_parameter(ChatModel model) {
        super.should_execute_tool_with_uuid_parameter(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_AS_TEXT)
    protected void should_execute_normal_tool_with_primitive_parameters(ChatModel model) {
        super.should_execute_normal_tool_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_AS_TEXT)
    protected void should_execute_immediate_tool_with_primitive_parameters(ChatModel model) {
        super.should_execute_immediate_tool_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_AS_TEXT)
    protected void should_execute_normal_tool_in_parallel_with_primitive_parameters(ChatModel model) {
        super.should_execute_normal_tool_in_parallel_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_AS_TEXT)
    protected void should_execute_immediate_tool_in_parallel_with_primitive_parameters(ChatModel model) {
        super.should_execute_immediate_tool_in_parallel_with_primitive_parameters(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_AS_TEXT)
    protected void should_return_to_LLM(ChatModel model) {
        super.should_return_to_LLM(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_AS_TEXT)
    protected void should_return_immediately_from_first_tool_when_not_called_in_parallel(ChatModel model) {
        super.should_return_immediately_from_first_tool_when_not_called_in_parallel(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_ARG0_ARG1)
    protected void should_keep_memory_consistent_using_return_immediate(ChatModel model) {
        super.should_keep_memory_consistent_using_return_immediate(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.ADD_AS_TEXT)
    protected void should_throw_using_immediate_tool_on_service_not_returning_Result(ChatModel model) {
        super.should_throw_using_immediate_tool_on_service_not_returning_Result(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "modify")
    protected void should_allow_empty_tool_result(ChatModel model) {
        super.should_allow_empty_tool_result(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "modify")
    protected void should_allow_blank_tool_result(ChatModel model) {
        super.should_allow_blank_tool_result(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SkipbenchLimits.UNTRAINED_TOOL + "takePhoto (the refusal of non-text tool results it checks is tested by BadInputTest)")
    void should_fail_when_tool_returns_image_and_provider_does_not_support_it(ChatModel model) {
        super.should_fail_when_tool_returns_image_and_provider_does_not_support_it(model);
    }
}
