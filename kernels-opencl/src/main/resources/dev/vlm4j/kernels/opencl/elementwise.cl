// Element-wise kernels over `count` floats of matrices given as (buffer, offset in floats). out may alias x.

#define ACT_SILU 0
#define ACT_GELU 1
#define ACT_GELU_ERF 2
#define ACT_GELU_QUICK 3

inline float silu(float x) {
    return x / (1.0f + exp(-x));
}

// erf by the Chebyshev-fitted erfc of Numerical Recipes, in double where the device has it (as GgmlMath).
inline float gelu_erf(float xf) {
    acc_t x = (acc_t) xf / sqrt((acc_t) 2);
    acc_t t = 1 / (1 + (acc_t) 0.5 * fabs(x));
    acc_t y = t * exp(-x * x - (acc_t) 1.26551223 + t * ((acc_t) 1.00002368 + t * ((acc_t) 0.37409196 + t * ((acc_t) 0.09678418
            + t * ((acc_t) -0.18628806 + t * ((acc_t) 0.27886807 + t * ((acc_t) -1.13520398 + t * ((acc_t) 1.48851587
            + t * ((acc_t) -0.82215223 + t * (acc_t) 0.17087277)))))))));
    acc_t erfx = x >= 0 ? 1 - y : y - 1;
    return (float) ((acc_t) 0.5 * xf * (1 + erfx));
}

// table: fp16 bits of f(h) for every fp16 value h (ggml_table_gelu_f16 / ggml_table_gelu_quick_f16).
__kernel void activation(int fn, __global const float* x, int xo, __global float* out, int oo, int count,
                         __global const ushort* table) {
    int i = get_global_id(0);
    if (i >= count) {
        return;
    }
    float v = x[xo + i];
    float r;
    if (fn == ACT_SILU) {
        r = silu(v);
    } else if (fn == ACT_GELU) {
        r = v <= -10.0f ? 0.0f : v >= 10.0f ? v : f16_value(table[f16_bits(v)]);
    } else if (fn == ACT_GELU_ERF) {
        r = gelu_erf(v);
    } else {
        r = f16_value(table[f16_bits(v)]);
    }
    out[oo + i] = r;
}

__kernel void swiglu(__global const float* g, int go, __global const float* u, int uo, __global float* out, int oo, int count) {
    int i = get_global_id(0);
    if (i < count) {
        out[oo + i] = silu(g[go + i]) * u[uo + i];
    }
}

__kernel void add(__global const float* a, int ao, __global const float* b, int bo, __global float* out, int oo, int count) {
    int i = get_global_id(0);
    if (i < count) {
        out[oo + i] = a[ao + i] + b[bo + i];
    }
}

__kernel void mul(__global const float* a, int ao, __global const float* b, int bo, __global float* out, int oo, int count) {
    int i = get_global_id(0);
    if (i < count) {
        out[oo + i] = a[ao + i] * b[bo + i];
    }
}

// out[i] = table[ids[i]] dequantised; NDRange (cols, ids). Row r of the table starts at byte r * rowBytes.
__kernel void get_rows(__global const uchar* table, int type, int cols, long rowBytes, __global const int* ids,
                       __global float* out, int oo) {
    int e = get_global_id(0);
    int i = get_global_id(1);
    if (e >= cols) {
        return;
    }
    __global const uchar* row = table + (size_t) ids[i] * (size_t) rowBytes;
    float v;
    if (type == TYPE_F32) {
        v = ((__global const float*) row)[e];
    } else if (type == TYPE_F16) {
        v = vload_half(e, (__global const half*) row);
    } else if (type == TYPE_BF16) {
        v = bf16_value(((__global const ushort*) row)[e]);
    } else if (type == TYPE_Q8_0) {
        __global const uchar* blk = row + (e / 32) * 34;
        v = vload_half(0, (__global const half*) blk) * (float) ((__global const char*) blk)[2 + e % 32];
    } else {                          // TYPE_Q4_0
        __global const uchar* blk = row + (e / 32) * 18;
        int k = e % 32;
        int q = k < 16 ? (blk[2 + k] & 0x0f) : (blk[2 + k - 16] >> 4);
        v = vload_half(0, (__global const half*) blk) * (float) (q - 8);
    }
    out[oo + (size_t) i * cols + e] = v;
}
