package io.omnigen4j.sdk.device;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import io.omnigen4j.sdk.runtime.DeviceAllocator;
import io.omnigen4j.sdk.runtime.ExecutionProvider;
import io.omnigen4j.sdk.runtime.TensorStore;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device allocator over ONNX Runtime's C API, reached with the Foreign Function and Memory API (Java 22+). Each
 * generation's store creates its tensors with {@code CreateTensorAsOrtValue} from the allocator of a one-node session
 * on the same provider ({@code CreateAllocator} with a "Cuda" memory info on the CUDA provider, "Cpu" on the CPU
 * provider), so on CUDA the condition K/V, latents and step outputs live in GPU memory. Found by {@link
 * java.util.ServiceLoader}; the SDK uses it for {@code TensorPlacement.DEVICE} and, on CUDA, for {@code AUTO}.
 * Thread-safe; stateless apart from the C API bindings shared by the JVM.
 */
public final class CApiDeviceAllocator implements DeviceAllocator {

    /** Per CUDA device: "" when host ↔ device copies work, else why not (see {@link #probe}). */
    private static final Map<Integer, String> cudaProbe = new ConcurrentHashMap<>();

    /** Creates the allocator (the service loader's entry point). */
    public CApiDeviceAllocator() {
    }

    @Override
    public String name() {
        return "ONNX Runtime C API";
    }

    @Override
    public String unavailableReason(ExecutionProvider provider) {
        if (Runtime.version().feature() < 22) {
            return "needs Java 22 or newer for the Foreign Function and Memory API (this is Java " + Runtime.version()
                    + ")";
        }
        try {
            OrtCApi.get();
        } catch (RuntimeException | LinkageError e) {
            return e.getMessage();
        }
        if (provider.kind() == ExecutionProvider.Kind.CUDA) {
            if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
                return "this ONNX Runtime has no CUDA provider (depend on omnigen4j-sdk-gpu)";
            }
            String why = cudaProbe.computeIfAbsent(provider.deviceId(), id -> probe(provider));
            return why.isEmpty() ? null : why;
        }
        return null;
    }

    /**
     * Host ↔ CUDA copies go through the environment's CopyTensors, which only knows the data transfers of
     * execution-provider libraries registered with the environment (on the CPU it finds none, not even CPU to CPU).
     * Whether the CUDA provider's is there cannot be known without trying, so one float makes the round trip once per
     * device: "" when it came back, else why not.
     */
    private static String probe(ExecutionProvider provider) {
        try (TensorStore s = openStore(OrtEnvironment.getEnvironment(), provider)) {
            var t = s.allocate(ai.onnxruntime.OnnxJavaType.FLOAT, 1);
            s.write(t, 0, new float[]{1.5f}, 0, 1);
            float[] back = new float[1];
            s.read(t, 0, back, 0, 1);
            return back[0] == 1.5f ? "" : "a value written to CUDA memory read back as " + back[0];
        } catch (OrtException | RuntimeException e) {
            return "copies between the host and CUDA memory through ONNX Runtime's CopyTensors failed (it needs the"
                    + " CUDA provider's data transfer registered with the environment): " + e.getMessage();
        }
    }

    @Override
    public TensorStore open(OrtEnvironment env, ExecutionProvider provider) throws OrtException {
        String why = unavailableReason(provider);
        if (why != null) {
            throw new IllegalStateException(name() + " cannot serve " + provider + ": " + why);
        }
        return openStore(env, provider);
    }

    private static TensorStore openStore(OrtEnvironment env, ExecutionProvider provider) throws OrtException {
        OrtCApi api = OrtCApi.get();
        String memory = provider.kind() == ExecutionProvider.Kind.CUDA ? "Cuda" : "Cpu";
        OrtSession owner;
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            if (provider.kind() == ExecutionProvider.Kind.CUDA) {
                o.addCUDA(provider.deviceId());
            }
            // CreateAllocator needs a session whose provider owns the memory; this one-node graph is that session.
            owner = env.createSession(identityModel(), o);
        }
        try {
            return new CApiTensorStore(api, env, owner, memory, provider.deviceId());
        } catch (OrtException | RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /** A one-node ONNX model (Identity on a float[1]), serialized by hand so this module needs no protobuf. */
    static byte[] identityModel() {
        byte[] dim = message(1, varint(1, 1));                                   // Dimension.dim_value = 1
        byte[] shape = message(2, message(1, dim));                              // TensorShapeProto.dim
        byte[] tensorType = concat(varint(1, 1), shape);                         // elem_type FLOAT, shape
        byte[] type = message(1, tensorType);                                    // TypeProto.tensor_type
        byte[] node = concat(string(1, "x"), string(2, "y"), string(4, "Identity"));
        byte[] graph = concat(message(1, node), string(2, "anchor"),
                message(11, concat(string(1, "x"), message(2, type))),
                message(12, concat(string(1, "y"), message(2, type))));
        return concat(varint(1, 8), message(7, graph), message(8, varint(2, 13))); // ir 8, opset 13
    }

    private static byte[] varint(int field, long v) {
        return concat(rawVarint((long) field << 3), rawVarint(v));
    }

    private static byte[] string(int field, String s) {
        return message(field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] message(int field, byte[] body) {
        return concat(rawVarint(((long) field << 3) | 2), rawVarint(body.length), body);
    }

    private static byte[] rawVarint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
