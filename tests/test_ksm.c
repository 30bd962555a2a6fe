/* SPDX-License-Identifier: MIT */
/*
 * KSM as the kernel documents it (Documentation/admin-guide/mm/ksm.rst,
 * Documentation/mm/ksm.rst) and as its selftests check it
 * (tools/testing/selftests/mm/ksm_tests.c, ksm_functional_tests.c, cow.c's KSM
 * cases), one operation at a time unless a test says otherwise:
 *   - identical anonymous pages of VM_MERGEABLE VMAs, in one process or two,
 *     end up mapped read-only from one KSM page; pages that differ do not;
 *   - a write to a merged page copies it (a KSM page is never reused, even by
 *     its last mapper), and nobody else sees the write;
 *   - only VM_MERGEABLE VMAs are scanned, and shared mappings never become so;
 *   - MADV_UNMERGEABLE gives every merged page of the range back as a private
 *     copy, and the next scan leaves it alone;
 *   - a pinned page is not merged (write_protect_page() sees the extra
 *     reference), and the pin stays coherent with the process;
 *   - a pin that GUP-fast takes racing ksmd is either counted or fails its
 *     re-check, for every interleaving (DFS), with the knob off;
 *   - a KSM page mapped once is swapped out like any anonymous page (its
 *     mapping found through its stable node, rmap_walk_ksm()) and reads back
 *     what it held;
 *   - write_protect_page() moves a PTE's dirty bit to the folio before it
 *     cleans the PTE (4e31635c367a): a swap-cache page a read fault mapped
 *     writable and a store dirtied through the PTE only is written to swap
 *     before reclaim frees it, whatever happens to that PTE.
 * No finding anywhere.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../core/mm.h"
#include "../core/page.h"
#include "../core/pgtable.h"
#include "exec.h"
#include "explore.h"
#include "run_clean.h"

static struct scenario s;
static struct exec_result r;

#define HEAD "mmfuzz-sched 1\n"

/* The frame P@mm maps at @addr, or -1 (the state the agents left: keep_state). */
static int pfn_at(int mm, unsigned long addr)
{
	pte_t pte = pte_oracle_get(mm_get(mm), addr);
	return pte_present(pte) ? (int)pte_pfn(pte) : -1;
}

static bool writable_at(int mm, unsigned long addr)
{
	return pte_write(pte_oracle_get(mm_get(mm), addr));
}

static bool ksm_at(int mm, unsigned long addr)
{
	int pfn = pfn_at(mm, addr);
	return pfn >= 0 && folio_test_ksm(pfn_folio((uint32_t)pfn));
}

Test(ksm, identical_pages_of_two_processes_share_one_read_only_ksm_page)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 5\n"
		       "  CPU0 P0 store 0x1000 = 5\n"
		       "  CPU0 P0 madvise 0x0 pages=2 mergeable\n"
		       "  CPU1 P1 mmap 0x4000 pages=1 anon private rw\n"
		       "  CPU1 P1 store 0x4000 = 5\n"
		       "  CPU1 P1 madvise 0x4000 pages=1 mergeable\n"
		       "agents\n"
		       "  CPU0 P0 ksm-scan 0x0 pages=2\n"
		       "  CPU0 P1 ksm-scan 0x4000 pages=1\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[1].err, 0);
	int k = pfn_at(0, 0x0);
	cr_assert_geq(k, 0);
	cr_expect_eq(pfn_at(0, 0x1000), k, "P0's two pages are one");
	cr_expect_eq(pfn_at(1, 0x4000), k, "and P1's is the same page");
	cr_expect(ksm_at(0, 0x0), "a KSM page");
	cr_expect(!writable_at(0, 0x0) && !writable_at(0, 0x1000) && !writable_at(1, 0x4000),
		  "mapped read-only everywhere");
	cr_expect_eq(pfn_folio((uint32_t)k)->mapcount, 3);
	cr_expect(!PageAnonExclusive(pfn_folio((uint32_t)k)), "shared, not exclusive");
	cr_expect_eq(trace_count("replace_page:set_pte_at"), 2, "two pages were replaced");
}

Test(ksm, pages_that_differ_are_not_merged)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=3 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 5\n"
		       "  CPU0 P0 store 0x1000 = 6\n"
		       "  CPU0 P0 store 0x2008 = 5\n"
		       "  CPU0 P0 madvise 0x0 pages=3 mergeable\n"
		       "agents\n"
		       "  CPU0 P0 ksm-scan 0x0 pages=3\n",
		  true, &s, &r);
	cr_expect_neq(pfn_at(0, 0x0), pfn_at(0, 0x1000));
	cr_expect_neq(pfn_at(0, 0x0), pfn_at(0, 0x2000), "the same value in another word");
	cr_expect(writable_at(0, 0x0) && writable_at(0, 0x1000) && writable_at(0, 0x2000),
		  "untouched");
	cr_expect_eq(trace_count("write_protect_page:set_pte_at"), 0);
}

Test(ksm, a_write_copies_the_ksm_page_even_for_its_last_mapper)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 5\n"
		       "  CPU0 P0 store 0x1000 = 5\n"
		       "  CPU0 P0 madvise 0x0 pages=2 mergeable\n"
		       "agents\n"
		       "  CPU0 P0 ksm-scan 0x0 pages=2\n"
		       "  CPU1 P0 store 0x0 = 6\n"
		       "  CPU1 P0 load 0x1000\n"
		       "  CPU1 P0 store 0x1000 = 7\n"
		       "  CPU1 P0 load 0x0\n"
		       "  CPU1 P0 load 0x1000\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[2].value, 5, "the other mapper does not see the write");
	cr_expect_eq(r.ops[4].value, 6);
	cr_expect_eq(r.ops[5].value, 7);
	cr_expect_eq(trace_count("do_wp_page:folio_add_new_anon_rmap"), 2,
		     "both writes copied, the second too though it was the only mapper");
	cr_expect(!ksm_at(0, 0x0) && !ksm_at(0, 0x1000));
	cr_expect(writable_at(0, 0x0) && writable_at(0, 0x1000));
}

Test(ksm, only_mergeable_private_vmas_are_scanned)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 0\n"
		       "  CPU0 P0 store 0x1000 = 0\n"
		       "  CPU0 P0 mmap 0x10000 pages=2 file=F0 shared rw\n"
		       "  CPU0 P0 store 0x10000 = 1\n"
		       "  CPU0 P0 store 0x11000 = 1\n"
		       "  CPU0 P0 madvise 0x10000 pages=2 mergeable\n"
		       "agents\n"
		       "  CPU0 P0 ksm-scan 0x0 pages=2\n"
		       "  CPU0 P0 ksm-scan 0x10000 pages=2\n"
		       "  CPU0 P0 ksm-scan 0x20000 pages=1\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[2].err, 0, "nothing mapped: nothing to scan");
	cr_expect_neq(pfn_at(0, 0x0), pfn_at(0, 0x1000), "not madvised");
	cr_expect_neq(pfn_at(0, 0x10000), pfn_at(0, 0x11000), "shared: never mergeable");
	cr_expect_eq(trace_count("cmp_and_merge_page:pages_identical"), 0);
}

Test(ksm, bad_ksm_scan_input_is_file_and_line)
{
	char err[256];
	static const char text[] = HEAD "agents\n"
					"  CPU0 P0 ksm-scan 0x8 pages=1\n";
	cr_assert(!scn_parse(&s, text, sizeof(text) - 1, "t.sched", err, sizeof(err)));
	cr_expect_str_eq(err, "t.sched:3: address 0x8 is not page-aligned");
	static const char text2[] = HEAD "setup\n"
					 "  CPU0 P0 madvise 0x0 pages=1 mergable\n";
	cr_assert(!scn_parse(&s, text2, sizeof(text2) - 1, "t.sched", err, sizeof(err)));
	cr_expect(strstr(err, "t.sched:3: unknown advice"), "%s", err);
}

Test(ksm, unmergeable_gives_private_copies_back_and_stops_merging)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 5\n"
		       "  CPU0 P0 store 0x1000 = 5\n"
		       "  CPU0 P0 madvise 0x0 pages=2 mergeable\n"
		       "agents\n"
		       "  CPU0 P0 ksm-scan 0x0 pages=2\n"
		       "  CPU0 P0 madvise 0x0 pages=2 unmergeable\n"
		       "  CPU0 P0 ksm-scan 0x0 pages=2\n"
		       "  CPU0 P0 load 0x0\n"
		       "  CPU0 P0 load 0x1000\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(trace_count("replace_page:set_pte_at"), 1, "merged once, not again");
	cr_expect(!ksm_at(0, 0x0) && !ksm_at(0, 0x1000));
	cr_expect_neq(pfn_at(0, 0x0), pfn_at(0, 0x1000));
	cr_expect_eq(r.ops[3].value, 5);
	cr_expect_eq(r.ops[4].value, 5);
	for (unsigned long a = 0; a < 0x2000; a += 0x1000)
		cr_expect(PageAnonExclusive(pfn_folio((uint32_t)pfn_at(0, a))),
			  "each copy is the process's own");
}

Test(ksm, a_pinned_page_is_not_merged_and_stays_coherent)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 5\n"
		       "  CPU0 P0 store 0x1000 = 5\n"
		       "  CPU0 P0 madvise 0x0 pages=2 mergeable\n"
		       "  CPU1 P0 pin 0x0 rw\n"
		       "agents\n"
		       "  CPU0 P0 ksm-scan 0x0 pages=2\n"
		       "  CPU1    dma-write = 7\n"
		       "  CPU1 P0 load 0x0\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[2].value, 7, "the process sees the device's write");
	cr_expect_eq(trace_count("replace_page:set_pte_at"), 0);
	cr_expect_eq(trace_count("break_ksm:folio_put"), 1,
		     "the page made KSM for the pair was unshared again (break_cow())");
	cr_expect(!ksm_at(0, 0x0) && !ksm_at(0, 0x1000));
}

/*
 * A GUP-fast pin racing the merge of the page it pins: with the kernel's order
 * (clear and flush, then count) every interleaving of preemption bound 2 is
 * clean; with the check moved before the clear (the knob) DFS finds one that is
 * not — the scenario does reach the window.
 */
Test(ksm, gup_fast_against_the_merge_is_clean_for_every_interleaving)
{
	char err[256];
	static const char text[] = HEAD "setup\n"
					"  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
					"  CPU0 P0 store 0x0 = 5\n"
					"  CPU0 P0 store 0x1000 = 5\n"
					"  CPU0 P0 madvise 0x0 pages=2 mergeable\n"
					"agents\n"
					"  CPU0 P0 ksm-scan 0x0 pages=2\n"
					"  CPU1 P0 pin 0x0 rw\n"
					"  CPU2    dma-write = 7\n"
					"  CPU2 P0 load 0x0\n";
	cr_assert(scn_parse(&s, text, sizeof(text) - 1, "test", err, sizeof(err)), "%s", err);
	struct explore_config c;
	explore_config_default(&c);
	c.strategy = EXPLORE_DFS;
	c.dfs_bound = 2;
	c.runs_max = 5000000;
	static struct explore_result er;
	c.exec.knobs = 0;
	explore(&s, &c, &er);
	cr_expect(!er.found, "knob off: %s after %llu runs: %s", er.first.f.oracle,
		  (unsigned long long)er.runs, er.first.f.msg);
	cr_expect(er.exhausted);
	c.exec.knobs = KNOB_BIT(KNOB_KSM_WRPROTECT_CHECK_BEFORE_CLEAR);
	explore(&s, &c, &er);
	cr_expect(er.found, "knob on: DFS b=2 finds the race");
}

Test(ksm, a_ksm_page_mapped_once_is_swapped_out_and_read_back)
{
	const char *text = HEAD "setup\n"
				"  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
				"  CPU0 P0 store 0x0 = 5\n"
				"  CPU0 P0 madvise 0x0 pages=1 mergeable\n"
				"  CPU1 P1 mmap 0x0 pages=1 anon private rw\n"
				"  CPU1 P1 store 0x0 = 5\n"
				"  CPU1 P1 madvise 0x0 pages=1 mergeable\n"
				"agents\n"
				"  CPU0 P1 ksm-scan 0x0 pages=1\n"
				"  CPU0 P0 ksm-scan 0x0 pages=1\n"
				"  CPU0 P0 store 0x0 = 6\n"
				"  CPU0 P1 madvise 0x0 pages=1 pageout\n";
	run_clean(text, true, &s, &r);
	pte_t pte = pte_oracle_get(mm_get(1), 0);
	cr_assert(is_swap_pte(pte), "P1's KSM page went to swap, not %#llx",
		  (unsigned long long)pte_val(pte));
	cr_expect(!pte_swp_exclusive(pte), "a KSM page is never exclusive");
	cr_expect_eq(mm_world.swap.slots[swp_offset(pte)][0], 5, "the slot holds the data");
	cr_expect_eq(trace_count("replace_page:set_pte_at"), 1, "merged first");
	cr_expect_eq(trace_count("swap_writepage:swap_write"), MM_WORDS_PER_PAGE,
		     "written: a new KSM page is dirty");

	/* and back: the load reads the slot */
	char again[1024];
	snprintf(again, sizeof(again), "%s  CPU1 P1 load 0x0\n  CPU1 P0 load 0x0\n", text);
	run_clean(again, false, &s, &r);
	cr_expect_eq(r.ops[4].value, 5);
	cr_expect_eq(r.ops[5].value, 6, "P0's own copy");
}

/* A swap-cache page mapped writable by a read fault, written through its PTE,
 * made the KSM page and left to one mapper (regressions/ksm-wrprotect-no-set-dirty
 * with the knob off, stopped at each stage). */
#define DIRTY_PTE_SETUP                                                                            \
	HEAD "setup\n"                                                                             \
	     "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"                                        \
	     "  CPU0 P0 store 0x0 = 1\n"                                                           \
	     "  CPU0 P0 madvise 0x0 pages=1 mergeable\n"                                           \
	     "  CPU0 P1 mmap 0x0 pages=1 anon private rw\n"                                        \
	     "  CPU0 P1 store 0x0 = 2\n"                                                           \
	     "  CPU0 P1 madvise 0x0 pages=1 mergeable\n"                                           \
	     "agents\n"                                                                            \
	     "  CPU0 P0 madvise 0x0 pages=1 pageout\n"                                             \
	     "  CPU1 P0 load 0x0\n"                                                                \
	     "  CPU1 P0 store 0x0 = 2\n"
#define DIRTY_PTE_SCHEDULE "schedule\n  CPU0 at try_to_unmap_flush:batch_flush#1 -> CPU1\n"

Test(ksm, write_protect_page_moves_the_dirty_bit_of_a_swap_cache_page_to_the_folio)
{
	/* the state that matters: in the swap cache, clean, dirty only in the PTE */
	run_clean(DIRTY_PTE_SETUP DIRTY_PTE_SCHEDULE, true, &s, &r);
	cr_expect_eq(r.ops[1].value, 1);
	int pfn = pfn_at(0, 0x0);
	cr_assert_geq(pfn, 0);
	struct folio *folio = pfn_folio((uint32_t)pfn);
	pte_t pte = pte_oracle_get(mm_get(0), 0);
	cr_assert(folio_test_swapcache(folio), "the read fault kept the swap cache");
	cr_expect(pte_write(pte) && pte_dirty(pte), "writable, and the store dirtied the PTE");
	cr_expect(!(folio->flags >> PG_dirty & 1u), "the folio itself is clean");
	cr_expect_eq(mm_world.swap.slots[folio->swap][0], 1, "its slot holds the old data");

	/* ksmd: the page becomes KSM; the PTE is clean and the folio dirty */
	run_clean(DIRTY_PTE_SETUP "  CPU1 P1 ksm-scan 0x0 pages=1\n"
				  "  CPU1 P0 ksm-scan 0x0 pages=1\n" DIRTY_PTE_SCHEDULE,
		  true, &s, &r);
	cr_assert_eq(pfn_at(0, 0x0), pfn, "the same page");
	cr_expect(ksm_at(0, 0x0) && pfn_at(1, 0x0) == pfn, "the KSM page of both");
	pte = pte_oracle_get(mm_get(0), 0);
	cr_expect(!pte_write(pte) && !pte_dirty(pte), "read-only and clean");
	cr_expect(folio->flags >> PG_dirty & 1u, "the dirty bit went to the folio");
	cr_expect_eq(trace_count("write_protect_page:folio_mark_dirty"), 2,
		     "for both pages: P1's PTE was dirty too");

	/* the writer's COW drops its PTE; reclaim writes the page before freeing it */
	run_clean(DIRTY_PTE_SETUP "  CPU1 P1 ksm-scan 0x0 pages=1\n"
				  "  CPU1 P0 ksm-scan 0x0 pages=1\n"
				  "  CPU1 P0 store 0x0 = 3\n"
				  "  CPU1 P1 madvise 0x0 pages=1 pageout\n"
				  "  CPU1 P1 load 0x0\n" DIRTY_PTE_SCHEDULE,
		  false, &s, &r);
	cr_expect_eq(r.ops[7].value, 2, "P1 reads back its page, not the slot's old 1");
}
