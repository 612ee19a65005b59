package io.omnigen4j.sdk;

import io.omnigen4j.sdk.image.RgbImage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * PNG text metadata for a generated image: what is needed to reproduce it with the same model, and a machine-readable
 * mark that it is AI-generated — the IPTC digital source type {@value #DIGITAL_SOURCE_TYPE} both as a plain text
 * entry ({@code DigitalSourceType}) and in an XMP packet ({@value #XMP_KEYWORD}, as the IPTC photo metadata
 * standard places it: {@code Iptc4xmpExt:DigitalSourceType}). The omnigen CLI writes exactly this map; pass it to
 * {@link io.omnigen4j.sdk.image.PngEncoder#encode(RgbImage, Map)} or an image codec. The AI marker is always
 * included; the prompts only when asked.
 */
public final class Provenance {

    /** IPTC NewsCodes digital source type for media created by a trained model from prompts or other inputs. */
    public static final String DIGITAL_SOURCE_TYPE =
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
    /** PNG text keyword of an XMP packet (Adobe XMP specification part 3). */
    public static final String XMP_KEYWORD = "XML:com.adobe.xmp";

    private Provenance() {
    }

    /**
     * The metadata of {@code image}, made by {@code request} with the model {@code modelName}.
     *
     * @param request the request that made the image (its first prompt is recorded)
     * @param image the generated image (its size is recorded)
     * @param seed the seed the call used ({@link GenerationResult#seed()}); null when the request had its own noise
     * source (the entry is then omitted); with a seed, {@code noise} records what it means ({@link
     * io.omnigen4j.sdk.sampling.NoiseKind#id()})
     * @param modelName a name for the model, e.g. its folder name
     * @param manifestChecksum SHA-256 of the model's manifest ({@link
     *   io.omnigen4j.sdk.model.ModelFolder#manifestChecksum()})
     * @param software the writing software and version, e.g. {@code "OmniGen4J 0.1.0 (my service)"}
     * @param includePrompts false leaves out the prompt and negative prompt (they may be private)
     * @return keyword → text entries in a fixed order, ready for a PNG encoder
     */
    public static Map<String, String> pngText(GenerationRequest request, RgbImage image, Long seed, String modelName,
                                              String manifestChecksum, String software, boolean includePrompts) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(image, "image");
        Map<String, String> m = new LinkedHashMap<>();
        GenerationRequest.Prompt p = request.prompts().get(0);
        if (includePrompts) {
            m.put("prompt", p.text());
            m.put("negative_prompt", request.negativePrompt());
        }
        if (seed != null) {
            m.put("seed", Long.toString(seed));
            m.put("noise", request.noise().id()); // what the seed means (NoiseKind)
        }
        m.put("steps", Integer.toString(request.steps()));
        m.put("guidance_scale", fmt(request.guidanceScale()));
        m.put("image_guidance_scale", request.usesImageGuidance() ? fmt(request.imageGuidanceScale()) : "off");
        m.put("input_images", Integer.toString(p.images().size()));
        m.put("max_input_image_size", Integer.toString(request.maxInputImageSize()));
        m.put("size", image.width() + "x" + image.height());
        // Part of the result: with the cache, step 0 follows the reference's cached attention (spec §6).
        m.put("kv_cache", request.kvCache() ? "on" : "off");
        m.put("model", Objects.requireNonNull(modelName, "modelName"));
        m.put("model_manifest_sha256", Objects.requireNonNull(manifestChecksum, "manifestChecksum"));
        m.put("Software", Objects.requireNonNull(software, "software"));
        m.put("DigitalSourceType", DIGITAL_SOURCE_TYPE);
        m.put(XMP_KEYWORD, xmp());
        return m;
    }

    /** A minimal XMP packet carrying the digital source type. */
    static String xmp() {
        return "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
                + "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
                + "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
                + "<rdf:Description rdf:about=\"\""
                + " xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\""
                + " Iptc4xmpExt:DigitalSourceType=\"" + DIGITAL_SOURCE_TYPE + "\"/>"
                + "</rdf:RDF></x:xmpmeta><?xpacket end=\"r\"?>";
    }

    private static String fmt(float f) {
        return Float.toString(f);
    }
}
