package io.omnigen4j.sdk;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.util.HashSet;
import java.util.Set;

/**
 * Cancels a generation from any thread. The pipeline checks it before every graph run group and every denoising
 * step, and {@link #cancel()} also sets ONNX Runtime's terminate flag on the run in flight, so a long graph stops
 * within moments rather than at the next step. A token may be shared by several generations (cancelling stops them
 * all); a cancelled token stays cancelled, and a generation started with it fails at once.
 */
public final class CancellationToken {

    private volatile boolean cancelled;
    /** Run options of the generations using this token; guarded by {@code this}. */
    private final Set<OrtSession.RunOptions> running = new HashSet<>();

    /**
     * Cancels every generation using this token. Safe to call from any thread, also from a
     * {@link ProgressListener}, and more than once.
     */
    public void cancel() {
        synchronized (this) {
            cancelled = true;
            for (OrtSession.RunOptions r : running) {
                try {
                    r.setTerminate(true);
                } catch (OrtException | IllegalStateException ignored) {
                    // Cannot happen while attached (options are detached before they are closed); best effort.
                }
            }
        }
    }

    /** {@return whether {@link #cancel()} was called} */
    public boolean isCancelled() {
        return cancelled;
    }

    /** Registers the options of a generation so {@link #cancel()} can stop its runs; package use. */
    synchronized void attach(OrtSession.RunOptions options) throws OrtException {
        running.add(options);
        if (cancelled) {
            options.setTerminate(true);
        }
    }

    /**
     * Unregisters options; package use. Holding the lock makes this wait for a {@link #cancel()} in progress, so the
     * caller may close the options right after: ORT's RunOptions are not safe against a concurrent close.
     */
    synchronized void detach(OrtSession.RunOptions options) {
        running.remove(options);
    }
}
