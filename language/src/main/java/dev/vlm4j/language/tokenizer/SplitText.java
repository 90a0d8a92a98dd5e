package dev.vlm4j.language.tokenizer;

/**
 * The text being pre-tokenized, as code points with their classes, plus the two views llama.cpp runs regexes
 * on, built only when a step needs them: the collapsed text (one character per code point, see
 * {@link CodepointClass#collapsed}) and the full text with non-ASCII whitespace turned into U+000B.
 */
final class SplitText {
    final int[] cps;
    final int[] classes;
    private String collapsed;
    private String wide;
    /** Code point index to UTF-16 index in {@link #wide} (length cps.length + 1). */
    private int[] wideIndex;

    SplitText(int[] cps) {
        this.cps = cps;
        this.classes = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            classes[i] = CodepointClass.of(cps[i]);
        }
    }

    /** The class of the code point at {@code i} if it lies in {@code [start, end)}, else 0 (matches nothing). */
    int classAt(int i, int start, int end) {
        return i >= start && i < end ? classes[i] : 0;
    }

    /** The code point at {@code i} if it lies in {@code [start, end)}, else -1. */
    int cpAt(int i, int start, int end) {
        return i >= start && i < end ? cps[i] : -1;
    }

    String collapsed() {
        if (collapsed == null) {
            char[] out = new char[cps.length];
            for (int i = 0; i < cps.length; i++) {
                out[i] = CodepointClass.collapsed(cps[i]);
            }
            collapsed = new String(out);
        }
        return collapsed;
    }

    String wide() {
        if (wide == null) {
            StringBuilder sb = new StringBuilder(cps.length + 16);
            wideIndex = new int[cps.length + 1];
            for (int i = 0; i < cps.length; i++) {
                wideIndex[i] = sb.length();
                int cp = cps[i];
                sb.appendCodePoint(cp > 0x7F && (classes[i] & CodepointClass.WHITESPACE) != 0 ? 0x0B : cp);
            }
            wideIndex[cps.length] = sb.length();
            wide = sb.toString();
        }
        return wide;
    }

    int wideIndex(int cpIndex) {
        wide();
        return wideIndex[cpIndex];
    }

    /** Inverse of {@link #wideIndex}: the code point index at a UTF-16 index that starts a code point. */
    int cpIndexOfWide(int utf16Index, int searchFrom) {
        int lo = searchFrom;
        int hi = cps.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (wideIndex[mid] < utf16Index) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
