package io.omnigen4j.sdk.runtime;

/** Where the graphs run: the CPU (always available) or a CUDA device (needs the omnigen4j-sdk-gpu artifact). */
public record ExecutionProvider(Kind kind, int deviceId) {

    public enum Kind { CPU, CUDA }

    public static final ExecutionProvider CPU = new ExecutionProvider(Kind.CPU, 0);

    public static ExecutionProvider cuda(int deviceId) {
        if (deviceId < 0) {
            throw new IllegalArgumentException("CUDA device id must be ≥ 0, got " + deviceId);
        }
        return new ExecutionProvider(Kind.CUDA, deviceId);
    }

    /** "cpu", "cuda" or "cuda:N". */
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
