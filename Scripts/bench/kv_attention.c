// Decode-attention microbenchmark for the KV cache layouts and types: one query per (layer, head)
// against T cached positions, GPT-2-124M shape (12 layers × 12 heads × 64), F32 vs F16 rows, the
// old position-major rows (stride C = 768 elements) vs the head-major layout KVCache uses (stride 64).
// Build and run (from the repository root):
//   S=Sources/CQuillKernels; clang -O3 -fno-math-errno -I$S/include -I$S Scripts/bench/kv_attention.c \
//     $S/kernels.c $S/kernels_kv_f16.c $S/kernels_quant.c $S/kernels_quant_x86.c -lm -o /tmp/kvbench
//   /tmp/kvbench 900
#include "QuillKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { L = 12, NH = 12, HS = 64, C = NH * HS, TOKENS = 30 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    const size_t T = argc > 1 ? (size_t)atoi(argv[1]) : 900;
    float *q = malloc(4 * C), *out = malloc(4 * C), *scratch = malloc(4 * T);
    float *k[L], *v[L];
    uint16_t *kh[L], *vh[L];
    srand(1);
    for (size_t i = 0; i < C; i++) q[i] = (rand() % 1000) / 1000.0f;
    for (int l = 0; l < L; l++) {
        k[l] = malloc(4 * T * C); v[l] = malloc(4 * T * C); kh[l] = malloc(2 * T * C); vh[l] = malloc(2 * T * C);
        for (size_t i = 0; i < T * C; i++) { k[l][i] = (rand() % 1000) / 1000.0f - 0.5f; v[l][i] = (rand() % 1000) / 1000.0f; }
        qk_fp32_to_fp16_rows(kh[l], C, k[l], C, T, C, -1);
        qk_fp32_to_fp16_rows(vh[l], C, v[l], C, T, C, -1);
    }
    const char *names[] = {"f32 position-major", "f16 position-major", "f32 head-major", "f16 head-major"};
    for (int round = 0; round < 2; round++) {
        for (int variant = 0; variant < 4; variant++) {
            const int f16 = variant & 1, headMajor = variant >> 1;
            const size_t ld = headMajor ? HS : C;         // row stride; head h starts at h·T·HS or h·HS
            double t0 = now();
            for (int r = 0; r < TOKENS; r++)
                for (int l = 0; l < L; l++)
                    for (size_t h = 0; h < NH; h++) {
                        const size_t at = headMajor ? h * T * HS : h * HS;
                        if (f16) qk_attention_cached_f16(out + h * HS, C, q + h * HS, C, kh[l] + at, vh[l] + at, ld, 1, T - 1, HS, scratch, -1);
                        else qk_attention_cached(out + h * HS, C, q + h * HS, C, k[l] + at, v[l] + at, ld, 1, T - 1, HS, scratch);
                    }
            printf("T %zu %-19s %.3f ms per token\n", T, names[variant], (now() - t0) / TOKENS * 1e3);
        }
    }
    return 0;
}
