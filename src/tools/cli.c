/* Shared pieces of the uebpf command: messages, files, program loading,
 * option parsing. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void cli_err(const char *fmt, ...)
{
	char msg[CLI_LOG_SZ * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, always: a stray newline in a library message is cut. */
	msg[strcspn(msg, "\n")] = '\0';
	fprintf(stderr, "uebpf: %s\n", msg);
}

void cli_err_log(const char *file, const char *log, int err)
{
	unsigned long line;
	int used = 0;

	if (!log || !*log) {
		cli_err("%s: %s", file, strerror(err < 0 ? -err : err));
		return;
	}
	if (sscanf(log, "line %lu: %n", &line, &used) == 1 && used > 0)
		cli_err("%s:%lu: %s", file, line, log + used);
	else
		cli_err("%s: %s", file, log);
}

const char *cli_name(const char *path)
{
	return strcmp(path, "-") ? path : "<stdin>";
}

int cli_read_file(const char *path, char **buf, size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t cap = 4096, n = 0;
	char *b = NULL;

	if (fd < 0) {
		cli_err("%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (!b || n + 1 >= cap) {
			char *nb = realloc(b, b ? (cap *= 2) : cap);
			if (!nb) {
				cli_err("%s: out of memory", cli_name(path));
				goto fail;
			}
			b = nb;
		}
		ssize_t got = read(fd, b + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			cli_err("%s: %s", cli_name(path), strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	free(b);
	return -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int cli_write_file_atomic(const char *path, const void *buf, size_t len)
{
	if (!strcmp(path, "-")) {
		if (write_all(STDOUT_FILENO, buf, len)) {
			cli_err("<stdout>: %s", strerror(errno));
			return -1;
		}
		return 0;
	}

	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof(".XXXXXX"));
	if (!tmp) {
		cli_err("%s: out of memory", path);
		return -1;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", sizeof(".XXXXXX"));

	int fd = mkstemp(tmp);
	if (fd < 0) {
		cli_err("%s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	/* mkstemp makes the file 0600; give it the mode a plain create would. */
	mode_t mask = umask(0);
	umask(mask);
	int err = fchmod(fd, 0666 & ~mask) || write_all(fd, buf, len);
	err = close(fd) || err;
	if (err || rename(tmp, path)) {
		cli_err("%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static int parse_raw(const char *name, const char *buf, size_t len, struct bpf_insn **insns, size_t *n)
{
	if (len % sizeof(struct bpf_insn)) {
		cli_err("%s: truncated: size %zu is not a multiple of %zu", name, len, sizeof(struct bpf_insn));
		return -1;
	}
	*n = len / sizeof(struct bpf_insn);
	/* The file is little-endian, as is every host uebpf runs on. */
	*insns = malloc(len ? len : 1);
	if (!*insns) {
		cli_err("%s: out of memory", name);
		return -1;
	}
	memcpy(*insns, buf, len);
	return 0;
}

static int parse_asm(const char *name, const char *text, size_t len, struct bpf_insn **insns, size_t *n)
{
	char log[CLI_LOG_SZ] = "";

	/* The assembler reads a C string: a NUL would silently end the text. */
	if (strlen(text) != len) {
		cli_err("%s: byte %zu is NUL: not assembly text", name, strlen(text));
		return -1;
	}
	int err = uebpf_asm(text, insns, n, log, sizeof(log));
	if (err) {
		cli_err_log(name, log, err);
		return -1;
	}
	return 0;
}

int cli_load_insns(const char *path, enum cli_prog_format fmt, struct bpf_insn **insns, size_t *n)
{
	const char *name = cli_name(path);
	char *buf;
	size_t len;
	int asm_text;

	if (cli_read_file(path, &buf, &len))
		return -1;
	if (fmt == CLI_PROG_ASM || ends_with(path, ".s"))
		asm_text = 1;
	else if (ends_with(path, ".bin"))
		asm_text = 0;
	else /* instructions nearly always hold a zero byte; text never does */
		asm_text = memchr(buf, '\0', len) == NULL;

	int err = asm_text ? parse_asm(name, buf, len, insns, n) : parse_raw(name, buf, len, insns, n);
	free(buf);
	return err;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char opts[64];

	/* A leading ':' makes getopt tell a missing argument (':') from an
	 * unknown option ('?'); opterr = 0 keeps its own messages quiet. */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	opterr = 0;
	int c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;

	const char *arg = argv[optind - 1];
	int is_long = arg[0] == '-' && arg[1] == '-', name_len = (int)strcspn(arg, "=");
	if (c == ':')
		cli_err("%s: option '%s' needs an argument", cmd, arg);
	else if (is_long && optopt) /* a known long option given "=value" */
		cli_err("%s: option '%.*s' takes no argument", cmd, name_len, arg);
	else if (is_long)
		cli_err("%s: unknown option '%.*s'", cmd, name_len, arg);
	else
		cli_err("%s: unknown option '-%c'", cmd, optopt);
	return '?';
}

int cli_one_operand(const char *cmd, int argc, char **argv, const char *what, const char **out)
{
	if (optind >= argc) {
		cli_err("%s: missing %s (try 'uebpf %s --help')", cmd, what, cmd);
		return -1;
	}
	if (optind + 1 < argc) {
		cli_err("%s: unexpected argument '%s'", cmd, argv[optind + 1]);
		return -1;
	}
	*out = argv[optind];
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cli_parse_hex(const char *what, const char *s, uint8_t **buf, size_t *len)
{
	size_t slen = strlen(s), n = 0;
	uint8_t *b = malloc(slen / 2 + 1);

	if (!b) {
		cli_err("%s: out of memory", what);
		return -1;
	}
	for (size_t i = 0; i < slen;) {
		if (strchr(" \t\r\n", s[i])) {
			i++;
			continue;
		}
		int hi = hex_digit(s[i]), lo = i + 1 < slen ? hex_digit(s[i + 1]) : -1;
		size_t at = hi < 0 ? i : i + 1;
		if (hi < 0 || (lo < 0 && at < slen && !strchr(" \t\r\n", s[at]))) {
			unsigned char c = (unsigned char)s[at];
			if (isprint(c))
				cli_err("%s: '%c' at offset %zu is not a hex digit", what, c, at);
			else
				cli_err("%s: byte 0x%02x at offset %zu is not a hex digit", what, c, at);
			free(b);
			return -1;
		}
		if (lo < 0) {
			cli_err("%s: lone hex digit at offset %zu (a byte is two digits)", what, i);
			free(b);
			return -1;
		}
		b[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*buf = b;
	*len = n;
	return 0;
}
