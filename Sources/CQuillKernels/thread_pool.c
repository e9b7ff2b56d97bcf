// Persistent worker pool behind Parallel.forEachChunk (see QuillThreadPool.h). One job at a time:
// the submitter publishes it in one 64-bit word (generation | task count | next task), workers and
// the submitter claim tasks with compare-and-swap on that word, and a done counter tells the
// submitter when the last task finished. Idle workers spin for `spin_us`, then sleep on a condition
// variable; the submitter only takes the sleep lock when someone sleeps.
// Follows the active-wait design of llama.cpp's ggml threadpool and OpenMP runtimes (written here
// from that description, not from their code).
#include "QuillThreadPool.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define QK_POOL_MAX_THREADS 64
#define QK_POOL_MAX_TASKS 0xFFFF

// job word: generation (32 bits) | task count (16 bits) | next unclaimed task (16 bits)
static _Atomic uint64_t job_word = 0;
static _Atomic int32_t job_done = 0;
static _Atomic int32_t job_workers = 0;        // pool workers taking part (n_threads − 1)
static _Atomic int32_t sleepers = 0;
static _Atomic int32_t spin_us = 1000;
static qk_pool_task job_task;                  // written only while no task of the job can be claimed
static void *job_context;

static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cond = PTHREAD_COND_INITIALIZER;
static int32_t worker_count = 0;               // guarded by submit_lock

static inline uint32_t word_generation(uint64_t w) { return (uint32_t)(w >> 32); }
static inline uint32_t word_tasks(uint64_t w) { return (uint32_t)(w >> 16) & 0xFFFF; }
static inline uint32_t word_next(uint64_t w) { return (uint32_t)w & 0xFFFF; }

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/// Claims and runs tasks of job `generation` until none is left.
static void run_tasks(uint32_t generation) {
    for (;;) {
        uint64_t w = atomic_load_explicit(&job_word, memory_order_acquire);
        if (word_generation(w) != generation || word_next(w) >= word_tasks(w)) return;
        if (!atomic_compare_exchange_weak_explicit(&job_word, &w, w + 1, memory_order_acq_rel,
                                                   memory_order_relaxed)) continue;
        // A successful claim means the job is unfinished, so task/context still belong to it.
        job_task(job_context, (int32_t)word_next(w));
        atomic_fetch_add_explicit(&job_done, 1, memory_order_release);
    }
}

/// Waits (spin, then sleep) until the published generation differs from `seen`; returns it.
static uint32_t wait_for_job(uint32_t seen) {
    int64_t start = 0;
    for (uint32_t i = 0;; i++) {
        uint32_t g = word_generation(atomic_load_explicit(&job_word, memory_order_acquire));
        if (g != seen) return g;
        cpu_relax();
        if ((i & 255) == 255) {
            int64_t t = now_us();
            if (start == 0) start = t;
            else if (t - start >= atomic_load_explicit(&spin_us, memory_order_relaxed)) break;
        }
    }
    pthread_mutex_lock(&sleep_lock);
    atomic_fetch_add(&sleepers, 1);                               // seq_cst: pairs with the submitter
    uint32_t g;
    while ((g = word_generation(atomic_load(&job_word))) == seen) pthread_cond_wait(&sleep_cond, &sleep_lock);
    atomic_fetch_sub(&sleepers, 1);
    pthread_mutex_unlock(&sleep_lock);
    return g;
}

static void *worker_main(void *arg) {
    int32_t id = (int32_t)(intptr_t)arg;
    uint32_t seen = word_generation(atomic_load(&job_word));
    for (;;) {
        seen = wait_for_job(seen);
        if (id < atomic_load_explicit(&job_workers, memory_order_relaxed)) run_tasks(seen);
    }
    return NULL;
}

void qk_pool_set_spin_us(int32_t microseconds) {
    atomic_store(&spin_us, microseconds < 0 ? 0 : microseconds);
}

int32_t qk_pool_run(int32_t n_threads, int32_t n_tasks, qk_pool_task task, void *context) {
    if (n_tasks <= 0) return 1;
    if (n_threads > QK_POOL_MAX_THREADS) n_threads = QK_POOL_MAX_THREADS;
    if (n_threads <= 1 || n_tasks == 1) {
        for (int32_t i = 0; i < n_tasks; i++) task(context, i);
        return 1;
    }
    if (n_tasks > QK_POOL_MAX_TASKS) return 0;
    if (pthread_mutex_trylock(&submit_lock) != 0) return 0;      // busy: nested or concurrent caller
    while (worker_count < n_threads - 1) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, worker_main, (void *)(intptr_t)worker_count);
        pthread_attr_destroy(&attr);
        if (failed) break;
        worker_count++;
    }
    int32_t workers = n_threads - 1 < worker_count ? n_threads - 1 : worker_count;

    job_task = task;
    job_context = context;
    atomic_store_explicit(&job_done, 0, memory_order_relaxed);
    atomic_store_explicit(&job_workers, workers, memory_order_relaxed);
    uint32_t generation = word_generation(atomic_load(&job_word)) + 1;
    atomic_store(&job_word, ((uint64_t)generation << 32) | ((uint64_t)n_tasks << 16));   // seq_cst publish
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&sleep_cond);
        pthread_mutex_unlock(&sleep_lock);
    }

    run_tasks(generation);
    for (uint32_t i = 0; atomic_load_explicit(&job_done, memory_order_acquire) < n_tasks; i++) {
        cpu_relax();
        if ((i & 4095) == 4095) sched_yield();                    // a worker holding a task was descheduled
    }
    pthread_mutex_unlock(&submit_lock);
    return 1;
}
