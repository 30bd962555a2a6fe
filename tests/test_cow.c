/* SPDX-License-Identifier: MIT */
/*
 * COW and GUP as today's kernel has them, one operation at a time (no
 * concurrency, no preemption), each test written from the kernel's documented
 * behaviour and the intent of its selftests (tools/testing/selftests/mm/cow.c,
 * mprotect and madvise tests):
 *   - MADV_DONTFORK / MADV_DOFORK (VM_DONTCOPY): a fork leaves the range out of
 *     the child, the parent keeps its pages writable; madvise cuts the VMAs to
 *     the range, skips holes and reports them.
 *   - mprotect(PROT_WRITE) makes writable at once what the write fault would
 *     reuse (exclusive anon; dirty shared file PTEs), leaves shared anon pages
 *     and page-cache pages of private mappings to COW, keeps a pinned page with
 *     its process; the cow-reuse-* kernels (before 6.0) upgrade nothing private.
 *   - pin-slow (pin_user_pages() under mmap_read_lock()): no GUP-fast, unshare of
 *     a page shared with a child, no stack expansion;
 *   - do_huge_pmd_wp_page(): reuse of an exclusive or provably unique huge folio,
 *     a copy away from a GUP reference; the THP half of cow-reuse-by-mapcount;
 *   - VMAs merge back when mprotect/madvise give their flags back;
 *   - MADV_COLLAPSE takes pages shared with a child (khugepaged does not) and
 *     PTE-mapped large folios (mTHPs, a split THP), and backs off from a pin.
 * No finding anywhere.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "../core/knobs.h"
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

/* ---- mprotect(PROT_WRITE): the write upgrade of can_change_pte_writable() -------- */

/* Run @text with @knobs on (findings allowed: the caller looks at r). */
static void run_with_knobs(const char *text, uint64_t knobs, bool keep_state)
{
	struct exec_options o;
	exec_options_default(&o);
	o.keep_state = keep_state;
	o.knobs = knobs;
	char err[256];
	cr_assert(exec_text(text, &o, &s, &r, err, sizeof(err)), "%s", err);
}

/* The PTE at @addr of P@mm, as the agents left it (keep_state runs). */
static pte_t pte_at(int mm, unsigned long addr)
{
	return pte_oracle_get(mm_get(mm), addr);
}

Test(cow, mprotect_rw_makes_an_exclusive_anon_pte_writable)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "agents\n"
		       "  CPU0 P0 mprotect 0x0 pages=2 r\n"
		       "  CPU0 P0 mprotect 0x0 pages=2 rw\n",
		  true, &s, &r);
	cr_expect(pte_write(pte_at(0, 0)), "exclusive anon: writable without a write fault");
	cr_expect(pte_none(pte_at(0, 0x1000)), "nothing is faulted in");
}

Test(cow, mprotect_rw_leaves_a_page_shared_with_a_child_to_cow)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "agents\n"
		       "  CPU0 P0 fork\n"
		       "  CPU0 P0 mprotect 0x0 pages=1 r\n"
		       "  CPU0 P0 mprotect 0x0 pages=1 rw\n",
		  true, &s, &r);
	pte_t parent = pte_at(0, 0), child = pte_at(1, 0);
	cr_assert(pte_present(parent) && pte_present(child));
	cr_expect(!pte_write(parent), "not exclusive: the next write must copy");
	cr_expect_eq(pte_pfn(parent), pte_pfn(child));
}

Test(cow, mprotect_rw_upgrade_keeps_a_pinned_page_with_its_process)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "agents\n"
		       "  CPU0 P0 pin 0x0 rw\n"
		       "  CPU0 P0 mprotect 0x0 pages=1 r\n"
		       "  CPU0 P0 mprotect 0x0 pages=1 rw\n"
		       "  CPU0 P0 store 0x0 = 6\n"
		       "  CPU0 dma-read\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[4].value, 6, "the store went to the pinned page");
	cr_expect(pte_write(pte_at(0, 0)));
}

Test(cow, mprotect_rw_upgrades_a_shared_file_pte_only_if_dirty)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 file=F0 shared rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 load 0x1000\n"
		       "agents\n"
		       "  CPU0 P0 mprotect 0x0 pages=2 r\n"
		       "  CPU0 P0 mprotect 0x0 pages=2 rw\n",
		  true, &s, &r);
	cr_expect(pte_write(pte_at(0, 0)), "dirty: the filesystem knows of the write");
	cr_expect(pte_present(pte_at(0, 0x1000)) && !pte_write(pte_at(0, 0x1000)),
		  "clean: write-notify still wants its fault");
}

Test(cow, mprotect_rw_makes_nothing_writable_in_a_private_file_mapping)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 file=F0 private rw\n"
		       "  CPU0 P0 load 0x0\n"
		       "agents\n"
		       "  CPU0 P0 mprotect 0x0 pages=1 r\n"
		       "  CPU0 P0 mprotect 0x0 pages=1 rw\n",
		  true, &s, &r);
	cr_expect(pte_present(pte_at(0, 0)) && !pte_write(pte_at(0, 0)),
		  "a page-cache page in a COW mapping is never made writable");
}

Test(cow, mprotect_rw_upgrades_nothing_before_pg_anon_exclusive)
{
	for (int k = 0; k < 2; k++) {
		run_with_knobs(HEAD "setup\n"
				    "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
				    "  CPU0 P0 store 0x0 = 1\n"
				    "agents\n"
				    "  CPU0 P0 mprotect 0x0 pages=1 r\n"
				    "  CPU0 P0 mprotect 0x0 pages=1 rw\n",
			       1u << (k ? KNOB_COW_REUSE_BY_MAPCOUNT : KNOB_COW_REUSE_BY_REFCOUNT),
			       true);
		cr_assert(!r.finding);
		cr_expect(!pte_write(pte_at(0, 0)), "before 6.0 the next write faults");
	}
}

/* ---- pin-slow: pin_user_pages() under mmap_read_lock(), no GUP-fast -------------- */

Test(cow, pin_slow_faults_the_page_in_and_pins_it_without_gup_fast)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "agents\n"
		       "  CPU1 P0 pin-slow 0x0 rw\n"
		       "  CPU1 P0 store 0x0 = 4\n"
		       "  CPU1 dma-read\n"
		       "  CPU1 dma-write = 5\n"
		       "  CPU1 P0 load 0x0\n"
		       "  CPU1 unpin\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[2].value, 4, "the device sees the process's store");
	cr_expect_eq(r.ops[4].value, 5, "and the process the device's");
	cr_expect_eq(trace_count("gup_fast_pte:ptep_get_lockless"), 0, "no lockless walk");
	cr_expect_gt(trace_count("follow_page_pte:ptep_get"), 0, "the PTE followed under its lock");
	cr_expect_gt(trace_count("mmap_read_lock:down_read(&mm->mmap_lock)"), 0);
}

Test(cow, pin_slow_read_only_of_a_page_shared_with_a_child_unshares_it)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "agents\n"
		       "  CPU0 P0 fork\n"
		       "  CPU0 P0 pin-slow 0x0 r\n"
		       "  CPU0 P1 store 0x0 = 2\n"
		       "  CPU0 dma-read\n"
		       "  CPU0 P0 store 0x0 = 3\n"
		       "  CPU0 dma-read\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(r.ops[3].value, 1, "the pin does not see the child's write");
	cr_expect_eq(r.ops[5].value, 3, "it sees its own process's");
	cr_expect_neq(pte_pfn(pte_at(0, 0)), pte_pfn(pte_at(1, 0)),
		      "the unshare fault gave the parent its own page");
}

Test(cow, pin_slow_refuses_holes_read_only_vmas_and_does_not_grow_stacks)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private r\n"
		       "  CPU0 P0 mmap-stack 0x20000 pages=1\n"
		       "agents\n"
		       "  CPU0 P0 pin-slow 0x8000 r\n"
		       "  CPU0 P0 pin-slow 0x0 rw\n"
		       "  CPU0 P0 pin-slow 0x1f000 r\n"
		       "  CPU0 P0 pin-slow 0x0 r\n"
		       "  CPU0 P0 pin-slow 0x20000 r\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[0].err, -EFAULT, "nothing mapped");
	cr_expect_eq(r.ops[1].err, -EFAULT, "a write pin of a read-only VMA");
	cr_expect_eq(r.ops[2].err, -EFAULT, "GUP expands no stack (6.5+)");
	cr_expect_eq(r.ops[3].err, 0);
	cr_expect_eq(r.ops[4].err, -EBUSY, "the device holds one buffer at a time");
}

/* ---- THP write faults: do_huge_pmd_wp_page() ------------------------------------- */

/* The PMD mapping 0x10000 (the second PMD) of P@mm, as the agents left it. */
static pmd_t thp_pmd(int mm)
{
	return mm_get(mm)->pmd[1];
}

/* Map a THP at 0x10000 in P0 (VM_HUGEPAGE, faulted by a store), then run @agents. */
#define THP_SETUP                                                                                  \
	HEAD "setup\n"                                                                             \
	     "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"                                   \
	     "  CPU0 P0 madvise 0x10000 pages=16 hugepage\n"                                       \
	     "  CPU0 P0 store 0x10000 = 1\n"

Test(cow, thp_write_fault_reuses_the_folio_a_child_unmapped)
{
	run_clean(THP_SETUP "  CPU0 P0 fork\n"
			    "agents\n"
			    "  CPU0 P1 munmap 0x10000 pages=16\n"
			    "  CPU0 P0 store 0x12000 = 2\n",
		  true, &s, &r);
	pmd_t pmd = thp_pmd(0);
	cr_assert(pmd_trans_huge(pmd), "the refcount is the PMD's alone: reused, not split");
	cr_expect(pmd_write(pmd));
	for (int i = 0; i < HPAGE_PMD_NR; i++)
		cr_expect(folio_page(pfn_folio(pmd_pfn(pmd)), i)->flags & 1u << PG_anon_exclusive,
			  "and the folio is exclusive again, every page (%d)", i);
}

Test(cow, thp_write_fault_copies_away_from_a_gup_reference_of_the_child)
{
	run_clean(THP_SETUP "  CPU0 P0 fork\n"
			    "  CPU1 P1 gup-get 0x10000 r\n"
			    "  CPU1 P1 munmap 0x10000 pages=16\n"
			    "agents\n"
			    "  CPU0 P0 store 0x10000 = 2\n"
			    "  CPU1 dma-read\n"
			    "  CPU0 P0 load 0x10000\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[1].value, 1,
		     "the child's reference keeps what it read (CVE-2020-29374)");
	cr_expect_eq(r.ops[2].value, 2);
	cr_expect(!pmd_trans_huge(thp_pmd(0)), "split: the PTE fault copied the page");
}

Test(cow, thp_write_fault_reuses_a_pinned_exclusive_folio)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x10000 pages=16 anon private r\n"
		       "  CPU0 P0 madvise 0x10000 pages=16 hugepage\n"
		       "  CPU0 P0 load 0x10000\n"
		       "  CPU1 P0 pin 0x10000 r\n"
		       "agents\n"
		       "  CPU0 P0 mprotect 0x10000 pages=16 rw\n"
		       "  CPU0 P0 store 0x10000 = 2\n"
		       "  CPU0 dma-read\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[2].value, 2, "the pin and the process keep one page");
	cr_expect(pmd_trans_huge(thp_pmd(0)) && pmd_write(thp_pmd(0)));
}

/* ---- vma_modify(): VMAs merge back when their flags meet again -------------------- */

Test(cow, mprotect_back_and_forth_leaves_one_vma)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		       "  CPU0 P0 store 0x1000 = 1\n"
		       "  CPU0 P0 store 0x2000 = 2\n"
		       "agents\n"
		       "  CPU0 P0 mprotect 0x1000 pages=2 r\n"
		       "  CPU0 P0 maps\n"
		       "  CPU0 P0 mprotect 0x1000 pages=1 rw\n"
		       "  CPU0 P0 maps\n"
		       "  CPU0 P0 mprotect 0x2000 pages=1 rw\n"
		       "  CPU0 P0 maps\n"
		       "  CPU0 P0 store 0x2000 = 3\n"
		       "  CPU0 P0 load 0x1000\n"
		       "  CPU0 P0 load 0x2000\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[1].value, 3, "mprotect(R) of the middle: three VMAs");
	cr_expect_eq(r.ops[3].value, 3, "the left page merges into the VMA before it");
	cr_expect_eq(r.ops[5].value, 1, "the last one merges both neighbours");
	cr_expect_eq(r.ops[6].err, 0, "writable again");
	cr_expect_eq(r.ops[7].value, 1, "the pages stay where they were");
	cr_expect_eq(r.ops[8].value, 3);
}

Test(cow, mprotect_to_the_same_flags_changes_no_vma)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=4 anon private rw\n"
		       "agents\n"
		       "  CPU0 P0 mprotect 0x1000 pages=2 rw\n"
		       "  CPU0 P0 maps\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[1].value, 1, "mprotect_fixup() does nothing: no split");
}

Test(cow, dofork_merges_back_and_separate_mmaps_stay_apart)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 mmap 0x2000 pages=2 anon private rw\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x1000 pages=2 dontfork\n"
		       "  CPU0 P0 maps\n"
		       "  CPU0 P0 madvise 0x0 pages=4 dofork\n"
		       "  CPU0 P0 maps\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[1].value, 4);
	cr_expect_eq(r.ops[3].value, 2, "each mmap() is one VMA again; the two stay apart");
}

Test(cow, a_shared_file_mapping_merged_back_is_still_written_back)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=3 file=F0 shared rw\n"
		       "  CPU0 P0 store 0x1000 = 1\n"
		       "agents\n"
		       "  CPU0 P0 mprotect 0x1000 pages=1 r\n"
		       "  CPU0 writeback F0\n"
		       "  CPU0 P0 mprotect 0x1000 pages=1 rw\n"
		       "  CPU0 P0 maps\n"
		       "  CPU0 P0 store 0x1008 = 2\n"
		       "  CPU0 writeback F0\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[3].value, 1);
	cr_expect_eq(mapping_get(0)->disk[1][1], 2, "rmap found the page in the merged VMA");
}

/* ---- MADV_COLLAPSE ignores khugepaged's max_ptes_shared ------------------------- */

#define SHARED_WITH_CHILD                                                                          \
	HEAD "setup\n"                                                                             \
	     "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"                                   \
	     "  CPU0 P0 store 0x10000 = 1\n"                                                       \
	     "  CPU0 P0 store 0x11000 = 2\n"                                                       \
	     "  CPU0 P0 fork\n"

Test(cow, madv_collapse_takes_pages_shared_with_a_child)
{
	run_clean(SHARED_WITH_CHILD "agents\n"
				    "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
				    "  CPU0 P0 store 0x10000 = 5\n"
				    "  CPU0 P0 load 0x11000\n"
				    "  CPU0 P1 load 0x10000\n"
				    "  CPU0 P1 load 0x11000\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[2].value, 2, "the huge folio has the parent's data");
	cr_expect_eq(r.ops[3].value, 1, "the child keeps its pages and its view");
	cr_expect_eq(r.ops[4].value, 2);
	cr_expect(pmd_trans_huge(thp_pmd(0)), "P0 maps a huge folio");
	cr_expect(pte_present(pte_at(1, 0x11000)) && !pmd_trans_huge(thp_pmd(1)),
		  "P1 still maps the old small page");
	cr_expect_eq(pfn_folio(pte_pfn(pte_at(1, 0x11000)))->mapcount, 1,
		     "mapped by the child alone now");
}

Test(cow, khugepaged_leaves_pages_shared_with_a_child)
{
	run_clean(SHARED_WITH_CHILD "agents\n"
				    "  CPU0 P0 khugepaged 0x10000 pages=16\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].err, -EINVAL, "max_ptes_shared (0 in the model)");
	cr_expect(!pmd_trans_huge(thp_pmd(0)));
}

Test(cow, madv_collapse_backs_off_from_a_shared_page_with_a_gup_reference)
{
	run_clean(SHARED_WITH_CHILD "  CPU1 P1 gup-get 0x11000 r\n"
				    "agents\n"
				    "  CPU0 P0 madvise 0x10000 pages=16 collapse\n",
		  true, &s, &r);
	cr_expect_neq(r.ops[0].err, 0, "a reference beyond the mappings: no collapse");
	cr_expect(!pmd_trans_huge(thp_pmd(0)));
}

/*
 * The THP half of cow-reuse-by-mapcount (no regression file of its own: its
 * finding has the signature of regressions/cow-reuse-by-mapcount.sched, the PTE
 * half).  Until 5.18 do_huge_pmd_wp_page() reused a huge folio mapped once,
 * although the forked child's GUP reference still reads it.
 */
Test(cow, thp_reuse_by_mapcount_brings_back_the_thp_half_of_cve_2020_29374)
{
	static const char text[] = THP_SETUP "  CPU0 P0 fork\n"
					     "  CPU1 P1 gup-get 0x10000 r\n"
					     "  CPU1 P1 munmap 0x10000 pages=16\n"
					     "agents\n"
					     "  CPU0 P0 store 0x10000 = 2\n"
					     "  CPU1 dma-read\n";
	for (int knob = 0; knob < 2; knob++) {
		run_with_knobs(text, knob ? KNOB_BIT(KNOB_COW_REUSE_BY_MAPCOUNT) : 0, false);
		cr_expect_eq(r.finding, knob, "knob %s", knob ? "on" : "off");
		if (knob)
			cr_expect_str_eq(r.f.oracle, "isolation");
		cr_expect_eq(trace_count("wp_can_reuse_anon_pmd_folio:folio_mapcount") > 0, knob,
			     "the knob's rule decides in do_huge_pmd_wp_page()");
	}
}

/* ---- MADV_COLLAPSE of PTE-mapped large folios (compound_pagelist) ---------------- */

Test(cow, madv_collapse_takes_mthp_folios_even_partly_mapped)
{
	run_clean(HEAD "arch arm64\n"
		       "setup\n"
		       "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		       "  CPU0 P0 store 0x10000 = 1\n"
		       "  CPU0 P0 store 0x15000 = 2\n"
		       "  CPU0 P0 madvise 0x16000 pages=1 dontneed\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
		       "  CPU0 P0 load 0x10000\n"
		       "  CPU0 P0 load 0x15000\n"
		       "  CPU0 P0 load 0x16000\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].err, 0, "4-page mTHP folios, one with a page zapped, collapse");
	cr_expect(pmd_trans_huge(thp_pmd(0)));
	cr_expect_eq(r.ops[1].value, 1);
	cr_expect_eq(r.ops[2].value, 2);
	cr_expect_eq(r.ops[3].value, 0, "the zapped page reads zero");
}

Test(cow, madv_collapse_makes_a_pte_mapped_thp_pmd_mapped_again)
{
	run_clean(THP_SETUP "  CPU0 P0 store 0x1f000 = 2\n"
			    "  CPU0 P0 mprotect 0x14000 pages=2 r\n"
			    "  CPU0 P0 mprotect 0x14000 pages=2 rw\n"
			    "agents\n"
			    "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
			    "  CPU0 P0 load 0x1f000\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].err, 0, "mprotect split the PMD; the folio is PTE-mapped");
	cr_expect(pmd_trans_huge(thp_pmd(0)));
	cr_expect_eq(r.ops[1].value, 2);
}

Test(cow, collapse_backs_off_from_a_pinned_page_of_a_large_folio)
{
	run_clean(HEAD "arch arm64\n"
		       "setup\n"
		       "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		       "  CPU0 P0 store 0x10000 = 1\n"
		       "  CPU1 P0 pin 0x11000 r\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x10000 pages=16 collapse\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].err, -EAGAIN, "the folio's references exceed its mappings");
	cr_expect(!pmd_trans_huge(thp_pmd(0)));
}
