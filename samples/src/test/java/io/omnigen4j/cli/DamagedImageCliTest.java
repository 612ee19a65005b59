package io.omnigen4j.cli;

import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.image.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged --image is a one-line usage error naming the option's file, its position and the problem. */
class DamagedImageCliTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void useTestCache() {
        TestModels.cacheRoot();
    }

    @Test
    void damagedImagesAreNamedWithTheirProblem() throws Exception {
        byte[] png = new DesktopImageCodec().encodePng(RgbImage.of(16, 16, new byte[16 * 16 * 3]), Map.of());
        Path good = Files.write(dir.resolve("good.png"), png);
        byte[] badCrc = png.clone();
        badCrc[8 + 8 + 13] ^= 1;
        Path bad = Files.write(dir.resolve("bad.png"), badCrc);
        Path cut = Files.write(dir.resolve("cut.png"), Arrays.copyOf(png, png.length - 12));
        Path empty = Files.write(dir.resolve("empty.jpg"), new byte[0]);
        String prompt = "<img><|image_1|></img> and <img><|image_2|></img>";
        String out = dir.resolve("o.png").toString();
        OmniGenCliTest.run("generate", "--prompt", prompt, "--image", good.toString(), "--image", bad.toString(),
                "--out", out).assertOneLineError(2, "--image " + bad + " (image 2): bad CRC in PNG chunk IHDR");
        OmniGenCliTest.run("generate", "--prompt", prompt, "--image", cut.toString(), "--image", good.toString(),
                "--out", out).assertOneLineError(2, "(image 1): PNG ends before its IEND chunk (truncated at byte");
        OmniGenCliTest.run("generate", "--prompt", prompt, "--image", good.toString(), "--image", empty.toString(),
                "--out", out).assertOneLineError(2, "(image 2): the file is empty");
    }
}
