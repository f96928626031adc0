package dev.ffnskip.eval.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.eval.task.ItemResult;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-item outputs are written gzipped and read back as the dense reference; plain files of older runs still read. */
class RunRecordItemsTest {
    @TempDir
    Path tmp;

    static ItemResult item(String id, int... ids) {
        ItemResult r = new ItemResult(id, "explain");
        r.tokens.add(ids);
        r.texts.add("text of " + id);
        return r;
    }

    @Test
    void itemsAreGzippedAndReadBack() throws Exception {
        Path out = tmp.resolve("dense.json");
        RunRecord.write(new ObjectMapper().createObjectNode().put("policy", "dense"), List.of(item("a", 1, 2, 3), item("b", 7)), out);
        Path items = tmp.resolve("dense.items.jsonl.gz");
        assertThat(items).exists();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(items))) {
            assertThat(new String(in.readAllBytes())).contains("\"id\":\"a\"").contains("text of b");
        }
        assertThat(RunRecord.readTokens(out)).containsOnlyKeys("a", "b");
        assertThat(RunRecord.readTokens(out).get("a")).containsExactly(1, 2, 3);
    }

    @Test
    void plainItemsOfOlderRunsStillRead() throws Exception {
        Path out = tmp.resolve("old.json");
        Files.writeString(out, "{}");
        Files.writeString(tmp.resolve("old.items.jsonl"), "{\"id\":\"x\",\"tokens\":[[4,5],[6]]}\n");
        assertThat(RunRecord.readTokens(out).get("x")).containsExactly(4, 5, 6);
    }
}
