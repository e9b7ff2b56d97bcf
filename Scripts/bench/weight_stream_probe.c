// Memory ceiling for decode: streams the weights of a GPT-2-124M-shaped F32 GGUF (written by
// `quill bench generate --random-gpt2-124m --save-gguf F`) through a plain AVX-512 dot per row, in the order a
// decode step reads them (12 × [qkv, attn out, fc, proj], then the 50257 × 768 head), and prints the best and
// mean "tokens per second" of weight traffic. Offsets are approximate (tensors assumed packed after the
// embeddings); only the amount and order of streaming matter. With a thread count N > 1, every matrix is split
// into N row ranges, one per thread, with a spin barrier after each matrix — the shape of a decode step on
// N threads (each product needs the previous one's output). Not part of the build.
//
//   cc -O3 -mavx512f -mfma -pthread Scripts/bench/weight_stream_probe.c -o /tmp/stream-probe
//   /tmp/stream-probe /tmp/quill-bench-gguf/gpt2-124m-f32.gguf          # one thread
//   /tmp/stream-probe /tmp/quill-bench-gguf/gpt2-124m-f32.gguf 2        # two threads, split + barrier
//   (/tmp/stream-probe F & /tmp/stream-probe F & wait)                   # two independent streams
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float dot(const float *w, const float *x, size_t K) {   // K a multiple of 64
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < K; i += 64) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

static int threads = 1;
static _Atomic int arrived = 0, released = 0;

/// Rows of this thread's share, then wait for the others (sense-reversing spin barrier).
static void matvec_part(int t, const char *w, size_t N, size_t K, const float *x, float *y, int *sense) {
    size_t per = (N + threads - 1) / threads, lo = t * per, hi = lo + per < N ? lo + per : N;
    for (size_t r = lo; r < hi; r++) y[r] = dot((const float *)w + r * K, x, K);
    if (threads == 1) return;
    *sense = !*sense;
    if (atomic_fetch_add(&arrived, 1) == threads - 1) { atomic_store(&arrived, 0); atomic_store(&released, *sense); }
    else while (atomic_load(&released) != *sense) _mm_pause();
}

static const char *m;
static float *x, *y;
static const size_t C = 768, V = 50257, L = 12, reps = 64;
static double best = 1e9, total = 0;

static void *run(void *arg) {
    int t = (int)(intptr_t)arg, sense = 0;
    for (size_t rep = 0; rep < reps; rep++) {
        double start = now();
        size_t o = 4096 + (V + 1024) * C * 4;               // after token and position embeddings
        for (size_t l = 0; l < L; l++) {
            matvec_part(t, m + o, 3 * C, C, x, y, &sense); o += 3 * C * C * 4 + 16384;
            matvec_part(t, m + o, C, C, x, y, &sense);     o += C * C * 4 + 16384;
            matvec_part(t, m + o, 4 * C, C, x, y, &sense); o += 4 * C * C * 4 + 16384;
            matvec_part(t, m + o, C, 4 * C, x, y, &sense); o += 4 * C * C * 4 + 16384;
        }
        matvec_part(t, m + 4096, V, C, x, y, &sense);       // tied head = token embedding
        double dt = now() - start;
        if (t == 0) { total += dt; if (dt < best) best = dt; }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s gpt2-124m-f32.gguf [threads]\n", argv[0]); return 1; }
    threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 64) { fprintf(stderr, "threads: 1...64\n"); return 1; }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror(argv[1]); return 1; }
    off_t size = lseek(fd, 0, SEEK_END);
    size_t need = 4096 + (V + 1024) * C * 4 + L * (12 * C * C * 4 + 4 * 16384);
    if ((size_t)size < need) { fprintf(stderr, "%s: %lld bytes, need %zu (an F32 124M GGUF)\n", argv[1], (long long)size, need); return 1; }
    m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    x = aligned_alloc(64, 4 * C * sizeof(float));
    y = malloc(V * sizeof(float));
    for (size_t i = 0; i < 4 * C; i++) x[i] = 1.0f;
    pthread_t workers[64];
    for (int t = 1; t < threads; t++) pthread_create(&workers[t], NULL, run, (void *)(intptr_t)t);
    run((void *)0);
    for (int t = 1; t < threads; t++) pthread_join(workers[t], NULL);
    double bytes = (L * 12.0 * C * C + (double)V * C) * 4;
    printf("weight streaming, %d thread(s): best %.1f tok/s (%.1f GB/s), mean %.1f tok/s (%.1f GB/s)\n", threads,
           1 / best, bytes / best / 1e9, reps / total, bytes * reps / total / 1e9);
    return 0;
}
