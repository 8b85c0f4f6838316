#ifndef CMPI_H
#define CMPI_H
/* Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_IN_PLACE, MPI_SUM, ...) are macros that
   Swift cannot import; these inline functions are the few calls LiTSCluster makes, on the world
   communicator. Each returns MPI's error code (MPI_SUCCESS = 0). */
#include <mpi.h>

static inline int lits_mpi_init(void) {
    int provided = 0;
    /* One thread (the training loop's) calls MPI; worker threads never do. */
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
}
static inline int lits_mpi_initialized(void) { int flag = 0; MPI_Initialized(&flag); return flag; }
static inline int lits_mpi_finalized(void) { int flag = 0; MPI_Finalized(&flag); return flag; }
static inline int lits_mpi_finalize(void) { return MPI_Finalize(); }
static inline int lits_mpi_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
static inline int lits_mpi_size(void) { int s = 1; MPI_Comm_size(MPI_COMM_WORLD, &s); return s; }
static inline int lits_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static inline int lits_mpi_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static inline double lits_mpi_wtime(void) { return MPI_Wtime(); }

static inline int lits_mpi_allreduce_sum_float(float *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static inline int lits_mpi_allreduce_sum_double(double *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static inline int lits_mpi_allreduce_max_int(int *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
}
static inline int lits_mpi_bcast_float(float *values, int count, int root) {
    return MPI_Bcast(values, count, MPI_FLOAT, root, MPI_COMM_WORLD);
}
static inline int lits_mpi_bcast_bytes(void *bytes, int count, int root) {
    return MPI_Bcast(bytes, count, MPI_BYTE, root, MPI_COMM_WORLD);
}
/* Rank 0 receives every rank's count, then their bytes one after another. */
static inline int lits_mpi_gather_int(int mine, int *all) {
    return MPI_Gather(&mine, 1, MPI_INT, all, 1, MPI_INT, 0, MPI_COMM_WORLD);
}
static inline int lits_mpi_gatherv_bytes(const void *mine, int count, void *all, const int *counts, const int *offsets) {
    return MPI_Gatherv(mine, count, MPI_BYTE, all, counts, offsets, MPI_BYTE, 0, MPI_COMM_WORLD);
}
#endif
