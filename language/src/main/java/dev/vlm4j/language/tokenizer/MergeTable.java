package dev.vlm4j.language.tokenizer;

/**
 * BPE merges as an open-addressing hash table from a symbol pair to (rank, merged symbol), with primitive arrays
 * only: a 280k-merge vocabulary costs a few MB and no boxing. The first rank of a pair listed twice wins.
 */
final class MergeTable {
    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int[] results;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        results = new int[capacity];
        mask = capacity - 1;
    }

    /** Adds the merge unless the pair is already present (then the earlier, higher-priority rank stays). */
    void putIfAbsent(int left, int right, int rank, int result) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) {
                return;
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ranks[slot] = rank;
        results[slot] = result;
        size++;
    }

    /** The slot holding the pair, or -1. */
    int find(int left, int right) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    int rank(int slot) {
        return ranks[slot];
    }

    int result(int slot) {
        return results[slot];
    }

    int size() {
        return size;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }
}
