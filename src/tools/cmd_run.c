/* uebpf run: run a program on a copy of some memory, print r0. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char help[] =
	"Usage: uebpf run [--engine interp|jit] [--harden] [--budget N]\n"
	"                 [--mem FILE | --mem-hex HEX] [--repeat N] PROGRAM\n\n"
	"Run a program and print its return value (r0) as 0x followed by lower-case\n"
	"hex, as the last line of standard output. PROGRAM is raw instructions (.bin)\n"
	"or assembly (.s), - for standard input; any other name is read by content.\n"
	"r1 points to a copy of the memory and r2 holds its length. For a BPF object\n"
	"file (clang -target bpf), see 'uebpf run OBJECT.o --help'.\n\n"
	"Options:\n"
	"  -e, --engine=interp  the interpreter in checked mode (default): every load\n"
	"                       and store is bounds-checked and an instruction budget\n"
	"                       stops runaway loops; a fault is reported, exit 1\n"
	"  -e, --engine=jit     the x86-64 JIT. It runs only verified programs, and\n"
	"                       until the verifier lands the JIT trusts its input:\n"
	"                       run only programs you trust\n"
	"      --harden         with the JIT: blind every immediate in the native code\n"
	"                       with a random key, as the kernel's bpf_jit_harden does\n"
	"      --budget=N       with the interpreter: stop after N instructions\n"
	"                       (default %llu)\n"
	"  -m, --mem=FILE       the memory, read from FILE (- for standard input)\n"
	"      --mem-hex=HEX    the memory as hex bytes, spaces optional:\n"
	"                       \"00 01 ff\" or \"0001ff\"\n"
	"  -n, --repeat=N       run N times and print \"mean X ns/run\" on standard\n"
	"                       error; the value printed is the first run's, and the\n"
	"                       runs share one copy of the memory, as the repeat of\n"
	"                       BPF_PROG_TEST_RUN does\n"
	"  -h, --help           show this help\n";

static int parse_count(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (s[0] < '0' || s[0] > '9' || *end || errno || !v)
		return -1;
	*out = v;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Load and run `repeat` times; r0 of the first run goes to *r0. A fault is
 * reported against the program's file. */
static int run_prog(const char *name, const struct bpf_insn *insns, size_t n, const struct uebpf_prog_opts *opts,
		    uint8_t *mem, size_t mem_len, uint64_t repeat, uint64_t *r0, uint64_t *elapsed_ns)
{
	char log[CLI_LOG_SZ] = "";
	struct uebpf_prog *prog;
	uint64_t ret;
	int err = uebpf_prog_load(insns, n, opts, &prog, log, sizeof(log));

	if (err) {
		cli_err_log(name, log, err);
		return -1;
	}
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < repeat && !err; i++) {
		err = uebpf_prog_run(prog, mem, mem_len, &ret, log, sizeof(log));
		if (!i && !err)
			*r0 = ret;
	}
	*elapsed_ns = now_ns() - t0;
	uebpf_prog_free(prog);
	if (err) {
		cli_err_log(name, log, err);
		return -1;
	}
	return 0;
}

bool cli_is_elf(const char *path)
{
	char magic[4];
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : NULL;
	bool elf = f && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
	if (f)
		fclose(f);
	return elf;
}

int cmd_run(int argc, char **argv)
{
	/* an object file operand: the object runner and its options */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-' && (i == 1 || (strcmp(argv[i - 1], "-m") && strcmp(argv[i - 1], "--mem"))) &&
		    cli_is_elf(argv[i]))
			return run_object(argc, argv);
	enum { OPT_HARDEN = 256, OPT_MEM_HEX, OPT_BUDGET };
	static const struct option longopts[] = {
		{ "engine", required_argument, NULL, 'e' },
		{ "harden", no_argument, NULL, OPT_HARDEN },
		{ "budget", required_argument, NULL, OPT_BUDGET },
		{ "mem", required_argument, NULL, 'm' },
		{ "mem-hex", required_argument, NULL, OPT_MEM_HEX },
		{ "repeat", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct uebpf_prog_opts opts = { .sz = sizeof(opts), .engine = UEBPF_ENGINE_INTERP };
	const char *path, *mem_file = NULL, *mem_hex = NULL;
	uint64_t repeat = 1;
	int timed = 0, c;

	while ((c = cli_getopt("run", argc, argv, "e:m:n:h", longopts)) != -1) {
		switch (c) {
		case 'e':
			if (!strcmp(optarg, "interp")) {
				opts.engine = UEBPF_ENGINE_INTERP;
			} else if (!strcmp(optarg, "jit")) {
				opts.engine = UEBPF_ENGINE_JIT;
			} else {
				cli_err("run: unknown engine '%s' (want interp or jit)", optarg);
				return 1;
			}
			break;
		case OPT_HARDEN:
			opts.flags |= UEBPF_F_HARDEN;
			break;
		case 'm':
			mem_file = optarg;
			break;
		case OPT_MEM_HEX:
			mem_hex = optarg;
			break;
		case 'n':
			if (parse_count(optarg, &repeat)) {
				cli_err("run: bad --repeat value '%s' (want a positive integer)", optarg);
				return 1;
			}
			timed = 1;
			break;
		case OPT_BUDGET:
			if (parse_count(optarg, &opts.insn_budget)) {
				cli_err("run: bad --budget value '%s' (want a positive integer)", optarg);
				return 1;
			}
			break;
		case 'h':
			printf(help, (unsigned long long)UEBPF_DEFAULT_INSN_BUDGET);
			return 0;
		default:
			return 1;
		}
	}
	if (cli_one_operand("run", argc, argv, "program", &path))
		return 1;
	if (mem_file && mem_hex) {
		cli_err("run: --mem and --mem-hex cannot be used together");
		return 1;
	}
	if (opts.engine == UEBPF_ENGINE_JIT && opts.insn_budget) {
		cli_err("run: --budget needs --engine interp");
		return 1;
	}
	if (opts.engine == UEBPF_ENGINE_JIT) {
		opts.flags |= UEBPF_F_VERIFIED; /* no verifier yet: the JIT trusts its input */
	} else if (opts.flags & UEBPF_F_HARDEN) {
		cli_err("run: --harden needs --engine jit");
		return 1;
	}

	/* The program gets its own copy of the memory: mem is never shared. */
	uint8_t *mem = NULL;
	size_t mem_len = 0;
	if (mem_hex && cli_parse_hex("run: --mem-hex", mem_hex, &mem, &mem_len))
		return 1;
	if (mem_file) {
		char *buf;
		if (cli_read_file(mem_file, &buf, &mem_len))
			return 1;
		mem = (uint8_t *)buf;
	}

	struct bpf_insn *insns = NULL;
	size_t n;
	uint64_t r0 = 0, elapsed = 0;
	int err = cli_load_insns(path, CLI_PROG_GUESS, &insns, &n) ||
		  run_prog(cli_name(path), insns, n, &opts, mem_len ? mem : NULL, mem_len, repeat, &r0, &elapsed);
	free(insns);
	free(mem);
	if (err)
		return 1;
	printf("0x%" PRIx64 "\n", r0);
	if (timed)
		fprintf(stderr, "mean %.1f ns/run\n", (double)elapsed / (double)repeat);
	return 0;
}
