package dev.vlm4j.language.tokenizer;

import static dev.vlm4j.language.tokenizer.CodepointClass.LETTER;
import static dev.vlm4j.language.tokenizer.CodepointClass.NUMBER;
import static dev.vlm4j.language.tokenizer.CodepointClass.WHITESPACE;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One splitting pass of a pre-tokenizer. llama.cpp applies a list of regexes in turn; each one cuts every piece
 * left by the previous one into its matches and the unmatched gaps between them (both kept). Two regexes it
 * runs as hand-written scanners (GPT-2's and Llama 3's), and so does this class; the rest llama.cpp runs through
 * C++ {@code std::regex}, not on Unicode categories but on a "collapsed" text where every non-ASCII code point is
 * one marker byte for its category. The same regexes on the same collapsed text through {@code java.util.regex}
 * give the same matches: both engines are backtracking, leftmost-first, with ordered alternation, greedy
 * quantifiers and lookahead as ECMAScript defines them, and {@code \s} is the same six ASCII characters in both
 * (non-ASCII whitespace is collapsed to U+000B, which both match). The one construct whose meaning differs,
 * {@code $} (Java also matches before a final line break), is not passed to Java: {@code \s+$} is a scanner.
 */
sealed interface SplitStep permits SplitStep.Gpt2, SplitStep.Llama3, SplitStep.Regex, SplitStep.TrailingWhitespace {

    /** Cuts the piece {@code [start, end)} (code point indices) and adds the lengths of its parts to {@code out}. */
    void split(SplitText text, int start, int end, IntBuffer out);

    /**
     * A llama.cpp pre-tokenizer regex. One that uses \p{..} categories runs, like llama.cpp, on the collapsed text
     * with each category replaced by its marker and ASCII members; one without runs on the code points (with
     * non-ASCII whitespace read as U+000B). Java's default {@code \s} is the same ASCII set as the C++ one.
     */
    static SplitStep regex(String llamaRegex) {
        if (llamaRegex.equals("\\s+$")) {
            return new TrailingWhitespace();
        }
        boolean usesCategories = CATEGORIES.keySet().stream().anyMatch(llamaRegex::contains);
        if (llamaRegex.replace("\\$", "").contains("$")) {
            throw new IllegalArgumentException("end anchors mean something else to java.util.regex: " + llamaRegex);
        }
        return usesCategories ? new Regex(Pattern.compile(collapse(llamaRegex)), true) : new Regex(Pattern.compile(llamaRegex), false);
    }

    /** The marker and ASCII members of each category in the collapsed text (llama.cpp's unicode.cpp tables). */
    Map<String, String> CATEGORIES = Map.of(
            "\\p{N}", "\\x{D1}0-9",
            "\\p{L}", "\\x{D2}A-Za-z",
            "\\p{Lu}", "\\x{D2}A-Za-z",
            "\\p{Ll}", "\\x{D2}A-Za-z",
            "\\p{Lt}", "\\x{D2}A-Za-z",
            "\\p{Lm}", "\\x{D2}A-Za-z",
            "\\p{Lo}", "\\x{D2}A-Za-z",
            "\\p{P}", "\\x{D3}!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
            "\\p{M}", "\\x{D4}",
            "\\p{S}", "\\x{D5}\\$\\+<->\\^`\\|");

    /** Rewrites \p{..} categories into collapsed-text classes, bracketing them unless already inside [...]. */
    static String collapse(String regex) {
        StringBuilder out = new StringBuilder(regex.length() * 2);
        boolean inside = false;
        for (int i = 0; i < regex.length(); i++) {
            char ch = regex.charAt(i);
            boolean escaped = i > 0 && regex.charAt(i - 1) == '\\';
            if (ch == '[' && !escaped) {
                inside = true;
            } else if (ch == ']' && inside && !escaped) {
                inside = false;
            } else if (ch == '\\' && regex.startsWith("\\p{", i)) {
                int close = regex.indexOf('}', i);
                String members = close < 0 ? null : CATEGORIES.get(regex.substring(i, close + 1));
                if (members != null) {
                    out.append(inside ? members : "[" + members + "]");
                    i = close;
                    continue;
                }
            }
            out.append(ch);
        }
        return out.toString();
    }

    /** A regex pass: matches and the gaps between them become pieces. */
    record Regex(Pattern pattern, boolean onCollapsed) implements SplitStep {
        @Override
        public void split(SplitText text, int start, int end, IntBuffer out) {
            int prev = start;
            if (onCollapsed) {
                Matcher m = pattern.matcher(text.collapsed()).region(start, end);
                while (m.find()) {
                    prev = add(out, prev, m.start(), m.end());
                }
            } else {
                Matcher m = pattern.matcher(text.wide()).region(text.wideIndex(start), text.wideIndex(end));
                while (m.find()) {
                    int s = text.cpIndexOfWide(m.start(), prev);
                    prev = add(out, prev, s, text.cpIndexOfWide(m.end(), s));
                }
            }
            if (prev < end) {
                out.add(end - prev);
            }
        }

        private static int add(IntBuffer out, int prev, int matchStart, int matchEnd) {
            if (matchEnd == matchStart) {
                return prev; // none of the pre-tokenizer regexes can match empty; an empty match cuts nothing
            }
            if (matchStart > prev) {
                out.add(matchStart - prev);
            }
            out.add(matchEnd - matchStart);
            return matchEnd;
        }
    }

    /**
     * {@code \s+$}: the leftmost match is the whole run of whitespace ending the piece. Scanned directly because
     * a backtracking engine spends quadratic time on long whitespace runs that do not reach the end.
     */
    record TrailingWhitespace() implements SplitStep {
        @Override
        public void split(SplitText text, int start, int end, IntBuffer out) {
            int ws = end;
            // C++ \s on llama.cpp's wide text matches ASCII whitespace and the U+000B that other whitespace became
            while (ws > start && (text.classes[ws - 1] & WHITESPACE) != 0) {
                ws--;
            }
            if (ws > start) {
                out.add(ws - start);
            }
            if (ws < end) {
                out.add(end - ws);
            }
        }
    }

    /** GPT-2's {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)}, scanned as llama.cpp does. */
    record Gpt2() implements SplitStep {
        @Override
        public void split(SplitText t, int start, int end, IntBuffer out) {
            Cursor c = new Cursor(t, start, end, out);
            while (c.pos < end) {
                int cp = t.cps[c.pos];
                int cls = t.classes[c.pos];
                if (cp == '\'' && c.contraction(false)) {
                    continue;
                }
                int pos = c.pos;
                int lead = cp == ' ' ? c.cls(pos + 1) : cls;
                int skip = cp == ' ' ? 1 : 0;
                if ((lead & LETTER) != 0) {
                    c.emit(c.runOf(pos + skip, LETTER));
                } else if ((lead & NUMBER) != 0) {
                    c.emit(c.runOf(pos + skip, NUMBER));
                } else if (isOther(lead)) {
                    c.emit(c.runOfOther(pos + skip));
                } else {
                    c.whitespace(false);
                }
            }
        }
    }

    /**
     * Llama 3's {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
     * \s*[\r\n]+|\s+(?!\S)|\s+}, scanned as llama.cpp does.
     */
    record Llama3() implements SplitStep {
        @Override
        public void split(SplitText t, int start, int end, IntBuffer out) {
            Cursor c = new Cursor(t, start, end, out);
            while (c.pos < end) {
                int pos = c.pos;
                int cp = t.cps[pos];
                int cls = t.classes[pos];
                if (cp == '\'' && c.contraction(true)) {
                    continue;
                }
                if (cp != '\r' && cp != '\n' && (cls & NUMBER) == 0
                        && ((cls & LETTER) != 0 || (c.cls(pos + 1) & LETTER) != 0)) {
                    c.emit(c.runOf(pos + 1, LETTER));
                    continue;
                }
                if ((cls & NUMBER) != 0) {
                    int p = pos;
                    while ((c.cls(p) & NUMBER) != 0 && p - pos < 3) {
                        p++;
                    }
                    c.emit(p);
                    continue;
                }
                int lead = cp == ' ' ? c.cls(pos + 1) : cls;
                if ((lead & (WHITESPACE | LETTER | NUMBER)) == 0) {
                    int p = c.runOfOther(pos + (cp == ' ' ? 1 : 0));
                    while (c.cp(p) == '\r' || c.cp(p) == '\n') {
                        p++;
                    }
                    c.emit(p);
                    continue;
                }
                c.whitespace(true);
            }
        }
    }

    /** Neither letter, number nor whitespace, and inside the piece. */
    private static boolean isOther(int cls) {
        return cls != 0 && (cls & (WHITESPACE | LETTER | NUMBER)) == 0;
    }

    /** Scanning state shared by the two hand-written splitters. */
    final class Cursor {
        private final SplitText t;
        private final int start;
        private final int end;
        private final IntBuffer out;
        int pos;

        Cursor(SplitText t, int start, int end, IntBuffer out) {
            this.t = t;
            this.start = start;
            this.end = end;
            this.out = out;
            this.pos = start;
        }

        int cls(int i) {
            return t.classAt(i, start, end);
        }

        int cp(int i) {
            return t.cpAt(i, start, end);
        }

        void emit(int newPos) {
            if (newPos > pos) {
                out.add(newPos - pos);
            }
            pos = newPos;
        }

        /** First index from {@code from} whose class lacks {@code bit}. */
        int runOf(int from, int bit) {
            int p = from;
            while ((cls(p) & bit) != 0) {
                p++;
            }
            return p;
        }

        int runOfOther(int from) {
            int p = from;
            while (isOther(cls(p))) {
                p++;
            }
            return p;
        }

        /** {@code 's|'t|'re|'ve|'m|'ll|'d} at {@link #pos} (an apostrophe); emits it and returns true if present. */
        boolean contraction(boolean ignoreCase) {
            if (pos + 1 >= end) {
                return false;
            }
            int a = lower(cp(pos + 1), ignoreCase);
            if (a == 's' || a == 't' || a == 'm' || a == 'd') {
                emit(pos + 2);
                return true;
            }
            if (pos + 2 < end) {
                int b = lower(cp(pos + 2), ignoreCase);
                if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                    emit(pos + 3);
                    return true;
                }
            }
            return false;
        }

        private static int lower(int cp, boolean ignoreCase) {
            return ignoreCase ? Character.toLowerCase(cp) : cp;
        }

        /**
         * The whitespace alternatives: (Llama 3 only) {@code \s*[\r\n]+} up to the last line break of the run, then
         * {@code \s+(?!\S)} (the run minus its last character when something follows) and {@code \s+}; a character
         * nothing matches becomes a piece of its own.
         */
        void whitespace(boolean lineBreaksFirst) {
            int n = 0;
            int afterLastBreak = -1;
            while ((cls(pos + n) & WHITESPACE) != 0) {
                int cp = t.cps[pos + n];
                if (cp == '\r' || cp == '\n') {
                    afterLastBreak = pos + n + 1;
                }
                n++;
            }
            if (lineBreaksFirst && afterLastBreak > 0) {
                emit(afterLastBreak);
            } else if (n > 1 && pos + n < end) {
                emit(pos + n - 1);
            } else if (n > 0) {
                emit(pos + n);
            } else {
                emit(pos + 1);
            }
        }
    }
}
