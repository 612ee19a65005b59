package io.omnigen4j.sdk.runtime;

import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Counts the host↔device copies of one generation, by phase (see {@link TransferStats}). The {@link TensorStore}
 * counts its own writes and reads; the generation reports each graph run with {@link #run}. Not thread-safe.
 */
public final class TransferLog {
    private final List<TransferStats> done = new ArrayList<>();
    private String phase = "prepare";
    private long h2dBytes, d2hBytes;
    private int h2dTensors, d2hTensors;

    /** Creates an empty log whose first phase is {@code "prepare"}. */
    public TransferLog() {
    }

    /**
     * Closes the current phase and starts {@code name}.
     *
     * @param name the new phase's name
     */
    public void beginPhase(String name) {
        done.add(current());
        phase = name;
        h2dBytes = d2hBytes = 0;
        h2dTensors = d2hTensors = 0;
    }

    /**
     * Counts one copy from the host to the device.
     *
     * @param bytes its size
     */
    public void hostToDevice(long bytes) {
        h2dBytes += bytes;
        h2dTensors++;
    }

    /**
     * Counts one copy from the device to the host.
     *
     * @param bytes its size
     */
    public void deviceToHost(long bytes) {
        d2hBytes += bytes;
        d2hTensors++;
    }

    /**
     * Counts the copies ONNX Runtime makes for one graph run: every input {@code store} does not hold goes to the
     * device, every pinned output it does not hold and every output ONNX Runtime allocated comes back.
     *
     * @param store   the generation's store
     * @param inputs  the run's inputs
     * @param pinned  its pre-allocated outputs (may be empty)
     * @param fetched the outputs ONNX Runtime allocated (the run's result), or null
     */
    public void run(TensorStore store, Map<String, ? extends OnnxTensorLike> inputs,
                    Map<String, ? extends OnnxTensorLike> pinned, OrtSession.Result fetched) {
        for (OnnxTensorLike v : inputs.values()) {
            if (!store.holds(v)) {
                hostToDevice(bytes(v.getInfo()));
            }
        }
        for (OnnxTensorLike v : pinned.values()) {
            if (!store.holds(v)) {
                deviceToHost(bytes(v.getInfo()));
            }
        }
        if (fetched != null) {
            for (Map.Entry<String, OnnxValue> e : fetched) {
                if (!pinned.containsKey(e.getKey()) && e.getValue().getInfo() instanceof TensorInfo t) {
                    deviceToHost(bytes(t));
                }
            }
        }
    }

    /** {@return the finished phases and the current one, oldest first} */
    public List<TransferStats> phases() {
        List<TransferStats> all = new ArrayList<>(done);
        all.add(current());
        return List.copyOf(all);
    }

    private TransferStats current() {
        return new TransferStats(phase, h2dBytes, h2dTensors, d2hBytes, d2hTensors);
    }

    private static long bytes(TensorInfo info) {
        long n = 1;
        for (long d : info.getShape()) {
            n *= d;
        }
        return n * info.type.size;
    }
}
