package dev.vlm4j.kernels.tornadovm;

import java.util.Map;
import java.util.TreeMap;

/**
 * First-fit allocator of float ranges in the device heap (the one activation array every kernel addresses by
 * offset). Ranges are 16-float aligned; freed ranges merge with their neighbours. Freeing happens from a
 * {@link java.lang.ref.Cleaner} thread when a matrix becomes unreachable, hence the locking.
 */
final class DeviceHeap {
    static final int ALIGN = 16;

    private final TreeMap<Integer, Integer> free = new TreeMap<>(); // offset -> length
    private int capacity;
    private long used;

    DeviceHeap(int capacity) {
        if (capacity <= 0 || capacity % ALIGN != 0) {
            throw new IllegalArgumentException("heap capacity must be a positive multiple of " + ALIGN);
        }
        this.capacity = capacity;
        free.put(0, capacity);
    }

    synchronized int capacity() {
        return capacity;
    }

    synchronized long used() {
        return used;
    }

    /** The offset of a new range of {@code floats}, or -1 when no free range is large enough. */
    synchronized int allocate(int floats) {
        int size = aligned(floats);
        for (Map.Entry<Integer, Integer> e : free.entrySet()) {
            if (e.getValue() >= size) {
                int at = e.getKey();
                free.remove(at);
                if (e.getValue() > size) {
                    free.put(at + size, e.getValue() - size);
                }
                used += size;
                return at;
            }
        }
        return -1;
    }

    synchronized void release(int offset, int floats) {
        int size = aligned(floats);
        used -= size;
        insertFree(offset, size);
    }

    private void insertFree(int offset, int size) {
        int at = offset;
        Map.Entry<Integer, Integer> before = free.floorEntry(at);
        if (before != null && before.getKey() + before.getValue() == at) {
            at = before.getKey();
            size += before.getValue();
            free.remove(before.getKey());
        }
        Integer after = free.get(at + size);
        if (after != null) {
            free.remove(at + size);
            size += after;
        }
        free.put(at, size);
    }

    /** Grows the heap to {@code newCapacity} floats (the device copy is rebuilt by the caller). */
    synchronized void grow(int newCapacity) {
        if (newCapacity % ALIGN != 0) {
            throw new IllegalArgumentException("heap capacity must be a multiple of " + ALIGN);
        }
        if (newCapacity > capacity) {
            insertFree(capacity, newCapacity - capacity);
            capacity = newCapacity;
        }
    }

    static int aligned(int floats) {
        return Math.max(ALIGN, (floats + ALIGN - 1) / ALIGN * ALIGN);
    }
}
