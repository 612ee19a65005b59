package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.sdk.OmniGenException;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The six ONNX Runtime sessions of one loaded model. Sessions are thread-safe for concurrent {@code run} calls
 * (ONNX Runtime guarantees this), so one instance serves every generation of a pipeline. Closing it closes them.
 */
public final class ModelSessions implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelSessions.class);

    private final OrtEnvironment env;
    private final Map<String, OrtSession> sessions;
    private final ExecutionProvider provider;

    private ModelSessions(OrtEnvironment env, Map<String, OrtSession> sessions, ExecutionProvider provider) {
        this.env = env;
        this.sessions = sessions;
        this.provider = provider;
    }

    public static ModelSessions open(ModelFolder folder, RuntimeOptions options) throws OmniGenException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        ExecutionProvider provider = options.provider();
        if (provider.kind() == ExecutionProvider.Kind.CUDA) {
            try (OrtSession.SessionOptions probe = new OrtSession.SessionOptions()) {
                probe.addCUDA(provider.deviceId());
            } catch (OrtException e) {
                String why = cudaFailureReason(e);
                if (!options.fallbackToCpu()) {
                    throw new ProviderUnavailableException(why, e);
                }
                LOG.warn("{} Falling back to the CPU.", why);
                provider = ExecutionProvider.CPU;
            }
        }
        Map<String, OrtSession> sessions = new LinkedHashMap<>();
        try {
            for (String name : ModelManifest.GRAPHS) {
                try (OrtSession.SessionOptions so = sessionOptions(options, provider, folder, name)) {
                    sessions.put(name, env.createSession(folder.graph(name).toString(), so));
                }
            }
        } catch (OrtException | RuntimeException e) {
            sessions.values().forEach(ModelSessions::closeQuietly);
            throw new OmniGenException("cannot load " + folder.path() + ": " + e.getMessage(), e);
        }
        return new ModelSessions(env, sessions, provider);
    }

    static String cudaFailureReason(OrtException e) {
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("Failed to find CUDA shared provider") || msg.contains("not compiled with CUDA")) {
            return "CUDA was requested but the ONNX Runtime jar on the classpath is the CPU build; depend on"
                    + " io.omnigen4j:omnigen4j-sdk-gpu (type pom) instead of omnigen4j-sdk, and make sure the CPU"
                    + " onnxruntime jar is not also on the classpath.";
        }
        if (msg.contains("Failed to load") || msg.contains("cannot open shared object")) {
            return "CUDA was requested but its libraries could not be loaded (" + msg.strip() + "); install CUDA 12"
                    + " and cuDNN 9 and put their lib folders on the library path (LD_LIBRARY_PATH / PATH).";
        }
        return "CUDA was requested but could not start: " + msg.strip();
    }

    private static OrtSession.SessionOptions sessionOptions(RuntimeOptions options, ExecutionProvider provider,
                                                            ModelFolder folder, String name) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            so.setOptimizationLevel(switch (options.optimization()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            if (options.optimizedModelDir() != null) {
                Files.createDirectories(options.optimizedModelDir());
                so.setOptimizedModelFilePath(options.optimizedModelDir().resolve(name + ".opt.onnx").toString());
            }
            if (provider.kind() == ExecutionProvider.Kind.CUDA) {
                so.addCUDA(provider.deviceId());
            }
            return so;
        } catch (java.io.IOException e) {
            so.close();
            throw new IllegalStateException("cannot create the optimized-model cache folder: " + e.getMessage(), e);
        } catch (OrtException | RuntimeException e) {
            so.close();
            throw e;
        }
    }

    public OrtEnvironment env() {
        return env;
    }

    public OrtSession session(String name) {
        OrtSession s = sessions.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no graph " + name);
        }
        return s;
    }

    /** The provider actually in use (CPU after a fallback). */
    public ExecutionProvider provider() {
        return provider;
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException e) {
            LOG.debug("closing a session failed", e);
        }
    }

    @Override
    public void close() {
        sessions.values().forEach(ModelSessions::closeQuietly);
        sessions.clear();
    }
}
