package dev.ffnskip.jlama.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.WeightLoader;
import dev.ffnskip.testing.SharedAssets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The layer table reads every tensor a real model stores for a layer, and nothing else. */
class LayerWeightsTest {
    @Test
    void theTableCoversEveryTensorOfEveryLayer() throws Exception {
        for (Path dir : new Path[] {SharedAssets.skipbench(), SharedAssets.stories()}) {
            try (WeightLoader weights = SafeTensorSupport.loadWeights(dir.toFile())) {
                for (int layer = 0; layer < 2; layer++) {
                    String prefix = "model.layers." + layer + ".";
                    Set<String> stored = weights.tensorInfoMap().keySet().stream().filter(n -> n.startsWith(prefix))
                        .map(n -> n.substring(prefix.length())).collect(Collectors.toCollection(TreeSet::new));
                    LayerWeights w = LayerWeights.load(weights, null, layer, DType.F32);
                    Set<String> read = Arrays.stream(LayerWeights.Tensor.values()).filter(t -> w.optional(t).isPresent())
                        .map(t -> t.suffix).collect(Collectors.toCollection(TreeSet::new));
                    assertThat(read).as("%s layer %d", dir.getFileName(), layer).isEqualTo(stored);
                    assertThat(w.get(LayerWeights.Tensor.FFN_GATE).shape().first()).isEqualTo(w.get(LayerWeights.Tensor.FFN_UP).shape().first());
                }
            }
        }
    }
}
