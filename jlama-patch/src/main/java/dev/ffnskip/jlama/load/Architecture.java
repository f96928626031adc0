package dev.ffnskip.jlama.load;

import com.github.tjake.jlama.model.llama.LlamaConfig;
import com.github.tjake.jlama.model.mistral.MistralConfig;
import com.github.tjake.jlama.model.qwen2.Qwen2Config;
import com.github.tjake.jlama.safetensors.Config;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The Hugging Face {@code model_type}s whose decoder layers the gated block implements (Jlama's Llama layout). */
public enum Architecture {
    LLAMA("llama", LlamaConfig.class),
    MISTRAL("mistral", MistralConfig.class),
    QWEN2("qwen2", Qwen2Config.class);

    private final String modelType;
    private final Class<? extends Config> configClass;

    Architecture(String modelType, Class<? extends Config> configClass) {
        this.modelType = modelType;
        this.configClass = configClass;
    }

    public String modelType() {
        return modelType;
    }

    public Class<? extends Config> configClass() {
        return configClass;
    }

    public static Optional<Architecture> fromModelType(String modelType) {
        String wanted = modelType.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(a -> a.modelType.equals(wanted)).findFirst();
    }

    public static String supportedList() {
        return String.join(", ", Arrays.stream(values()).map(Architecture::modelType).toList());
    }
}
