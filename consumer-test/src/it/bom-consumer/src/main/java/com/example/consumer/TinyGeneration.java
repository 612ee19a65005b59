package com.example.consumer;

import io.omnigen4j.export.demo.DemoModel;
import io.omnigen4j.imaging.DesktopImageCodec;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.OmniGenException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What a user's program does, with public API only: get a model (the random demo model), generate, write a PNG. */
public final class TinyGeneration {

    private TinyGeneration() {
    }

    /** Runs the whole path in {@code work} and returns the PNG it wrote. */
    public static Path run(Path work, int width, int height) throws IOException, OmniGenException {
        Path model = DemoModel.ensure(work.resolve("cache"), line -> { });

        DesktopImageCodec codec = new DesktopImageCodec();
        Path png = work.resolve("out.png");
        try (OmniGen omnigen = OmniGen.load(model)) {
            GenerationResult r = omnigen.generate(GenerationRequest.builder()
                    .prompt("a boat").size(width, height).steps(1).seed(0).build());
            Files.write(png, codec.encodePng(r.image(), Map.of("prompt", "a boat")));
        }
        return png;
    }

    /** {@code java com.example.consumer.TinyGeneration <work folder>} */
    public static void main(String[] args) throws IOException, OmniGenException {
        Path png = run(Path.of(args.length > 0 ? args[0] : "."), 32, 64);
        System.out.println("wrote " + png);
    }
}
