/* Empty translation unit: SwiftPM needs one source file per C target. */
#include "COpenBLAS.h"
