#include <stdio.h>
#include "process_setup.h"

void litskit_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}
