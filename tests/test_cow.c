/* SPDX-License-Identifier: MIT */
/*
 * COW and GUP as today's kernel has them, one operation at a time (no
 * concurrency, no preemption), each test written from the kernel's documented
 * behaviour and the intent of its selftests (tools/testing/selftests/mm/cow.c,
 * mprotect and madvise tests):
 *   - MADV_DONTFORK / MADV_DOFORK (VM_DONTCOPY): a fork leaves the range out of
 *     the child, the parent keeps its pages writable; madvise cuts the VMAs to
 *     the range, skips holes and reports them.
 * No finding anywhere.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "../core/mm.h"
#include "../core/page.h"
#include "../core/pgtable.h"
#include "exec.h"
#include "run_clean.h"

static struct scenario s;
static struct exec_result r;

#define HEAD "mmfuzz-sched 1\n"

/* ---- MADV_DONTFORK / MADV_DOFORK -------------------------------------------------- */

Test(cow, dontfork_leaves_the_range_out_of_the_child)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 store 0x1000 = 2\n"
		       "  CPU0 P0 store 0x2000 = 3\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x1000 pages=1 dontfork\n"
		       "  CPU0 P0 maps\n"
		       "  CPU0 P0 fork\n"
		       "  CPU0 P1 load 0x0\n"
		       "  CPU0 P1 load 0x1000\n"
		       "  CPU0 P1 load 0x2000\n"
		       "  CPU0 P1 maps\n"
		       "  CPU0 P0 load 0x1000\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[1].value, 3, "madvise cut the VMA in three at the range's edges");
	cr_expect_eq(r.ops[2].err, 0);
	cr_expect_eq(r.ops[3].value, 1, "the child has the pages around the range");
	cr_expect_eq(r.ops[4].err, -EFAULT, "and nothing mapped inside it");
	cr_expect_eq(r.ops[5].value, 3);
	cr_expect_eq(r.ops[6].value, 2, "the child has two VMAs, the parent three");
	cr_expect_eq(r.ops[7].value, 2, "the parent keeps its page");
}

Test(cow, dontfork_parent_keeps_its_pte_writable_and_exclusive)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 store 0x1000 = 2\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x1000 pages=1 dontfork\n"
		       "  CPU0 P0 fork\n",
		  true, &s, &r);
	pte_t kept = pte_oracle_get(mm_get(0), 0x1000), shared = pte_oracle_get(mm_get(0), 0);
	cr_assert(pte_present(kept) && pte_present(shared));
	cr_expect(pte_write(kept), "no COW to come: fork did not write-protect it");
	cr_expect(pfn_page(pte_pfn(kept))->flags & 1u << PG_anon_exclusive,
		  "and it stays PageAnonExclusive");
	cr_expect(!pte_write(shared), "the page fork shared is write-protected");
	cr_expect(!(pfn_page(pte_pfn(shared))->flags & 1u << PG_anon_exclusive));
}

Test(cow, dofork_undoes_dontfork)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x1000 = 2\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x1000 pages=1 dontfork\n"
		       "  CPU0 P0 madvise 0x1000 pages=1 dofork\n"
		       "  CPU0 P0 fork\n"
		       "  CPU0 P1 load 0x1000\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(r.ops[3].err, 0, "the child has the page again");
	cr_expect_eq(r.ops[3].value, 2);
}

Test(cow, dontfork_over_a_hole_marks_the_mapped_part_and_fails)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 mmap 0x2000 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 store 0x2000 = 3\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=4 dontfork\n"
		       "  CPU0 P0 fork\n"
		       "  CPU0 P1 load 0x0\n"
		       "  CPU0 P1 load 0x2000\n"
		       "  CPU0 P0 madvise 0x3000 pages=1 dofork\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[0].err, -ENOMEM, "holes in the range are reported");
	cr_expect_eq(r.ops[2].err, -EFAULT, "after the VMAs around them were marked");
	cr_expect_eq(r.ops[3].err, -EFAULT);
	cr_expect_eq(r.ops[4].err, -ENOMEM, "nothing mapped at all");
}
