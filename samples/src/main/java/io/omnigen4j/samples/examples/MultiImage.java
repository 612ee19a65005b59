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
 * Several input images in one prompt: {@code <|image_1|>} is the first image of the list, {@code <|image_2|>} the
 * second. {@code maxInputImageSize} 512 keeps two references affordable (each 1024 px image adds 4096 tokens).
 *
 * <pre>java -cp omnigen.jar io.omnigen4j.samples.examples.MultiImage MODEL_DIR man.png woman.png [OUT.png]</pre>
 */
public final class MultiImage {

    static final String PROMPT = "A man and a woman are sitting at a classroom desk."
            + " The man is the man with yellow hair in <img><|image_1|></img>."
            + " The woman is the woman on the left of <img><|image_2|></img>.";

    private MultiImage() {
    }

    static GenerationRequest request(RgbImage first, RgbImage second, int size, int steps) {
        return GenerationRequest.builder()
                .prompt(PROMPT, List.of(first, second))
                .size(size, size)
                .steps(steps)
                .guidanceScale(2.5f)
                .imageGuidanceScale(1.6f)
                .maxInputImageSize(512)
                .seed(0)
                .build();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: MultiImage MODEL_DIR IMAGE_1 IMAGE_2 [OUT.png]");
            System.exit(2);
        }
        DesktopImageCodec codec = new DesktopImageCodec();
        RgbImage first = codec.decode(Path.of(args[1]));
        RgbImage second = codec.decode(Path.of(args[2]));
        Path out = Path.of(args.length > 3 ? args[3] : "multi-image.png");
        try (OmniGen omnigen = OmniGen.load(Path.of(args[0]))) {
            GenerationResult result = omnigen.generate(request(first, second, 1024, 50));
            Files.write(out, codec.encodePng(result.image(), Map.of("prompt", PROMPT)));
            System.out.println("wrote " + out);
        }
    }
}
