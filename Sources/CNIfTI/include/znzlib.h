/* Forwarding header: nifti2_io.h includes <znzlib.h>, which Debian installs under nifti/.
   Debian builds libznz with zlib, so declare the same to see the same struct layout. */
#ifndef HAVE_ZLIB
#define HAVE_ZLIB 1
#endif
#include <nifti/znzlib.h>
