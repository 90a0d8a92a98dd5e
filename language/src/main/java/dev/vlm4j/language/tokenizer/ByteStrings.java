package dev.vlm4j.language.tokenizer;

import java.util.Arrays;

/**
 * Byte strings numbered densely from 0, looked up by a slice of a byte array without copying it: the vocabulary's
 * token texts (UTF-8) and, for BPE, the merge halves and results that are not tokens themselves. Adding a string
 * that is already present points it at the new number (llama.cpp's {@code token_to_id[text] = id} keeps the last
 * of two equal tokens). Open addressing over primitive arrays; not thread-safe while being filled, read-only after.
 */
final class ByteStrings {
    private byte[][] strings = new byte[16][];
    private int count;
    /** Slot to number + 1 (0 = empty). */
    private int[] slots = new int[32];
    private int[] slotHash = new int[32];

    int size() {
        return count;
    }

    byte[] get(int id) {
        return strings[id];
    }

    /** Appends {@code s} as number {@link #size()} and maps its text to that number. */
    int add(byte[] s) {
        if (count == strings.length) {
            strings = Arrays.copyOf(strings, count * 2);
        }
        int id = count++;
        strings[id] = s;
        if (count * 2 > slots.length) {
            rehash(slots.length * 2);
        }
        int h = hash(s, 0, s.length);
        int slot = h & (slots.length - 1);
        while (slots[slot] != 0) {
            if (slotHash[slot] == h && equal(strings[slots[slot] - 1], s, 0, s.length)) {
                slots[slot] = id + 1;
                return id;
            }
            slot = (slot + 1) & (slots.length - 1);
        }
        slots[slot] = id + 1;
        slotHash[slot] = h;
        return id;
    }

    /** The number of {@code s}, adding it if absent. */
    int intern(byte[] s) {
        int id = find(s, 0, s.length);
        return id >= 0 ? id : add(s);
    }

    /** The number the bytes {@code [off, off+len)} of {@code buf} map to, or -1. */
    int find(byte[] buf, int off, int len) {
        int h = hash(buf, off, len);
        int slot = h & (slots.length - 1);
        while (slots[slot] != 0) {
            if (slotHash[slot] == h && equal(strings[slots[slot] - 1], buf, off, len)) {
                return slots[slot] - 1;
            }
            slot = (slot + 1) & (slots.length - 1);
        }
        return -1;
    }

    private void rehash(int capacity) {
        int[] oldSlots = slots;
        int[] oldHash = slotHash;
        slots = new int[capacity];
        slotHash = new int[capacity];
        for (int i = 0; i < oldSlots.length; i++) {
            if (oldSlots[i] != 0) {
                int slot = oldHash[i] & (capacity - 1);
                while (slots[slot] != 0) {
                    slot = (slot + 1) & (capacity - 1);
                }
                slots[slot] = oldSlots[i];
                slotHash[slot] = oldHash[i];
            }
        }
    }

    private static boolean equal(byte[] s, byte[] buf, int off, int len) {
        return s.length == len && Arrays.equals(s, 0, len, buf, off, off + len);
    }

    private static int hash(byte[] buf, int off, int len) {
        int h = 0x811C9DC5;
        for (int i = off; i < off + len; i++) {
            h = (h ^ buf[i]) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }
}
