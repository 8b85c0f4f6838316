#ifndef LITSKIT_PROCESS_SETUP_H
#define LITSKIT_PROCESS_SETUP_H

/// Makes C's stdout line-buffered even into a file or pipe. (Swift 6 refuses to touch the C
/// global `stdout` from Swift: it is shared mutable state.)
void litskit_line_buffer_stdout(void);

#endif
