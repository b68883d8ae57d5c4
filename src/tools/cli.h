/* The uebpf command: pieces every subcommand shares (messages, files,
 * programs, options). Every failure is reported as one line
 * "uebpf: ..." on stderr; functions return 0 or -1 after reporting. */
#ifndef UEBPF_TOOLS_CLI_H
#define UEBPF_TOOLS_CLI_H

#include <getopt.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include <uebpf/uebpf.h>

#define CLI_LOG_SZ 512

/* Subcommands: argv[0] is the subcommand's name; they return the exit code. */
int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_prog(int argc, char **argv);
int cmd_map(int argc, char **argv);
/* uebpf run on a BPF object (run_object.c); cmd_run hands over to it */
int run_object(int argc, char **argv);
/* true when path names an ELF file */
bool cli_is_elf(const char *path);

/* mapdump.c: kernel type names (libbpf's) and map contents as bpftool
 * prints them */
struct uebpf_map;
const char *cli_map_type_name(enum bpf_map_type type);
int cli_map_type_by_name(const char *name, enum bpf_map_type *type);
const char *cli_prog_type_name(enum bpf_prog_type type);
int cli_prog_type_by_name(const char *name, enum bpf_prog_type *type);
int cli_map_dump(FILE *f, const char *name, struct uebpf_map *map, bool json);

/* "uebpf: " + message + newline on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a library log line about FILE: "line N: x" becomes "FILE:N: x",
 * anything else "FILE: log" (so "insn N: x" becomes "FILE: insn N: x").
 * An empty log falls back to strerror(-err). */
void cli_err_log(const char *file, const char *log, int err);

/* How a file is named in messages: "-" is standard input. */
const char *cli_name(const char *path);

/* Read a whole file ("-" = stdin) into a malloc'd buffer with a NUL byte
 * appended (not counted in *len). */
int cli_read_file(const char *path, char **buf, size_t *len);

/* Write buf to path atomically: a temporary file beside it, then rename,
 * so a failure never leaves a partial file. "-" writes to stdout. */
int cli_write_file_atomic(const char *path, const void *buf, size_t len);

enum cli_prog_format {
	CLI_PROG_GUESS, /* .s is assembly, .bin is raw, else by content */
	CLI_PROG_ASM,
};

/* Load a program from assembly text or raw little-endian instructions.
 * The instructions are only parsed here, not checked as a program. */
int cli_load_insns(const char *path, enum cli_prog_format fmt, struct bpf_insn **insns, size_t *n);

/* getopt_long with messages: returns the option, -1 at the end, or '?'
 * after reporting an unknown option or a missing argument. Options may
 * follow operands. */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* Expect exactly one operand left after options; reports otherwise. */
int cli_one_operand(const char *cmd, int argc, char **argv, const char *what, const char **out);

/* Parse hex bytes, optionally separated by whitespace ("00 01 ff",
 * "0001ff"); what names the source in messages. */
int cli_parse_hex(const char *what, const char *s, uint8_t **buf, size_t *len);

#endif
