package io.omnigen4j.samples.examples;

import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.CancellationToken;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.ProgressListener;
import io.omnigen4j.sdk.image.RgbImage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Subject-driven generation: put the person (or object) of a reference image into a new scene. The prompt says
 * which subject of the reference to take. Also shows a progress listener.
 *
 * <pre>java -cp omnigen.jar io.omnigen4j.samples.examples.SubjectDriven MODEL_DIR person.png [OUT.png]</pre>
 */
public final class SubjectDriven {

    static final String PROMPT = "A man in a black shirt is reading a book in a library."
            + " The man is the right man in <img><|image_1|></img>.";

    private SubjectDriven() {
    }

    static GenerationRequest request(RgbImage reference, int size, int steps) {
        return GenerationRequest.builder()
                .prompt(PROMPT, List.of(reference))
                .size(size, size)
                .steps(steps)
                .guidanceScale(2.5f)
                .imageGuidanceScale(1.6f)
                .seed(0)
                .build();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: SubjectDriven MODEL_DIR REFERENCE_IMAGE [OUT.png]");
            System.exit(2);
        }
        DesktopImageCodec codec = new DesktopImageCodec();
        RgbImage reference = codec.decode(Path.of(args[1]));
        Path out = Path.of(args.length > 2 ? args[2] : "subject-driven.png");
        ProgressListener progress = (step, total, elapsed) ->
                System.out.printf("step %d/%d after %.1f s%n", step, total, elapsed.toMillis() / 1000.0);
        try (OmniGen omnigen = OmniGen.load(Path.of(args[0]))) {
            GenerationResult result = omnigen.generate(request(reference, 1024, 50), progress,
                    new CancellationToken());
            Files.write(out, codec.encodePng(result.image(), Map.of("prompt", PROMPT)));
            System.out.println("wrote " + out);
        }
    }
}
