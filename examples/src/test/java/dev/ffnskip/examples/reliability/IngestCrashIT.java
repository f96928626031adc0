package dev.ffnskip.examples.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.DocumentSplitter;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL during persistence loses no acknowledged document and never leaves a file that does not parse.
 *
 * <p>The store is first filled with 48 acknowledged documents (about 3 MB on disk, so that a write takes tens of
 * milliseconds). Then each of {@value #CYCLES_DOC} cycles starts {@link CrashTarget} (the real HTTP server and
 * {@code DocumentStore}, a fast fake embedding model) on the same file, checks that it lists exactly what the file
 * holds, has two clients ingest documents of 1 to about 80 segments under those 48 ids (adding and replacing), and
 * kills the process with SIGKILL: in odd cycles at a random moment 30 to 600 ms into the ingests, in even ones at a
 * random moment within the first, second or third write of the store (the target logs each write's start; the
 * write's length is estimated from the previous one). After each kill the file must parse, its embedding store must
 * hold exactly the segments its document list counts, every document acknowledged (HTTP 200) must be there, and each
 * document's segment count must be one that was sent for it (or, if none was acknowledged since, its previous one).
 * A temporary file left beside the store shows the kill landed mid-write; at least a quarter of the cycles must. The
 * run is bounded: at most 10 minutes.
 *
 * <p>The deliberately non-atomic writer ({@code -Dffnskip.documents.nonAtomicWriteForTests=true}: the file
 * truncated and rewritten in place) makes it fail, and {@link #aNonAtomicWriteIsCaught} requires that: measured on
 * 2 shared cores, it failed within the first cycles in every run (cycles 1, 2, 2 and 4: "the documents file does
 * not parse: Unexpected end-of-input"), while the
 * atomic store passed every cycle (see docs/reliability.md for the numbers of the last full run).
 */
class IngestCrashIT {
    static final int CYCLES_DOC = 50;
    static final int CYCLES = Integer.getInteger("ffnskip.crash.cycles", CYCLES_DOC);
    static final long TIME_LIMIT_MILLIS = TimeUnit.MINUTES.toMillis(10);
    static final boolean VERBOSE = Boolean.getBoolean("ffnskip.crash.verbose");
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper json = new ObjectMapper();
    static final DocumentSplitter SPLITTER = DocumentSplitters.recursive(400, 40); // the CrashTarget's

    @TempDir
    Path tmp;

    /** A running crash target: its process, URL, and one entry per store write it began (its debug log). */
    record Target(Process process, String base, BlockingQueue<Long> writes) {}

    /** The longest recent write of the store (milliseconds), from the crash target's debug log; aims the kills. */
    static final java.util.concurrent.atomic.AtomicLong writeMillis = new java.util.concurrent.atomic.AtomicLong(20);
    static final Pattern WROTE = Pattern.compile("Wrote (\\d+) bytes in (\\d+) ms");

    static Target start(Path documents, boolean nonAtomic) throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home.for.tests", System.getProperty("java.home")), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m", "-cp", classpath
        ));
        if (nonAtomic) command.add("-Dffnskip.documents.nonAtomicWriteForTests=true");
        command.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.dev.ffnskip.examples.server.DocumentStore=debug",
            CrashTarget.class.getName(), documents.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("LISTENING ")) {
                BlockingQueue<Long> writes = new LinkedBlockingQueue<>();
                Thread reader = new Thread(() -> {
                    try {
                        for (String l; (l = out.readLine()) != null; ) {
                            if (l.contains("Writing ") && l.contains(" documents to ")) writes.add(System.nanoTime());
                            Matcher m = WROTE.matcher(l);
                            if (m.find()) {
                                writeMillis.set(Math.max(1, Long.parseLong(m.group(2))));
                                if (VERBOSE) System.out.println("  crash target: " + l);
                            }
                        }
                    } catch (java.io.IOException killed) {
                        // the process is gone
                    }
                });
                reader.setDaemon(true);
                reader.start();
                return new Target(p, "http://127.0.0.1:" + line.substring(10).trim() + "/v1", writes);
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("the crash target did not start (exit " + p.waitFor() + "):\n" + seen);
    }

    /**
     * What the file may hold: every document of the last checked state (documents are never deleted) and every one
     * acknowledged since must be there; a document's segment count must be one that was sent for it since, or its
     * last checked count if no ingest of it was acknowledged since (an acknowledged ingest must not be undone).
     */
    static final class Expected {
        final Map<String, Integer> baseline = new ConcurrentHashMap<>();
        final Map<String, Set<Integer>> sent = new ConcurrentHashMap<>();
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();

        void attempt(String id, int segments) {
            sent.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(segments);
        }

        void acknowledge(String id) {
            acknowledged.add(id);
        }

        Set<Integer> allowed(String id) {
            Set<Integer> allowed = new HashSet<>(sent.getOrDefault(id, Set.of()));
            if (!acknowledged.contains(id) && baseline.containsKey(id)) allowed.add(baseline.get(id));
            return allowed;
        }

        /** After a check, the file is the new baseline. */
        void reset(Map<String, Integer> onDisk) {
            baseline.clear();
            baseline.putAll(onDisk);
            sent.clear();
            acknowledged.clear();
        }
    }

    /** Parses the file and checks it against what was acknowledged; returns its document list. */
    static Map<String, Integer> check(Path documents, Expected expected, int cycle) throws Exception {
        Set<String> required = new HashSet<>(expected.baseline.keySet());
        required.addAll(expected.acknowledged);
        if (!Files.exists(documents)) {
            assertThat(required).as("cycle %d: no file, so nothing may have been acknowledged", cycle).isEmpty();
            return Map.of();
        }
        JsonNode root;
        try {
            root = json.readTree(Files.readString(documents));
        } catch (Exception e) {
            throw new AssertionError("cycle " + cycle + ": the documents file does not parse: " + e.getMessage(), e);
        }
        assertThat(root).as("cycle %d: the documents file is empty", cycle).isNotNull();
        Map<String, Integer> onDisk = new HashMap<>();
        root.get("documents").forEach(d -> onDisk.put(d.get("id").asText(), d.get("segments").asInt()));
        int entries = json.readTree(root.get("store").asText()).get("entries").size();
        assertThat(entries).as("cycle %d: embedded segments = the document list's count", cycle).isEqualTo(onDisk.values().stream().mapToInt(Integer::intValue).sum());
        for (String id : required) assertThat(onDisk).as("cycle %d: acknowledged document %s", cycle, id).containsKey(id);
        for (Map.Entry<String, Integer> d : onDisk.entrySet()) {
            assertThat(expected.allowed(d.getKey())).as("cycle %d: %s has %d segments", cycle, d.getKey(), d.getValue()).contains(d.getValue());
        }
        return onDisk;
    }

    static String text(Random random, int paragraphs) {
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < paragraphs; i++) {
            t.append("Paragraph ").append(i).append(" (").append(random.nextInt(1_000_000)).append(") is about the river ").append(random.nextInt(50))
                .append(" and the ").append(random.nextInt(9) + 2).append(" bridges that cross it near the old mill; the ferry runs at ")
                .append(random.nextInt(24)).append(" o'clock. ");
            if (random.nextInt(4) == 0) t.append("\n\n");
        }
        return t.toString();
    }

    record Outcome(int cycles, int killedDuringWrite, AssertionError failure) {}

    /** Fills the store with 48 documents of about 15 segments (about 3 MB), acknowledged before any kill. */
    static void seed(Path documents, boolean nonAtomic, Random random, Expected expected) throws Exception {
        Target target = start(documents, nonAtomic);
        try {
            var body = json.createObjectNode();
            var list = body.putArray("documents");
            for (int i = 0; i < 48; i++) {
                String text = text(random, 30 + random.nextInt(30));
                list.addObject().put("id", "doc-" + i).put("text", text);
                expected.attempt("doc-" + i, SPLITTER.split(Document.from(text)).size());
                expected.acknowledge("doc-" + i);
            }
            HttpResponse<String> ack = http.send(HttpRequest.newBuilder(URI.create(target.base() + "/documents")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ack.statusCode()).as(ack.body()).isEqualTo(200);
        } finally {
            target.process().destroyForcibly();
            target.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    static Outcome run(Path documents, boolean nonAtomic, int cycles, long seed) throws Exception {
        Random random = new Random(seed);
        Expected expected = new Expected();
        seed(documents, nonAtomic, random, expected);
        int killedDuringWrite = 0;
        long deadline = System.currentTimeMillis() + TIME_LIMIT_MILLIS;
        for (int cycle = 1; cycle <= cycles; cycle++) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("time limit reached after " + (cycle - 1) + " cycles");
            Target target;
            try {
                if (cycle == 1) expected.reset(check(documents, expected, cycle));
                target = start(documents, nonAtomic);
                // The restarted server lists exactly what is on disk.
                HttpResponse<String> listed = http.send(HttpRequest.newBuilder(URI.create(target.base() + "/documents")).GET().build(), HttpResponse.BodyHandlers.ofString());
                Map<String, Integer> served = new HashMap<>();
                json.readTree(listed.body()).get("documents").forEach(d -> served.put(d.get("id").asText(), d.get("segments").asInt()));
                assertThat(served).as("cycle %d: the restarted server lists the file's documents", cycle).isEqualTo(expected.baseline);
            } catch (AssertionError e) {
                return new Outcome(cycle, killedDuringWrite, e);
            }
            AtomicBoolean killed = new AtomicBoolean();
            CountDownLatch firstSent = new CountDownLatch(1);
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 2; c++) {
                long clientSeed = random.nextLong();
                Thread client = Thread.ofVirtual().start(() -> {
                    Random r = new Random(clientSeed);
                    while (!killed.get()) {
                        String id = "doc-" + r.nextInt(48);
                        String body = text(r, 1 + r.nextInt(r.nextInt(3) == 0 ? 250 : 60));
                        int segments = SPLITTER.split(Document.from(body)).size();
                        expected.attempt(id, segments);
                        firstSent.countDown();
                        try {
                            HttpResponse<String> ack = http.send(HttpRequest.newBuilder(URI.create(target.base() + "/documents")).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(json.createObjectNode().put("id", id).put("text", body).toString())).build(), HttpResponse.BodyHandlers.ofString());
                            if (ack.statusCode() == 200) {
                                assertThat(json.readTree(ack.body()).at("/documents/0/segments").asInt()).isEqualTo(segments);
                                expected.acknowledge(id);
                            }
                        } catch (Exception gone) {
                            return; // killed
                        }
                    }
                });
                clients.add(client);
            }
            firstSent.await(10, TimeUnit.SECONDS);
            // The kill: in odd cycles at a random moment of the ingests, in even ones at a random moment within the
            // k-th write of the store (k from 1 to 3; the write's start is in the target's log, its length estimated
            // from the last write's), i.e. while the store is being written.
            if (cycle % 2 == 1) {
                Thread.sleep(30 + random.nextInt(570));
            } else {
                int k = 1 + random.nextInt(3);
                for (int i = 0; i < k; i++) target.writes().poll(30, TimeUnit.SECONDS);
                long pause = (long) (random.nextDouble() * writeMillis.get() * 1000); // into the write, by its last duration
                if (pause > 0) TimeUnit.MICROSECONDS.sleep(pause);
            }
            killed.set(true);
            target.process().destroyForcibly(); // SIGKILL
            assertThat(target.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            for (Thread client : clients) client.join(30_000);
            boolean midWrite;
            try (Stream<Path> files = Files.list(documents.toAbsolutePath().getParent())) {
                midWrite = files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"));
            }
            if (midWrite) killedDuringWrite++;
            if (VERBOSE) System.out.printf("cycle %d: %s kill, %s, file %d bytes%n", cycle, cycle % 2 == 1 ? "random" : "write-aimed",
                midWrite ? "temporary file left (mid-write)" : "no temporary file", Files.exists(documents) ? Files.size(documents) : -1);
            try {
                expected.reset(check(documents, expected, cycle));
            } catch (AssertionError e) {
                return new Outcome(cycle, killedDuringWrite, e);
            }
        }
        return new Outcome(cycles, killedDuringWrite, null);
    }

    @Test
    void acknowledgedDocumentsSurviveKillsDuringPersistence() throws Exception {
        Outcome outcome = run(tmp.resolve("documents.json"), false, CYCLES, 13);
        System.out.printf("IngestCrashIT: %d cycles, %d kills during a write%n", outcome.cycles(), outcome.killedDuringWrite());
        if (outcome.failure() != null) throw outcome.failure();
        assertThat(outcome.cycles()).isEqualTo(CYCLES);
        assertThat(outcome.killedDuringWrite()).as("kills that landed while the store was being written").isGreaterThanOrEqualTo(CYCLES / 4);
    }

    /** The same cycles with the test-only non-atomic writer: the harness must catch it. */
    @Test
    void aNonAtomicWriteIsCaught() throws Exception {
        Outcome outcome = run(tmp.resolve("unsafe.json"), true, CYCLES, 17);
        System.out.printf("IngestCrashIT (non-atomic writer): caught in cycle %d: %s%n", outcome.cycles(),
            outcome.failure() == null ? "not caught" : outcome.failure().getMessage().lines().findFirst().orElse(""));
        assertThat(outcome.failure()).as("a non-atomic write is caught within %d cycles", CYCLES).isNotNull();
    }
}
