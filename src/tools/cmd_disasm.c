/* uebpf disasm: a program as text, or its JIT-compiled native code with
 * the BPF instruction each piece came from (decoded by capstone). */
#include <capstone/capstone.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/object.h>

#include "cli.h"

static const char help[] =
	"Usage: uebpf disasm [--prog NAME] [--style=uebpf|llvm|kernel] PROGRAM\n"
	"       uebpf disasm --jited [--harden] [--prog NAME] [--style=uebpf|llvm|kernel] PROGRAM\n\n"
	"Print a program as text. PROGRAM is raw instructions (.bin), assembly (.s) or a\n"
	"BPF object file (every program in it, linked, each under a \"NAME:\" line, or the\n"
	"one --prog names; with --jited the object is loaded, so verified, first),\n"
	"- for standard input; any other name is read by content.\n\n"
	"Options:\n"
	"      --style=uebpf    the assembler's syntax; the output assembles back to\n"
	"                       the same bytes (default)\n"
	"      --style=llvm     as llvm-objdump -d prints it: index, bytes and\n"
	"                       r0 = *(u32 *)(r1 + 0)\n"
	"      --style=kernel   as the kernel's verifier log prints it: (r1 +0),\n"
	"                       goto pc+1\n"
	"      --jited          JIT-compile the program for x86-64 and print each BPF\n"
	"                       instruction followed by the native code it became\n"
	"                       (compiled as a verified program would be, not run)\n"
	"  -p, --prog=NAME      only this program of an object\n"
	"      --harden         with --jited: blind every immediate with a random key,\n"
	"                       as the kernel's bpf_jit_harden does\n"
	"  -h, --help           show this help\n";

/* Check the whole program and format every instruction before printing
 * any, so that bad input gives one error line and no partial listing. */
static int print_insns(const char *name, const struct bpf_insn *insns, size_t n, enum uebpf_asm_style style)
{
	char *text = NULL, line[256], log[CLI_LOG_SZ] = "";
	size_t text_sz = 0;
	int ret = -1, err = uebpf_insns_check(insns, n, log, sizeof(log));

	if (err) {
		cli_err_log(name, log, err);
		return -1;
	}
	FILE *out = open_memstream(&text, &text_sz);
	if (!out) {
		cli_err("%s: out of memory", name);
		return -1;
	}
	for (size_t i = 0; i < n;) {
		int slots = uebpf_disasm_insn(insns, n, i, style, line, sizeof(line));
		if (slots < 0) {
			cli_err("%s: insn %zu: %s", name, i, line);
			goto out;
		}
		if (style == UEBPF_ASM_STYLE_LLVM) {
			const uint8_t *b = (const uint8_t *)&insns[i];
			fprintf(out, "%8zu:\t", i);
			for (size_t k = 0; k < (size_t)slots * sizeof(*insns); k++)
				fprintf(out, k ? " %02x" : "%02x", b[k]);
			fprintf(out, "\t%s\n", line);
		} else {
			fprintf(out, "%s\n", line);
		}
		i += (size_t)slots;
	}
	ret = 0;
out:
	fclose(out);
	if (!ret)
		fwrite(text, 1, text_sz, stdout);
	free(text);
	return ret;
}

/* capstone, loaded only here: linking it would cost every command the
 * relocation of its 77,000 table entries at start (about 8 ms) */
static struct {
	cs_err (*open)(cs_arch, cs_mode, csh *);
	size_t (*disasm)(csh, const uint8_t *, size_t, uint64_t, size_t, cs_insn **);
	void (*free)(cs_insn *, size_t);
	cs_err (*close)(csh *);
} cs_api;

static int load_capstone(void)
{
	char soname[32];
	snprintf(soname, sizeof(soname), "libcapstone.so.%d", CS_API_MAJOR);
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		h = dlopen("libcapstone.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		cli_err("capstone: cannot load %s: %s", soname, dlerror());
		return -1;
	}
	*(void **)&cs_api.open = dlsym(h, "cs_open");
	*(void **)&cs_api.disasm = dlsym(h, "cs_disasm");
	*(void **)&cs_api.free = dlsym(h, "cs_free");
	*(void **)&cs_api.close = dlsym(h, "cs_close");
	if (!cs_api.open || !cs_api.disasm || !cs_api.free || !cs_api.close) {
		cli_err("capstone: %s lacks cs_open, cs_disasm, cs_free or cs_close", soname);
		return -1;
	}
	return 0;
}

/* Native code in [start, end), one instruction a line. */
static void print_native(FILE *out, csh cs, const uint8_t *code, size_t start, size_t end)
{
	while (start < end) {
		cs_insn *ci;
		size_t count = cs_api.disasm(cs, code + start, end - start, start, 0, &ci);
		for (size_t k = 0; k < count; k++) {
			char bytes[16 * 3] = "";
			for (size_t b = 0; b < ci[k].size && b < 16; b++)
				snprintf(bytes + 3 * b, sizeof(bytes) - 3 * b, "%02x ", ci[k].bytes[b]);
			fprintf(out, "%8zx:\t%-30s\t%s%s%s\n", (size_t)ci[k].address, bytes, ci[k].mnemonic,
				ci[k].op_str[0] ? " " : "", ci[k].op_str);
			start += ci[k].size;
		}
		cs_api.free(ci, count);
		/* Bytes capstone cannot decode are shown as data, then decoding goes on. */
		if (start < end && !count) {
			fprintf(out, "%8zx:\t%02x%-28s\t(bad)\n", start, code[start], "");
			start++;
		}
	}
}

/* Offsets are clamped to the code, never trusted blindly. */
static size_t clamp(size_t code_sz, uint32_t off)
{
	return off < code_sz ? off : code_sz;
}

/* The native code of a loaded JIT program, each BPF instruction first. */
static int print_prog_jited(const char *name, const struct uebpf_prog *prog, enum uebpf_asm_style style)
{
	char line[256];
	size_t n;
	const struct bpf_insn *insns;
	const uint8_t *code;
	size_t code_sz;
	const uint32_t *off;
	csh cs;
	int ret = -1;
	if (uebpf_prog_jited(prog, &code, &code_sz, &off)) {
		cli_err("%s: the JIT produced no code", name);
		return -1;
	}
	if (load_capstone())
		return -1;
	if (cs_api.open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		cli_err("capstone: cannot open an x86-64 decoder");
		return -1;
	}
	insns = uebpf_prog_insns(prog, &n);

	if (off[0]) {
		printf("; prologue\n");
		print_native(stdout, cs, code, 0, clamp(code_sz, off[0]));
	}
	for (size_t i = 0; i < n;) {
		int slots = uebpf_disasm_insn(insns, n, i, style, line, sizeof(line));
		if (slots < 0)
			slots = 1;
		printf("; %zu: %s\n", i, line);
		size_t start = clamp(code_sz, off[i]), end = clamp(code_sz, off[i + (size_t)slots]);
		if (start < end)
			print_native(stdout, cs, code, start, end);
		i += (size_t)slots;
	}
	if (clamp(code_sz, off[n]) < code_sz) {
		printf("; epilogue\n");
		print_native(stdout, cs, code, clamp(code_sz, off[n]), code_sz);
	}
	ret = 0;
	cs_api.close(&cs);
	return ret;
}

static int print_jited(const char *name, const struct bpf_insn *insns, size_t n, uint32_t flags,
		       enum uebpf_asm_style style)
{
	struct uebpf_prog_opts opts = {
		.sz = sizeof(opts),
		.engine = UEBPF_ENGINE_JIT,
		.flags = UEBPF_F_VERIFIED | flags,
	};
	struct uebpf_prog *prog;
	char log[CLI_LOG_SZ] = "";
	int err = uebpf_prog_load(insns, n, &opts, &prog, log, sizeof(log));
	if (err) {
		cli_err_log(name, log, err);
		return -1;
	}
	err = print_prog_jited(name, prog, style);
	uebpf_prog_free(prog);
	return err;
}

/* Every program of an object (or the one named), as text or, loaded and
 * so verified, as native code. Nothing is printed before the object opens
 * and loads. */
static int disasm_object(const char *path, const char *only, bool jited, uint32_t flags, enum uebpf_asm_style style)
{
	char log[CLI_LOG_SZ] = "";
	struct uebpf_object *obj;
	int err = uebpf_object_open_file(path, NULL, &obj, log, sizeof(log));
	if (err) {
		cli_err_log(cli_name(path), log, err);
		return -1;
	}
	int ret = 0, seen = 0;
	if (only && !uebpf_object_find_prog(obj, only)) {
		cli_err("disasm: %s: no program named '%s'", cli_name(path), only);
		ret = -1;
	}
	struct uebpf_object_load_opts lo = { .sz = sizeof(lo), .engine = UEBPF_ENGINE_JIT, .flags = flags };
	if (!ret && jited && (err = uebpf_object_load(obj, &lo, log, sizeof(log)))) {
		cli_err_log(cli_name(path), log, err);
		ret = -1;
	}
	for (struct uebpf_object_prog *p = uebpf_object_next_prog(obj, NULL); p && !ret;
	     p = uebpf_object_next_prog(obj, p)) {
		const char *name = uebpf_object_prog_name(p);
		if (only && strcmp(only, name))
			continue;
		printf("%s%s:\n", seen++ ? "\n" : "", name);
		fflush(stdout);
		if (jited) {
			ret = print_prog_jited(name, uebpf_object_prog_prog(p), style);
		} else {
			size_t n;
			const struct bpf_insn *insns = uebpf_object_prog_insns(p, &n);
			ret = print_insns(name, insns, n, style);
		}
	}
	if (!ret && !seen) {
		cli_err("disasm: %s: no programs", cli_name(path));
		ret = -1;
	}
	uebpf_object_close(obj);
	return ret;
}

int cmd_disasm(int argc, char **argv)
{
	enum { OPT_STYLE = 256, OPT_JITED, OPT_HARDEN };
	static const struct option longopts[] = {
		{ "style", required_argument, NULL, OPT_STYLE },
		{ "jited", no_argument, NULL, OPT_JITED },
		{ "harden", no_argument, NULL, OPT_HARDEN },
		{ "prog", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum uebpf_asm_style style = UEBPF_ASM_STYLE_UEBPF;
	int jited = 0, c;
	uint32_t flags = 0;
	const char *path, *only = NULL;

	while ((c = cli_getopt("disasm", argc, argv, "hp:", longopts)) != -1) {
		switch (c) {
		case OPT_STYLE:
			if (!strcmp(optarg, "uebpf")) {
				style = UEBPF_ASM_STYLE_UEBPF;
			} else if (!strcmp(optarg, "llvm")) {
				style = UEBPF_ASM_STYLE_LLVM;
			} else if (!strcmp(optarg, "kernel")) {
				style = UEBPF_ASM_STYLE_KERNEL;
			} else {
				cli_err("disasm: unknown style '%s' (want uebpf, llvm or kernel)", optarg);
				return 1;
			}
			break;
		case OPT_JITED:
			jited = 1;
			break;
		case OPT_HARDEN:
			flags |= UEBPF_F_HARDEN;
			break;
		case 'p':
			only = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			return 1;
		}
	}
	if (cli_one_operand("disasm", argc, argv, "program", &path))
		return 1;
	if (flags && !jited) {
		cli_err("disasm: --harden needs --jited");
		return 1;
	}

	if (cli_is_elf(path))
		return disasm_object(path, only, jited, flags, style) ? 1 : 0;
	if (only) {
		cli_err("disasm: --prog needs an object file");
		return 1;
	}
	struct bpf_insn *insns;
	size_t n;
	if (cli_load_insns(path, CLI_PROG_GUESS, &insns, &n))
		return 1;
	int err = jited ? print_jited(cli_name(path), insns, n, flags, style)
			: print_insns(cli_name(path), insns, n, style);
	free(insns);
	return err ? 1 : 0;
}
