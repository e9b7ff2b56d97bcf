// Shared by the kernel files: the ISA-clone attribute and branch-free exp/tanh, so every kernel
// vectorises the same way. Internal to CQuillKernels (not part of the public header).
#ifndef QK_MATH_H
#define QK_MATH_H
#include <math.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define QK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define QK_CLONES
#endif

// exp(x) for x in [-87, 88] to ~2 ulp: Cody-Waite range reduction + degree-6 polynomial
// (Cephes' expf coefficients). Branch-free, so loops calling it vectorise.
static inline float qk_expf(float x) {
    x = fminf(fmaxf(x, -87.0f), 88.0f);
    float n = __builtin_rintf(x * 1.44269504088896341f);
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union { int32_t i; float f; } scale;
    scale.i = ((int32_t)n + 127) << 23;
    return p * scale.f;
}

static inline float qk_tanhf(float u) {
    // tanh(u) = 1 - 2 / (exp(2u) + 1); exact enough in float and safe for large |u| (clamped exp).
    return 1.0f - 2.0f / (qk_expf(2.0f * u) + 1.0f);
}

#endif
