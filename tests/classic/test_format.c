/* uebpf_classic_format_insn prints every instruction exactly as libpcap's
 * bpf_image does (that is what `tcpdump -d` prints): all 65536 codes, with
 * operands that exercise signed/unsigned printing, ancillary names and
 * jump targets. */
#include <pcap.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <uebpf/classic.h>

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter), "libpcap and Linux insns share a layout");

static const uint32_t ks[] = {
	0, 1, 5, 14, 0x7f, 0x800, 0xffff, 0x7fffffff, 0x80000000, 0xfff00000, 0xffe00000,
	0xfffff000, 0xfffff001, 0xfffff002, 0xfffff004, 0xfffff008, 0xfffff00c, 0xfffff010, 0xfffff014, 0xfffff018,
	0xfffff01c, 0xfffff020, 0xfffff024, 0xfffff028, 0xfffff02c, 0xfffff030, 0xfffff034, 0xfffff038, 0xfffff03c,
	0xfffff03d, 0xfffff040, 0xfffff044, 0xfffffffc, 0xffffffff,
};

static void test_every_code(void **state)
{
	size_t checked = 0, mismatches = 0;

	for (uint32_t code = 0; code <= 0xffff; code++) {
		for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
			/* the full k list only for the codes libpcap names, a sample for the rest */
			if (code > 0xff && ki > 2)
				break;
			struct sock_filter ours = { (uint16_t)code, (uint8_t)(ki * 7), (uint8_t)(255 - ki), ks[ki] };
			struct bpf_insn theirs = { (u_short)code, ours.jt, ours.jf, ours.k };
			int index = (int)(ki * 311 % 1200);
			char buf[256];

			uebpf_classic_format_insn(&ours, (size_t)index, buf, sizeof(buf));
			const char *want = bpf_image(&theirs, index);
			checked++;
			if (strcmp(buf, want)) {
				if (mismatches++ < 10)
					print_error("code 0x%x k 0x%x: ours '%s', libpcap '%s'\n", code, ks[ki], buf, want);
			}
		}
	}
	printf("%zu instructions formatted, %zu mismatches\n", checked, mismatches);
	assert_int_equal(mismatches, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
