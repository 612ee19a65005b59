package io.omnigen4j.export.generate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A &gt; 2 GB checkpoint generated in a child JVM with {@code -Xmx1g}: proves the generator and writer stream with
 * bounded heap. Takes ~30 s and 2.3 GB of disk, so it runs only with {@code -Domnigen.bigTests=true}.
 */
@EnabledIfSystemProperty(named = "omnigen.bigTests", matches = "true")
class BigCheckpointTest {

    @TempDir
    Path dir;

    @Test
    void generatesOverTwoGigabytesWithOneGigabyteHeap() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(List.of(java, "-Xmx1g", "-cp", cp, BigCheckpointMain.class.getName(),
                dir.resolve("big").toString())).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "timed out");
        System.out.println(output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("OK"), output);
    }
}
