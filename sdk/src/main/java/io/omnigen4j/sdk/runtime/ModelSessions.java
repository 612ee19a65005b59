package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.sdk.OmniGenException;
import io.omnigen4j.sdk.model.ModelFolder;
import io.omnigen4j.sdk.model.ModelManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seven ONNX Runtime sessions of one loaded model (the decoder weights live in one of them). Sessions are thread-safe for concurrent {@code run} calls
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
        String precisionWarning = precisionCheck(folder.manifest().precision(), provider,
                !provider.equals(options.provider()));
        if (precisionWarning != null) {
            LOG.warn(precisionWarning);
        }
        Map<String, OrtSession> sessions = new LinkedHashMap<>();
        boolean arena = options.cpuArena().enabledFor(transformerWeightBytes(folder.manifest()));
        if (!arena) {
            LOG.debug("loading {} without ONNX Runtime's CPU memory arena", folder.path());
        }
        // Sessions see the resolved choice: ON or OFF, never AUTO.
        options = options.withCpuArena(arena ? RuntimeOptions.CpuArena.ON : RuntimeOptions.CpuArena.OFF);
        try {
            OptimizedModelCache cache = options.optimizedModelDir() == null ? null
                    : new OptimizedModelCache(options.optimizedModelDir(), folder, options, provider, env);
            for (String name : ModelManifest.GRAPHS) {
                boolean cached = cache != null && worthCaching(name, folder.manifest());
                if (cache != null && !cached) {
                    cache.forget(name);
                }
                sessions.put(name, cached ? cache.session(name, folder.graph(name))
                        : createSession(env, folder.graph(name), options, provider, false));
            }
        } catch (OrtException | RuntimeException e) {
            sessions.values().forEach(ModelSessions::closeQuietly);
            throw new OmniGenException("cannot load " + folder.path() + ": " + e.getMessage(), e);
        }
        return new ModelSessions(env, sessions, provider);
    }

    /**
     * Whether a model of {@code precision} can run on {@code provider}, checked before any session is created.
     * bf16 on the CPU provider is an error naming the fix (ONNX Runtime's CPU provider has no bfloat16 MatMul and
     * would fail with ORT_NOT_IMPLEMENTED); fp16 on the CPU gives a warning (it runs, with float16 MatMul kernels
     * several times slower than float32 there, and Casts around every float32 op).
     *
     * @param precision  the manifest's precision (null: fp32)
     * @param provider   the provider the sessions will use
     * @param fellBack   CUDA was requested but unavailable, so {@code provider} is the CPU fallback
     * @return the warning to log, or null when there is nothing to say
     * @throws ProviderUnavailableException for bf16 on the CPU provider
     */
    static String precisionCheck(String precision, ExecutionProvider provider, boolean fellBack)
            throws ProviderUnavailableException {
        if (provider.kind() != ExecutionProvider.Kind.CPU || precision == null) {
            return null;
        }
        String why = fellBack ? " (CUDA was requested but unavailable, so the load fell back to the CPU)" : "";
        if (precision.equals("bf16")) {
            throw new ProviderUnavailableException("this model was exported with --precision bf16, which ONNX"
                    + " Runtime's CPU provider cannot run" + why + ": it has no bfloat16 MatMul kernel"
                    + " (ORT_NOT_IMPLEMENTED). Export with --precision fp32/int8 for the CPU, or use the CUDA provider"
                    + " (RuntimeOptions.provider(ExecutionProvider.cuda(0)), --provider cuda).", null);
        }
        if (precision.equals("fp16")) {
            return "this model was exported with --precision fp16 for GPUs; it runs on the CPU provider" + why
                    + ", but slowly (ONNX Runtime's CPU float16 MatMul is several times slower than float32). Export"
                    + " with --precision fp32/int8 for the CPU, or use the CUDA provider.";
        }
        return null;
    }

    /** Bytes of the transformer's weight files (every data file of the decoder graph). */
    public static long transformerWeightBytes(ModelManifest m) {
        ModelManifest.Graph decoder = m.graphs().get("transformer");
        if (decoder == null || decoder.dataFiles() == null || m.files() == null) {
            return 0;
        }
        return m.files().stream().filter(f -> decoder.dataFiles().contains(f.path()))
                .mapToLong(ModelManifest.FileEntry::bytes).sum();
    }

    /**
     * Whether a graph goes through the optimized-model cache. Not the Winograd VAE graphs: ONNX Runtime optimises
     * them in about 0.2 s (their big weights are MatMul operands, not convolution kernels to re-lay out), while the
     * saved optimised decoder measured 5-15 % slower per decode, with slower first two runs and about 570 MB more
     * peak RSS (bench VAE, 256×256, 1 thread). The direct VAE graphs take 1.4 s to optimise and stay cached.
     */
    static boolean worthCaching(String graph, ModelManifest manifest) {
        return !(graph.startsWith("vae_") && "winograd".equals(manifest.vaeConvolution()));
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

    /**
     * Creates one session from {@code graph}.
     *
     * @param preOptimized the graph is a cached, already optimised one: load it without optimising again
     * @param save         where to save the optimised graph (with its weights in a side file), or null
     */
    static OrtSession createSession(OrtEnvironment env, Path graph, RuntimeOptions options, ExecutionProvider provider,
                                    boolean preOptimized, Path save) throws OrtException {
        try (OrtSession.SessionOptions so = sessionOptions(options, provider, preOptimized)) {
            if (save != null) {
                so.setOptimizedModelFilePath(save.toString());
                // Weights go to a side file beside it: inline they would hit protobuf's 2 GB limit.
                so.addConfigEntry("session.optimized_model_external_initializers_file_name",
                        save.getFileName() + ".data");
                so.addConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes", "1024");
                // ORT warns that the saved graph is hardware-specific; the cache key covers the CPU.
                so.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            }
            return env.createSession(graph.toString(), so);
        }
    }

    private static OrtSession createSession(OrtEnvironment env, Path graph, RuntimeOptions options,
                                            ExecutionProvider provider, boolean preOptimized) throws OrtException {
        return createSession(env, graph, options, provider, preOptimized, null);
    }

    private static OrtSession.SessionOptions sessionOptions(RuntimeOptions options, ExecutionProvider provider,
                                                            boolean preOptimized) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            if (options.cpuArena() == RuntimeOptions.CpuArena.OFF) {
                so.setCPUArenaAllocator(false);
            }
            so.setOptimizationLevel(preOptimized ? OrtSession.SessionOptions.OptLevel.NO_OPT
                    : switch (options.optimization()) {
                        case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                        case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                        case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                        case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
                    });
            if (provider.kind() == ExecutionProvider.Kind.CUDA) {
                so.addCUDA(provider.deviceId());
            }
            return so;
        } catch (OrtException | RuntimeException e) {
            so.close();
            throw e;
        }
    }

    /**
     * ONNX Runtime's optimised graphs kept on disk between loads ({@link RuntimeOptions#optimizedModelDir()}).
     * Optimising at load time can cost seconds per graph (a direct-convolution VAE's layout transformation rewrites
     * every convolution weight); a cached graph loads without optimising again and runs bit-identically. Which
     * graphs go through it: {@link #worthCaching}. Entries are
     * {@code <graph>.<key>.opt.onnx} plus their weights in {@code <graph>.<key>.opt.onnx.data} (the graph's
     * weights again, rewritten: the cache costs about as much disk as the graphs' weights, more when two graphs
     * share weights). The key hashes manifest.json (whose checksums identify every graph and weight file), the
     * ONNX Runtime version, the optimisation level, the provider and the CPU (optimised graphs are
     * hardware-specific), so a changed model, runtime or machine never loads a stale entry. Entries are written
     * into a temporary folder and moved into place, the graph last, so a reader sees a complete entry or none;
     * an entry that fails to load is deleted and rebuilt.
     */
    static final class OptimizedModelCache {
        private final Path dir;
        private final String key;
        private final RuntimeOptions options;
        private final ExecutionProvider provider;
        private final OrtEnvironment env;

        OptimizedModelCache(Path dir, ModelFolder folder, RuntimeOptions options, ExecutionProvider provider,
                            OrtEnvironment env) throws OmniGenException {
            this.dir = dir.toAbsolutePath().normalize();
            this.options = options;
            this.provider = provider;
            this.env = env;
            try {
                Files.createDirectories(this.dir);
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                md.update(Files.readAllBytes(folder.path().resolve(ModelManifest.FILE_NAME)));
                md.update(String.join("\n", "omnigen4j-opt-cache 1", env.getVersion(),
                        options.optimization().name(), provider.kind().name() + ":" + provider.deviceId(),
                        System.getProperty("os.name"), System.getProperty("os.arch"), cpuIdentity())
                        .getBytes(StandardCharsets.UTF_8));
                this.key = HexFormat.of().formatHex(md.digest(), 0, 8);
            } catch (IOException e) {
                throw new OmniGenException("cannot use the optimized-model cache folder " + this.dir + ": "
                        + e.getMessage(), e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        OrtSession session(String name, Path graph) throws OrtException {
            Path entry = dir.resolve(name + "." + key + ".opt.onnx");
            if (Files.isRegularFile(entry)) {
                try {
                    return createSession(env, entry, options, provider, true);
                } catch (OrtException e) {
                    LOG.warn("cached optimised graph {} cannot be loaded ({}); optimising {} again", entry,
                            e.getMessage(), graph.getFileName());
                    deleteQuietly(entry);
                    deleteQuietly(dataOf(entry));
                }
            }
            Path tmp;
            try {
                tmp = Files.createTempDirectory(dir, "." + name + ".");
            } catch (IOException e) {
                LOG.warn("cannot write to the optimized-model cache {} ({}); loading without it", dir, e.getMessage());
                return createSession(env, graph, options, provider, false);
            }
            try {
                Path staged = tmp.resolve(entry.getFileName());
                OrtSession session = createSession(env, graph, options, provider, false, staged);
                try {
                    evictOthers(name);
                    if (Files.exists(dataOf(staged))) {
                        Files.move(dataOf(staged), dataOf(entry), StandardCopyOption.REPLACE_EXISTING);
                    }
                    Files.move(staged, entry, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    LOG.warn("cannot store the optimised {} in {} ({}); it will be optimised again next time", name,
                            dir, e.getMessage());
                }
                return session;
            } finally {
                deleteTree(tmp);
            }
        }

        private static Path dataOf(Path graph) {
            return graph.resolveSibling(graph.getFileName() + ".data");
        }

        /** Removes this graph's entries under other keys (another model version, runtime or setting). */
        private void evictOthers(String name) {
            evict(name, false);
        }

        /**
         * Removes every entry of a graph that no longer goes through the cache (say Winograd VAE graphs saved by
         * an earlier version): they would never be read again, and the decoder's entry weighs over a gigabyte.
         */
        void forget(String name) {
            evict(name, true);
        }

        /** Deletes this graph's entries: those under other keys, or all of them. */
        private void evict(String name, boolean all) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, name + ".*.opt.onnx*")) {
                for (Path p : ds) {
                    String f = p.getFileName().toString();
                    boolean current = f.startsWith(name + "." + key + ".");
                    if ((all || !current) && f.substring(name.length() + 1).indexOf('.') == 16) {
                        deleteQuietly(p);
                    }
                }
            } catch (IOException e) {
                LOG.debug("cannot list {}", dir, e);
            }
        }

        /** The CPU's model and feature flags where the OS tells them (Linux), else the processor count. */
        private static String cpuIdentity() {
            try {
                StringBuilder sb = new StringBuilder();
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("model name") || line.startsWith("flags")) {
                        sb.append(line).append('\n');
                    }
                    if (line.isBlank() && sb.length() > 0) {
                        break; // the first processor's entry is enough
                    }
                }
                return sb.toString();
            } catch (IOException | RuntimeException e) {
                return "cpus=" + Runtime.getRuntime().availableProcessors();
            }
        }

        private static void deleteTree(Path p) {
            try (var s = Files.walk(p)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(OptimizedModelCache::deleteQuietly);
            } catch (IOException e) {
                LOG.debug("cannot delete {}", p, e);
            }
        }

        private static void deleteQuietly(Path p) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.debug("cannot delete {}", p, e);
            }
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
