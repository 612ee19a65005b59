package io.omnigen4j.samples.examples;

import io.omnigen4j.cli.TestModels;
import io.omnigen4j.sdk.GenerationRequest;
import io.omnigen4j.sdk.GenerationResult;
import io.omnigen4j.sdk.OmniGen;
import io.omnigen4j.sdk.image.RgbImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs every sample's request, made small, on the demo model: the samples' API use works, not just compiles. */
class SamplesSmokeTest {

    private static OmniGen omnigen;

    @BeforeAll
    static void load() throws Exception {
        omnigen = OmniGen.load(TestModels.demoModel());
    }

    @AfterAll
    static void close() {
        if (omnigen != null) {
            omnigen.close();
        }
    }

    private static RgbImage generate(GenerationRequest request) throws Exception {
        GenerationResult result = omnigen.generate(request);
        return result.image();
    }

    @Test
    void textToImage() throws Exception {
        RgbImage image = generate(TextToImage.request(64, 2));
        assertEquals(64, image.width());
        assertEquals(64, image.height());
    }

    @Test
    void imageEditingKeepsTheInputSize() throws Exception {
        RgbImage image = generate(ImageEditing.request(TestModels.gradient(48, 32), 2));
        assertEquals(48, image.width());
        assertEquals(32, image.height());
    }

    @Test
    void subjectDriven() throws Exception {
        assertEquals(32, generate(SubjectDriven.request(TestModels.gradient(32, 32), 32, 1)).width());
    }

    @Test
    void multiImage() throws Exception {
        assertEquals(32, generate(MultiImage.request(TestModels.gradient(32, 48), TestModels.gradient(48, 32), 32, 1))
                .width());
    }

    @Test
    void visualCondition() throws Exception {
        assertEquals(32, generate(VisualCondition.request(TestModels.gradient(32, 32), 32, 1)).width());
    }
}
