/* Raw instructions out of a clang-built BPF object (there is no object
 * loader in uebpf yet, and the benchmarks need only .text). */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static int fail(char *err, size_t err_sz, const char *path, const char *what)
{
	snprintf(err, err_sz, "%s: %s", path, what);
	return -1;
}

/* Finds `entry` among the symbols and returns its offset in section shndx. */
static int entry_offset(Elf *elf, size_t shndx, const char *entry, GElf_Addr *off)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx != shndx ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, entry)) {
				*off = sym.st_value;
				return 0;
			}
		}
	}
	return -1;
}

int bench_elf_text(const char *path, const char *entry, struct bpf_insn **insns, size_t *n,
		   char *err, size_t err_sz)
{
	int fd, rc = -1;
	Elf *elf = NULL;
	Elf_Scn *scn = NULL, *text = NULL;
	size_t shstrndx, text_idx = 0;
	GElf_Addr off;

	*insns = NULL;
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail(err, err_sz, path, "cannot open (run `make bench` to build it)");
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		fail(err, err_sz, path, "not an ELF file");
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(name, ".text")) {
			text = scn;
			text_idx = elf_ndxscn(scn);
		} else if (!strcmp(name, ".rel.text")) {
			fail(err, err_sz, path, ".text needs relocations (globals or maps?)");
			goto out;
		}
	}
	Elf_Data *d = text ? elf_getdata(text, NULL) : NULL;
	if (!d || !d->d_size || d->d_size % sizeof(struct bpf_insn)) {
		fail(err, err_sz, path, "no .text section of whole instructions");
		goto out;
	}
	if (entry_offset(elf, text_idx, entry, &off)) {
		snprintf(err, err_sz, "%s: no function %s in .text", path, entry);
		goto out;
	}
	if (off) {
		snprintf(err, err_sz, "%s: %s is not the first function of .text", path, entry);
		goto out;
	}
	*insns = malloc(d->d_size);
	if (!*insns) {
		fail(err, err_sz, path, "out of memory");
		goto out;
	}
	memcpy(*insns, d->d_buf, d->d_size);
	*n = d->d_size / sizeof(struct bpf_insn);
	rc = 0;
out:
	elf_end(elf);
	close(fd);
	return rc;
}

long bench_first_back_edge(const struct bpf_insn *insns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t cls = BPF_CLASS(insns[i].code), op = BPF_OP(insns[i].code);
		/* gotol keeps its offset in imm */
		int32_t off = cls == BPF_JMP32 && op == BPF_JA ? insns[i].imm : insns[i].off;
		if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT && off < 0)
			return (long)i;
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	return -1;
}
