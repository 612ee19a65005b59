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
 * Image editing: an instruction about one input image; the output keeps the input's size.
 *
 * <pre>java -cp omnigen.jar io.omnigen4j.samples.examples.ImageEditing MODEL_DIR photo.png [OUT.png]</pre>
 */
public final class ImageEditing {

    static final String PROMPT = "<img><|image_1|></img> Remove the woman's earrings."
            + " Replace the mug with a clear glass filled with sparkling iced cola.";

    private ImageEditing() {
    }

    static GenerationRequest request(RgbImage photo, int steps) {
        return GenerationRequest.builder()
                .prompt(PROMPT, List.of(photo))
                .useInputImageSizeAsOutput(true) // edit in place: output size = input size (after cropping to 16 px)
                .steps(steps)
                .guidanceScale(2f)
                .imageGuidanceScale(1.6f)
                .seed(222)
                .build();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ImageEditing MODEL_DIR INPUT_IMAGE [OUT.png]");
            System.exit(2);
        }
        DesktopImageCodec codec = new DesktopImageCodec();
        RgbImage photo = codec.decode(Path.of(args[1]));
        Path out = Path.of(args.length > 2 ? args[2] : "image-editing.png");
        try (OmniGen omnigen = OmniGen.load(Path.of(args[0]))) {
            GenerationResult result = omnigen.generate(request(photo, 50));
            Files.write(out, codec.encodePng(result.image(), Map.of("prompt", PROMPT)));
            System.out.println("wrote " + out);
        }
    }
}
