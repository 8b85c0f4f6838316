#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "process_setup.h"

void litskit_line_buffer_stdout_into_files(void) {
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
        setvbuf(stdout, NULL, _IOLBF, 0);
    }
}
