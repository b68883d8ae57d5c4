/* uebpf prog list OBJECT.o: the programs in a BPF object, with the type and
 * attach point their section names give. */
#include <stdio.h>
#include <string.h>

#include <uebpf/object.h>

#include "cli.h"

static const char help[] =
	"Usage: uebpf prog list [--json] OBJECT.o\n\n"
	"List the programs of a BPF object: name, section, program type, attach\n"
	"target, instruction count; and its maps and license.\n"
	"  -j, --json   JSON output\n";

int cmd_prog(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c;
	while ((c = cli_getopt("prog", argc, argv, "jh", longopts)) != -1) {
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
	if (optind >= argc || strcmp(argv[optind], "list")) {
		cli_err(optind >= argc ? "prog: missing subcommand (list)" : "prog: unknown subcommand '%s' (want list)",
			argv[optind]);
		return 1;
	}
	if (optind + 2 != argc) {
		cli_err(optind + 1 == argc ? "prog list: missing object file" : "prog list: one object file expected");
		return 1;
	}
	const char *path = argv[optind + 1];
	char log[CLI_LOG_SZ] = "";
	struct uebpf_object *obj;
	int err = uebpf_object_open_file(path, NULL, &obj, log, sizeof(log));
	if (err) {
		cli_err_log(cli_name(path), log, err);
		return 1;
	}
	if (json)
		printf("{\"license\":\"%s\",\"programs\":[", uebpf_object_license(obj));
	unsigned k = 0;
	for (struct uebpf_object_prog *p = uebpf_object_next_prog(obj, NULL); p; p = uebpf_object_next_prog(obj, p)) {
		size_t n;
		uebpf_object_prog_insns(p, &n);
		const char *target = uebpf_object_prog_attach_target(p);
		if (json)
			printf("%s{\"name\":\"%s\",\"section\":\"%s\",\"type\":\"%s\",\"insns\":%zu%s%s%s}", k++ ? "," : "",
			       uebpf_object_prog_name(p), uebpf_object_prog_section(p),
			       cli_prog_type_name(uebpf_object_prog_type(p)), n, target ? ",\"target\":\"" : "",
			       target ? target : "", target ? "\"" : "");
		else
			printf("%-20s %-16s %-28s %5zu insns%s%s\n", uebpf_object_prog_name(p),
			       cli_prog_type_name(uebpf_object_prog_type(p)), uebpf_object_prog_section(p), n,
			       target ? "  target " : "", target ? target : "");
	}
	if (json)
		printf("],\"maps\":[");
	else
		printf("license %s\n", uebpf_object_license(obj));
	k = 0;
	for (struct uebpf_object_map *m = uebpf_object_next_map(obj, NULL); m; m = uebpf_object_next_map(obj, m)) {
		const struct uebpf_map_info *i = uebpf_object_map_info(m);
		if (json)
			printf("%s{\"name\":\"%s\",\"type\":\"%s\",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u}",
			       k++ ? "," : "", uebpf_object_map_name(m), cli_map_type_name(i->type), i->key_size,
			       i->value_size, i->max_entries);
		else
			printf("map %-16s %-16s key %uB value %uB max_entries %u\n", uebpf_object_map_name(m),
			       cli_map_type_name(i->type), i->key_size, i->value_size, i->max_entries);
	}
	if (json)
		printf("]}\n");
	uebpf_object_close(obj);
	return 0;
}
