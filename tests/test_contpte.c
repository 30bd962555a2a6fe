/* SPDX-License-Identifier: MIT */
/*
 * The arm64 contpte layer, seen from the page tables (ZOO §5): a block is folded
 * only when every condition holds, unfolded by any change to part of it, its
 * access/dirty bits are gathered over the block, and no walker ever finds it
 * inconsistent (exhaustive DFS over the contpte family).  Each scenario runs
 * without quiescence, so the test reads the PTEs the agents left behind.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../core/contpte.h"
#include "../core/mm.h"
#include "exec.h"
#include "explore.h"
#include "run_clean.h"

static struct scenario s;
static struct exec_result r;

/* Parse @text, run it without preemptions and without quiescence; no finding. */
static void run(const char *text)
{
	run_clean(text, true, &s, &r);
}

#define ARM64 "mmfuzz-sched 1\narch arm64\n"

/* The raw PTE of P@proc at @addr, no gathering. */
static pte_t pte_at(int proc, unsigned long addr)
{
	return pte_oracle_get(mm_get(proc), addr);
}

/* Bit i: the entry of page i of [addr, addr + 4 pages) has CONT. */
static unsigned cont_mask(int proc, unsigned long addr)
{
	unsigned mask = 0;
	for (int i = 0; i < CONT_PTES; i++)
		mask |= (unsigned)pte_cont(pte_at(proc, addr + (unsigned long)i * PAGE_SIZE)) << i;
	return mask;
}

Test(contpte, a_fault_maps_a_whole_block_cont_only_when_it_fits)
{
	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 mmap 0x8000 pages=2 anon private rw\n"
		  "agents\n"
		  "  CPU0 P0 store 0x1000 = 1\n"
		  "  CPU0 P0 store 0x8000 = 2\n");
	cr_expect_eq(cont_mask(0, 0x0), 0xf, "4 pages of one folio, one block");
	for (int i = 0; i < CONT_PTES; i++)
		cr_expect_eq(pte_pfn(pte_at(0, (unsigned long)i * PAGE_SIZE)),
			     pte_pfn(pte_at(0, 0x0)) + (unsigned)i, "contiguous frames");
	cr_expect_eq(cont_mask(0, 0x8000), 0, "a 2-page VMA cannot hold the block");
	cr_expect(pte_present(pte_at(0, 0x8000)) && !pte_present(pte_at(0, 0x9000)),
		  "and gets an order-0 page");

	run("mmfuzz-sched 1\nsetup\n"
	    "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
	    "agents\n"
	    "  CPU0 P0 store 0x1000 = 1\n");
	cr_expect_eq(cont_mask(0, 0x0), 0, "x86: no CONT bit, ever");
	cr_expect(!pte_present(pte_at(0, 0x0)), "x86: no mTHP fault either");
}

Test(contpte, a_change_to_part_of_a_block_unfolds_it_and_keeps_the_data)
{
	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 store 0x0 = 1\n"
		  "  CPU0 P0 store 0x2000 = 3\n"
		  "  CPU0 P0 store 0x3000 = 4\n"
		  "agents\n"
		  "  CPU1 P0 madvise 0x1000 pages=1 dontneed\n"
		  "  CPU1 P0 load 0x0\n"
		  "  CPU1 P0 load 0x2000\n"
		  "  CPU1 P0 load 0x3000\n");
	cr_expect_eq(cont_mask(0, 0x0), 0, "no entry of a partly zapped block stays CONT");
	cr_expect(!pte_present(pte_at(0, 0x1000)));
	cr_expect_eq(r.ops[1].value, 1);
	cr_expect_eq(r.ops[2].value, 3);
	cr_expect_eq(r.ops[3].value, 4);

	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 store 0x0 = 1\n"
		  "agents\n"
		  "  CPU1 P0 mprotect 0x2000 pages=1 r\n");
	cr_expect_eq(cont_mask(0, 0x0), 0, "one entry read-only: the block cannot stay CONT");
	cr_expect(!pte_write(pte_at(0, 0x2000)) && pte_write(pte_at(0, 0x3000)));
}

Test(contpte, a_block_folds_again_only_when_every_condition_holds)
{
	/* mprotect of the whole block rewrites every entry: the last one folds */
	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 store 0x0 = 1\n"
		  "agents\n"
		  "  CPU1 P0 mprotect 0x0 pages=4 r\n");
	cr_expect_eq(cont_mask(0, 0x0), 0xf, "4 read-only entries of one folio fold");
	cr_expect(!pte_write(pte_at(0, 0x0)));

	/* the same permissions again, but one entry maps another folio: no fold */
	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 store 0x0 = 1\n"
		  "  CPU0 P0 fork\n"
		  "agents\n"
		  "  CPU1 P0 store 0x1000 = 2\n"
		  "  CPU1 P0 mprotect 0x0 pages=4 r\n");
	cr_expect_eq(cont_mask(0, 0x0), 0, "a COW copy breaks the block for good");
	cr_expect_neq(pte_pfn(pte_at(0, 0x1000)), pte_pfn(pte_at(0, 0x0)) + 1);
	cr_expect_eq(cont_mask(1, 0x0), 0xf, "the child's block, read-only, folded");

	/* permissions differ within the block: no fold */
	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 store 0x0 = 1\n"
		  "agents\n"
		  "  CPU1 P0 mprotect 0x0 pages=3 r\n"
		  "  CPU1 P0 mprotect 0x3000 pages=1 rw\n");
	cr_expect_eq(cont_mask(0, 0x0), 0, "3 read-only entries and 1 writable do not fold");
}

Test(contpte, access_and_dirty_are_gathered_over_the_block)
{
	/* a read fault maps the block clean; one store dirties the entry walked */
	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 load 0x0\n"
		  "agents\n"
		  "  CPU1 P0 store 0x2000 = 5\n");
	unsigned dirty = 0;
	for (int i = 0; i < CONT_PTES; i++)
		dirty |= (unsigned)pte_dirty(pte_at(0, (unsigned long)i * PAGE_SIZE)) << i;
	cr_expect_eq(dirty, 0x4, "the hardware dirtied the one entry it walked: %#x", dirty);

	/* unfolding gathers: every entry carries the block's dirty bit afterwards */
	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 load 0x0\n"
		  "  CPU1 P0 store 0x2000 = 5\n"
		  "agents\n"
		  "  CPU2 P0 mprotect 0x1000 pages=1 r\n");
	cr_expect_eq(cont_mask(0, 0x0), 0);
	for (int i = 0; i < CONT_PTES; i++)
		cr_expect(pte_dirty(pte_at(0, (unsigned long)i * PAGE_SIZE)),
			  "entry %d lost the block's dirty bit in the unfold", i);

	/* the block TLB entry serves stores to the other pages without a walk */
	run(ARM64 "setup\n"
		  "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		  "  CPU0 P0 store 0x0 = 1\n"
		  "agents\n"
		  "  CPU0 P0 store 0x3000 = 4\n"
		  "  CPU0 P0 load 0x3000\n");
	cr_expect_eq(r.ops[1].value, 4);
}

/*
 * No inconsistent block is ever visible to a walker: every interleaving with up
 * to one preemption of the contpte family (faults, partial zap, mprotect that
 * unfolds and refolds, GUP-fast) runs clean with the knobs off — the walker checks
 * the block at every fill, lockless readers check what they gather.  Control: the
 * same search finds each contpte knob that this family can show.
 */
Test(contpte, no_walker_sees_an_inconsistent_block, .timeout = 120)
{
	static struct scenario fam;
	char err[512];
	cr_assert(scn_load(&fam, "corpus/contpte.sched", err, sizeof(err)), "%s", err);
	cr_assert_eq(fam.arch, SCN_ARCH_ARM64);
	static struct explore_result er;
	struct explore_config c;
	explore_config_default(&c);
	c.strategy = EXPLORE_DFS;
	c.dfs_bound = 1;
	c.runs_max = 1000000;
	c.exec.knobs = 0;
	explore(&fam, &c, &er);
	cr_expect(!er.found, "knobs off: %s: %s", er.first.f.oracle, er.first.f.msg);
	cr_expect(er.exhausted, "DFS b=1 not exhausted in %llu runs", (unsigned long long)er.runs);
	const enum mm_knob knobs[] = {KNOB_CONTPTE_NONATOMIC_AD_WRITEBACK,
				      KNOB_CONTPTE_CLEAR_WITHOUT_UNFOLD,
				      KNOB_CONTPTE_LOCKLESS_NO_RETRY};
	for (size_t k = 0; k < sizeof(knobs) / sizeof(knobs[0]); k++) {
		c.exec.knobs = KNOB_BIT(knobs[k]);
		explore(&fam, &c, &er);
		cr_expect(er.found && !strcmp(er.first.f.oracle, "contpte"),
			  "control: %s not found", mm_knob_table[knobs[k]].name);
	}
}
