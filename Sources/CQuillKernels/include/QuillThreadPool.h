// A persistent worker pool for short parallel regions (a decode step runs ~50 matrix × vector
// products of 50–500 µs each). Workers spin briefly between jobs and then sleep, so a job handed out
// right after the previous one starts on every core at once instead of waiting for a thread wake-up
// (llama.cpp's threadpool and OpenMP's active wait-policy work the same way).
#ifndef QUILL_THREAD_POOL_H
#define QUILL_THREAD_POOL_H
#include <stdint.h>

/// One task of a job: `index` in 0 ..< n_tasks, `context` as passed to qk_pool_run.
typedef void (*qk_pool_task)(void *context, int32_t index);

/// Runs task(context, i) for every i in 0 ..< n_tasks on the calling thread and up to
/// `n_threads − 1` pool workers (tasks are claimed one at a time, so faster threads take more) and
/// returns 1 when all have finished. Returns 0 without running anything when the pool is already
/// running a job for another caller (a nested or concurrent call): the caller then runs the tasks
/// some other way. Workers are created on first use and kept; n_threads is capped at 64.
int32_t qk_pool_run(int32_t n_threads, int32_t n_tasks, qk_pool_task task, void *context);

/// How long idle workers spin before sleeping, in microseconds (default 2000; 0 = sleep at once).
void qk_pool_set_spin_us(int32_t microseconds);

#endif
