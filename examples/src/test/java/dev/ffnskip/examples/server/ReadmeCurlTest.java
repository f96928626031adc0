package dev.ffnskip.examples.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The curl commands of README's RAG backend section, run as written against a live server. */
class ReadmeCurlTest {
    @TempDir
    Path tmp;

    static String readmeCurlBlock() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("<!-- curl-examples:start -->");
        int end = readme.indexOf("<!-- curl-examples:end -->");
        assertThat(start).as("README has the curl examples block").isNotNegative();
        String block = readme.substring(start, end);
        return block.substring(block.indexOf("```bash") + 7, block.lastIndexOf("```"));
    }

    @Test
    void readmeCurlCommandsWork() throws Exception {
        var model = TestModels.skipbench();
        DocumentStore store = new DocumentStore(tmp.resolve("docs.json"), new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40));
        try (OpenAiServer server = new OpenAiServer(
            new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 1 << 20, 5),
            FfnSkipChatModel.builder().model(model).temperature(0.0).build(),
            FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build(),
            store
        ).start()) {
            Path script = Files.writeString(tmp.resolve("curl.sh"), "set -euo pipefail\n" + readmeCurlBlock());
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
            pb.environment().put("BASE", "http://127.0.0.1:" + server.port());
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as(output).isZero();
            assertThat(output)
                .contains("\"id\":\"skipbench-28m\"")
                .contains("\"content\":\"Fe\"")
                .contains("data: [DONE]")
                .contains("\"total_documents\":1")
                .contains("\"answer\":\"Dora Pemberton\"")
                .contains("\"document_id\":\"quill\"");
        }
    }
}
