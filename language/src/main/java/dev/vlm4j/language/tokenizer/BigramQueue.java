package dev.vlm4j.language.tokenizer;

import java.util.Arrays;

/**
 * The work queue of the merge loops: candidate merges of adjacent symbols, smallest {@code priority} first. The
 * priority packs the merge's rank or score in the high 32 bits and the left symbol's index in the low ones, so
 * ties go to the leftmost pair as in llama.cpp. Each entry also carries the right symbol and the merged length,
 * which tell at pop time whether the pair is still current.
 */
final class BigramQueue {
    private long[] priority = new long[64];
    private int[] right = new int[64];
    private int[] length = new int[64];
    private int size;

    void clear() {
        size = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long prio, int rightIndex, int mergedLength) {
        if (size == priority.length) {
            int n = size * 2;
            priority = Arrays.copyOf(priority, n);
            right = Arrays.copyOf(right, n);
            length = Arrays.copyOf(length, n);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (priority[parent] <= prio) {
                break;
            }
            move(parent, i);
            i = parent;
        }
        priority[i] = prio;
        right[i] = rightIndex;
        length[i] = mergedLength;
    }

    /** Left symbol index of the head (low 32 bits of its priority). */
    int headLeft() {
        return (int) priority[0];
    }

    int headRight() {
        return right[0];
    }

    int headLength() {
        return length[0];
    }

    void pop() {
        size--;
        if (size == 0) {
            return;
        }
        long prio = priority[size];
        int r = right[size];
        int len = length[size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && priority[child + 1] < priority[child]) {
                child++;
            }
            if (priority[child] >= prio) {
                break;
            }
            move(child, i);
            i = child;
        }
        priority[i] = prio;
        right[i] = r;
        length[i] = len;
    }

    private void move(int from, int to) {
        priority[to] = priority[from];
        right[to] = right[from];
        length[to] = length[from];
    }

    /** Priority for a BPE merge: lower rank first, then leftmost. */
    static long byRank(int rank, int left) {
        return ((long) rank << 32) | left;
    }

    /** Priority for a SentencePiece merge: higher score first, then leftmost. */
    static long byScore(float score, int left) {
        int bits = Float.floatToIntBits(score == 0f ? 0f : score); // -0.0 ties with 0.0, as a float compare does
        int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF); // signed-int order == float order
        return ((long) ~ordered << 32) | left; // ~ reverses the order: higher score, smaller key
    }
}
