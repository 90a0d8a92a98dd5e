package dev.vlm4j.vision.image;

/**
 * A baseline and progressive JPEG decoder whose arithmetic is stb_image's (the loader llama.cpp uses), so that it
 * produces the same RGB bytes: the integer IDCT derived from IJG's {@code jidctint} with 12-bit constants (first
 * pass rounded and shifted by 10, second by 17), coefficients dequantised into 16-bit values, stb_image's chroma
 * upsampling (3:1 triangle filters for 2× horizontal, vertical or both, nearest neighbour otherwise), its 20-bit
 * fixed-point YCbCr→RGB and its CMYK/YCCK handling. Written from the JPEG specification (ITU T.81) and those
 * documented formulas; other JPEG decoders (libjpeg, which ImageIO uses) differ from it by a few levels, and by
 * much more along colour edges of 4:4:0 images, which libjpeg upsamples by replication.
 *
 * <p>Like stb_image it reads 8-bit SOF0/SOF1/SOF2 frames with 1, 3 or 4 components and refuses files that end
 * before their EOI marker. Other JPEG flavours (arithmetic coding, 12-bit, lossless) raise {@link Unsupported}, on
 * which {@link ImageDecoder} falls back to ImageIO; damaged data raises {@link Corrupt}.
 */
final class StbJpegDecoder {
    /** Broken JPEG data (what is wrong in the message). */
    static final class Corrupt extends RuntimeException {
        Corrupt(String message) {
            super(message, null, false, false);
        }
    }

    /** A valid JPEG of a kind stb_image does not read (arithmetic coding, 12-bit, lossless...). */
    static final class Unsupported extends RuntimeException {
        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    private static final int[] DEZIGZAG = {
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        // corrupt input may run past the end: stb_image clamps to the last position
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63};
    private static final int NO_MARKER = 0xFF;

    private final byte[] in;
    private int pos;

    // frame
    private int width;
    private int height;
    private boolean progressive;
    private boolean jfif;
    private int adobeTransform = -1;
    private int rgbIds;
    private Component[] components;
    private int hMax;
    private int vMax;
    private int mcusX;
    private int mcusY;
    private final int[][] quant = new int[4][];
    private final Huffman[] dcTables = new Huffman[4];
    private final Huffman[] acTables = new Huffman[4];
    private int restartInterval;

    // scan
    private Component[] scanOrder;
    private int specStart;
    private int specEnd;
    private int succHigh;
    private int succLow;
    private int eobRun;

    // entropy decoder
    private int codeBuffer;
    private int codeBits;
    private boolean noMore;
    private int marker = NO_MARKER;
    private int todo;

    private static final class Component {
        int id;
        int h;
        int v;
        int tq;
        int hd;
        int ha;
        int dcPred;
        int x; // samples across (effective)
        int y;
        int w2; // plane stride: whole MCUs
        int h2;
        byte[] data;
        short[] coeff; // progressive only
        int coeffW;
    }

    /** A canonical Huffman table: for each code length, the largest code and the index of its first symbol. */
    private static final class Huffman {
        final int[] maxCode = new int[18];
        final int[] valPtr = new int[17];
        final int[] minCode = new int[17];
        final byte[] values = new byte[256];
    }

    private StbJpegDecoder(byte[] in) {
        this.in = in;
    }

    static RgbImage decode(byte[] jpeg) {
        return new StbJpegDecoder(jpeg).run();
    }

    private static Corrupt corrupt(String what) {
        return new Corrupt(what);
    }

    // ---- bytes and markers ----

    private int get8() {
        return pos < in.length ? in[pos++] & 0xFF : 0; // stb_image reads zeros past the end
    }

    private int get16() {
        int hi = get8();
        return (hi << 8) | get8();
    }

    private boolean atEof() {
        return pos >= in.length;
    }

    private int nextMarker() {
        if (marker != NO_MARKER) {
            int m = marker;
            marker = NO_MARKER;
            return m;
        }
        int x = get8();
        if (x != 0xFF) {
            return NO_MARKER;
        }
        while (x == 0xFF) {
            if (atEof()) {
                return NO_MARKER;
            }
            x = get8();
        }
        return x;
    }

    private RgbImage run() {
        if (nextMarker() != 0xD8) {
            throw corrupt("no SOI marker");
        }
        int m = nextMarker();
        while (m != 0xC0 && m != 0xC1 && m != 0xC2) {
            processMarker(m);
            m = nextMarker();
            while (m == NO_MARKER) {
                if (atEof()) {
                    throw corrupt("no SOF (frame header) found");
                }
                m = nextMarker();
            }
        }
        progressive = m == 0xC2;
        frameHeader();
        m = nextMarker();
        while (m != 0xD9) {
            if (m == 0xDA) {
                scanHeader();
                entropyCodedData();
                if (marker == NO_MARKER) {
                    // trailing garbage (e.g. zeros) before the next marker
                    while (!atEof()) {
                        if (get8() == 0xFF) {
                            marker = get8();
                            break;
                        }
                    }
                }
            } else if (m == 0xDC) { // DNL: read and ignored, as stb_image does
                get16();
                get16();
            } else {
                if (m == NO_MARKER && atEof()) {
                    throw corrupt("the data ends before the EOI marker (truncated file?)");
                }
                processMarker(m);
            }
            m = nextMarker();
        }
        if (progressive) {
            finishProgressive();
        }
        return toRgb();
    }

    private void processMarker(int m) {
        switch (m) {
            case NO_MARKER -> throw corrupt("expected a marker");
            case 0xDD -> {
                if (get16() != 4) {
                    throw corrupt("bad DRI length");
                }
                restartInterval = get16();
            }
            case 0xDB -> {
                int left = get16() - 2;
                while (left > 0) {
                    int q = get8();
                    int precision = q >> 4;
                    int t = q & 15;
                    if (precision > 1 || t > 3) {
                        throw corrupt("bad DQT table " + q);
                    }
                    int[] table = new int[64];
                    for (int i = 0; i < 64; i++) {
                        table[DEZIGZAG[i]] = precision == 1 ? get16() : get8();
                    }
                    quant[t] = table;
                    left -= precision == 1 ? 129 : 65;
                }
                if (left != 0) {
                    throw corrupt("bad DQT length");
                }
            }
            case 0xC4 -> {
                int left = get16() - 2;
                while (left > 0) {
                    int q = get8();
                    int tc = q >> 4;
                    int th = q & 15;
                    if (tc > 1 || th > 3) {
                        throw corrupt("bad DHT header " + q);
                    }
                    int[] counts = new int[17];
                    int n = 0;
                    for (int i = 1; i <= 16; i++) {
                        counts[i] = get8();
                        n += counts[i];
                    }
                    if (n > 256) {
                        throw corrupt("DHT with " + n + " codes");
                    }
                    Huffman h = buildHuffman(counts);
                    for (int i = 0; i < n; i++) {
                        h.values[i] = (byte) get8();
                    }
                    (tc == 0 ? dcTables : acTables)[th] = h;
                    left -= 17 + n;
                }
                if (left != 0) {
                    throw corrupt("bad DHT length");
                }
            }
            default -> {
                if ((m >= 0xE0 && m <= 0xEF) || m == 0xFE) {
                    int length = get16();
                    if (length < 2) {
                        throw corrupt("bad APP/COM length");
                    }
                    int start = pos;
                    int end = pos + length - 2;
                    // (JFIF / Adobe tags are looked at, everything else is skipped)
                    if (m == 0xE0 && length - 2 >= 5 && matches(start, "JFIF\0")) {
                        jfif = true;
                    } else if (m == 0xEE && length - 2 >= 12 && matches(start, "Adobe\0")) {
                        adobeTransform = start + 11 < in.length ? in[start + 11] & 0xFF : 0;
                    }
                    pos = end;
                } else if (m == 0xC3 || (m >= 0xC5 && m <= 0xC7) || (m >= 0xC9 && m <= 0xCB) || (m >= 0xCD && m <= 0xCF)) {
                    throw new Unsupported(String.format("frame type SOF%d (lossless, hierarchical or arithmetic coding)", m - 0xC0));
                } else {
                    throw corrupt(String.format("unexpected marker 0x%02X", m));
                }
            }
        }
    }

    private boolean matches(int at, String tag) {
        for (int i = 0; i < tag.length(); i++) {
            if (at + i >= in.length || in[at + i] != (byte) tag.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static Huffman buildHuffman(int[] counts) {
        Huffman h = new Huffman();
        int code = 0;
        int k = 0;
        for (int len = 1; len <= 16; len++) {
            h.valPtr[len] = k;
            h.minCode[len] = code;
            code += counts[len];
            k += counts[len];
            if (counts[len] > 0 && code - 1 >= (1 << len)) {
                throw corrupt("bad Huffman code lengths");
            }
            h.maxCode[len] = counts[len] > 0 ? code - 1 : -1;
            code <<= 1;
        }
        return h;
    }

    private void frameHeader() {
        int length = get16();
        if (length < 11) {
            throw corrupt("bad SOF length");
        }
        int precision = get8();
        if (precision != 8) {
            throw new Unsupported(precision + "-bit samples (stb_image reads 8-bit JPEGs only)");
        }
        height = get16();
        width = get16();
        if (height == 0 || width == 0) {
            throw corrupt("image size " + width + " x " + height);
        }
        int n = get8();
        if (n != 1 && n != 3 && n != 4) {
            throw corrupt("bad component count " + n);
        }
        if (length != 8 + 3 * n) {
            throw corrupt("bad SOF length");
        }
        components = new Component[n];
        hMax = 1;
        vMax = 1;
        for (int i = 0; i < n; i++) {
            Component c = new Component();
            c.id = get8();
            if (n == 3 && c.id == "RGB".charAt(i)) {
                rgbIds++;
            }
            int q = get8();
            c.h = q >> 4;
            c.v = q & 15;
            c.tq = get8();
            if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3) {
                throw corrupt("bad sampling factors or table of component " + i);
            }
            hMax = Math.max(hMax, c.h);
            vMax = Math.max(vMax, c.v);
            components[i] = c;
        }
        mcusX = (width + hMax * 8 - 1) / (hMax * 8);
        mcusY = (height + vMax * 8 - 1) / (vMax * 8);
        for (Component c : components) {
            c.x = (width * c.h + hMax - 1) / hMax;
            c.y = (height * c.v + vMax - 1) / vMax;
            c.w2 = mcusX * c.h * 8;
            c.h2 = mcusY * c.v * 8;
            c.data = new byte[Math.multiplyExact(c.w2, c.h2)];
            if (progressive) {
                c.coeffW = c.w2 / 8;
                c.coeff = new short[Math.multiplyExact(c.w2, c.h2)];
            }
        }
    }

    private void scanHeader() {
        int length = get16();
        int n = get8();
        if (n < 1 || n > 4 || n > components.length) {
            throw corrupt("bad SOS component count " + n);
        }
        if (length != 6 + 2 * n) {
            throw corrupt("bad SOS length");
        }
        scanOrder = new Component[n];
        for (int i = 0; i < n; i++) {
            int id = get8();
            int q = get8();
            Component match = null;
            for (Component c : components) {
                if (c.id == id) {
                    match = c;
                    break;
                }
            }
            if (match == null) {
                throw corrupt("SOS names an unknown component " + id);
            }
            match.hd = q >> 4;
            match.ha = q & 15;
            if (match.hd > 3 || match.ha > 3) {
                throw corrupt("bad Huffman table selector");
            }
            scanOrder[i] = match;
        }
        specStart = get8();
        specEnd = get8();
        int a = get8();
        succHigh = a >> 4;
        succLow = a & 15;
        if (progressive) {
            if (specStart > 63 || specEnd > 63 || specStart > specEnd || succHigh > 13 || succLow > 13) {
                throw corrupt("bad progressive SOS");
            }
        } else {
            if (specStart != 0 || succHigh != 0 || succLow != 0) {
                throw corrupt("bad SOS");
            }
            specEnd = 63;
        }
    }

    // ---- entropy decoding ----

    private void reset() {
        codeBits = 0;
        codeBuffer = 0;
        noMore = false;
        for (Component c : components) {
            c.dcPred = 0;
        }
        marker = NO_MARKER;
        todo = restartInterval != 0 ? restartInterval : Integer.MAX_VALUE;
        eobRun = 0;
    }

    /** Fills the 32-bit buffer from the top; at a marker it stops for good and feeds zeros. */
    private void grow() {
        do {
            int b = noMore ? 0 : get8();
            if (b == 0xFF) {
                int c = get8();
                while (c == 0xFF) {
                    if (atEof()) {
                        c = 0;
                        break;
                    }
                    c = get8();
                }
                if (c != 0) {
                    marker = c;
                    noMore = true;
                    return;
                }
            }
            codeBuffer |= b << (24 - codeBits);
            codeBits += 8;
        } while (codeBits <= 24);
    }

    private void need(int bits) {
        if (codeBits < bits) {
            grow();
            if (codeBits < bits) {
                grow(); // after a marker: zeros
            }
        }
    }

    private int decodeHuffman(Huffman h) {
        if (h == null) {
            throw corrupt("scan uses an undefined Huffman table");
        }
        need(16);
        for (int len = 1; len <= 16; len++) {
            int code = codeBuffer >>> (32 - len);
            if (h.maxCode[len] >= 0 && code <= h.maxCode[len] && code >= h.minCode[len]) {
                codeBuffer <<= len;
                codeBits -= len;
                return h.values[h.valPtr[len] + code - h.minCode[len]] & 0xFF;
            }
        }
        throw corrupt("bad Huffman code");
    }

    /** JPEG's RECEIVE then EXTEND of an {@code n}-bit value. */
    private int extendReceive(int n) {
        if (n > 16) {
            throw corrupt("bad coefficient size " + n);
        }
        need(n);
        int v = codeBuffer >>> (32 - n);
        codeBuffer <<= n;
        codeBits -= n;
        return (v >>> (n - 1)) != 0 ? v : v - (1 << n) + 1;
    }

    private int getBits(int n) {
        need(n);
        int v = codeBuffer >>> (32 - n);
        codeBuffer <<= n;
        codeBits -= n;
        return v;
    }

    private boolean getBit() {
        need(1);
        boolean bit = codeBuffer < 0;
        codeBuffer <<= 1;
        codeBits--;
        return bit;
    }

    private void decodeBlock(short[] data, Component c) {
        int[] dequant = quantFor(c);
        int t = decodeHuffman(dcTables[c.hd]);
        java.util.Arrays.fill(data, (short) 0);
        int diff = t != 0 ? extendReceive(t) : 0;
        int dc = c.dcPred + diff;
        c.dcPred = dc;
        data[0] = (short) (dc * dequant[0]);
        Huffman ac = acTables[c.ha];
        int k = 1;
        do {
            int rs = decodeHuffman(ac);
            int s = rs & 15;
            int r = rs >> 4;
            if (s == 0) {
                if (rs != 0xF0) {
                    break;
                }
                k += 16;
            } else {
                k += r;
                int zig = DEZIGZAG[Math.min(k++, DEZIGZAG.length - 1)];
                data[zig] = (short) (extendReceive(s) * dequant[zig]);
            }
        } while (k < 64);
    }

    private int[] quantFor(Component c) {
        int[] q = quant[c.tq];
        if (q == null) {
            throw corrupt("component uses an undefined quantisation table " + c.tq);
        }
        return q;
    }

    private void decodeBlockProgressiveDc(short[] data, int offset, Component c) {
        if (specEnd != 0) {
            throw corrupt("progressive scan mixes DC and AC");
        }
        if (succHigh == 0) {
            java.util.Arrays.fill(data, offset, offset + 64, (short) 0);
            int t = decodeHuffman(dcTables[c.hd]);
            int diff = t != 0 ? extendReceive(t) : 0;
            int dc = c.dcPred + diff;
            c.dcPred = dc;
            data[offset] = (short) (dc << succLow);
        } else if (getBit()) {
            data[offset] += (short) (1 << succLow);
        }
    }

    private void decodeBlockProgressiveAc(short[] data, int offset, Component c) {
        if (specStart == 0) {
            throw corrupt("progressive scan mixes DC and AC");
        }
        Huffman ac = acTables[c.ha];
        if (succHigh == 0) {
            if (eobRun > 0) {
                eobRun--;
                return;
            }
            int k = specStart;
            do {
                int rs = decodeHuffman(ac);
                int s = rs & 15;
                int r = rs >> 4;
                if (s == 0) {
                    if (r < 15) {
                        eobRun = 1 << r;
                        if (r != 0) {
                            eobRun += getBits(r);
                        }
                        eobRun--;
                        break;
                    }
                    k += 16;
                } else {
                    k += r;
                    int zig = DEZIGZAG[Math.min(k++, DEZIGZAG.length - 1)];
                    data[offset + zig] = (short) (extendReceive(s) << succLow);
                }
            } while (k <= specEnd);
        } else {
            short bit = (short) (1 << succLow);
            if (eobRun > 0) {
                eobRun--;
                for (int k = specStart; k <= specEnd; k++) {
                    refine(data, offset + DEZIGZAG[k], bit);
                }
            } else {
                int k = specStart;
                do {
                    int rs = decodeHuffman(ac);
                    int s = rs & 15;
                    int r = rs >> 4;
                    if (s == 0) {
                        if (r < 15) {
                            eobRun = (1 << r) - 1;
                            if (r != 0) {
                                eobRun += getBits(r);
                            }
                            r = 64; // force the end of the block
                        }
                        // r == 15: a run of 16 zeros, handled by the loop below
                    } else {
                        if (s != 1) {
                            throw corrupt("bad Huffman code in refinement scan");
                        }
                        s = getBit() ? bit : -bit;
                    }
                    while (k <= specEnd) {
                        int p = offset + DEZIGZAG[k++];
                        if (data[p] != 0) {
                            refine(data, p, bit);
                        } else {
                            if (r == 0) {
                                data[p] = (short) s;
                                break;
                            }
                            r--;
                        }
                    }
                } while (k <= specEnd);
            }
        }
    }

    private void refine(short[] data, int p, short bit) {
        if (data[p] != 0 && getBit() && (data[p] & bit) == 0) {
            data[p] += data[p] > 0 ? bit : (short) -bit;
        }
    }

    /** After each MCU: count down the restart interval; at its end expect RSTn, or stop the scan (stb_image keeps what it has). */
    private boolean afterMcu() {
        if (--todo <= 0) {
            if (codeBits < 24) {
                grow();
            }
            if (marker < 0xD0 || marker > 0xD7) {
                return false;
            }
            reset();
        }
        return true;
    }

    private void entropyCodedData() {
        reset();
        short[] block = new short[64];
        if (scanOrder.length == 1) {
            Component c = scanOrder[0];
            int w = (c.x + 7) >> 3;
            int h = (c.y + 7) >> 3;
            for (int j = 0; j < h; j++) {
                for (int i = 0; i < w; i++) {
                    if (!progressive) {
                        decodeBlock(block, c);
                        idct(block, c.data, c.w2 * j * 8 + i * 8, c.w2);
                    } else {
                        int offset = 64 * (i + j * c.coeffW);
                        if (specStart == 0) {
                            decodeBlockProgressiveDc(c.coeff, offset, c);
                        } else {
                            decodeBlockProgressiveAc(c.coeff, offset, c);
                        }
                    }
                    if (!afterMcu()) {
                        return;
                    }
                }
            }
        } else {
            for (int j = 0; j < mcusY; j++) {
                for (int i = 0; i < mcusX; i++) {
                    for (Component c : scanOrder) {
                        for (int y = 0; y < c.v; y++) {
                            for (int x = 0; x < c.h; x++) {
                                int bx = i * c.h + x;
                                int by = j * c.v + y;
                                if (!progressive) {
                                    decodeBlock(block, c);
                                    idct(block, c.data, c.w2 * by * 8 + bx * 8, c.w2);
                                } else {
                                    decodeBlockProgressiveDc(c.coeff, 64 * (bx + by * c.coeffW), c);
                                }
                            }
                        }
                    }
                    if (!afterMcu()) {
                        return;
                    }
                }
            }
        }
    }

    private void finishProgressive() {
        short[] block = new short[64];
        for (Component c : components) {
            int[] dequant = quantFor(c);
            int w = (c.x + 7) >> 3;
            int h = (c.y + 7) >> 3;
            for (int j = 0; j < h; j++) {
                for (int i = 0; i < w; i++) {
                    int offset = 64 * (i + j * c.coeffW);
                    for (int k = 0; k < 64; k++) {
                        block[k] = (short) (c.coeff[offset + k] * dequant[k]);
                    }
                    idct(block, c.data, c.w2 * j * 8 + i * 8, c.w2);
                }
            }
        }
    }

    // ---- IDCT (jidctint-style, stb_image's rounding) ----

    private static int f2f(double x) {
        return (int) ((float) x * 4096 + 0.5);
    }

    private static final int C0_541 = f2f(0.5411961f);
    private static final int C_1_847 = f2f(-1.847759065f);
    private static final int C0_765 = f2f(0.765366865f);
    private static final int C1_175 = f2f(1.175875602f);
    private static final int C0_298 = f2f(0.298631336f);
    private static final int C2_053 = f2f(2.053119869f);
    private static final int C3_072 = f2f(3.072711026f);
    private static final int C1_501 = f2f(1.501321110f);
    private static final int C_0_899 = f2f(-0.899976223f);
    private static final int C_2_562 = f2f(-2.562915447f);
    private static final int C_1_961 = f2f(-1.961570560f);
    private static final int C_0_390 = f2f(-0.390180644f);

    /**
     * One 1-D pass on s0..s7; returns {x0, x1, x2, x3, t0, t1, t2, t3} in {@code r} (even part x, odd part t), before
     * the caller's rounding.
     */
    private static void idct1d(int s0, int s1, int s2, int s3, int s4, int s5, int s6, int s7, int[] r) {
        int p2 = s2;
        int p3 = s6;
        int p1 = (p2 + p3) * C0_541;
        int t2 = p1 + p3 * C_1_847;
        int t3 = p1 + p2 * C0_765;
        p2 = s0;
        p3 = s4;
        int t0 = (p2 + p3) << 12;
        int t1 = (p2 - p3) << 12;
        int x0 = t0 + t3;
        int x3 = t0 - t3;
        int x1 = t1 + t2;
        int x2 = t1 - t2;
        t0 = s7;
        t1 = s5;
        t2 = s3;
        t3 = s1;
        p3 = t0 + t2;
        int p4 = t1 + t3;
        p1 = t0 + t3;
        p2 = t1 + t2;
        int p5 = (p3 + p4) * C1_175;
        t0 = t0 * C0_298;
        t1 = t1 * C2_053;
        t2 = t2 * C3_072;
        t3 = t3 * C1_501;
        p1 = p5 + p1 * C_0_899;
        p2 = p5 + p2 * C_2_562;
        p3 = p3 * C_1_961;
        p4 = p4 * C_0_390;
        t3 += p1 + p4;
        t2 += p2 + p3;
        t1 += p2 + p4;
        t0 += p1 + p3;
        r[0] = x0;
        r[1] = x1;
        r[2] = x2;
        r[3] = x3;
        r[4] = t0;
        r[5] = t1;
        r[6] = t2;
        r[7] = t3;
    }

    private static void idct(short[] d, byte[] out, int outOffset, int stride) {
        int[] v = new int[64];
        int[] r = new int[8];
        for (int i = 0; i < 8; i++) { // columns
            if (d[i + 8] == 0 && d[i + 16] == 0 && d[i + 24] == 0 && d[i + 32] == 0 && d[i + 40] == 0 && d[i + 48] == 0
                    && d[i + 56] == 0) {
                int dc = d[i] << 2;
                for (int k = 0; k < 8; k++) {
                    v[i + 8 * k] = dc;
                }
            } else {
                idct1d(d[i], d[i + 8], d[i + 16], d[i + 24], d[i + 32], d[i + 40], d[i + 48], d[i + 56], r);
                int x0 = r[0] + 512;
                int x1 = r[1] + 512;
                int x2 = r[2] + 512;
                int x3 = r[3] + 512;
                v[i] = (x0 + r[7]) >> 10;
                v[i + 56] = (x0 - r[7]) >> 10;
                v[i + 8] = (x1 + r[6]) >> 10;
                v[i + 48] = (x1 - r[6]) >> 10;
                v[i + 16] = (x2 + r[5]) >> 10;
                v[i + 40] = (x2 - r[5]) >> 10;
                v[i + 24] = (x3 + r[4]) >> 10;
                v[i + 32] = (x3 - r[4]) >> 10;
            }
        }
        for (int i = 0; i < 8; i++) { // rows
            int b = 8 * i;
            idct1d(v[b], v[b + 1], v[b + 2], v[b + 3], v[b + 4], v[b + 5], v[b + 6], v[b + 7], r);
            int bias = 65536 + (128 << 17);
            int x0 = r[0] + bias;
            int x1 = r[1] + bias;
            int x2 = r[2] + bias;
            int x3 = r[3] + bias;
            int o = outOffset + i * stride;
            out[o] = clamp((x0 + r[7]) >> 17);
            out[o + 7] = clamp((x0 - r[7]) >> 17);
            out[o + 1] = clamp((x1 + r[6]) >> 17);
            out[o + 6] = clamp((x1 - r[6]) >> 17);
            out[o + 2] = clamp((x2 + r[5]) >> 17);
            out[o + 5] = clamp((x2 - r[5]) >> 17);
            out[o + 3] = clamp((x3 + r[4]) >> 17);
            out[o + 4] = clamp((x3 - r[4]) >> 17);
        }
    }

    private static byte clamp(int x) {
        return (byte) (x < 0 ? 0 : Math.min(x, 255));
    }

    // ---- upsampling and colour conversion ----

    /** One component's walk down its plane while output rows are produced (stb_image's resampler state). */
    private static final class Resampler {
        final Component c;
        final int hs;
        final int vs;
        final int wLores;
        final byte[] line;
        int ystep;
        int ypos;
        int line0;
        int line1;

        Resampler(Component c, int hs, int vs, int width) {
            this.c = c;
            this.hs = hs;
            this.vs = vs;
            this.wLores = (width + hs - 1) / hs;
            this.line = new byte[width + 3 + 8];
            this.ystep = vs >> 1;
        }

        /** The next output row of this component: the returned array and its offset. */
        byte[] row(int[] offset) {
            boolean yBottom = ystep >= (vs >> 1);
            int near = yBottom ? line1 : line0;
            int far = yBottom ? line0 : line1;
            byte[] d = c.data;
            byte[] result;
            if (hs == 1 && vs == 1) {
                offset[0] = near;
                result = d;
            } else if (hs == 1 && vs == 2) {
                for (int i = 0; i < wLores; i++) {
                    line[i] = (byte) ((3 * (d[near + i] & 0xFF) + (d[far + i] & 0xFF) + 2) >> 2);
                }
                offset[0] = 0;
                result = line;
            } else if (hs == 2 && vs == 1) {
                h2(d, near, wLores, line);
                offset[0] = 0;
                result = line;
            } else if (hs == 2 && vs == 2) {
                hv2(d, near, far, wLores, line);
                offset[0] = 0;
                result = line;
            } else {
                for (int i = 0; i < wLores; i++) {
                    for (int j = 0; j < hs; j++) {
                        line[i * hs + j] = d[near + i];
                    }
                }
                offset[0] = 0;
                result = line;
            }
            if (++ystep >= vs) {
                ystep = 0;
                line0 = line1;
                if (++ypos < c.y) {
                    line1 += c.w2;
                }
            }
            return result;
        }

        private static void h2(byte[] d, int in, int w, byte[] out) {
            if (w == 1) {
                out[0] = out[1] = d[in];
                return;
            }
            out[0] = d[in];
            out[1] = (byte) (((d[in] & 0xFF) * 3 + (d[in + 1] & 0xFF) + 2) >> 2);
            int i;
            for (i = 1; i < w - 1; i++) {
                int n = 3 * (d[in + i] & 0xFF) + 2;
                out[i * 2] = (byte) ((n + (d[in + i - 1] & 0xFF)) >> 2);
                out[i * 2 + 1] = (byte) ((n + (d[in + i + 1] & 0xFF)) >> 2);
            }
            out[i * 2] = (byte) (((d[in + w - 2] & 0xFF) * 3 + (d[in + w - 1] & 0xFF) + 2) >> 2);
            out[i * 2 + 1] = d[in + w - 1];
        }

        private static void hv2(byte[] d, int near, int far, int w, byte[] out) {
            if (w == 1) {
                out[0] = out[1] = (byte) ((3 * (d[near] & 0xFF) + (d[far] & 0xFF) + 2) >> 2);
                return;
            }
            int t1 = 3 * (d[near] & 0xFF) + (d[far] & 0xFF);
            out[0] = (byte) ((t1 + 2) >> 2);
            for (int i = 1; i < w; i++) {
                int t0 = t1;
                t1 = 3 * (d[near + i] & 0xFF) + (d[far + i] & 0xFF);
                out[i * 2 - 1] = (byte) ((3 * t0 + t1 + 8) >> 4);
                out[i * 2] = (byte) ((3 * t1 + t0 + 8) >> 4);
            }
            out[w * 2 - 1] = (byte) ((t1 + 2) >> 2);
        }
    }

    private RgbImage toRgb() {
        int n = components.length;
        boolean isRgb = n == 3 && (rgbIds == 3 || (adobeTransform == 0 && !jfif));
        Resampler[] rs = new Resampler[n];
        for (int k = 0; k < n; k++) {
            Component c = components[k];
            rs[k] = new Resampler(c, hMax / c.h, vMax / c.v, width);
        }
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        byte[][] rows = new byte[n][];
        int[] offsets = new int[n];
        int[] offset = new int[1];
        for (int j = 0; j < height; j++) {
            for (int k = 0; k < n; k++) {
                rows[k] = rs[k].row(offset);
                offsets[k] = offset[0];
            }
            int o = 3 * width * j;
            for (int i = 0; i < width; i++, o += 3) {
                int y = rows[0][offsets[0] + i] & 0xFF;
                if (n == 1) {
                    out[o] = out[o + 1] = out[o + 2] = (byte) y;
                    continue;
                }
                int c1 = rows[1][offsets[1] + i] & 0xFF;
                int c2 = rows[2][offsets[2] + i] & 0xFF;
                int r;
                int g;
                int b;
                if (isRgb) {
                    r = y;
                    g = c1;
                    b = c2;
                } else if (n == 4 && adobeTransform == 0) {
                    int m = rows[3][offsets[3] + i] & 0xFF;
                    r = AdobeCmyk.blinn(y, m);
                    g = AdobeCmyk.blinn(c1, m);
                    b = AdobeCmyk.blinn(c2, m);
                } else {
                    int rgb = AdobeCmyk.yCbCrToRgb(y, c1, c2);
                    r = (rgb >> 16) & 0xFF;
                    g = (rgb >> 8) & 0xFF;
                    b = rgb & 0xFF;
                    if (n == 4 && adobeTransform == 2) {
                        int m = rows[3][offsets[3] + i] & 0xFF;
                        r = AdobeCmyk.blinn(255 - r, m);
                        g = AdobeCmyk.blinn(255 - g, m);
                        b = AdobeCmyk.blinn(255 - b, m);
                    }
                }
                out[o] = (byte) r;
                out[o + 1] = (byte) g;
                out[o + 2] = (byte) b;
            }
        }
        return new RgbImage(width, height, out);
    }
}
