package io.omnigen4j.conformance;

import java.util.List;
import java.util.regex.Pattern;

/** The recorded tensor names the runner knows (fixtures README, "Tensor reference"). */
final class StageNames {
    private StageNames() {
    }

    /** LLM input/output sequences: internal to the transformer graphs, not observable through the SDK API. */
    static final Pattern LLM = Pattern.compile("step\\.\\d+\\.llm\\.(branch\\.\\d+\\.)?(inputs_embeds|last_hidden_state)");

    /** Stages compared in the free-running run (everything else comes from the teacher-forced run). */
    static final List<String> FREE_RUN = List.of("latents.final", "vae_decode.input", "vae_decode.output",
            "image.float01", "image.uint8");

    private static final List<Pattern> KNOWN = List.of(
            Pattern.compile("preprocess\\.\\d+\\.(decoded_rgb|cropped_rgb)"),
            Pattern.compile("processor\\.(branch\\.\\d+\\.)?(input_ids|attention_mask|position_ids|pixel_values\\.\\d+)"),
            Pattern.compile("vae_encode\\.\\d+\\.(pixel_values|posterior_mean|posterior_logvar|eps|latent)"),
            Pattern.compile("latents\\.(z0|final)"),
            Pattern.compile("scheduler\\.sigma"),
            Pattern.compile("step\\.\\d+\\.(timestep|z_in|z_out|velocity|raw\\.\\d+)"),
            Pattern.compile("step\\.\\d+\\.(branch\\.\\d+\\.)?(attention_mask|position_ids)"),
            Pattern.compile("vae_decode\\.(input|output)"),
            Pattern.compile("image\\.(float01|uint8)"));

    /** A name of the tensor reference that the runner compares when the SDK run produces it. */
    static boolean known(String name) {
        return KNOWN.stream().anyMatch(p -> p.matcher(name).matches());
    }

    static boolean llm(String name) {
        return LLM.matcher(name).matches();
    }

    static boolean freeRun(String name) {
        return FREE_RUN.contains(name) || name.startsWith("image.png.") || name.equals("output_size");
    }
}
