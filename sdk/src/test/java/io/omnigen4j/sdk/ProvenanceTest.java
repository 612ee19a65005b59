package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.PngEncoder;
import io.omnigen4j.sdk.image.RgbImage;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProvenanceTest {

    private static final RgbImage IMAGE = RgbImage.of(2, 3, new byte[2 * 3 * 3]);

    @Test
    void settingsModelAndTheAiMarkerAlwaysPromptsOnRequest() {
        GenerationRequest r = GenerationRequest.builder().prompt("a red bicycle").size(32, 48).steps(3).seed(9)
                .kvCache(false).build();
        Map<String, String> m = Provenance.pngText(r, IMAGE, r.seed(), "my-model", "abc", "OmniGen4J test", true);
        assertEquals("a red bicycle", m.get("prompt"));
        assertEquals(r.negativePrompt(), m.get("negative_prompt"));
        assertEquals("9", m.get("seed"));
        assertEquals("torch-cpu", m.get("noise"), "the seed's meaning is recorded with it");
        assertEquals("java", Provenance.pngText(GenerationRequest.builder().prompt("x").seed(9)
                .noise(io.omnigen4j.sdk.sampling.NoiseKind.JAVA).build(), IMAGE, 9L, "m", "c", "s", true).get("noise"));
        assertEquals("3", m.get("steps"));
        assertEquals("off", m.get("image_guidance_scale"));
        assertEquals("2x3", m.get("size"));
        assertEquals("off", m.get("kv_cache"));
        assertEquals("my-model", m.get("model"));
        assertEquals("abc", m.get("model_manifest_sha256"));
        assertEquals("OmniGen4J test", m.get("Software"));
        assertEquals(Provenance.DIGITAL_SOURCE_TYPE, m.get("DigitalSourceType"));
        String xmp = m.get(Provenance.XMP_KEYWORD);
        assertTrue(xmp.startsWith("<?xpacket begin=\"\uFEFF\"") && xmp.endsWith("<?xpacket end=\"r\"?>"), xmp);
        assertTrue(xmp.contains("Iptc4xmpExt:DigitalSourceType=\"" + Provenance.DIGITAL_SOURCE_TYPE + "\""), xmp);

        Map<String, String> quiet = Provenance.pngText(r, IMAGE, null, "my-model", "abc", "x", false);
        assertFalse(quiet.containsKey("prompt") || quiet.containsKey("negative_prompt") || quiet.containsKey("seed")
                || quiet.containsKey("noise"));
        assertEquals(Provenance.DIGITAL_SOURCE_TYPE, quiet.get("DigitalSourceType"));
    }

    /** The XMP packet is written as an iTXt chunk (it is not Latin-1), as the XMP specification places it in PNG. */
    @Test
    void xmpGoesIntoAnInternationalTextChunk() {
        GenerationRequest r = GenerationRequest.builder().prompt("x").size(32, 32).build();
        byte[] png = PngEncoder.encode(IMAGE, Provenance.pngText(r, IMAGE, 1L, "m", "c", "s", true));
        List<String> chunks = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(png, 8, png.length - 8);
        while (b.remaining() >= 12) {
            int length = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            byte[] data = new byte[length];
            b.get(data);
            b.getInt();
            String keyword = new String(data, 0, Math.max(0, indexOfNul(data)), StandardCharsets.ISO_8859_1);
            chunks.add(new String(type, StandardCharsets.US_ASCII) + " " + keyword);
        }
        assertTrue(chunks.contains("iTXt " + Provenance.XMP_KEYWORD), chunks.toString());
        assertTrue(chunks.contains("tEXt DigitalSourceType"), chunks.toString());
    }

    private static int indexOfNul(byte[] a) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
