package dev.vlm4j.language.tokenizer;

import java.util.Arrays;

/** A growable list of ints without boxing. */
final class IntBuffer {
    private int[] values;
    private int size;

    IntBuffer(int capacity) {
        values = new int[Math.max(4, capacity)];
    }

    void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = value;
    }

    int get(int index) {
        return values[index];
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
