/* uebpf run OBJECT.o: load a BPF object (maps, programs, verifier), test-run
 * one program on packets or contexts, and print what BPF_PROG_TEST_RUN
 * would give back, the trace_printk output and the maps. */
/* libpcap's classic struct bpf_insn would clash with the kernel's */
#define bpf_insn pcap_bpf_insn
#include <pcap.h>
#undef bpf_insn

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uebpf/object.h>
#include <uebpf/test_run.h>

#include "cli.h"

static const char help[] =
	"Usage: uebpf run [OPTIONS] OBJECT.o\n\n"
	"Load a BPF object (clang -target bpf or bpf-gcc), verify its programs, and\n"
	"run one, as the kernel's BPF_PROG_TEST_RUN does: packet programs (socket,\n"
	"xdp, tc) on a packet, tracing programs (kprobe/uprobe with a pt_regs,\n"
	"tracepoint records, raw tracepoint arguments) on a context.\n\n"
	"Options:\n"
	"  -p, --prog=NAME      the program to run (default: the first one)\n"
	"  -d, --data=FILE      the packet, from its Ethernet header\n"
	"      --data-hex=HEX   the packet as hex bytes\n"
	"      --pcap=FILE      run once on every packet of a pcap file\n"
	"  -c, --ctx=FILE       the context; repeat to run once per context file, in\n"
	"                       order, with the maps carried over\n"
	"  -n, --repeat=N       run each input N times; the time is the mean\n"
	"  -e, --engine=jit     the JIT (default); --engine=interp the interpreter\n"
	"      --no-verify      skip the verifier: the checked interpreter runs it\n"
	"                       (tracing programs only: packet contexts need the\n"
	"                       verifier's rewrite)\n"
	"  -m, --dump-maps      print every map after the runs\n"
	"      --pin=PREFIX     create the maps in shared memory as PREFIX + map name,\n"
	"                       and leave them there: 'uebpf map dump' reads them\n"
	"                       from another process ('uebpf map list' shows them)\n"
	"  -j, --json           print JSON instead of text\n"
	"  -q, --quiet          print only the maps and the trace output\n"
	"  -h, --help           show this help\n";

struct input {
	const char *what;  /* for messages */
	uint8_t *buf;
	size_t len;
	bool from_pcap;    /* a packet a run cannot take is skipped, not an error */
};

struct trace {
	FILE *f;
	bool json;
	unsigned n;
};

static void print_trace(void *arg, const char *msg, size_t len)
{
	struct trace *t = arg;
	while (len && msg[len - 1] == '\n')
		len--;
	if (t->json) {
		fprintf(t->f, "%s\"", t->n ? "," : "");
		for (size_t i = 0; i < len; i++) {
			unsigned char c = msg[i];
			if (c == '"' || c == '\\')
				fprintf(t->f, "\\%c", c);
			else if (c < 0x20)
				fprintf(t->f, "\\u%04x", c);
			else
				fputc(c, t->f);
		}
		fputc('"', t->f);
	} else {
		fprintf(t->f, "trace: %.*s\n", (int)len, msg);
	}
	t->n++;
}

static const char *retval_name(enum bpf_prog_type type, uint32_t v)
{
	static const char *const xdp[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT" };
	static const char *const tc[] = { "TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT", "TC_ACT_PIPE",
					  "TC_ACT_STOLEN", "TC_ACT_QUEUED", "TC_ACT_REPEAT", "TC_ACT_REDIRECT" };
	if (type == BPF_PROG_TYPE_XDP && v < 5)
		return xdp[v];
	if ((type == BPF_PROG_TYPE_SCHED_CLS || type == BPF_PROG_TYPE_SCHED_ACT) && v < 8)
		return tc[v];
	if ((type == BPF_PROG_TYPE_SCHED_CLS || type == BPF_PROG_TYPE_SCHED_ACT) && v == UINT32_MAX)
		return "TC_ACT_UNSPEC";
	return NULL;
}

static int add_input(struct input **in, size_t *n, const char *what, uint8_t *buf, size_t len)
{
	struct input *r = realloc(*in, (*n + 1) * sizeof(**in));
	if (!r) {
		free(buf);
		cli_err("run: out of memory");
		return -1;
	}
	*in = r;
	r[(*n)++] = (struct input){ what, buf, len, false };
	return 0;
}

static int read_pcap(const char *path, struct input **in, size_t *n)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	if (!p) {
		cli_err("run: %s", errbuf);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
		if (!copy || add_input(in, n, path, copy, h->caplen)) {
			pcap_close(p);
			return -1;
		}
		memcpy(copy, data, h->caplen);
		(*in)[*n - 1].from_pcap = true;
	}
	if (rc == -1) {
		cli_err("run: %s: %s (after %zu packets)", cli_name(path), pcap_geterr(p), *n);
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
}

static void print_hex_line(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

int run_object(int argc, char **argv)
{
	enum { OPT_DATA_HEX = 256, OPT_PCAP, OPT_NO_VERIFY, OPT_PIN };
	static const struct option longopts[] = {
		{ "prog", required_argument, NULL, 'p' },
		{ "data", required_argument, NULL, 'd' },
		{ "data-hex", required_argument, NULL, OPT_DATA_HEX },
		{ "pcap", required_argument, NULL, OPT_PCAP },
		{ "ctx", required_argument, NULL, 'c' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "engine", required_argument, NULL, 'e' },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "dump-maps", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct uebpf_object_load_opts lopts = { .sz = sizeof(lopts), .engine = UEBPF_ENGINE_JIT };
	const char *prog_name = NULL, *path;
	struct input *inputs = NULL;
	size_t n_inputs = 0;
	bool dump = false, json = false, quiet = false, have_data = false, have_ctx = false;
	unsigned long repeat = 1;
	int c, ret = 1;

	while ((c = cli_getopt("run", argc, argv, "p:d:c:n:e:mjqh", longopts)) != -1) {
		char *buf = NULL;
		size_t len = 0;
		switch (c) {
		case 'p':
			prog_name = optarg;
			break;
		case 'd':
		case 'c':
			if (cli_read_file(optarg, &buf, &len) || add_input(&inputs, &n_inputs, optarg, (uint8_t *)buf, len))
				goto out;
			have_data |= c == 'd';
			have_ctx |= c == 'c';
			break;
		case OPT_DATA_HEX:
			if (cli_parse_hex("run: --data-hex", optarg, (uint8_t **)&buf, &len) ||
			    add_input(&inputs, &n_inputs, "--data-hex", (uint8_t *)buf, len))
				goto out;
			have_data = true;
			break;
		case OPT_PCAP:
			if (read_pcap(optarg, &inputs, &n_inputs))
				goto out;
			have_data = true;
			break;
		case 'n': {
			char *end;
			errno = 0;
			repeat = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end || errno || !repeat || repeat > UINT32_MAX) {
				cli_err("run: bad --repeat value '%s' (want a positive integer)", optarg);
				goto out;
			}
			break;
		}
		case 'e':
			if (!strcmp(optarg, "interp")) {
				lopts.engine = UEBPF_ENGINE_INTERP;
			} else if (!strcmp(optarg, "jit")) {
				lopts.engine = UEBPF_ENGINE_JIT;
			} else {
				cli_err("run: unknown engine '%s' (want interp or jit)", optarg);
				goto out;
			}
			break;
		case OPT_NO_VERIFY:
			lopts.no_verify = true;
			break;
		case OPT_PIN:
			lopts.map_prefix = optarg;
			break;
		case 'm':
			dump = true;
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(help, stdout);
			ret = 0;
			goto out;
		default:
			goto out;
		}
	}
	if (cli_one_operand("run", argc, argv, "object file", &path))
		goto out;
	if (have_data && have_ctx) {
		cli_err("run: packets (--data, --data-hex, --pcap) and contexts (--ctx) cannot be mixed");
		goto out;
	}
	if (lopts.no_verify)
		lopts.engine = UEBPF_ENGINE_INTERP;

	char log[8192] = "";
	struct uebpf_object *obj;
	int err = uebpf_object_open_file(path, NULL, &obj, log, sizeof(log));
	if (err) {
		cli_err_log(cli_name(path), log, err);
		goto out;
	}
	struct uebpf_object_prog *p = prog_name ? uebpf_object_find_prog(obj, prog_name)
						: uebpf_object_next_prog(obj, NULL);
	if (!p) {
		if (prog_name)
			cli_err("run: %s: no program named '%s'", cli_name(path), prog_name);
		else
			cli_err("run: %s: no programs", cli_name(path));
		goto close;
	}
	err = uebpf_object_load(obj, &lopts, log, sizeof(log));
	if (err) {
		/* a one-line reason (a map, a relocation) goes on the error's line;
		 * the verifier's log may be many lines: show it, then the verdict */
		if (*log && !strchr(log, '\n')) {
			cli_err("run: %s: %s", cli_name(path), log);
		} else {
			fprintf(stderr, "%s", log);
			if (*log && log[strlen(log) - 1] != '\n')
				fputc('\n', stderr);
			cli_err("run: %s: cannot load: %s", cli_name(path), strerror(-err));
		}
		goto close;
	}
	enum bpf_prog_type type = uebpf_object_prog_type(p);
	struct uebpf_prog *prog = uebpf_object_prog_prog(p);
	struct trace trace = { stdout, json, 0 };
	if (json)
		printf("{\"prog\":\"%s\",\"section\":\"%s\",\"engine\":\"%s\",\"runs\":[", uebpf_object_prog_name(p),
		       uebpf_object_prog_section(p), lopts.engine == UEBPF_ENGINE_JIT ? "jit" : "interp");
	else if (!quiet)
		printf("program %s (section %s), engine %s\n", uebpf_object_prog_name(p), uebpf_object_prog_section(p),
		       lopts.engine == UEBPF_ENGINE_JIT ? "jit" : "interp");

	/* trace output is collected per run, so JSON can nest it */
	static uint8_t out[4096];
	size_t runs = n_inputs ? n_inputs : 1;
	for (size_t i = 0; i < runs; i++) {
		struct input *in = n_inputs ? &inputs[i] : NULL;
		struct uebpf_test_run_opts t = { .sz = sizeof(t), .repeat = (uint32_t)repeat, .print = print_trace,
						 .print_arg = &trace, .data_out = out, .data_size_out = sizeof(out) };
		if (in && have_data)
			t.data_in = in->buf, t.data_size_in = (uint32_t)in->len;
		else if (in)
			t.ctx_in = in->buf, t.ctx_size_in = (uint32_t)in->len;
		if (in && in->from_pcap && (in->len < 14 || in->len > UEBPF_PKT_MAX)) {
			if (json)
				printf("%s{\"skipped\":%zu}", i ? "," : "", in->len);
			else if (!quiet)
				printf("run %zu: skipped: a packet of %zu bytes (a run takes 14 to %d)\n", i + 1, in->len,
				       UEBPF_PKT_MAX);
			continue;
		}
		if (json)
			printf("%s{\"trace\":[", i ? "," : "");
		trace.n = 0;
		err = uebpf_prog_test_run(prog, type, &t, log, sizeof(log));
		if (err) {
			if (json)
				printf("]}]}\n");
			cli_err_log(in ? cli_name(in->what) : cli_name(path), log, err);
			goto close;
		}
		const char *name = retval_name(type, t.retval);
		if (json) {
			printf("],\"retval\":%u,\"duration_ns\":%" PRIu64, t.retval, t.duration_ns);
			if (have_data) {
				printf(",\"data_out\":\"");
				print_hex_line(stdout, out, t.data_size_out < sizeof(out) ? t.data_size_out : sizeof(out));
				printf("\"");
			}
			printf("}");
		} else if (!quiet) {
			printf("run %zu: retval %u", i + 1, t.retval);
			if (name)
				printf(" (%s)", name);
			if (have_data)
				printf(", %u bytes out", t.data_size_out);
			printf(", %" PRIu64 " ns/run\n", t.duration_ns);
		}
	}
	if (json)
		printf("]");
	if (dump) {
		if (json)
			printf(",\"maps\":[");
		unsigned k = 0;
		for (struct uebpf_object_map *m = uebpf_object_next_map(obj, NULL); m; m = uebpf_object_next_map(obj, m)) {
			if (json && k++)
				printf(",");
			cli_map_dump(stdout, uebpf_object_map_name(m), uebpf_object_map_map(m), json);
		}
		if (json)
			printf("]");
	}
	if (json)
		printf("}\n");
	ret = 0;
close:
	uebpf_object_close(obj);
out:
	for (size_t i = 0; i < n_inputs; i++)
		free(inputs[i].buf);
	free(inputs);
	return ret;
}
