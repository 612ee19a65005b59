package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The {@link TensorPlacement} of a loaded model resolved against its execution provider: which {@link TensorStore}
 * each generation opens. Resolved once per load; an unavailable device path under {@link TensorPlacement#AUTO} is
 * logged there, in one line that says why. Immutable and thread-safe.
 */
public final class TensorStores {

    private static final Logger LOG = LoggerFactory.getLogger(TensorStores.class);

    private final ExecutionProvider provider;
    private final boolean device;
    private final DeviceAllocator allocator;
    private final String description;

    private TensorStores(ExecutionProvider provider, boolean device, DeviceAllocator allocator, String description) {
        this.provider = provider;
        this.device = device;
        this.allocator = allocator;
        this.description = description;
    }

    /**
     * Resolves a placement for sessions running on {@code provider}, with the device allocators found by {@link
     * ServiceLoader}.
     *
     * @param placement the requested placement
     * @param provider  the provider the sessions actually run on (after any CPU fallback)
     * @return the resolved placement
     * @throws ProviderUnavailableException when {@link TensorPlacement#DEVICE} was requested and the provider has no
     *                                      device allocator here (the message says why and what to do)
     */
    public static TensorStores resolve(TensorPlacement placement, ExecutionProvider provider)
            throws ProviderUnavailableException {
        List<DeviceAllocator> found = new ArrayList<>();
        Iterator<DeviceAllocator> it = ServiceLoader.load(DeviceAllocator.class, TensorStores.class.getClassLoader())
                .iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                // e.g. omnigen4j-sdk-device (Java 22 classes) on an older JVM: that allocator is just unavailable.
                LOG.debug("A device allocator on the class path cannot be loaded here", e);
                found.add(unloadable(e));
            }
        }
        return resolve(placement, provider, found);
    }

    /**
     * As {@link #resolve(TensorPlacement, ExecutionProvider)} with the given allocators (tests).
     *
     * @param placement  the requested placement
     * @param provider   the provider the sessions actually run on
     * @param allocators the device allocators to choose from
     * @return the resolved placement
     * @throws ProviderUnavailableException as {@link #resolve(TensorPlacement, ExecutionProvider)}
     */
    public static TensorStores resolve(TensorPlacement placement, ExecutionProvider provider,
                                       List<DeviceAllocator> allocators) throws ProviderUnavailableException {
        Objects.requireNonNull(placement, "placement");
        Objects.requireNonNull(provider, "provider");
        if (placement == TensorPlacement.HOST) {
            return host(provider);
        }
        if (provider.kind() == ExecutionProvider.Kind.CPU) {
            // The copying path already keeps CPU tensors in the CPU provider's memory; DEVICE runs the device path
            // with the CPU allocator (bit-identical, and the way CI tests that path): a device allocator that serves
            // the CPU when one is on the class path (its CPU memory through the same calls as a GPU's), else direct
            // buffers.
            if (placement != TensorPlacement.DEVICE) {
                return host(provider);
            }
            for (DeviceAllocator a : allocators) {
                if (a.unavailableReason(provider) == null) {
                    return new TensorStores(provider, true, a, "device tensors (" + a.name() + ", CPU memory)");
                }
            }
            return new TensorStores(provider, true, null, "device tensors (CPU allocator)");
        }
        List<String> reasons = new ArrayList<>();
        for (DeviceAllocator a : allocators) {
            String why = a.unavailableReason(provider);
            if (why == null) {
                return new TensorStores(provider, true, a, "device tensors (" + a.name() + ")");
            }
            reasons.add(a.name() + ": " + why);
        }
        String why = reasons.isEmpty()
                ? "no device allocator on the class path (it needs Java 22 or newer for the Foreign Function and Memory"
                + " API; this is Java " + Runtime.version() + ")"
                : String.join("; ", reasons);
        if (placement == TensorPlacement.DEVICE) {
            throw new ProviderUnavailableException("device tensors were requested (tensorPlacement DEVICE) for " + provider
                    + " but are unavailable: " + why + ". Use TensorPlacement.AUTO or HOST to run with the copying"
                    + " path.", null);
        }
        LOG.info("Device tensors unavailable for {}: {}; using the copying path (the condition K/V is copied to the"
                + " device at every step).", provider, why);
        return host(provider);
    }

    /** An allocator whose class could not be loaded: never available, and says why. */
    private static DeviceAllocator unloadable(Throwable e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String why = cause instanceof UnsupportedClassVersionError
                ? "it was compiled for a newer Java (omnigen4j-sdk-device needs Java 22 or newer; this is Java "
                + Runtime.version() + ")"
                : "it cannot be loaded: " + cause;
        return new DeviceAllocator() {
            @Override
            public String name() {
                return "device allocator";
            }

            @Override
            public String unavailableReason(ExecutionProvider provider) {
                return why;
            }

            @Override
            public TensorStore open(OrtEnvironment env, ExecutionProvider provider) {
                throw new IllegalStateException(unavailableReason(provider));
            }
        };
    }

    private static TensorStores host(ExecutionProvider provider) {
        return new TensorStores(provider, false, null, "host tensors (copying path)");
    }

    /** {@return whether generations keep their tensors in the provider's memory} */
    public boolean device() {
        return device;
    }

    /** {@return a short description for logs} */
    public String description() {
        return description;
    }

    /**
     * Opens the store of one generation.
     *
     * @param env the ONNX Runtime environment
     * @return a new store; the caller closes it
     * @throws OrtException when a device allocator cannot set up its memory
     */
    public TensorStore open(OrtEnvironment env) throws OrtException {
        if (allocator != null) {
            return allocator.open(env, provider);
        }
        return new DirectTensorStore(env, device);
    }
}
