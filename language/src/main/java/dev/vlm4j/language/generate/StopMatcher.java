package dev.vlm4j.language.generate;

import java.util.List;

/**
 * Watches generated text for caller-given stop strings. Text is released only once it can no longer be the start
 * of a stop string, so a streamed answer never shows part of a stop string; the stop string itself is never
 * released.
 */
public final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        }
        this.stops = List.copyOf(stops);
    }

    /** Adds generated text; returns the text that is now safe to show (may be empty). */
    public String accept(String text) {
        if (stopped) return "";
        pending.append(text);
        int earliest = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (earliest < 0 || at < earliest)) earliest = at;
        }
        if (earliest >= 0) {
            stopped = true;
            String out = pending.substring(0, earliest);
            pending.setLength(0);
            return out;
        }
        int hold = 0;
        for (String stop : stops) hold = Math.max(hold, suffixThatStarts(stop));
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** Whether a stop string has appeared. */
    public boolean stopped() {
        return stopped;
    }

    /** At the end of generation: whatever was held back (nothing if a stop string appeared). */
    public String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of {@code stop}. */
    private int suffixThatStarts(String stop) {
        int max = Math.min(stop.length() - 1, pending.length());
        String tail = pending.substring(pending.length() - max);
        for (int len = max; len > 0; len--) {
            if (stop.startsWith(tail.substring(max - len))) return len;
        }
        return 0;
    }
}
