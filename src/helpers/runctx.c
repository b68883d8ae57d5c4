/* The run a helper is called from (see runctx.h). */
#include "helpers/runctx.h"

_Thread_local struct uebpf_run_ctx *uebpf_run_ctx_cur;
