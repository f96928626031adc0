package dev.langchain4j.service.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.langchain4j.data.image.Image;
import dev.langchain4j.model.chat.ChatModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;

/**
 * LangChain4j's {@link AbstractAiServiceWithToolsIT} on {@code FfnSkipChatModel}; one subclass per
 * {@link ConformanceModel}. Tool results that are not text (images) are refused, so the suite's multimodal switch is
 * off and its "fails when a tool returns an image" test runs, on a local image (no network).
 */
public abstract class FfnSkipAiServiceWithToolsIT extends AbstractAiServiceWithToolsIT {
    private ChatModel model;

    protected abstract ConformanceModel conformanceModel();

    @Override
    protected List<ChatModel> models() {
        if (model == null) model = conformanceModel().chatModel().build();
        return List.of(model);
    }

    @Override
    protected boolean supportsMultimodalToolResults() {
        return false;
    }

    /** The suite's cat photo comes from the web; this one is the LangChain4j test jar's. */
    @Override
    protected Image catImage() {
        try (InputStream in = AbstractAiServiceWithToolsIT.class.getResourceAsStream("/images/cat.jpg")) {
            if (in == null) throw new IllegalStateException("/images/cat.jpg is not on the test class path (langchain4j-core tests jar)");
            return Image.builder().base64Data(Base64.getEncoder().encodeToString(in.readAllBytes())).mimeType("image/jpeg").build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
