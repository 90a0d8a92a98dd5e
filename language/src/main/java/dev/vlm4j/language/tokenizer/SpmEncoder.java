package dev.vlm4j.language.tokenizer;

/**
 * SentencePiece-style BPE as llama.cpp's {@code llm_tokenizer_spm}: the text (spaces already escaped to U+2581)
 * starts as one symbol per UTF-8 character; the adjacent pair whose concatenation is the highest-scoring token
 * (leftmost on ties) is merged, again and again; each final symbol is its token, or, when it is none (a
 * character the vocabulary lacks), one byte-fallback token {@code <0xNN>} per byte.
 *
 * <p>One instance per call: it keeps the symbol chain of the text being encoded.
 */
final class SpmEncoder {
    private final Vocabulary vocab;
    private final BigramQueue queue = new BigramQueue();
    private byte[] text;
    private int[] start;
    private int[] length;
    private int[] prev;
    private int[] next;

    SpmEncoder(Vocabulary vocab) {
        this.vocab = vocab;
    }

    void encode(byte[] utf8, IntBuffer out) {
        text = utf8;
        int n = 0;
        int cap = utf8.length;
        start = new int[cap];
        length = new int[cap];
        prev = new int[cap];
        next = new int[cap];
        for (int offs = 0; offs < utf8.length; n++) {
            int len = Math.min(Utf8.sequenceLength(utf8[offs]), utf8.length - offs);
            start[n] = offs;
            length[n] = len;
            prev[n] = n - 1;
            offs += len;
            next[n] = offs == utf8.length ? -1 : n + 1;
        }
        if (n == 0) {
            return;
        }
        queue.clear();
        for (int i = 1; i < n; i++) {
            tryAddBigram(i - 1, i);
        }
        while (!queue.isEmpty()) {
            int left = queue.headLeft();
            int right = queue.headRight();
            int size = queue.headLength();
            queue.pop();
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != size) {
                continue; // one side was merged since this pair was queued
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            tryAddBigram(prev[left], left);
            tryAddBigram(left, next[left]);
        }
        for (int i = 0; i != -1; i = next[i]) {
            int id = vocab.find(text, start[i], length[i]);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            for (int j = 0; j < length[i]; j++) {
                int b = text[start[i] + j] & 0xFF;
                int byteToken = vocab.byteTokens[b];
                if (byteToken < 0) {
                    throw new TokenizerException(vocab.source + ": the text needs byte 0x" + String.format("%02X", b)
                            + " but the vocabulary has no <0x" + String.format("%02X", b) + "> token to fall back to");
                }
                out.add(byteToken);
            }
        }
    }

    private void tryAddBigram(int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        int size = length[left] + length[right];
        if (size > vocab.maxTokenBytes) {
            return;
        }
        int id = vocab.find(text, start[left], size);
        if (id < 0) {
            return;
        }
        queue.push(BigramQueue.byScore(vocab.scores[id], left), right, size);
    }
}
