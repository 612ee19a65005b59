package io.omnigen4j.sdk.runtime;

/**
 * Where the graphs run: the CPU (always available) or a CUDA device (needs the omnigen4j-sdk-gpu artifact).
 *
 * @param kind CPU or CUDA
 * @param deviceId the CUDA device index (0 for the CPU)
 */
public record ExecutionProvider(Kind kind, int deviceId) {

    /** The kind of device: {@code CPU} or {@code CUDA}. */
    public enum Kind {
        /** ONNX Runtime's CPU provider. */
        CPU,
        /** ONNX Runtime's CUDA provider (onnxruntime_gpu). */
        CUDA
    }

    /** The CPU provider (the default). */
    public static final ExecutionProvider CPU = new ExecutionProvider(Kind.CPU, 0);

    /**
     * The CUDA provider on one device.
     * @param deviceId the CUDA device index, ≥ 0
     * @return the provider
     * @throws IllegalArgumentException if {@code deviceId} is negative
     */
    public static ExecutionProvider cuda(int deviceId) {
        if (deviceId < 0) {
            throw new IllegalArgumentException("CUDA device id must be ≥ 0, got " + deviceId);
        }
        return new ExecutionProvider(Kind.CUDA, deviceId);
    }

    /**
     * Parses the CLI form of a provider.
     * @param s {@code "cpu"}, {@code "cuda"} (device 0) or {@code "cuda:N"}, any case
     * @return the provider
     * @throws IllegalArgumentException naming the accepted forms when {@code s} is none of them
     */
    public static ExecutionProvider parse(String s) {
        String v = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("cpu")) {
            return CPU;
        }
        if (v.equals("cuda")) {
            return cuda(0);
        }
        if (v.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(v.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CUDA device in '" + s + "'; use cuda:0");
            }
        }
        throw new IllegalArgumentException("unknown execution provider '" + s + "'; use cpu, cuda or cuda:N");
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + deviceId;
    }
}
