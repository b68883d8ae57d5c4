/* Map helpers: r1 is the struct uebpf_map * the lddw map:N resolved to; the
 * work is the map type's (its ops table). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/engine.h>

#include "helpers/impl.h"
#include "maps/map.h"

#define MAP ((struct uebpf_map *)(uintptr_t)r1)
#define PTR(r) ((void *)(uintptr_t)(r))

HELPER(map_lookup_elem)
{
	return MAP->ops->lookup_elem ? (uintptr_t)MAP->ops->lookup_elem(MAP, PTR(r2)) : 0;
}

HELPER(hash_lookup)
{
	return (uintptr_t)uebpf_hash_lookup(MAP, PTR(r2));
}

HELPER(map_update_elem)
{
	return MAP->ops->update_elem ? MAP->ops->update_elem(MAP, PTR(r2), PTR(r3), r4) : -EINVAL;
}

HELPER(map_delete_elem)
{
	return MAP->ops->delete_elem ? MAP->ops->delete_elem(MAP, PTR(r2)) : -EINVAL;
}

HELPER(map_push_elem)
{
	return MAP->ops->push_elem ? MAP->ops->push_elem(MAP, PTR(r2), r3) : -EINVAL;
}

HELPER(map_pop_elem)
{
	return MAP->ops->pop_elem ? MAP->ops->pop_elem(MAP, PTR(r2)) : -EINVAL;
}

HELPER(map_peek_elem)
{
	return MAP->ops->peek_elem ? MAP->ops->peek_elem(MAP, PTR(r2)) : -EINVAL;
}

/* cb(map, key, value, ctx): 0 goes on, 1 stops; returns the elements visited.
 * Walks keys in get_next_key order, so it works for every keyed type. */
HELPER(for_each_map_elem)
{
	struct uebpf_map *map = MAP;
	const struct uebpf_callback *cb = PTR(r2);
	if (r4)
		return -EINVAL;
	if (!map->ops->get_next_key || !map->ops->lookup_elem)
		return -EINVAL;
	uint32_t ksz = map->info.key_size ? map->info.key_size : 1;
	uint8_t *key = malloc(ksz), *next = malloc(ksz);
	long visited = 0;
	if (!key || !next) {
		free(key);
		free(next);
		return -ENOMEM;
	}
	for (int err = map->ops->get_next_key(map, NULL, next); !err;
	     err = map->ops->get_next_key(map, key, next)) {
		memcpy(key, next, ksz);
		void *value = map->ops->lookup_elem(map, key);
		if (!value)
			continue;
		visited++;
		if (cb->call(cb, r1, (uintptr_t)key, (uintptr_t)value, r3, 0))
			break;
	}
	free(key);
	free(next);
	return visited;
}
