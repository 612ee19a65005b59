package io.omnigen4j.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code omnigen info --verify} on a folder whose weight file is a symbolic link to an identical file outside it:
 * the checksums would match, so following the link would report a sound model. It must refuse the link instead.
 */
class InfoVerifyTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void useTestCache() {
        TestModels.cacheRoot();
    }

    private Path copyOfTheDemoModel() throws IOException {
        Path src = TestModels.demoModel();
        Path copy = Files.createDirectories(dir.resolve("model"));
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName().toString()));
            }
        }
        return copy;
    }

    @Test
    void verifyRefusesALinkOutOfTheFolder() throws Exception {
        Path model = copyOfTheDemoModel();
        OmniGenCliTest.Run intact = OmniGenCliTest.run("info", "--model", model.toString(), "--verify");
        assertEquals(0, intact.code(), intact.err());
        assertTrue(intact.out().contains("match the manifest"), intact.out());

        Path outside = Files.createDirectories(dir.resolve("elsewhere")).resolve("vae.weights");
        Files.move(model.resolve("vae.weights"), outside);
        Files.createSymbolicLink(model.resolve("vae.weights"), outside);
        OmniGenCliTest.Run linked = OmniGenCliTest.run("info", "--model", model.toString(), "--verify");
        linked.assertOneLineError(2, "vae.weights resolves to " + outside.toRealPath());
        assertTrue(linked.err().contains("outside the model folder"), linked.err());
        assertTrue(!linked.out().contains("match the manifest"), linked.out());
    }
}
