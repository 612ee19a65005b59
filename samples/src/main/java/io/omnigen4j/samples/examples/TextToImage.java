package io.omnigen4j.samples.examples;

import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Text to image: a prompt, no input images.
 *
 * <pre>java -cp omnigen.jar io.omnigen4j.samples.examples.TextToImage MODEL_DIR [OUT.png]</pre>
 */
public final class TextToImage {

    static final String PROMPT = "A curly-haired man in a red shirt is drinking tea in a sunlit kitchen.";

    private TextToImage() {
    }

    /** The request; size and steps are parameters so the build's smoke test can run it small. */
    static GenerationRequest request(int size, int steps) {
        return GenerationRequest.builder()
                .prompt(PROMPT)
                .size(size, size)
                .steps(steps)
                .guidanceScale(2.5f)
                .seed(0)
                .build();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: TextToImage MODEL_DIR [OUT.png]");
            System.exit(2);
        }
        Path out = Path.of(args.length > 1 ? args[1] : "text-to-image.png");
        try (OmniGen omnigen = OmniGen.load(Path.of(args[0]))) {
            GenerationResult result = omnigen.generate(request(1024, 50));
            Files.write(out, new DesktopImageCodec().encodePng(result.image(), Map.of("prompt", PROMPT)));
            System.out.println("wrote " + out + " in " + result.timings().total().toSeconds() + " s");
        }
    }
}
