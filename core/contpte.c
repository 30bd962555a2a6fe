/* SPDX-License-Identifier: MIT */
/* The arm64 contpte layer under the generic PTE accessors (see contpte.h). */
#include "contpte.h"

#include <string.h>

#include "oracle/events.h"
#include "page.h"
#include "tlb.h"

bool pgtable_contpte;

/* The entry @i of a block whose entry @at holds @pte: same attributes, its own frame. */
static pte_t pte_in_block(pte_t pte, int at, int i)
{
	uint64_t pfn = (uint64_t)pte_pfn(pte) - (uint64_t)at + (uint64_t)i;
	return __pte((pte_val(pte) & ((1ull << _PAGE_PFN_SHIFT) - 1)) | pfn << _PAGE_PFN_SHIFT);
}

/* The attributes a block's entries must share: all but A/D, CONT and the frame. */
static uint64_t pte_prot(pte_t pte)
{
	return pte_val(pte) & ((1ull << _PAGE_PFN_SHIFT) - 1) &
	       ~(_PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_CONT);
}

const char *contpte_block_misprogrammed(pte_t *ptep, bool rewriting, pte_t **bad)
{
	pte_t *block = contpte_align_down(ptep), orig = *ptep;
	int at = (int)(ptep - block);
	for (int i = 0; i < CONT_PTES; i++) {
		pte_t pte = block[i];
		*bad = block + i;
		if (!pte_present(pte)) {
			if (rewriting)
				continue;
			return "an entry of the block is invalid while the others are CONT";
		}
		if (!pte_cont(pte))
			return "the block's valid entries disagree on CONT";
		if (pte_pfn(pte) != pte_pfn(pte_in_block(orig, at, i)))
			return "the block's valid entries do not map contiguous frames";
		if (pte_prot(pte) != pte_prot(orig))
			return "the block's valid entries disagree on permissions";
	}
	return NULL;
}

pte_t contpte_ptep_get(pte_t *ptep, struct sched_site *site)
{
	pte_t orig = __ptep_get(ptep, site);
	if (!pgtable_contpte || !pte_valid_cont(orig))
		return orig;
	/* contpte_ptep_get(): the hardware may have set A/D on any entry of the block */
	pte_t *block = contpte_align_down(ptep);
	for (int i = 0; i < CONT_PTES; i++) {
		if (block + i == ptep)
			continue;
		pte_t pte = __ptep_get(block + i, site);
		if (pte_dirty(pte))
			orig = pte_mkdirty(orig);
		if (pte_young(pte))
			orig = pte_mkyoung(orig);
	}
	return orig;
}

bool contpte_entry_fits(pte_t pte, pte_t orig, int at, int i)
{
	return pte_valid_cont(pte) && pte_pfn(pte) == pte_pfn(pte_in_block(orig, at, i)) &&
	       pte_prot(pte) == pte_prot(orig);
}

/*
 * Models: contpte_ptep_get_lockless(): without the PTL the block may be folded or
 * unfolded under our feet, so read every entry and start over unless all of them
 * are valid CONT entries of contiguous frames with the same permissions.  Knob
 * contpte-lockless-no-retry: return what was gathered anyway.  The oracle layer
 * sees every gather that returns (oracle_contpte_gather()).
 */
pte_t contpte_ptep_get_lockless(pte_t *ptep, struct sched_site *site)
{
	for (;;) {
		pte_t orig = __ptep_get_lockless(ptep, site);
		if (!pgtable_contpte || !pte_valid_cont(orig))
			return orig;
		pte_t *block = contpte_align_down(ptep), seen[CONT_PTES];
		int at = (int)(ptep - block), n = 0;
		bool torn = false;
		while (n < CONT_PTES && !torn) {
			pte_t pte = seen[n] = __ptep_get(block + n, site);
			torn = !contpte_entry_fits(pte, orig, at, n++);
			if (!torn && pte_dirty(pte))
				orig = pte_mkdirty(orig);
			if (!torn && pte_young(pte))
				orig = pte_mkyoung(orig);
		}
		if (torn) {
			sched_precursor(PRECURSOR_CONTPTE_TORN);
			if (!knob_enabled(KNOB_CONTPTE_LOCKLESS_NO_RETRY)) {
				/*
				 * Spin until the block settles.  Whoever converts it holds
				 * the PTL throughout, so the model waits for the PTL (irqs
				 * on: the fault path).  With irqs off (GUP-fast) it cannot:
				 * the model's TLB flush waits for an IPI ack, where arm64's
				 * TLBI broadcast does not, so the walker backs off instead,
				 * as it does for any change it sees.
				 */
				if (irqs_disabled())
					return __pte(0);
				spinlock_t *ptl =
				    &mm_world
					 .pte_meta[(ptep - &mm_world.pte_tables[0][0]) /
						   PTRS_PER_PTE]
					 .ptl;
				spin_lock_at(ptl, site);
				spin_unlock_at(ptl, site);
				continue;
			}
		}
		oracle_contpte_gather(sched_current(), seen, n, at, orig);
		return orig;
	}
}

/*
 * For assertions only: the PTL of @ptep's table is held by this CPU, unless the
 * table is detached (no PMD of @mm points to it): an mTHP collapse fills its
 * detached table under the PMD lock alone, the one party that can reach it, as
 * the kernel does.  Plain reads of the PMDs: no yield.
 */
static void contpte_assert_ptl(const struct mm_struct *mm, const pte_t *ptep)
{
	unsigned table = (unsigned)((ptep - &mm_world.pte_tables[0][0]) / PTRS_PER_PTE);
	for (int i = 0; i < PTRS_PER_PMD; i++)
		if (pmd_table_present(mm->pmd[i]) && pmd_table(mm->pmd[i]) == table) {
			assert_spin_locked(ptep_lockptr(ptep));
			return;
		}
}

/*
 * Models: contpte_convert(): rewrite the block of @ptep as @pte says (CONT set:
 * fold; clear: unfold) by break-before-make.  Context: the PTL held.
 * Knobs: contpte-fold-skip-tlbi leaves out the flush between clear and set;
 * contpte-nonatomic-ad-writeback (unfold only) reads the entries, gathers their
 * A/D and writes them back with plain stores over the live entries, so an A/D
 * update the hardware makes in between is overwritten.
 */
static void contpte_convert(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte,
			    struct sched_site *site)
{
	contpte_assert_ptl(mm, ptep);
	pte_t *block = contpte_align_down(ptep);
	unsigned long start = addr & CONT_PTE_MASK;
	int at = (int)(ptep - block);
	pte = pte_mkold(pte_mkclean(pte));
	bool rmw = !pte_cont(pte) && knob_enabled(KNOB_CONTPTE_NONATOMIC_AD_WRITEBACK);
	oracle_contpte_rewrite(block, CONT_PTES, true);
	for (int i = 0; i < CONT_PTES; i++) {
		pte_t old =
		    rmw ? __ptep_get(block + i, site) : __ptep_get_and_clear(block + i, site);
		if (pte_dirty(old))
			pte = pte_mkdirty(pte);
		if (pte_young(old))
			pte = pte_mkyoung(pte);
	}
	if (!knob_enabled(KNOB_CONTPTE_FOLD_SKIP_TLBI))
		__flush_tlb_range(mm, start, start + CONT_PTE_SIZE, site);
	for (int i = 0; i < CONT_PTES; i++)
		__set_pte_at(block + i, pte_in_block(pte, at, i), site);
	oracle_contpte_rewrite(block, CONT_PTES, false);
}

/* Models: contpte_try_unfold().  Context: the PTL held. */
static void contpte_try_unfold(struct mm_struct *mm, unsigned long addr, pte_t *ptep,
			       struct sched_site *site)
{
	contpte_assert_ptl(mm, ptep);
	pte_t orig = __ptep_get(ptep, site);
	if (pte_valid_cont(orig))
		contpte_convert(mm, addr, ptep, pte_mknoncont(orig), site);
}

/*
 * Models: contpte_try_fold() / __contpte_try_fold(): after writing the last entry
 * of a block, fold it if every entry maps the next frame of one large folio that
 * covers the block, all with the same permissions.  Context: the PTL held.
 */
static void contpte_try_fold(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte,
			     struct sched_site *site)
{
	contpte_assert_ptl(mm, ptep);
	if (pte_index(addr) % CONT_PTES != CONT_PTES - 1 ||
	    pte_pfn(pte) % CONT_PTES != CONT_PTES - 1 || !pte_hw_present(pte) || pte_cont(pte))
		return;
	struct folio *folio = pfn_folio(pte_pfn(pte));
	uint32_t first = pte_pfn(pte) - (CONT_PTES - 1);
	if (!folio_test_large(folio) || first < folio_pfn(folio) ||
	    first + CONT_PTES > folio_pfn(folio) + (uint32_t)folio_nr_pages(folio))
		return;
	pte_t *block = contpte_align_down(ptep);
	for (int i = 0; i < CONT_PTES; i++) {
		pte_t e = __ptep_get(block + i, site);
		/* arm64 pte_valid(): a protnone entry is never part of a block */
		if (!pte_hw_present(e) || pte_pfn(e) != first + (uint32_t)i ||
		    pte_prot(e) != pte_prot(pte))
			return;
	}
	contpte_convert(mm, addr, ptep, pte_mkcont(pte), site);
}

/*
 * Models: set_ptes() on arm64.  One entry: unfold its block if it is live, write
 * it, maybe fold.  Several (a new large folio mapped at once, over none entries):
 * each aligned block they cover whole gets CONT right away (contpte_set_ptes()).
 * Context: the PTL held, or the table detached (an mTHP collapse: contpte_assert_ptl()).
 */
void contpte_set_ptes(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte, int nr,
		      struct sched_site *site)
{
	contpte_assert_ptl(mm, ptep);
	pte = pte_mknoncont(pte);
	if (!pgtable_contpte) {
		for (int i = 0; i < nr; i++)
			__set_pte_at(ptep + i, pte_in_block(pte, 0, i), site);
		return;
	}
	if (nr == 1) {
		contpte_try_unfold(mm, addr, ptep, site);
		__set_pte_at(ptep, pte, site);
		contpte_try_fold(mm, addr, ptep, pte, site);
		return;
	}
	unsigned long end = addr + (unsigned long)nr * PAGE_SIZE;
	oracle_contpte_rewrite(ptep, nr, true);
	for (int i = 0; i < nr; i++) {
		unsigned long a = addr + (unsigned long)i * PAGE_SIZE, bs = a & CONT_PTE_MASK;
		pte_t e = pte_in_block(pte, 0, i);
		uint32_t first = pte_pfn(e) - (uint32_t)((a - bs) >> PAGE_SHIFT);
		bool whole = bs >= addr && bs + CONT_PTE_SIZE <= end && first % CONT_PTES == 0;
		__set_pte_at(ptep + i, whole ? pte_mkcont(e) : e, site);
	}
	oracle_contpte_rewrite(ptep, nr, false);
}

/*
 * Models: get_and_clear_full_ptes() / ptep_get_and_clear() on arm64: the OR of
 * the A/D bits of @nr entries mapping consecutive pages of one folio, all
 * cleared.  A single entry unfolds its live block first (knob
 * contpte-clear-without-unfold: not, which leaves the rest of the block CONT
 * around a hole); a batch unfolds only the blocks it covers in part and clears
 * whole blocks entry by entry.  Context: the PTL held.
 */
pte_t contpte_get_and_clear_full_ptes(struct mm_struct *mm, unsigned long addr, pte_t *ptep, int nr,
				      struct sched_site *site)
{
	contpte_assert_ptl(mm, ptep);
	if (pgtable_contpte && nr == 1 && !knob_enabled(KNOB_CONTPTE_CLEAR_WITHOUT_UNFOLD))
		contpte_try_unfold(mm, addr, ptep, site);
	if (pgtable_contpte && nr > 1) {
		/* contpte_try_unfold_partial() */
		if (addr & ~CONT_PTE_MASK)
			contpte_try_unfold(mm, addr, ptep, site);
		unsigned long last = addr + (unsigned long)(nr - 1) * PAGE_SIZE;
		if ((last + PAGE_SIZE) & ~CONT_PTE_MASK)
			contpte_try_unfold(mm, last, ptep + nr - 1, site);
		oracle_contpte_rewrite(ptep, nr, true);
	}
	pte_t pte = __ptep_get_and_clear(ptep, site);
	for (int i = 1; i < nr; i++) {
		pte_t old = __ptep_get_and_clear(ptep + i, site);
		if (pte_dirty(old))
			pte = pte_mkdirty(pte);
		if (pte_young(old))
			pte = pte_mkyoung(pte);
	}
	if (pgtable_contpte)
		oracle_contpte_rewrite(ptep, nr, false);
	return pte;
}

/* A cmpxchg loop adding @bits to *ptep (__ptep_set_access_flags() on arm64). */
static void pte_add_bits(pte_t *ptep, uint64_t bits, struct sched_site *site)
{
	for (;;) {
		pte_t old = __ptep_get(ptep, site);
		if ((pte_val(old) & bits) == bits ||
		    __ptep_cmpxchg(ptep, old, __pte(pte_val(old) | bits), site))
			return;
	}
}

void contpte_set_access_flags(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t entry,
			      bool dirty, struct sched_site *site)
{
	if (!pgtable_contpte) {
		/* x86: the hardware sets A itself; only a write fault stores, with D set */
		if (dirty)
			__set_pte_at(ptep, entry, site);
		return;
	}
	uint64_t bits = pte_val(entry) & (_PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_RW);
	pte_t orig = contpte_ptep_get(ptep, site);
	if (pte_valid_cont(orig) && pte_write(orig) == pte_write(entry)) {
		/* contpte_ptep_set_access_flags(): the same bits on every entry */
		pte_t *block = contpte_align_down(ptep);
		for (int i = 0; i < CONT_PTES; i++)
			pte_add_bits(block + i, bits, site);
		return;
	}
	contpte_try_unfold(mm, addr, ptep, site);
	pte_add_bits(ptep, bits, site);
}
