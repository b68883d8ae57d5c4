/* uebpf map list|dump: maps in shared memory, read from any process. */
#include <stdio.h>
#include <string.h>

#include <uebpf/map.h>

#include "cli.h"

static const char help[] =
	"Usage: uebpf map list [--json]\n"
	"       uebpf map dump NAME [--json]\n\n"
	"Maps that uebpf programs share (created with a name, under /dev/shm as\n"
	"uebpf.NAME), read while their programs run in other processes.\n\n"
	"  list    the names of the maps, one per line\n"
	"  dump    every entry of map NAME, as bpftool map dump prints them\n"
	"  -j, --json   JSON output\n";

struct lister {
	bool json;
	unsigned n;
};

static int list_one(void *arg, const char *name)
{
	struct lister *l = arg;
	struct uebpf_map *map;
	char log[CLI_LOG_SZ];
	if (uebpf_map_open(name, &map, log, sizeof(log))) {
		cli_err("map list: %s", log);
		return 0;
	}
	const struct uebpf_map_info *i = uebpf_map_info(map);
	if (l->json)
		printf("%s{\"name\":\"%s\",\"type\":\"%s\",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u}",
		       l->n ? "," : "", name, cli_map_type_name(i->type), i->key_size, i->value_size, i->max_entries);
	else
		printf("%s: %s  key %uB  value %uB  max_entries %u\n", name, cli_map_type_name(i->type), i->key_size,
		       i->value_size, i->max_entries);
	l->n++;
	uebpf_map_close(map);
	return 0;
}

int cmd_map(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c;
	while ((c = cli_getopt("map", argc, argv, "jh", longopts)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			return 1;
		}
	}
	if (optind >= argc) {
		cli_err("map: missing subcommand (list or dump)");
		return 1;
	}
	const char *sub = argv[optind];
	if (!strcmp(sub, "list")) {
		if (optind + 1 != argc) {
			cli_err("map list: unexpected argument '%s'", argv[optind + 1]);
			return 1;
		}
		struct lister l = { json, 0 };
		if (json)
			printf("[");
		int err = uebpf_map_list(list_one, &l);
		if (json)
			printf("]\n");
		if (err < 0) {
			cli_err("map list: %s", strerror(-err));
			return 1;
		}
		return 0;
	}
	if (!strcmp(sub, "dump")) {
		if (optind + 2 != argc) {
			cli_err(optind + 1 == argc ? "map dump: missing map name" : "map dump: one map name expected");
			return 1;
		}
		const char *name = argv[optind + 1];
		struct uebpf_map *map;
		char log[CLI_LOG_SZ] = "";
		int err = uebpf_map_open(name, &map, log, sizeof(log));
		if (err) {
			cli_err("map dump: %s", *log ? log : strerror(-err));
			return 1;
		}
		err = cli_map_dump(stdout, name, map, json);
		if (json)
			printf("\n");
		uebpf_map_close(map);
		if (err < 0) {
			cli_err("map dump: %s: %s", name, strerror(-err));
			return 1;
		}
		return 0;
	}
	cli_err("map: unknown subcommand '%s' (want list or dump)", sub);
	return 1;
}
