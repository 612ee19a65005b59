package io.omnigen4j.sdk;

import java.time.Duration;

/** Told after every denoising step; called on the generating thread, so keep it short. */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param step    steps done (1 … total)
     * @param total   steps in this generation
     * @param elapsed time since the generation started
     */
    void onStep(int step, int total, Duration elapsed);

    /** A listener that does nothing. */
    ProgressListener NONE = (s, t, e) -> { };
}
