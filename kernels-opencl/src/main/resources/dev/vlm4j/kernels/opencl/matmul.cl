// Matrix products out[r][j] = W[j] . x[r] (+ bias[j]) with the weights in their GGUF layout.
//
// First the activations are converted once per call to what the weight type's dot product reads, as ggml does
// (vec_dot_type): fp16-rounded for F16 weights, bf16 for BF16, Q8_0 blocks for Q8_0 and Q4_0 weights. Then one
// kernel per weight type: the NDRange is (MM_TPR, output units, ceil(n / MM_RT)); the MM_TPR work-items of an
// output split its row between them (block b goes to item b % MM_TPR) and add their partial sums at the end;
// each work-item keeps MM_RT activation rows in flight so that each weight block is read once for all of them.
// Loops over those rows run to the constant MM_RT (skipping rows past n) so that the accumulators can stay in
// registers.

// ---- activation preparation ----

// x [rows][cols] -> per 32-value block: 32 int8 (q) and its fp16-rounded scale (d). One work-item per block.
__kernel void quantize_q8_0(__global const float* x, int xo, int blocks, __global char* q, __global float* d) {
    int b = get_global_id(0);
    if (b >= blocks) {
        return;
    }
    __global const float* src = x + xo + (size_t) b * 32;
    float amax = 0.0f;
    for (int k = 0; k < 32; k++) {
        amax = fmax(amax, fabs(src[k]));
    }
    float scale = amax / 127.0f;
    d[b] = f16_value(f16_bits(scale));
    float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    __global char* dst = q + (size_t) b * 32;
    for (int k = 0; k < 32; k++) {
        dst[k] = (char) (int) rint(src[k] * id);
    }
}

__kernel void round_f16(__global const float* x, int xo, int count, __global ushort* out) {
    int i = get_global_id(0);
    if (i < count) {
        out[i] = f16_bits(x[xo + i]);
    }
}

__kernel void round_bf16(__global const float* x, int xo, int count, __global ushort* out) {
    int i = get_global_id(0);
    if (i < count) {
        out[i] = bf16_bits(x[xo + i]);
    }
}

// ---- the shared tail: add the MM_TPR partial sums, add the bias, store ----

inline void mm_store(__local float* red, float* acc, int j, int r0, int n, int outDim,
                     __global const float* bias, int hasBias, __global float* out, int oo) {
    int t = get_local_id(0);
#if MM_TPR > 1
    int base = get_local_id(1) * MM_RT * MM_TPR;
    for (int rr = 0; rr < MM_RT; rr++) {
        red[base + rr * MM_TPR + t] = acc[rr];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = MM_TPR / 2; s > 0; s >>= 1) {
        if (t < s) {
            for (int rr = 0; rr < MM_RT; rr++) {
                red[base + rr * MM_TPR + t] += red[base + rr * MM_TPR + t + s];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) {
        for (int rr = 0; rr < MM_RT; rr++) {
            acc[rr] = red[base + rr * MM_TPR];
        }
    }
#endif
    if (t == 0 && j < outDim) {
        float b = hasBias ? bias[j] : 0.0f;
        for (int rr = 0; rr < MM_RT && r0 + rr < n; rr++) {
            out[oo + (size_t) (r0 + rr) * outDim + j] = hasBias ? acc[rr] + b : acc[rr];
        }
    }
}

inline float hsum4(float4 v) {
    return (v.x + v.y) + (v.z + v.w);
}

inline int hsum16(int16 v) {
    int8 a = v.lo + v.hi;
    int4 b = a.lo + a.hi;
    int2 c = b.lo + b.hi;
    return c.x + c.y;
}

// ---- Q8_0 weights: blocks of {fp16 d, int8 q[32]} (34 bytes) ----

__kernel void matmul_q8_0(__global const uchar* w, int inDim, int outDim, int n,
                          __global const char* xq, __global const float* xd,
                          __global const float* bias, int hasBias, __global float* out, int oo) {
    __local float red[MM_ROWS * MM_RT * MM_TPR];
    int t = get_local_id(0);
    int j = get_global_id(1);
    int r0 = get_global_id(2) * MM_RT;
    int nb = inDim / 32;
    int rows = min(MM_RT, n - r0);
    float acc[MM_RT];
    for (int rr = 0; rr < MM_RT; rr++) {
        acc[rr] = 0.0f;
    }
    if (j < outDim) {
        __global const uchar* row = w + (size_t) j * nb * 34;
        for (int b = t; b < nb; b += MM_TPR) {
            __global const uchar* blk = row + (size_t) b * 34;
            float dw = vload_half(0, (__global const half*) blk);
            int16 w0 = convert_int16(vload16(0, (__global const char*) (blk + 2)));
            int16 w1 = convert_int16(vload16(1, (__global const char*) (blk + 2)));
            for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
                size_t xb = (size_t) (r0 + rr) * nb + b;
                __global const char* xs = xq + xb * 32;
                int isum = hsum16(w0 * convert_int16(vload16(0, xs)) + w1 * convert_int16(vload16(1, xs)));
                acc[rr] += dw * xd[xb] * (float) isum;
            }
        }
    }
    mm_store(red, acc, j, r0, n, outDim, bias, hasBias, out, oo);
}

// ---- Q4_0 weights: blocks of {fp16 d, 16 bytes: value k in the low nibble of byte k, value k+16 in the high} ----

__kernel void matmul_q4_0(__global const uchar* w, int inDim, int outDim, int n,
                          __global const char* xq, __global const float* xd,
                          __global const float* bias, int hasBias, __global float* out, int oo) {
    __local float red[MM_ROWS * MM_RT * MM_TPR];
    int t = get_local_id(0);
    int j = get_global_id(1);
    int r0 = get_global_id(2) * MM_RT;
    int nb = inDim / 32;
    int rows = min(MM_RT, n - r0);
    float acc[MM_RT];
    for (int rr = 0; rr < MM_RT; rr++) {
        acc[rr] = 0.0f;
    }
    if (j < outDim) {
        __global const uchar* row = w + (size_t) j * nb * 18;
        for (int b = t; b < nb; b += MM_TPR) {
            __global const uchar* blk = row + (size_t) b * 18;
            float dw = vload_half(0, (__global const half*) blk);
            uchar16 qs = vload16(0, blk + 2);
            int16 lo = convert_int16(qs & (uchar16) 0x0f) - 8;
            int16 hi = convert_int16(qs >> (uchar16) 4) - 8;
            for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
                size_t xb = (size_t) (r0 + rr) * nb + b;
                __global const char* xs = xq + xb * 32;
                int isum = hsum16(lo * convert_int16(vload16(0, xs)) + hi * convert_int16(vload16(1, xs)));
                acc[rr] += dw * xd[xb] * (float) isum;
            }
        }
    }
    mm_store(red, acc, j, r0, n, outDim, bias, hasBias, out, oo);
}

// ---- F32, F16, BF16 weights: four values at a time, then the tail of a row that is not a multiple of 4 ----

__kernel void matmul_f32(__global const float* w, int inDim, int outDim, int n,
                         __global const float* x, int xo,
                         __global const float* bias, int hasBias, __global float* out, int oo) {
    __local float red[MM_ROWS * MM_RT * MM_TPR];
    int t = get_local_id(0);
    int j = get_global_id(1);
    int r0 = get_global_id(2) * MM_RT;
    int rows = min(MM_RT, n - r0);
    float acc[MM_RT];
    for (int rr = 0; rr < MM_RT; rr++) {
        acc[rr] = 0.0f;
    }
    if (j < outDim) {
        __global const float* wr = w + (size_t) j * inDim;
        __global const float* xr = x + xo + (size_t) r0 * inDim;
        float4 acc4[MM_RT];
        for (int rr = 0; rr < MM_RT; rr++) {
            acc4[rr] = (float4) 0.0f;
        }
        for (int k = 4 * t; k + 3 < inDim; k += 4 * MM_TPR) {
            float4 wv = vload4(0, wr + k);
            for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
                acc4[rr] += wv * vload4(0, xr + (size_t) rr * inDim + k);
            }
        }
        for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
            acc[rr] = hsum4(acc4[rr]);
        }
        for (int k = (inDim & ~3) + t; k < inDim; k += MM_TPR) {
            for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
                acc[rr] += wr[k] * xr[(size_t) rr * inDim + k];
            }
        }
    }
    mm_store(red, acc, j, r0, n, outDim, bias, hasBias, out, oo);
}

__kernel void matmul_f16(__global const ushort* w, int inDim, int outDim, int n,
                         __global const ushort* x,
                         __global const float* bias, int hasBias, __global float* out, int oo) {
    __local float red[MM_ROWS * MM_RT * MM_TPR];
    int t = get_local_id(0);
    int j = get_global_id(1);
    int r0 = get_global_id(2) * MM_RT;
    int rows = min(MM_RT, n - r0);
    float acc[MM_RT];
    for (int rr = 0; rr < MM_RT; rr++) {
        acc[rr] = 0.0f;
    }
    if (j < outDim) {
        __global const half* wr = (__global const half*) (w + (size_t) j * inDim);
        __global const half* xr = (__global const half*) (x + (size_t) r0 * inDim);
        float4 acc4[MM_RT];
        for (int rr = 0; rr < MM_RT; rr++) {
            acc4[rr] = (float4) 0.0f;
        }
        for (int k = 4 * t; k + 3 < inDim; k += 4 * MM_TPR) {
            float4 wv = vload_half4(0, wr + k);
            for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
                acc4[rr] += wv * vload_half4(0, xr + (size_t) rr * inDim + k);
            }
        }
        for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
            acc[rr] = hsum4(acc4[rr]);
        }
        for (int k = (inDim & ~3) + t; k < inDim; k += MM_TPR) {
            for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
                acc[rr] += vload_half(k, wr) * vload_half((size_t) rr * inDim + k, xr);
            }
        }
    }
    mm_store(red, acc, j, r0, n, outDim, bias, hasBias, out, oo);
}

__kernel void matmul_bf16(__global const ushort* w, int inDim, int outDim, int n,
                          __global const ushort* x,
                          __global const float* bias, int hasBias, __global float* out, int oo) {
    __local float red[MM_ROWS * MM_RT * MM_TPR];
    int t = get_local_id(0);
    int j = get_global_id(1);
    int r0 = get_global_id(2) * MM_RT;
    int rows = min(MM_RT, n - r0);
    float acc[MM_RT];
    for (int rr = 0; rr < MM_RT; rr++) {
        acc[rr] = 0.0f;
    }
    if (j < outDim) {
        __global const ushort* wr = w + (size_t) j * inDim;
        __global const ushort* xr = x + (size_t) r0 * inDim;
        float4 acc4[MM_RT];
        for (int rr = 0; rr < MM_RT; rr++) {
            acc4[rr] = (float4) 0.0f;
        }
        for (int k = 4 * t; k + 3 < inDim; k += 4 * MM_TPR) {
            float4 wv = as_float4(convert_uint4(vload4(0, wr + k)) << 16);
            for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
                acc4[rr] += wv * as_float4(convert_uint4(vload4(0, xr + (size_t) rr * inDim + k)) << 16);
            }
        }
        for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
            acc[rr] = hsum4(acc4[rr]);
        }
        for (int k = (inDim & ~3) + t; k < inDim; k += MM_TPR) {
            for (int rr = 0; rr < MM_RT; rr++) if (rr < rows) {
                acc[rr] += bf16_value(wr[k]) * bf16_value(xr[(size_t) rr * inDim + k]);
            }
        }
    }
    mm_store(red, acc, j, r0, n, outDim, bias, hasBias, out, oo);
}
