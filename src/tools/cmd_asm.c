/* uebpf asm: assembly text to raw little-endian instructions. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
	"Usage: uebpf asm IN.s -o OUT.bin\n\n"
	"Assemble eBPF text into raw little-endian instructions, 8 bytes each (16 for\n"
	"lddw). The syntax is that of the conformance suite, plus lddw map:N and\n"
	"mapval:N+OFF, ldabs/ldind and .insn CODE, DST, SRC, OFF, IMM. IN may be -\n"
	"for standard input.\n\n"
	"Options:\n"
	"  -o, --output=OUT     where to write (- for standard output); the file is\n"
	"                       written whole or not at all\n"
	"  -h, --help           show this help\n";

int cmd_asm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *in, *out = NULL;
	int c;

	while ((c = cli_getopt("asm", argc, argv, "o:h", longopts)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			return 1;
		}
	}
	if (cli_one_operand("asm", argc, argv, "input file", &in))
		return 1;
	if (!out) {
		cli_err("asm: missing -o OUT (try 'uebpf asm --help')");
		return 1;
	}

	struct bpf_insn *insns;
	size_t n;
	if (cli_load_insns(in, CLI_PROG_ASM, &insns, &n))
		return 1;
	int err = cli_write_file_atomic(out, insns, n * sizeof(*insns));
	free(insns);
	return err ? 1 : 0;
}
