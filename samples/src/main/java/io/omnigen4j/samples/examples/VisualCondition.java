package io.omnigen4j.samples.examples;

import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.image.RgbImage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A visual condition: a pose skeleton (or an edge or depth map) as the input image, with the prompt saying how to use
 * it. OmniGen needs no ControlNet for this; the condition is just another image in the prompt.
 *
 * <pre>java -cp omnigen.jar io.omnigen4j.samples.examples.VisualCondition MODEL_DIR pose.png [OUT.png]</pre>
 */
public final class VisualCondition {

    static final String PROMPT = "Following the pose of this image <img><|image_1|></img>, generate a new photo:"
            + " A young boy is sitting on a sofa in the library, holding a book. His hair is neatly combed.";

    private VisualCondition() {
    }

    static GenerationRequest request(RgbImage poseMap, int size, int steps) {
        return GenerationRequest.builder()
                .prompt(PROMPT, List.of(poseMap))
                .size(size, size)
                .steps(steps)
                .guidanceScale(2f)
                .imageGuidanceScale(1.6f)
                .seed(0)
                .build();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: VisualCondition MODEL_DIR CONDITION_IMAGE [OUT.png]");
            System.exit(2);
        }
        DesktopImageCodec codec = new DesktopImageCodec();
        RgbImage poseMap = codec.decode(Path.of(args[1]));
        Path out = Path.of(args.length > 2 ? args[2] : "visual-condition.png");
        try (OmniGen omnigen = OmniGen.load(Path.of(args[0]))) {
            GenerationResult result = omnigen.generate(request(poseMap, 1024, 50));
            Files.write(out, codec.encodePng(result.image(), Map.of("prompt", PROMPT)));
            System.out.println("wrote " + out);
        }
    }
}
