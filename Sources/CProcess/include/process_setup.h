#ifndef LITSKIT_PROCESS_SETUP_H
#define LITSKIT_PROCESS_SETUP_H

/// Makes C's stdout line-buffered when it is a regular file (a Slurm or nohup log), so each line
/// shows when it is printed. Pipes keep block buffering: `lits ... | head` gets the output in one
/// write instead of a SIGPIPE at its second line. (Swift 6 refuses to touch the C global
/// `stdout` from Swift: it is shared mutable state.)
void litskit_line_buffer_stdout_into_files(void);

#endif
