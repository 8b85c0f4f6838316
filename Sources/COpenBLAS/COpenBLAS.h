#ifndef COPENBLAS_H
#define COPENBLAS_H
#include <cblas.h>
/* Declared by OpenBLAS but not by the generic cblas.h. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
