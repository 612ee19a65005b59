package io.omnigen4j.sdk;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cancels a generation from any thread. The pipeline checks it between graph runs and also sets ONNX Runtime's
 * terminate flag on the run in flight, so a long graph stops within moments rather than at the next step.
 * One token per generation; a cancelled token stays cancelled.
 */
public final class CancellationToken {

    private volatile boolean cancelled;
    private final Set<OrtSession.RunOptions> running = ConcurrentHashMap.newKeySet();

    public void cancel() {
        cancelled = true;
        for (OrtSession.RunOptions r : running) {
            try {
                r.setTerminate(true);
            } catch (OrtException | IllegalStateException ignored) {
                // The run already ended and its options were closed.
            }
        }
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Registers the options of a generation so {@link #cancel()} can stop its runs; package use. */
    void attach(OrtSession.RunOptions options) throws OrtException {
        running.add(options);
        if (cancelled) {
            options.setTerminate(true);
        }
    }

    void detach(OrtSession.RunOptions options) {
        running.remove(options);
    }
}
