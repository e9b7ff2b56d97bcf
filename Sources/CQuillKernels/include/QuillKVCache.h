// Half-precision KV cache kernels (kernels_kv_f16.c): float rows → IEEE half rows on the way into the
// cache, and cached attention that reads half keys/values directly (no dequantized copy per step).
#ifndef QUILL_KV_CACHE_H
#define QUILL_KV_CACHE_H
#include <stddef.h>
#include <stdint.h>

/// Converts `rows` rows of `cols` floats (row r at src + r*lds) to IEEE half, round-to-nearest-even,
/// into dst + r*ldd. isa: QK_ISA_* (capped at the best this CPU has); every ISA gives the same bits.
void qk_fp32_to_fp16_rows(uint16_t *dst, size_t ldd, const float *src, size_t lds, size_t rows,
                          size_t cols, int isa);

/// qk_attention_cached with half keys and values: n new queries (float, row i at q + i*ldq) against
/// cache rows k + t*ldkv, v + t*ldkv (halves, already offset to this head's columns). Query i sits at
/// absolute position pos0 + i and sees positions 0...pos0+i. out: row i at out + i*ldo (float).
/// scratch must hold pos0 + n floats. isa: QK_ISA_* (capped at the best this CPU has).
void qk_attention_cached_f16(float *out, size_t ldo, const float *q, size_t ldq, const uint16_t *k,
                             const uint16_t *v, size_t ldkv, size_t n, size_t pos0, size_t hs,
                             float *scratch, int isa);

#endif
