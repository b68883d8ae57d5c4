/* One printf into a caller's log buffer, for every layer; tolerates
 * log == NULL / log_sz == 0 (errors are values: nothing prints). */
#ifndef UEBPF_ISA_LOG_H
#define UEBPF_ISA_LOG_H

#include <stddef.h>

void uebpf_log(char *log, size_t log_sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
