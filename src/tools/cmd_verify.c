/* uebpf verify: run the verifier on an assembly file, raw instructions or
 * every program of a BPF object, print its log and the verdict. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/object.h>
#include <uebpf/verifier.h>

#include "cli.h"

static const char help[] =
	"Usage: uebpf verify [--prog NAME] [--log-level 0|1|2] [--type TYPE] [--unpriv]\n"
	"                    [--strict-alignment] [--map TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES ...]\n"
	"                    PROGRAM\n\n"
	"Check a program as the kernel's verifier does and print its log: accepted, or\n"
	"the failing instruction and the kernel's message. PROGRAM is assembly (.s),\n"
	"raw instructions (.bin) or a BPF object file (every program in it, or --prog).\n\n"
	"  -p, --prog=NAME          only this program of an object\n"
	"  -l, --log-level=N        0: the error only; 1, 2: with statistics\n"
	"  -t, --type=TYPE          program type as the kernel names it (socket_filter,\n"
	"                           xdp, sched_cls, kprobe, tracepoint, raw_tracepoint,\n"
	"                           perf_event, tracing, syscall); default socket_filter,\n"
	"                           or what an object's section names say\n"
	"      --unpriv             the kernel's rules for unprivileged programs\n"
	"      --strict-alignment   BPF_F_STRICT_ALIGNMENT\n"
	"  -m, --map=T:K:V:N        a map the assembly names map:0, map:1, ... (T as\n"
	"                           bpftool names map types: hash, array, ringbuf, ...)\n"
	"Exit status: 0 accepted, 1 rejected, 2 bad input.\n";

static int parse_map(const char *s, struct uebpf_verifier_map *m)
{
	char type[32];
	unsigned k, v, n;
	int used = 0;
	if (sscanf(s, "%31[a-z_]:%u:%u:%u%n", type, &k, &v, &n, &used) != 4 || s[used]) {
		cli_err("verify: bad --map '%s' (want TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES)", s);
		return -1;
	}
	enum bpf_map_type t;
	if (cli_map_type_by_name(type, &t)) {
		cli_err("verify: --map '%s': unknown map type '%s'", s, type);
		return -1;
	}
	*m = (struct uebpf_verifier_map){ .type = t, .key_size = k, .value_size = v, .max_entries = n };
	if (t == BPF_MAP_TYPE_LPM_TRIE)
		m->map_flags = BPF_F_NO_PREALLOC;
	return 0;
}

static int verify_one(const char *what, const struct bpf_insn *insns, size_t n, struct uebpf_verify_opts *o)
{
	static char log[1 << 16];
	struct uebpf_verify_result res;
	int err = uebpf_verify(insns, n, o, &res, log, sizeof(log));
	fputs(log, stdout);
	if (!err) {
		printf("%s: accepted (%zu instructions after rewriting, stack depth %u)\n", what, res.n, res.stack_depth);
		uebpf_verify_result_free(&res);
		return 0;
	}
	printf("%s: rejected (%s)\n", what, strerror(-err));
	return 1;
}

int cmd_verify(int argc, char **argv)
{
	enum { OPT_UNPRIV = 256, OPT_STRICT };
	static const struct option longopts[] = {
		{ "prog", required_argument, NULL, 'p' },   { "log-level", required_argument, NULL, 'l' },
		{ "type", required_argument, NULL, 't' },   { "unpriv", no_argument, NULL, OPT_UNPRIV },
		{ "strict-alignment", no_argument, NULL, OPT_STRICT }, { "map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },         { 0 },
	};
	struct uebpf_verify_opts o = { .sz = sizeof(o), .prog_type = BPF_PROG_TYPE_SOCKET_FILTER, .gpl = true };
	struct uebpf_verifier_map maps[64];
	const char *prog_name = NULL, *path;
	bool type_given = false;
	int c;
	while ((c = cli_getopt("verify", argc, argv, "p:l:t:m:h", longopts)) != -1) {
		switch (c) {
		case 'p':
			prog_name = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "0") && strcmp(optarg, "1") && strcmp(optarg, "2")) {
				cli_err("verify: bad --log-level '%s' (want 0, 1 or 2)", optarg);
				return 2;
			}
			o.log_level = (uint32_t)atoi(optarg);
			break;
		case 't':
			if (cli_prog_type_by_name(optarg, &o.prog_type)) {
				cli_err("verify: unknown program type '%s'", optarg);
				return 2;
			}
			type_given = true;
			break;
		case OPT_UNPRIV:
			o.unpriv = true;
			break;
		case OPT_STRICT:
			o.strict_alignment = true;
			break;
		case 'm':
			if (o.n_maps == sizeof(maps) / sizeof(maps[0])) {
				cli_err("verify: too many --map options");
				return 2;
			}
			if (parse_map(optarg, &maps[o.n_maps]))
				return 2;
			o.n_maps++;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (cli_one_operand("verify", argc, argv, "program", &path))
		return 2;
	o.maps = maps;
	if (!cli_is_elf(path)) {
		if (prog_name) {
			cli_err("verify: --prog needs an object file");
			return 2;
		}
		struct bpf_insn *insns;
		size_t n;
		if (cli_load_insns(path, CLI_PROG_GUESS, &insns, &n))
			return 2;
		int rc = verify_one(cli_name(path), insns, n, &o);
		free(insns);
		return rc;
	}
	char log[CLI_LOG_SZ] = "";
	struct uebpf_object *obj;
	int err = uebpf_object_open_file(path, NULL, &obj, log, sizeof(log));
	if (err) {
		cli_err_log(cli_name(path), log, err);
		return 2;
	}
	/* the object's maps, as the verifier sees them */
	struct uebpf_verifier_map *omaps = NULL;
	size_t n_maps = 0;
	for (struct uebpf_object_map *m = uebpf_object_next_map(obj, NULL); m; m = uebpf_object_next_map(obj, m))
		n_maps++;
	omaps = calloc(n_maps + 1, sizeof(*omaps));
	if (!omaps) {
		cli_err("verify: %s: %s", cli_name(path), strerror(ENOMEM));
		uebpf_object_close(obj);
		return 2;
	}
	size_t k = 0;
	for (struct uebpf_object_map *m = uebpf_object_next_map(obj, NULL); m; m = uebpf_object_next_map(obj, m)) {
		const struct uebpf_map_info *i = uebpf_object_map_info(m);
		omaps[k++] = (struct uebpf_verifier_map){ i->type, i->key_size, i->value_size, i->max_entries, i->map_flags,
							  NULL, uebpf_object_map_name(m) };
	}
	o.maps = omaps;
	o.n_maps = n_maps;
	o.gpl = !strcmp(uebpf_object_license(obj), "GPL") || strstr(uebpf_object_license(obj), "GPL");
	int rc = 0, seen = 0;
	for (struct uebpf_object_prog *p = uebpf_object_next_prog(obj, NULL); p; p = uebpf_object_next_prog(obj, p)) {
		if (prog_name && strcmp(prog_name, uebpf_object_prog_name(p)))
			continue;
		seen++;
		if (!type_given)
			o.prog_type = uebpf_object_prog_type(p);
		size_t n;
		const struct bpf_insn *insns = uebpf_object_prog_insns(p, &n);
		o.lines = uebpf_object_prog_lines(p, &o.n_lines);
		int r = verify_one(uebpf_object_prog_name(p), insns, n, &o);
		if (r > rc)
			rc = r;
	}
	if (!seen) {
		cli_err(prog_name ? "verify: %s: no program named '%s'" : "verify: %s: no programs", cli_name(path),
			prog_name);
		rc = 2;
	}
	free(omaps);
	uebpf_object_close(obj);
	return rc;
}
