package dev.vlm4j.sdk.hub;

import java.io.PrintStream;

/** A one-line progress bar redrawn with carriage returns, at most ten times a second. */
public final class TerminalProgressBar implements DownloadProgress {
    private final PrintStream out;
    private long lastDraw;
    private String lastFile;

    public TerminalProgressBar(PrintStream out) {
        this.out = out;
    }

    /** A bar on stderr when it is a terminal, otherwise nothing. */
    public static DownloadProgress forStderr() {
        return System.console() != null ? new TerminalProgressBar(System.err) : NONE;
    }

    @Override
    public synchronized void update(String file, long done, long total) {
        long now = System.nanoTime();
        boolean finished = total >= 0 && done >= total;
        if (!finished && file.equals(lastFile) && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        lastFile = file;
        int width = 30;
        String bar;
        if (total > 0) {
            int filled = (int) (width * Math.min(1.0, (double) done / total));
            bar = String.format("[%s%s] %5.1f%% %,.1f/%,.1f MiB", "#".repeat(filled), " ".repeat(width - filled),
                    100.0 * done / total, done / 1048576.0, total / 1048576.0);
        } else {
            bar = String.format("%,.1f MiB", done / 1048576.0);
        }
        out.print("\r" + file + " " + bar);
        if (finished) {
            out.println();
        }
        out.flush();
    }
}
