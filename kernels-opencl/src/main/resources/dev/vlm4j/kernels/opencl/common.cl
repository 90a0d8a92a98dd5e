// vlm4j OpenCL kernels: shared definitions. OpenClBackend concatenates common.cl, then the other .cl files, and
// builds them as one program (OpenCL C 1.2, no cl_khr_fp16 needed) with these defines:
//   WG            work-group size of the row-wise kernels (norms, softmax, attention, argmax); a power of two
//   MM_TPR        work-items sharing one matmul output (1 on CPU devices, a warp's worth on GPUs); a power of two
//   MM_ROWS       matmul outputs (weight rows) per work-group
//   MM_RT         activation rows each matmul work-item computes (the weight row is read once for all of them)
//   HEAD_DIM_MAX  largest attention head the attention kernel supports; a multiple of WG
//
// Every kernel computes what CpuBackend computes (which is what ggml-cpu computes), in the same float32 order
// where it matters: no fused multiply-adds, the activations of quantised matmuls quantised to Q8_0 exactly as
// ggml does, norms accumulated in double where the device has it.

#pragma OPENCL FP_CONTRACT OFF

#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;
#else
typedef float acc_t;
#endif

#define TYPE_F32 0
#define TYPE_F16 1
#define TYPE_Q4_0 2
#define TYPE_Q8_0 8
#define TYPE_BF16 30

// float -> IEEE half bits, round to nearest even, subnormals and overflow to infinity as C's (_Float16) cast.
inline ushort f16_bits(float f) {
    uint x = as_uint(f);
    uint sign = (x >> 16) & 0x8000u;
    uint ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) {                  // inf, nan
        return (ushort) (sign | (ax > 0x7f800000u ? 0x7e00u | ((ax >> 13) & 0x3ffu) : 0x7c00u));
    }
    if (ax >= 0x477ff000u) {                  // >= 65520 rounds to infinity
        return (ushort) (sign | 0x7c00u);
    }
    if (ax < 0x38800000u) {                   // below 2^-14: a half subnormal or zero
        if (ax <= 0x33000000u) {              // <= 2^-25 rounds (ties to even) to zero
            return (ushort) sign;
        }
        uint e = ax >> 23;
        uint m = (ax & 0x7fffffu) | 0x800000u;
        uint shift = 126u - e;                // value = m * 2^(e-150) = k * 2^-24
        uint k = m >> shift;
        uint rem = m & ((1u << shift) - 1u);
        uint halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (k & 1u))) {
            k++;
        }
        return (ushort) (sign | k);
    }
    uint r = ax - 0x38000000u;                // rebias the exponent from 127 to 15
    uint k = r >> 13;
    uint rem = r & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (k & 1u))) {
        k++;
    }
    return (ushort) (sign | k);
}

inline float f16_value(ushort h) {
    uint sign = ((uint) h & 0x8000u) << 16;
    uint e = ((uint) h >> 10) & 0x1fu;
    uint m = (uint) h & 0x3ffu;
    if (e == 0u) {
        return as_float(sign | as_uint((float) m * 5.9604644775390625e-8f));   // m * 2^-24
    }
    if (e == 31u) {
        return as_float(sign | 0x7f800000u | (m << 13));
    }
    return as_float(sign | ((e + 112u) << 23) | (m << 13));
}

// float -> bfloat16 bits, round to nearest even (ggml_compute_fp32_to_bf16; NaN kept quiet).
inline ushort bf16_bits(float f) {
    uint u = as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return (ushort) ((u >> 16) | 64u);
    }
    return (ushort) ((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

inline float bf16_value(ushort b) {
    return as_float((uint) b << 16);
}

// Sum over the work-group (dimension 0, WG items); every item gets the total. Uses red[0..WG-1].
inline acc_t wg_sum(__local acc_t* red, acc_t v) {
    int l = get_local_id(0);
    red[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (l < s) {
            red[l] += red[l + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    acc_t total = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

inline float wg_max(__local float* red, float v) {
    int l = get_local_id(0);
    red[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (l < s) {
            red[l] = fmax(red[l], red[l + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float m = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return m;
}

inline float wg_sum_f(__local float* red, float v) {
    int l = get_local_id(0);
    red[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (l < s) {
            red[l] += red[l + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}
