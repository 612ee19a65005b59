package io.omnigen4j.cli;

import io.omnigen4j.sdk.ProgressListener;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * Shows denoising progress: on a terminal one line redrawn with {@code \r} after every step
 * ({@code step 3/10 [=====>     ] 30%  0:02 elapsed, ETA 0:05}), or one plain line per step for logs.
 *
 * <p>The ETA uses the time per step measured from step 1 onwards, so the one-off work before the first step
 * (tokenizing, encoding input images, the condition prefill) does not inflate it.
 */
final class ProgressBar implements ProgressListener {

    /** How progress is shown. */
    enum Mode { BAR, LINES, NONE }

    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final Mode mode;
    private Duration firstStep;
    private boolean open;

    ProgressBar(PrintWriter out, Mode mode) {
        this.out = out;
        this.mode = mode;
    }

    @Override
    public void onStep(int step, int total, Duration elapsed) {
        if (mode == Mode.NONE) {
            return;
        }
        if (step == 1 || firstStep == null) {
            firstStep = elapsed;
        }
        String eta = step >= total ? "done" : "ETA " + clock(eta(step, total, elapsed));
        String counts = String.format("step %" + digits(total) + "d/%d", step, total);
        if (mode == Mode.LINES) {
            out.println(counts + "  " + clock(elapsed) + " elapsed, " + eta);
        } else {
            int filled = (int) ((long) WIDTH * step / total);
            String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
            out.print("\r" + counts + " [" + bar + "] " + String.format("%3d%%", 100 * step / total) + "  "
                    + clock(elapsed) + " elapsed, " + eta + "   ");
            open = true;
            if (step >= total) {
                finish();
            }
        }
        out.flush();
    }

    /** Ends the bar's line (also when generation stops early). */
    void finish() {
        if (open) {
            out.println();
            out.flush();
            open = false;
        }
    }

    private Duration eta(int step, int total, Duration elapsed) {
        Duration perStep = step > 1 ? elapsed.minus(firstStep).dividedBy(step - 1) : elapsed;
        return perStep.multipliedBy(total - step);
    }

    private static int digits(int n) {
        return Integer.toString(n).length();
    }

    /** m:ss, or h:mm:ss from an hour on. */
    static String clock(Duration d) {
        long s = Math.max(0, (d.toMillis() + 500) / 1000);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
