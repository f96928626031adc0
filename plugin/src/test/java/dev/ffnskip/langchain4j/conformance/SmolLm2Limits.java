package dev.ffnskip.langchain4j.conformance;

/**
 * Why SmolLM2-135M-Instruct cannot pass some of LangChain4j's suite tests: a small general model that answers the
 * suites' factual questions (Berlin) but not their translation and recall tasks, and whose chat template has no tool
 * format. Each is a limit of the model, not of the provider: for tools the provider's behaviour with this model (tools
 * refused with {@code UnsupportedFeatureException}) is what the chat model suites' {@code should_fail_if_tools_are_not_supported}
 * checks on it, and ToolFormatTest too; tool round trips are tested on skipbench-28m.
 */
public final class SmolLm2Limits {
    private SmolLm2Limits() {}

    public static final String NO_TRANSLATION = "model: SmolLM2-135M-Instruct does not translate 'I love you' into German "
        + "(the test expects 'liebe'; greedy, the model answers \"Ich habe die Frage 'I love you' in German.\")";
    public static final String NO_RECALL = "model: SmolLM2-135M-Instruct does not recall the favourite colour an earlier user "
        + "turn named (the test expects 'green'; the model answers \"I'm sorry for any misunderstanding, but I'm a color-sensing AI, ...\")";
    public static final String NO_TOOL_FORMAT = "model: SmolLM2-135M-Instruct's chat template (plain ChatML) has no tool format, "
        + "so the provider offers it no tools (UnsupportedFeatureException, checked by should_fail_if_tools_are_not_supported in "
        + "SmolLm2ChatModelIT and by ToolFormatTest); this test needs the model to call a tool";
}
