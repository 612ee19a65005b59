package io.omnigen4j.sdk.sampling;

/**
 * Thrown by {@link RecordedNoiseSource} when a run makes more VAE encode calls than noise tensors were recorded,
 * i.e. the replayed request does not match the one that was recorded (different images or guidance branches).
 */
public final class NoiseExhaustedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** The 0-based encode call that had no recorded noise. */
    private final int requestedIndex;
    /** How many eps tensors were recorded. */
    private final int recordedCount;

    /**
     * Creates the exception with a message naming both counts.
     * @param requestedIndex the 0-based encode call that had no recorded noise
     * @param recordedCount how many eps tensors were recorded
     */
    public NoiseExhaustedException(int requestedIndex, int recordedCount) {
        super("VAE encode call #" + requestedIndex + " asks for posterior noise, but only " + recordedCount
                + " eps tensor(s) were recorded (the request makes more encode calls than the recording)");
        this.requestedIndex = requestedIndex;
        this.recordedCount = recordedCount;
    }

    /** {@return the 0-based encode call that had no recorded noise} */
    public int requestedIndex() {
        return requestedIndex;
    }

    /** {@return how many eps tensors were recorded} */
    public int recordedCount() {
        return recordedCount;
    }
}
