// Open MPI for data-parallel training (Sources/QuillTraining/Distributed). MPI_COMM_WORLD, MPI_FLOAT
// and friends are macros over addresses that Swift cannot import, so these inline wrappers name the
// few calls Quill makes. Only built when Package.swift finds `ompi-c` with pkg-config.
#include <mpi.h>

/// MPI_Init_thread asking for MPI_THREAD_SERIALIZED (calls come from one thread at a time, not
/// always the same one); returns the MPI error code, *provided the level granted.
static inline int quill_mpi_init(int *provided) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) { MPI_Query_thread(provided); return MPI_SUCCESS; }
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
}
static inline int quill_mpi_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
static inline int quill_mpi_size(void) { int n = 1; MPI_Comm_size(MPI_COMM_WORLD, &n); return n; }
/// In-place sum of `count` floats over every rank.
static inline int quill_mpi_allreduce_sum_f32(float *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
/// In-place sum of `count` doubles over every rank.
static inline int quill_mpi_allreduce_sum_f64(double *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
/// Rank `root`'s `count` bytes to every rank.
static inline int quill_mpi_broadcast_bytes(void *buffer, int count, int root) {
    return MPI_Bcast(buffer, count, MPI_BYTE, root, MPI_COMM_WORLD);
}
static inline int quill_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static inline int quill_mpi_finalize(void) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    return finalized ? MPI_SUCCESS : MPI_Finalize();
}
