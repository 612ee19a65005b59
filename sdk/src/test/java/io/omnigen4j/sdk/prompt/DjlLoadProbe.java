package io.omnigen4j.sdk.prompt;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Loads a tokenizer in a fresh JVM for {@link DjlNativeTest}: {@code sdk FILE} through {@link PromptTokenizer},
 * {@code plain FILE} straight through DJL (the control). Prints the ids of "a cat" and the DJL-related system
 * properties afterwards; DJL's log lines go to stderr (slf4j-simple).
 */
public final class DjlLoadProbe {

    private DjlLoadProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        long[] ids;
        if (args[0].equals("sdk")) {
            try (PromptTokenizer t = PromptTokenizer.open(file)) {
                ids = t.encode("a cat");
            }
        } else {
            try (HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false"))) {
                ids = t.encode("a cat").getIds();
            }
        }
        System.out.println("ids=" + Arrays.toString(ids));
        System.out.println("RUST_FLAVOR=" + System.getProperty(DjlNative.FLAVOR));
        System.out.println("OPT_OUT_TRACKING=" + System.getProperty(DjlNative.OPT_OUT));
    }
}
