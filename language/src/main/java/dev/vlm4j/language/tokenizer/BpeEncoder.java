package dev.vlm4j.language.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Byte-level BPE as llama.cpp's {@code llm_tokenizer_bpe}: the pre-tokenizer cuts the text into words; each
 * word is spelled in GPT-2's byte alphabet and starts as one symbol per character; the adjacent pair with the
 * lowest merge rank (leftmost on ties) is merged, again and again; each final symbol is its token, or, when it
 * is none, the tokens of its single bytes that exist.
 *
 * <p>The merge table is built once per vocabulary; {@link #encode} keeps its working state in a {@link Session}.
 */
final class BpeEncoder {
    private final Vocabulary vocab;
    private final PreTokenizer pre;
    /** Every token text (same ids as the vocabulary) plus merge halves and results that are no token. */
    private final ByteStrings symbols;
    private final MergeTable merges;

    BpeEncoder(Vocabulary vocab, List<String> mergeList) {
        this.vocab = vocab;
        this.pre = vocab.pre;
        symbols = new ByteStrings();
        for (byte[] text : vocab.textBytes) {
            symbols.add(text);
        }
        merges = new MergeTable(mergeList.size());
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String merge = mergeList.get(rank);
            int space = merge.indexOf(' ', 1); // as llama.cpp: a leading space belongs to the left half
            if (space < 0) {
                continue; // llama.cpp records ("", ""), which no pair of symbols can match
            }
            String left = merge.substring(0, space);
            String right = merge.substring(space + 1);
            if (left.isEmpty() || right.isEmpty()) {
                continue;
            }
            int l = symbols.intern(left.getBytes(StandardCharsets.UTF_8));
            int r = symbols.intern(right.getBytes(StandardCharsets.UTF_8));
            int result = symbols.intern((left + right).getBytes(StandardCharsets.UTF_8));
            merges.putIfAbsent(l, r, rank, result);
        }
    }

    void encode(String text, IntBuffer out) {
        new Session().encode(text, out);
    }

    /** The working state of one {@link #encode} call. */
    private final class Session {
        private final BigramQueue queue = new BigramQueue();
        private byte[] word = new byte[64];
        private int[] start = new int[32];
        private int[] length = new int[32];
        private int[] symbol = new int[32];
        private int[] prev = new int[32];
        private int[] next = new int[32];

        void encode(String text, IntBuffer out) {
            int[] cps = text.codePoints().toArray();
            SplitText split = new SplitText(cps);
            IntBuffer words = pre.split(split);
            byte[] utf8 = new byte[4];
            int pos = 0;
            for (int w = 0; w < words.size(); w++) {
                int end = pos + words.get(w);
                int len = 0;
                for (int i = pos; i < end; i++) {
                    int n = encodeUtf8(cps[i], utf8);
                    if (word.length < len + 2 * n) {
                        word = java.util.Arrays.copyOf(word, Math.max(word.length * 2, len + 2 * n));
                    }
                    for (int j = 0; j < n; j++) {
                        len = ByteLevel.appendUtf8(utf8[j], word, len);
                    }
                }
                encodeWord(len, out);
                pos = end;
            }
        }

        private void encodeWord(int wordLength, IntBuffer out) {
            if (pre.ignoreMerges()) {
                int id = vocab.find(word, 0, wordLength);
                if (id >= 0) {
                    out.add(id);
                    return;
                }
            }
            if (start.length < wordLength) {
                int cap = Math.max(wordLength, start.length * 2);
                start = new int[cap];
                length = new int[cap];
                symbol = new int[cap];
                prev = new int[cap];
                next = new int[cap];
            }
            int n = 0;
            for (int offs = 0; offs < wordLength; n++) {
                int len = Math.min(Utf8.sequenceLength(word[offs]), wordLength - offs);
                start[n] = offs;
                length[n] = len;
                symbol[n] = symbols.find(word, offs, len);
                prev[n] = n - 1;
                offs += len;
                next[n] = offs == wordLength ? -1 : n + 1;
            }
            queue.clear();
            for (int i = 1; i < n; i++) {
                addBigram(i - 1, i);
            }
            while (!queue.isEmpty()) {
                int left = queue.headLeft();
                int right = queue.headRight();
                int size = queue.headLength();
                queue.pop();
                if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != size) {
                    continue; // one side was merged since this pair was queued
                }
                symbol[left] = merges.result(merges.find(symbol[left], symbol[right]));
                length[left] += length[right];
                length[right] = 0;
                next[left] = next[right];
                if (next[right] >= 0) {
                    prev[next[right]] = left;
                }
                addBigram(prev[left], left);
                addBigram(left, next[left]);
            }
            for (int i = 0; n > 0 && i != -1; i = next[i]) {
                int id = symbol[i];
                if (id >= 0 && id < vocab.size()) {
                    out.add(id);
                    continue;
                }
                for (int j = 0; j < length[i]; j++) {
                    int byteToken = vocab.byteTokens[word[start[i] + j] & 0xFF];
                    if (byteToken >= 0) {
                        out.add(byteToken);
                    }
                }
            }
        }

        private void addBigram(int left, int right) {
            if (left < 0 || right < 0 || symbol[left] < 0 || symbol[right] < 0) {
                return;
            }
            int slot = merges.find(symbol[left], symbol[right]);
            if (slot < 0) {
                return;
            }
            queue.push(BigramQueue.byRank(merges.rank(slot), left), right, length[left] + length[right]);
        }
    }

    /** The UTF-8 bytes of one code point into {@code out}; returns their count. */
    private static int encodeUtf8(int cp, byte[] out) {
        if (cp < 0x80) {
            out[0] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            out[0] = (byte) (0xC0 | (cp >> 6));
            out[1] = (byte) (0x80 | (cp & 0x3F));
            return 2;
        }
        if (cp < 0x10000) {
            out[0] = (byte) (0xE0 | (cp >> 12));
            out[1] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[2] = (byte) (0x80 | (cp & 0x3F));
            return 3;
        }
        out[0] = (byte) (0xF0 | (cp >> 18));
        out[1] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (byte) (0x80 | (cp & 0x3F));
        return 4;
    }
}
