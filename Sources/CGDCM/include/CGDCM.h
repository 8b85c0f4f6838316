#ifndef CGDCM_H
#define CGDCM_H

// A C face for the few things `lits import-dicom` needs from one DICOM file, read by GDCM
// (libgdcm-dev): the stored pixel values (decoded from any transfer syntax GDCM supports) and the
// geometry and rescale attributes. Swift imports this header; the C++ stays in shim.cpp.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int rows;                  // (0028,0010)
    int columns;               // (0028,0011)
    double slope;              // (0028,1053), 1 when absent
    double intercept;          // (0028,1052), 0 when absent
    double position[3];        // Image Position (Patient) (0020,0032), LPS mm
    double orientation[6];     // Image Orientation (Patient) (0020,0037): row then column cosines
    double pixelSpacing[2];    // (0028,0030): between rows, then between columns, mm
    char seriesUID[68];        // (0020,000E)
    char transferSyntax[68];   // UID of the data set's transfer syntax
    char transferSyntaxName[96];
    int32_t *pixels;           // rows * columns stored values, row after row; free with cgdcm_free
} cgdcm_slice;

// Reads `path` into `slice`. Returns 0, or -1 with a one-line reason (no file name) in `error`.
int cgdcm_read(const char *path, cgdcm_slice *slice, char *error, size_t errorLength);

// Frees the pixels of a slice cgdcm_read filled.
void cgdcm_free(cgdcm_slice *slice);

#ifdef __cplusplus
}
#endif

#endif
