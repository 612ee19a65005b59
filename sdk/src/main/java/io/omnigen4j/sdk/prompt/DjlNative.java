package io.omnigen4j.sdk.prompt;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.LibUtils;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Creates DJL tokenizers without leaving anything behind in the JVM (runtime-facts §5).
 *
 * <p>What DJL 0.38 does on first use, and what the SDK does about it:
 * <ul>
 *   <li>{@code LibUtils}' static initialiser picks the native library's flavour once per JVM: from
 *   {@code RUST_FLAVOR} (environment, then system property), else from the GPU it detects (on a CUDA machine
 *   {@code cu122}, which is not in the jar, so DJL tries to download it). The SDK sets the system property
 *   {@code RUST_FLAVOR=cpu} only while it triggers that initialiser, under a lock, and then restores the previous
 *   state; a value the user set (environment or property) is left alone.</li>
 *   <li>The same initialiser calls {@code Platform.detectPlatform}, which asks {@code CudaUtils.getGpuCount()}
 *   whatever the flavour, once for the system and once per {@code tokenizers.properties} on the class path. Where a
 *   CUDA runtime is installed but unusable (no driver, driver too old: {@code cudaGetDeviceCount} fails with an
 *   error other than "no device"), each call logs the WARN "Failed to detect GPU count" — twice per JVM. DJL has
 *   no setting that skips the probe, and SLF4J has no API to set a logger's level, so the SDK turns off
 *   {@code CudaUtils}' own private logging switch (the one DJL turns off for its GPU-probe subprocess) while the
 *   library loads, and restores it after. If that field is not there (another DJL version), loading works as
 *   before and only the warning remains.</li>
 *   <li>Every {@code HuggingFaceTokenizer.newInstance} calls DJL's telemetry ({@code Ec2Utils.callHome}: HTTP
 *   requests to the EC2 metadata address, then to an AWS bucket on EC2, at most once a day per JVM). The SDK does
 *   not reach the network, so it sets {@code OPT_OUT_TRACKING=true} while it creates a tokenizer and restores the
 *   previous state; a value the user set is left alone.</li>
 * </ul>
 * The properties are visible JVM-wide while they are set (milliseconds, under {@link #LOCK}); code elsewhere that
 * reads them at that moment sees them too.
 */
final class DjlNative {

    static final String FLAVOR = "RUST_FLAVOR";
    static final String OPT_OUT = "OPT_OUT_TRACKING";
    private static final Object LOCK = new Object();
    /** Whether this class has triggered DJL's library load; guarded by {@link #LOCK}. */
    private static boolean loaded;

    private DjlNative() {
    }

    /** A tokenizer from a {@code tokenizer.json} stream; the first call of the JVM also loads the native library. */
    static HuggingFaceTokenizer newTokenizer(InputStream json, Map<String, String> options) throws IOException {
        synchronized (LOCK) {
            if (!loaded) {
                loaded = true;
                loadLibrary();
            }
            try {
                return withProperty(OPT_OUT, "true", () -> HuggingFaceTokenizer.newInstance(json, options));
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Runs LibUtils' static initialiser (the only place DJL reads RUST_FLAVOR) with the CPU flavour, quietly. */
    private static void loadLibrary() {
        Boolean cudaLogging = cudaLogging(false);
        try {
            withProperty(FLAVOR, "cpu", () -> {
                LibUtils.checkStatus(); // throws DJL's EngineException when the library could not be loaded
                return null;
            });
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            if (cudaLogging != null) {
                cudaLogging(cudaLogging);
            }
        }
    }

    /**
     * Runs {@code body} with the system property {@code name=value} unless the user set {@code name} (environment or
     * property), then restores the property to what it was.
     */
    static <T> T withProperty(String name, String value, Callable<T> body) throws Exception {
        if (System.getenv(name) != null || System.getProperty(name) != null) {
            return body.call();
        }
        System.setProperty(name, value);
        try {
            return body.call();
        } finally {
            System.clearProperty(name);
        }
    }

    /**
     * Sets DJL's {@code CudaUtils.logging} switch and returns its previous value, or null when the field cannot be
     * set (another DJL version, or a module layer that does not open {@code ai.djl.util.cuda}).
     */
    static Boolean cudaLogging(boolean on) {
        try {
            Field f = Class.forName("ai.djl.util.cuda.CudaUtils").getDeclaredField("logging");
            f.setAccessible(true);
            boolean before = f.getBoolean(null);
            f.setBoolean(null, on);
            return before;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
