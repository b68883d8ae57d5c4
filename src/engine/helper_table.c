/* The helper table an embedder fills; engines copy it at load. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/engine.h>

#include "helpers/proto.h"

struct uebpf_helper_table {
	uebpf_helper_fn fn[UEBPF_MAX_HELPERS];
	char *name[UEBPF_MAX_HELPERS];
};

struct uebpf_helper_table *uebpf_helper_table_new(void)
{
	return calloc(1, sizeof(struct uebpf_helper_table));
}

void uebpf_helper_table_free(struct uebpf_helper_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < UEBPF_MAX_HELPERS; i++)
		free(t->name[i]);
	free(t);
}

int uebpf_helper_table_set(struct uebpf_helper_table *t, uint32_t id, const char *name, uebpf_helper_fn fn)
{
	if (!t || id >= UEBPF_MAX_HELPERS)
		return -EINVAL;
	char *copy = NULL;
	if (name && !(copy = strdup(name)))
		return -ENOMEM;
	free(t->name[id]);
	t->name[id] = copy;
	t->fn[id] = fn;
	return 0;
}

uebpf_helper_fn uebpf_helper_table_get(const struct uebpf_helper_table *t, uint32_t id)
{
	return t && id < UEBPF_MAX_HELPERS ? t->fn[id] : NULL;
}

const char *uebpf_helper_table_name(const struct uebpf_helper_table *t, uint32_t id)
{
	return t && id < UEBPF_MAX_HELPERS ? t->name[id] : NULL;
}

static struct uebpf_helper_table *default_table;

static void build_default(void)
{
	struct uebpf_helper_table *t = uebpf_helper_table_new();
	if (!t)
		return;
	for (uint32_t id = 0; id < UEBPF_MAX_HELPERS; id++) {
		const struct uebpf_helper_proto *p = uebpf_helper_proto(id);
		uebpf_helper_fn internal = uebpf_helper_internal(id);
		if ((p && p->fn && uebpf_helper_table_set(t, id, p->name, p->fn)) ||
		    (internal && uebpf_helper_table_set(t, id, "uebpf_internal", internal))) {
			uebpf_helper_table_free(t);
			return;
		}
	}
	default_table = t;
}

const struct uebpf_helper_table *uebpf_helpers_default(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_default);
	return default_table;
}
