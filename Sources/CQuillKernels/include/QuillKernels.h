// Hand-written float kernels for the loops BLAS has no routine for.
// Each is compiled for AVX-512, AVX2 and the baseline, chosen at load time (target_clones).
#ifndef QUILL_KERNELS_H
#define QUILL_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#endif
