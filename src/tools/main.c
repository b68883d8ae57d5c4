/* The uebpf command: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "asm", cmd_asm, "assemble text into raw instructions" },
	{ "disasm", cmd_disasm, "print a program as text, or its JIT-compiled native code" },
	{ "run", cmd_run, "run a program on memory and print its return value" },
	{ "filter", cmd_filter, "select packets with a tcpdump filter expression" },
	{ "verify", cmd_verify, "check a program with the verifier and print its log" },
	{ "prog", cmd_prog, "list the programs of a BPF object" },
	{ "map", cmd_map, "list and dump maps in shared memory" },
};

static void usage(void)
{
	printf("Usage: uebpf COMMAND [OPTIONS] [ARGS]\n"
	       "       uebpf --version | --help\n\n"
	       "eBPF in user space.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\nRun 'uebpf COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_err("no command given (try 'uebpf --help')");
		return 1;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage();
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("uebpf %s\n", UEBPF_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	if (cmd[0] == '-')
		cli_err("unknown option '%.*s' (try 'uebpf --help')", (int)strcspn(cmd, "="), cmd);
	else
		cli_err("unknown command '%s' (try 'uebpf --help')", cmd);
	return 1;
}
