// Scaled dot-product attention over device-resident K/V with grouped-query heads and an optional causal mask.
// One work-group of WG items per (query row, head). Keys go by in chunks of WG: item l scores key c0 + l, the
// group takes the chunk's max, rescales what it has so far (online softmax), and item l then accumulates the
// output dimensions l, l + WG, ... over the chunk's keys. Scores are scale * (q . k), as CpuBackend.
__kernel void attention(__global const float* q, int qo, __global const float* k, int ko, __global const float* v, int vo,
                        __global float* out, int oo, int heads, int kvHeads, int headDim, float scale,
                        int kvLength, int causal, int pos0) {
    __local float qs[HEAD_DIM_MAX];
    __local float p[WG];
    __local float red[WG];
    int l = get_local_id(0);
    int task = get_group_id(0);
    int i = task / heads;
    int h = task % heads;
    int kvh = h / (heads / kvHeads);
    int qw = heads * headDim;
    int kw = kvHeads * headDim;
    int visible = causal ? min(kvLength, pos0 + i + 1) : kvLength;
    for (int d = l; d < headDim; d += WG) {
        qs[d] = q[qo + (size_t) i * qw + h * headDim + d];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    __global const float* kh = k + ko + kvh * headDim;
    __global const float* vh = v + vo + kvh * headDim;
    float acc[HEAD_DIM_MAX / WG];
    for (int t = 0; t < HEAD_DIM_MAX / WG; t++) {
        acc[t] = 0.0f;
    }
    float mrun = -INFINITY;
    float lsum = 0.0f;                // this item's part of the softmax denominator, relative to mrun
    for (int c0 = 0; c0 < visible; c0 += WG) {
        int j = c0 + l;
        float s = -INFINITY;
        if (j < visible) {
            __global const float* kr = kh + (size_t) j * kw;
            float dot = 0.0f;
            for (int d = 0; d < headDim; d++) {
                dot += qs[d] * kr[d];
            }
            s = dot * scale;
        }
        float mnew = fmax(mrun, wg_max(red, s));
        float alpha = exp(mrun - mnew);
        float e = j < visible ? exp(s - mnew) : 0.0f;
        lsum = lsum * alpha + e;
        p[l] = e;
        barrier(CLK_LOCAL_MEM_FENCE);
        int count = min(WG, visible - c0);
        for (int t = 0; t < HEAD_DIM_MAX / WG; t++) {
            int d = l + t * WG;
            if (d < headDim) {
                float a = acc[t] * alpha;
                for (int jj = 0; jj < count; jj++) {
                    a += p[jj] * vh[(size_t) (c0 + jj) * kw + d];
                }
                acc[t] = a;
            }
        }
        mrun = mnew;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = wg_sum_f(red, lsum);
    float inv = total > 0.0f ? 1.0f / total : 0.0f;
    for (int t = 0; t < HEAD_DIM_MAX / WG; t++) {
        int d = l + t * WG;
        if (d < headDim) {
            out[oo + (size_t) i * qw + h * headDim + d] = acc[t] * inv;
        }
    }
}
