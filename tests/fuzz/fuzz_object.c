/* libFuzzer: arbitrary bytes as a BPF object file. Opening must refuse
 * what is malformed with a message and never crash; what opens is loaded
 * (maps created, programs verified and prepared for the interpreter) and
 * closed again without leaks. Seeds: the example objects. */
#include <stdint.h>
#include <string.h>

#include <uebpf/object.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uebpf_object *obj;
	char log[512];
	if (uebpf_object_open_mem(data, size, "fuzz.o", NULL, &obj, log, sizeof(log)))
		return 0;
	struct uebpf_object_load_opts o = { .sz = sizeof(o), .engine = UEBPF_ENGINE_INTERP };
	uebpf_object_load(obj, &o, log, sizeof(log));
	uebpf_object_close(obj);
	return 0;
}
