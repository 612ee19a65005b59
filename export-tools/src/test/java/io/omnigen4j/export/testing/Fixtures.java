package io.omnigen4j.export.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the reference fixtures in {@code ../shared/conformance} (system property {@code omnigen.shared} set by
 * the build, else {@code ../shared} or {@code ../../shared} from the working directory). Missing fixtures are a
 * test failure with a clear message, never a skip.
 */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path shared() {
        String prop = System.getProperty("omnigen.shared");
        if (prop != null && Files.isDirectory(Path.of(prop, "conformance"))) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path cwd = Path.of("").toAbsolutePath();
        for (Path p = cwd; p != null; p = p.getParent()) {
            Path cand = p.resolve("shared");
            if (Files.isDirectory(cand.resolve("conformance"))) {
                return cand.normalize();
            }
        }
        throw new AssertionError("Reference fixtures not found: expected ../shared/conformance beside the checkout"
                + " (or -Domnigen.shared=DIR). They are required by the conformance tests; they are not skipped.");
    }

    public static Path conformance() {
        return shared().resolve("conformance");
    }

    public static Path model(String name) {
        Path p = conformance().resolve("models").resolve(name);
        if (!Files.isDirectory(p)) {
            throw new AssertionError("fixture model folder missing: " + p);
        }
        return p;
    }

    public static Path caseDir(String name) {
        Path p = conformance().resolve("cases").resolve(name);
        if (!Files.isDirectory(p)) {
            throw new AssertionError("fixture case folder missing: " + p);
        }
        return p;
    }

    /** The five public case names. */
    public static final java.util.List<String> PUBLIC_CASES =
            java.util.List.of("t2i", "edit", "subject_multi", "batch_left_pad", "t2i_no_kv_cache");
}
