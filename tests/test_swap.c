/* SPDX-License-Identifier: MIT */
/*
 * Swap as the kernel documents it, one operation at a time (no concurrency, no
 * preemption), swap-out by MADV_PAGEOUT (reclaim_pages() of the folios it
 * isolates), written from the intent of the kernel's selftests
 * (tools/testing/selftests/mm/cow.c's swapout cases, madv_populate, ksm's
 * unmerge-after-swap) and the commit messages of 1493a1913e34 ("mm/swap: remember
 * PG_anon_exclusive via a swp pte bit") and 13ddaf26be32:
 *   - data survives a swap-out and a swap-in, through the device's slots;
 *   - the swap entry carries PageAnonExclusive; a swap-in restores it, so a read
 *     fault maps the page writable and a later write needs no COW;
 *   - fork duplicates swap entries and clears the exclusive bit: both processes
 *     swap in the same page read-only from the swap cache, and a write COWs;
 *   - a pinned page is not swapped out (it stays mapped and coherent);
 *   - MADV_DONTNEED, MADV_FREE, munmap and exit free the slots, and the
 *     quiescence check reports a leaked one.
 * No finding anywhere else.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../core/mm.h"
#include "../core/page.h"
#include "../core/pgtable.h"
#include "../core/quiesce.h"
#include "exec.h"
#include "run_clean.h"

static struct scenario s;
static struct exec_result r;

#define HEAD "mmfuzz-sched 1\n"

/* Slots in use (a count or SWAP_HAS_CACHE). */
static int slots_used(void)
{
	int n = 0;
	for (int i = 0; i < NR_SWAP_SLOTS; i++)
		n += mm_world.swap.swap_map[i] != 0;
	return n;
}

Test(swap, data_survives_swap_out_and_in)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 5\n"
		       "  CPU0 P0 store 0x1008 = 6\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=2 pageout\n"
		       "  CPU1 P0 load 0x0\n"
		       "  CPU1 P0 load 0x1008\n"
		       "  CPU1 P0 load 0x1000\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[1].value, 5);
	cr_expect_eq(r.ops[2].value, 6);
	cr_expect_eq(r.ops[3].value, 0, "the words never stored read zero");
	cr_expect_eq(trace_count("swap_writepage:swap_write"), 2 * MM_WORDS_PER_PAGE);
	cr_expect_eq(trace_count("swap_read_folio:swap_read"), 2 * MM_WORDS_PER_PAGE);
}

Test(swap, pageout_leaves_exclusive_swap_entries_and_frees_the_pages)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n",
		  true, &s, &r);
	pte_t pte = pte_oracle_get(mm_get(0), 0);
	cr_assert(is_swap_pte(pte), "a swap entry, not %#llx", (unsigned long long)pte_val(pte));
	cr_expect(pte_swp_exclusive(pte), "the page was exclusive: the entry says so");
	cr_expect_eq(mm_world.swap.swap_map[swp_offset(pte)], 1, "one entry, no swap cache");
	cr_expect_null(mm_world.swap.cache[swp_offset(pte)]);
	cr_expect_eq(mm_world.swap.slots[swp_offset(pte)][0], 1, "the slot holds the data");
	for (int pfn = 0; pfn < NR_FRAMES; pfn++)
		cr_expect(!pfn_page((uint32_t)pfn)->allocated, "frame %d still allocated", pfn);
}

Test(swap, exclusive_swapin_maps_writable_and_a_write_needs_no_cow)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n"
		       "agents\n"
		       "  CPU1 P0 load 0x0\n"
		       "  CPU1 P0 store 0x0 = 2\n"
		       "  CPU1 P0 load 0x0\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].value, 1);
	cr_expect_eq(r.ops[2].value, 2);
	pte_t pte = pte_oracle_get(mm_get(0), 0);
	cr_assert(pte_present(pte));
	cr_expect(pte_write(pte), "the read fault mapped the exclusive page writable");
	cr_expect(pfn_page(pte_pfn(pte))->flags & 1u << PG_anon_exclusive,
		  "PageAnonExclusive restored from the entry");
	cr_expect_eq(trace_count("folio_copy_anon:folio_copy"), 0, "no COW");
	cr_expect_eq(trace_count("do_wp_page:set_pte_at"), 0, "no write fault at all");
	cr_expect_eq(slots_used(), 0, "the skipped swap cache left nothing behind");
}

Test(swap, fork_shares_swap_entries_and_keeps_the_processes_apart)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n"
		       "agents\n"
		       "  CPU0 P0 fork\n",
		  true, &s, &r);
	pte_t parent = pte_oracle_get(mm_get(0), 0), child = pte_oracle_get(mm_get(1), 0);
	cr_assert(is_swap_pte(parent) && is_swap_pte(child));
	cr_expect_eq(swp_offset(parent), swp_offset(child));
	cr_expect(!pte_swp_exclusive(parent), "fork cleared the parent's exclusive bit");
	cr_expect(!pte_swp_exclusive(child));
	cr_expect_eq(mm_world.swap.swap_map[swp_offset(parent)], 2, "swap_duplicate()");

	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n"
		       "  CPU0 P0 fork\n"
		       "agents\n"
		       "  CPU1 P1 load 0x0\n"
		       "  CPU0 P0 load 0x0\n"
		       "  CPU0 P0 store 0x0 = 2\n"
		       "  CPU1 P1 load 0x0\n"
		       "  CPU1 P1 store 0x0 = 3\n"
		       "  CPU0 P0 load 0x0\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[0].value, 1, "the child reads what the parent wrote before fork");
	cr_expect_eq(r.ops[1].value, 1);
	cr_expect_eq(r.ops[3].value, 1, "the parent's later write is its own");
	cr_expect_eq(r.ops[5].value, 2, "and so is the child's");
}

Test(swap, shared_swapin_goes_through_the_swap_cache_read_only)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n"
		       "  CPU0 P0 fork\n"
		       "agents\n"
		       "  CPU1 P1 load 0x0\n"
		       "  CPU0 P0 load 0x0\n",
		  true, &s, &r);
	pte_t parent = pte_oracle_get(mm_get(0), 0), child = pte_oracle_get(mm_get(1), 0);
	cr_assert(pte_present(parent) && pte_present(child));
	cr_expect_eq(pte_pfn(parent), pte_pfn(child), "one page from the swap cache");
	cr_expect(!pte_write(parent) && !pte_write(child), "shared: read-only");
	struct folio *folio = pfn_page(pte_pfn(parent));
	cr_expect(!(folio->flags & 1u << PG_anon_exclusive));
	cr_expect_eq(folio->mapcount, 2);
	cr_expect(folio_test_swapcache(folio), "still cached: its slot is the only copy's twin");
	cr_expect_eq(mm_world.swap.swap_map[folio->swap], SWAP_HAS_CACHE, "no entry left");
	cr_expect_eq(trace_count("swap_read_folio:swap_read"), MM_WORDS_PER_PAGE, "read once");
}

Test(swap, a_pinned_page_is_not_swapped_out)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 pin 0x0 rw\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n",
		  true, &s, &r);
	pte_t pte = pte_oracle_get(mm_get(0), 0);
	cr_assert(pte_present(pte), "folio_try_share_anon_rmap_pte() refused: still mapped");
	cr_expect(pfn_page(pte_pfn(pte))->flags & 1u << PG_anon_exclusive);
	cr_expect_eq(mm_world.gup_ref.page, pfn_page(pte_pfn(pte)), "the pinned page");

	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 pin 0x0 rw\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n"
		       "  CPU1    dma-write = 7\n"
		       "  CPU1 P0 load 0x0\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[2].value, 7, "the device and the process share the page");
}

Test(swap, dontneed_and_munmap_free_the_slots)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 store 0x1000 = 2\n"
		       "  CPU0 P0 madvise 0x0 pages=2 pageout\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=1 dontneed\n"
		       "  CPU0 P0 munmap 0x1000 pages=1\n"
		       "  CPU0 P0 load 0x0\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[2].value, 0, "anonymous memory reads zero after DONTNEED");
	cr_expect_eq(slots_used(), 0, "free_swap_and_cache() freed both slots");
}

Test(swap, a_swap_cache_page_is_freed_with_its_last_mapping)
{
	/* a shared swap-in leaves the page in the swap cache; exit of both processes
	 * must free it with the slot (free_pages_and_swap_cache()), or the
	 * quiescence check reports the leak */
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n"
		       "  CPU0 P0 fork\n"
		       "agents\n"
		       "  CPU1 P1 load 0x0\n"
		       "  CPU0 P0 load 0x0\n"
		       "  CPU1 P1 exit\n"
		       "  CPU0 P0 exit\n",
		  true, &s, &r);
	cr_expect_eq(slots_used(), 0);
	for (int pfn = 0; pfn < NR_FRAMES; pfn++)
		cr_expect(!pfn_page((uint32_t)pfn)->allocated || pfn_page((uint32_t)pfn)->mapping,
			  "frame %d leaked", pfn);
}

Test(swap, madv_free_drops_swap_entries)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=1 free\n",
		  true, &s, &r);
	cr_expect(pte_none(pte_oracle_get(mm_get(0), 0)), "the swap entry is gone");
	cr_expect_eq(slots_used(), 0, "and its slot with it");
}

Test(swap, a_leaked_slot_is_a_refcount_finding_at_quiescence)
{
	/* a zap that forgot free_swap_and_cache(): the entry cleared behind the
	 * model's back, its slot still counted */
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=1 pageout\n",
		  true, &s, &r);
	struct mm_struct *mm = mm_get(0);
	pte_t *ptep = pte_offset_map(mm->pmd[0], 0);
	cr_assert(is_swap_pte(*ptep));
	*ptep = __pte(0);
	sched_run_solo(0, mm_quiesce, NULL);
	const struct sched_finding *f = sched_get_finding();
	cr_assert_not_null(f, "the leaked slot went unnoticed");
	cr_expect_str_eq(f->oracle, "refcount");
	cr_expect(strstr(f->msg, "swap slot 0 leaked"), "%s", f->msg);
}
