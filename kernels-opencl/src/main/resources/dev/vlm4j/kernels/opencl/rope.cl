// Rotary position embedding in place. NDRange (dims / 2, heads, rows): one work-item per rotated pair.
// The angle of pair i at position p is p * thetaScale^i / freq[i], built by repeated float multiplication as
// ggml does (not pow), then cos/sin in double where the device has it (as CpuBackend).
__kernel void rope(__global float* x, int xo, int cols, int headDim, int dims, int neox, float thetaScale, int pos0,
                   __global const float* freq, int hasFreq) {
    int i = get_global_id(0);
    int h = get_global_id(1);
    int r = get_global_id(2);
    float theta = (float) (pos0 + r);
    for (int k = 0; k < i; k++) {
        theta *= thetaScale;
    }
    float angle = hasFreq ? theta / freq[i] : theta;
    float c = (float) cos((acc_t) angle);
    float s = (float) sin((acc_t) angle);
    size_t base = (size_t) xo + (size_t) r * cols + (size_t) h * headDim;
    size_t a = neox ? base + i : base + 2 * i;
    size_t b = neox ? a + dims / 2 : a + 1;
    float x0 = x[a];
    float x1 = x[b];
    x[a] = x0 * c - x1 * s;
    x[b] = x0 * s + x1 * c;
}
