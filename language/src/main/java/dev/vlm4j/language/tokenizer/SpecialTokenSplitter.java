package dev.vlm4j.language.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts special tokens out of text before it is tokenized, as llama.cpp's {@code tokenizer_st_partition}: each
 * special token in turn, longest first, splits every remaining text fragment at its occurrences (leftmost first,
 * not overlapping). User-defined tokens are always cut out; control and unknown tokens only when special parsing
 * is asked for. A token with the RSTRIP attribute also swallows the ASCII whitespace after it.
 */
final class SpecialTokenSplitter {
    /** A piece of the input: text still to be tokenized ({@code [start, end)} of the input), or a special token. */
    sealed interface Fragment {
        record Text(int start, int end) implements Fragment {}

        record Special(int id) implements Fragment {}
    }

    private SpecialTokenSplitter() {}

    static List<Fragment> split(Vocabulary vocab, String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new Fragment.Text(0, text.length()));
        for (int id : vocab.specialTokens) {
            TokenType type = vocab.types[id];
            if (!parseSpecial && type != TokenType.USER_DEFINED) {
                continue;
            }
            fragments = splitAt(fragments, text, id, vocab.texts[id], vocab.rstrip[id]);
        }
        return fragments;
    }

    private static List<Fragment> splitAt(List<Fragment> fragments, String text, int id, String token, boolean rstrip) {
        int len = token.length();
        int hit = text.indexOf(token); // the next occurrence at or after the fragment being looked at, or -1
        if (hit < 0) {
            return fragments;
        }
        List<Fragment> out = new ArrayList<>(fragments.size() + 2);
        for (Fragment f : fragments) {
            if (!(f instanceof Fragment.Text(int start, int end))) {
                out.add(f);
                continue;
            }
            if (hit >= 0 && hit < start) {
                hit = text.indexOf(token, start);
            }
            int pos = start;
            while (hit >= 0 && hit + len <= end) {
                if (hit > pos) {
                    out.add(new Fragment.Text(pos, hit));
                }
                out.add(new Fragment.Special(id));
                pos = hit + len;
                if (rstrip) {
                    while (pos < end && isAsciiSpace(text.charAt(pos))) {
                        pos++;
                    }
                }
                hit = text.indexOf(token, pos);
            }
            if (pos < end) {
                out.add(pos == start ? f : new Fragment.Text(pos, end));
            }
        }
        return out;
    }

    /** C's isspace in the "C" locale. */
    static boolean isAsciiSpace(int c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
