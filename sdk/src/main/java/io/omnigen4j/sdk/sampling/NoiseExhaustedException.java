package io.omnigen4j.sdk.sampling;

/**
 * Thrown by {@link RecordedNoiseSource} when a run makes more VAE encode calls than noise tensors were recorded,
 * i.e. the replayed request does not match the one that was recorded (different images or guidance branches).
 */
public final class NoiseExhaustedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int requestedIndex;
    private final int recordedCount;

    public NoiseExhaustedException(int requestedIndex, int recordedCount) {
        super("VAE encode call #" + requestedIndex + " asks for posterior noise, but only " + recordedCount
                + " eps tensor(s) were recorded (the request makes more encode calls than the recording)");
        this.requestedIndex = requestedIndex;
        this.recordedCount = recordedCount;
    }

    /** The 0-based encode call that had no recorded noise. */
    public int requestedIndex() {
        return requestedIndex;
    }

    /** How many eps tensors were recorded. */
    public int recordedCount() {
        return recordedCount;
    }
}
