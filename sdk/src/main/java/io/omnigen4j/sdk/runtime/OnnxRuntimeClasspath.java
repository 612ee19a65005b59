package io.omnigen4j.sdk.runtime;

import io.omnigen4j.sdk.OmniGenException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;

/**
 * <b>Internal.</b> Checks, before ONNX Runtime loads its native library, that exactly one ONNX Runtime jar is on the
 * classpath. The CPU jar ({@code com.microsoft.onnxruntime:onnxruntime}) and the CUDA jar ({@code onnxruntime_gpu})
 * hold the same classes; with both present the JVM silently takes whichever comes first, so CUDA fails (or the CPU
 * build runs) depending on declaration order. This class finds every copy of ONNX Runtime's entry class and says
 * which jar to exclude.
 *
 * <p>Uses no ONNX Runtime class itself, so it also works (and gives a clear message) when no runtime is present.
 */
public final class OnnxRuntimeClasspath {

    /** The class every ONNX Runtime Java jar contains (it loads the natives). */
    static final String MARKER = "ai/onnxruntime/OnnxRuntime.class";

    /** Native libraries only the CUDA jar carries, relative to the marker's package. */
    private static final List<String> CUDA_NATIVES = List.of(
            "native/linux-x64/libonnxruntime_providers_cuda.so",
            "native/win-x64/onnxruntime_providers_cuda.dll");

    /** Which build a copy of ONNX Runtime is. */
    public enum Flavour {
        /** The CPU build, {@code com.microsoft.onnxruntime:onnxruntime}. */
        CPU,
        /** The CUDA build, {@code com.microsoft.onnxruntime:onnxruntime_gpu}. */
        GPU,
        /** The classes were found somewhere whose contents could not be listed. */
        UNKNOWN
    }

    /**
     * One copy of ONNX Runtime's classes on the classpath.
     *
     * @param location the jar file or folder that holds it (the URL when neither)
     * @param flavour  CPU or GPU build, by the native libraries beside the classes
     */
    public record Copy(String location, Flavour flavour) {
        @Override
        public String toString() {
            return location + " (" + switch (flavour) {
                case CPU -> "CPU build, com.microsoft.onnxruntime:onnxruntime";
                case GPU -> "CUDA build, com.microsoft.onnxruntime:onnxruntime_gpu";
                case UNKNOWN -> "build not recognised";
            } + ")";
        }
    }

    /** Set once the check passed in this JVM; the classpath of a class loader does not change. */
    private static volatile boolean passed;

    private OnnxRuntimeClasspath() {
    }

    /**
     * Fails when ONNX Runtime is on the SDK's classpath twice (or not at all). Runs once per JVM once it passes;
     * costs a resource lookup, and a look at the jars' entries only when there are several.
     *
     * @throws OmniGenException naming every copy found and the dependency to exclude
     */
    public static void check() throws OmniGenException {
        if (!passed) {
            ClassLoader cl = OnnxRuntimeClasspath.class.getClassLoader();
            check(cl != null ? cl : ClassLoader.getSystemClassLoader());
            passed = true;
        }
    }

    /** {@link #check()} against a given class loader (tests use one with fake jars). */
    static void check(ClassLoader loader) throws OmniGenException {
        List<Copy> copies = find(loader);
        if (copies.size() > 1) {
            throw new OmniGenException(conflictMessage(copies));
        }
        if (copies.isEmpty() && !loadable(loader)) {
            throw new OmniGenException("ONNX Runtime is not on the classpath. Depend on io.omnigen4j:omnigen4j-sdk"
                    + " (CPU) or io.omnigen4j:omnigen4j-sdk-gpu with <type>pom</type> (CUDA); omnigen4j-imaging and"
                    + " omnigen4j-export bring no runtime of their own.");
        }
    }

    /**
     * Every copy of ONNX Runtime's classes that {@code loader} can see, in the order it searches them.
     *
     * @param loader the class loader the SDK's classes come from
     * @return the copies, without duplicate locations
     * @throws OmniGenException if the class loader cannot list its resources
     */
    static List<Copy> find(ClassLoader loader) throws OmniGenException {
        Set<String> urls = new LinkedHashSet<>();
        try {
            for (URL u : Collections.list(loader.getResources(MARKER))) {
                urls.add(u.toExternalForm());
            }
        } catch (IOException e) {
            throw new OmniGenException("cannot list the classpath to check for ONNX Runtime: " + e.getMessage(), e);
        }
        List<Copy> copies = new ArrayList<>();
        for (String u : urls) {
            try {
                URL url = new URL(u);
                copies.add(new Copy(location(url), flavour(url)));
            } catch (IOException e) {
                copies.add(new Copy(u, Flavour.UNKNOWN));
            }
        }
        return copies;
    }

    static String conflictMessage(List<Copy> copies) {
        StringBuilder sb = new StringBuilder("ONNX Runtime is on the classpath ").append(copies.size())
                .append(" times: ");
        for (int i = 0; i < copies.size(); i++) {
            sb.append(i == 0 ? "" : i == copies.size() - 1 ? " and " : ", ").append(copies.get(i));
        }
        boolean gpu = copies.stream().anyMatch(c -> c.flavour() == Flavour.GPU);
        sb.append(". The JVM silently uses whichever comes first, so which build runs depends on the declaration"
                + " order. Keep exactly one: ");
        if (gpu) {
            sb.append("for CUDA, depend on io.omnigen4j:omnigen4j-sdk-gpu (<type>pom</type>) instead of"
                    + " omnigen4j-sdk and add an <exclusion> of com.microsoft.onnxruntime:onnxruntime to every"
                    + " dependency that still brings it (mvn dependency:tree -Dincludes=com.microsoft.onnxruntime"
                    + " shows which); for the CPU, remove onnxruntime_gpu.");
        } else {
            sb.append("remove the duplicate (mvn dependency:tree -Dincludes=com.microsoft.onnxruntime shows where"
                    + " each comes from).");
        }
        return sb.append(" See \"Running on a GPU\" in OmniGen4J's README.").toString();
    }

    /** The jar file or folder that holds the marker class at {@code url}. */
    private static String location(URL url) {
        String s = url.toExternalForm();
        if ("jar".equals(url.getProtocol())) {
            int bang = s.lastIndexOf("!/");
            String jar = bang < 0 ? s : s.substring(4, bang);
            if (jar.startsWith("file:") && !jar.contains("!/")) {
                try {
                    return Path.of(new URL(jar).toURI()).toString();
                } catch (IOException | URISyntaxException | IllegalArgumentException e) {
                    return jar;
                }
            }
            return jar;
        }
        if ("file".equals(url.getProtocol())) {
            try {
                Path p = Path.of(url.toURI());
                // .../ai/onnxruntime/OnnxRuntime.class → the classpath folder three levels up
                Path root = p.getParent() == null ? null : p.getParent().getParent();
                return root != null && root.getParent() != null ? root.getParent().toString() : p.toString();
            } catch (URISyntaxException | IllegalArgumentException e) {
                return s;
            }
        }
        return s;
    }

    /** CPU or GPU build, by whether the CUDA provider library sits beside the classes. */
    private static Flavour flavour(URL marker) {
        boolean listed = false;
        for (String rel : CUDA_NATIVES) {
            URL u;
            try {
                u = new URL(marker, rel);
            } catch (IOException e) {
                return Flavour.UNKNOWN;
            }
            Boolean present = exists(u);
            if (present == null) {
                continue;
            }
            listed = true;
            if (present) {
                return Flavour.GPU;
            }
        }
        return listed ? Flavour.CPU : Flavour.UNKNOWN;
    }

    /** Whether the resource at {@code u} exists without reading it; null when that cannot be told. */
    private static Boolean exists(URL u) {
        if ("file".equals(u.getProtocol())) {
            try {
                return Files.exists(Path.of(u.toURI()));
            } catch (URISyntaxException | IllegalArgumentException e) {
                return null;
            }
        }
        if ("jar".equals(u.getProtocol())) {
            try {
                URLConnection c = u.openConnection();
                if (c instanceof JarURLConnection jc) {
                    // Uncached: the JarFile is ours to close, and no stale handle stays in the JVM-wide cache.
                    jc.setUseCaches(false);
                    try (JarFile jf = jc.getJarFile()) {
                        return jf.getEntry(jc.getEntryName()) != null;
                    }
                }
            } catch (FileNotFoundException e) {
                return false;   // the jar opened but has no such entry (the JDK closed the uncached jar)
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    /** Whether ONNX Runtime's classes load even though no class file was found (Android, custom loaders). */
    private static boolean loadable(ClassLoader loader) {
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment", false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
