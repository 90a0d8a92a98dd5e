// Row-wise kernels: one work-group of WG items per row. Each is safe in place (out == x): a row's values are all
// read before the reduction's barrier and each item writes only the elements it read.

// out = x / sqrt(mean(x^2) + eps) * w (ggml_rms_norm then the weight multiply; sum of squares in double).
__kernel void rms_norm(__global const float* x, int xo, __global const float* w, __global float* out, int oo,
                       int n, float eps) {
    __local acc_t red[WG];
    int l = get_local_id(0);
    __global const float* xr = x + xo + (size_t) get_group_id(0) * n;
    __global float* orow = out + oo + (size_t) get_group_id(0) * n;
    acc_t s = 0;
    for (int i = l; i < n; i += WG) {
        float v = xr[i];
        s += (acc_t) (v * v);
    }
    s = wg_sum(red, s);
    float mean = (float) (s / n);
    float scale = 1.0f / sqrt(mean + eps);
    for (int i = l; i < n; i += WG) {
        orow[i] = (xr[i] * scale) * w[i];
    }
}

// out = (x - mean) / sqrt(var + eps) * w + b (ggml_norm, then the optional weight and bias).
__kernel void layer_norm(__global const float* x, int xo, __global const float* w, int hasW, __global const float* b,
                         int hasB, __global float* out, int oo, int n, float eps) {
    __local acc_t red[WG];
    int l = get_local_id(0);
    __global const float* xr = x + xo + (size_t) get_group_id(0) * n;
    __global float* orow = out + oo + (size_t) get_group_id(0) * n;
    acc_t s = 0;
    for (int i = l; i < n; i += WG) {
        s += xr[i];
    }
    s = wg_sum(red, s);
    float mean = (float) (s / n);
    acc_t s2 = 0;
    for (int i = l; i < n; i += WG) {
        float v = xr[i] - mean;
        s2 += (acc_t) (v * v);
    }
    s2 = wg_sum(red, s2);
    float variance = (float) (s2 / n);
    float scale = 1.0f / sqrt(variance + eps);
    for (int i = l; i < n; i += WG) {
        float v = (xr[i] - mean) * scale;
        if (hasW) {
            v *= w[i];
        }
        if (hasB) {
            v += b[i];
        }
        orow[i] = v;
    }
}

__kernel void softmax(__global const float* x, int xo, __global float* out, int oo, int n) {
    __local float redf[WG];
    __local acc_t red[WG];
    int l = get_local_id(0);
    __global const float* xr = x + xo + (size_t) get_group_id(0) * n;
    __global float* orow = out + oo + (size_t) get_group_id(0) * n;
    float m = -INFINITY;
    for (int i = l; i < n; i += WG) {
        m = fmax(m, xr[i]);
    }
    m = wg_max(redf, m);
    acc_t s = 0;
    for (int i = l; i < n; i += WG) {
        float e = exp(xr[i] - m);
        orow[i] = e;
        s += e;
    }
    s = wg_sum(red, s);
    float inv = (float) ((acc_t) 1 / s);
    for (int i = l; i < n; i += WG) {
        orow[i] *= inv;
    }
}

// Index of the largest value of a row, the first on ties; NaNs never win unless every value is NaN (then 0).
__kernel void argmax(__global const float* x, int xo, int n, __global int* result) {
    __local float bestValue[WG];
    __local int bestIndex[WG];
    int l = get_local_id(0);
    float best = -INFINITY;
    int at = n;                       // n: no candidate yet
    for (int i = l; i < n; i += WG) {
        float v = x[xo + i];
        if (v > best || (at == n && v == v)) {
            best = v;
            at = i;
        }
    }
    bestValue[l] = best;
    bestIndex[l] = at;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (l < s) {
            float ov = bestValue[l + s];
            int oi = bestIndex[l + s];
            if (oi < n && (bestIndex[l] == n || ov > bestValue[l] || (ov == bestValue[l] && oi < bestIndex[l]))) {
                bestValue[l] = ov;
                bestIndex[l] = oi;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) {
        result[0] = bestIndex[0] == n ? 0 : bestIndex[0];
    }
}
