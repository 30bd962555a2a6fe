/* SPDX-License-Identifier: MIT */
/*
 * Page-table accessors and PTE-table allocation (see pgtable.h).  A PTE is one
 * 64-bit word written atomically, as on x86-64, or — in split mode — two words
 * written one after the other, as on 32-bit PAE.  The hardware walker reads it
 * atomically either way, and its A/D update is a cmpxchg on it, so it can fail
 * against a concurrent software change and must retry, as the real one does.
 */
#include "pgtable.h"

#include <errno.h>
#include <string.h>

#include "oracle/events.h"
#include "sbuf.h"

bool pgtable_split_ptes;

pte_t __ptep_get(pte_t *ptep, struct sched_site *site)
{
	sched_yield(site, pte_obj(ptep), SCHED_OP_READ);
	pte_t pte;
	if (sb_active && sb_kernel_forward_pte(pte_index_of(ptep), &pte))
		return pte; /* memory arm64: the CPU's own PTE store, not yet visible */
	return *ptep;
}

pte_t __ptep_get_hw(pte_t *ptep, struct sched_site *site)
{
	/* the walker reads memory: not the CPU's store buffer (arm64 needs a DSB
	 * to make a PTE store visible to the walker) */
	sched_yield(site, pte_obj(ptep), SCHED_OP_READ);
	return *ptep;
}

/*
 * The two halves of a split PTE (32-bit PAE, scaled down): the low word holds the
 * flags (present first of all) and the low pfn bits, the high word the rest.
 */
#define PTE_LOW_MASK ((1ull << PTE_SPLIT_SHIFT) - 1)

static void pte_write_half(pte_t *ptep, bool high, uint64_t v, struct sched_site *site)
{
	sched_yield(site, pte_obj(ptep), SCHED_OP_WRITE);
	uint64_t mask = high ? ~PTE_LOW_MASK : PTE_LOW_MASK;
	ptep->val = (ptep->val & ~mask) | (v & mask);
}

void __set_pte_at(pte_t *ptep, pte_t pte, struct sched_site *site)
{
	if (pte_split_mode()) {
		/* native_set_pte() on PAE: high word, smp_wmb(), then the low (present) word */
		pte_write_half(ptep, true, pte.val, site);
		pte_write_half(ptep, false, pte.val, site);
		return;
	}
	sched_yield(site, pte_obj(ptep), SCHED_OP_WRITE);
	/* memory arm64: a plain store, in the CPU's store buffer until it drains
	 * (the oracle layer sees it then) — but with contpte blocks (arch arm64)
	 * fully ordered: the block's entries become visible in program order, as
	 * the contpte oracle's rules for a block being made or broken assume
	 * (fewer reorderings than arm64 allows, none it forbids) */
	if (sb_active && !pgtable_contpte && sb_kernel_set_pte(pte_index_of(ptep), pte, site))
		return;
	if (sb_active)
		sb_kernel_mb();
	pte_t old = *ptep;
	*ptep = pte;
	oracle_pte_write(pte_index_of(ptep), old, pte, true, site);
}

pte_t __ptep_get_and_clear(pte_t *ptep, struct sched_site *site)
{
	sched_yield(site, pte_obj(ptep), SCHED_OP_RMW);
	pte_t old;
	/* memory arm64: arm64's xchg_relaxed(), no barrier — later loads may pass
	 * the clear (paired: the smp_mb() in folio_try_share_anon_rmap_pte()) */
	if (sb_active && !pte_split_mode() && !pgtable_contpte &&
	    sb_kernel_xchg_pte_relaxed(pte_index_of(ptep), __pte(0), &old, site))
		return old;
	if (sb_active) {
		sb_kernel_mb(); /* (contpte blocks: see __set_pte_at()) */
		sb_pte_rmw_settle(pte_index_of(ptep));
	}
	old = *ptep;
	oracle_pte_write(pte_index_of(ptep), old, __pte(0), false, site);
	if (pte_split_mode()) {
		/* PAE: xchg the low word (the entry is not present from here), then clear high */
		ptep->val &= ~PTE_LOW_MASK;
		pte_write_half(ptep, true, 0, site);
		return old;
	}
	*ptep = __pte(0);
	return old;
}

pte_t __ptep_get_lockless(pte_t *ptep, struct sched_site *site)
{
	if (!pte_split_mode()) {
		pte_t pte = __ptep_get(ptep, site);
		oracle_pte_lockless(sched_current(), pte, pte, pte); /* one word: never torn */
		return pte;
	}
	for (;;) {
		sched_yield(site, pte_obj(ptep), SCHED_OP_READ);
		pte_t at_low = *ptep;
		sched_yield(site, pte_obj(ptep), SCHED_OP_READ);
		pte_t at_high = *ptep;
		pte_t pte = __pte((at_low.val & PTE_LOW_MASK) | (at_high.val & ~PTE_LOW_MASK));
		/* the values the PTE held as each half was read */
		oracle_pte_lockless(sched_current(), at_low, at_high, pte);
		if (knob_enabled(KNOB_PTE_LOCKLESS_TORN))
			return pte; /* each half read once */
		/* read low, high, low again: retry if the low word changed in between */
		sched_yield(site, pte_obj(ptep), SCHED_OP_READ);
		if ((ptep->val & PTE_LOW_MASK) == (at_low.val & PTE_LOW_MASK))
			return pte;
	}
}

static bool ptep_cmpxchg_memory(pte_t *ptep, pte_t old, pte_t new, struct sched_site *site);

bool __ptep_cmpxchg(pte_t *ptep, pte_t old, pte_t new, struct sched_site *site)
{
	sched_yield(site, pte_obj(ptep), SCHED_OP_RMW);
	if (sb_active) { /* a value-returning RMW: fully ordered, atomic */
		sb_kernel_mb();
		sb_pte_rmw_settle(pte_index_of(ptep));
	}
	return ptep_cmpxchg_memory(ptep, old, new, site);
}

bool __ptep_cmpxchg_hw(pte_t *ptep, pte_t old, pte_t new, struct sched_site *site)
{
	/* the walker's A/D update: on memory, no barrier for the CPU's stores;
	 * atomic with another CPU's relaxed get-and-clear of the PTE */
	sched_yield(site, pte_obj(ptep), SCHED_OP_RMW);
	if (sb_active)
		sb_pte_rmw_settle(pte_index_of(ptep));
	return ptep_cmpxchg_memory(ptep, old, new, site);
}

static bool ptep_cmpxchg_memory(pte_t *ptep, pte_t old, pte_t new, struct sched_site *site)
{
	if (!pte_same(*ptep, old))
		return false;
	*ptep = new;
	oracle_pte_write(pte_index_of(ptep), old, new, false, site);
	return true;
}

pmd_t __pmdp_get(struct mm_struct *mm, pmd_t *pmdp, struct sched_site *site)
{
	sched_yield(site, pmd_obj(mm, pmdp), SCHED_OP_READ);
	pmd_t pmd;
	if (sb_active && sb_kernel_forward_pmd(mm, pmdp, &pmd))
		return pmd; /* memory arm64: the CPU's own pmd_populate(), not yet visible */
	return *pmdp;
}

/*
 * Models: __pte_offset_map_lock(): read the PMD locklessly, take the PTL of the
 * table it points to, then re-check that the PMD still points there (it may have
 * been changed under our feet; then retry).  Returns NULL if there is no table.
 * Context: may sleep? no; takes the PTL, a spinlock, which the caller drops.
 */
pte_t *__pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmdp, unsigned long addr,
			     spinlock_t **ptlp, struct sched_site *site)
{
	for (;;) {
		pmd_t pmdval = __pmdp_get(mm, pmdp, site);
		if (!pmd_table_present(pmdval))
			return NULL; /* none, or a huge PMD: no PTE table to lock */
		spinlock_t *ptl = pte_lockptr(pmdval);
		spin_lock_at(ptl, site);
		if (pmd_same(pmdval, __pmdp_get(mm, pmdp, site))) {
			*ptlp = ptl;
			return pte_offset_map(pmdval, addr);
		}
		spin_unlock_at(ptl, site);
	}
}

/*
 * Models: __pte_alloc(): allocate a table, then publish it under
 * mm->page_table_lock unless somebody else populated the PMD first.
 * Returns 0, or -ENOMEM (-12) when the arena is exhausted.
 */
int pte_alloc_one(struct mm_struct *mm)
{
	for (int t = 0; t < NR_PTE_TABLES; t++) {
		if (mm_world.pte_meta[t].used)
			continue;
		mm_world.pte_meta[t].used = true;
		mm_world.pte_meta[t].mm = mm->id;
		if (t >= mm_world.pte_table_hwm)
			mm_world.pte_table_hwm = t + 1;
		memset(mm_world.pte_tables[t], 0, sizeof(mm_world.pte_tables[t]));
		return t;
	}
	return -1;
}

void pgtable_trans_huge_deposit(struct mm_struct *mm, pmd_t *pmdp, int table)
{
	assert_spin_locked(&mm->page_table_lock);
	SCHED_ASSERT(mm->pmd_deposit[pmdp - mm->pmd] == 0);
	mm->pmd_deposit[pmdp - mm->pmd] = table + 1;
}

int pgtable_trans_huge_withdraw(struct mm_struct *mm, pmd_t *pmdp)
{
	assert_spin_locked(&mm->page_table_lock);
	int table = mm->pmd_deposit[pmdp - mm->pmd] - 1;
	SCHED_ASSERT(table >= 0);
	mm->pmd_deposit[pmdp - mm->pmd] = 0;
	return table;
}

/*
 * memory arm64: PMD stores are not buffered.  Each makes the CPU's buffered
 * stores visible first, so it is ordered after them as if a barrier stood
 * before it (fewer behaviours than arm64 allows; none it forbids).
 */
void __set_pmd_at(struct mm_struct *mm, pmd_t *pmdp, pmd_t pmd, struct sched_site *site)
{
	sched_yield(site, pmd_obj(mm, pmdp), SCHED_OP_WRITE);
	if (sb_active)
		sb_kernel_mb();
	*pmdp = pmd;
}

void pte_init_at(pte_t *ptep, pte_t pte)
{
	if (sb_active && !pgtable_contpte && !pte_split_mode() &&
	    sb_kernel_init_pte(pte_index_of(ptep), pte, MM_SITE("pte_init")))
		return;
	*ptep = pte;
}

/*
 * memory arm64: the one buffered PMD store.  The PMD lock is held, so a PMD RMW
 * by another CPU (zap, another split) takes the lock first and sees it; the
 * walker's A/D cmpxchg needs a huge PMD, and until this store is visible the
 * PMD it reads is the invalidated one it faults on.
 */
void __pmd_populate(struct mm_struct *mm, pmd_t *pmdp, pmd_t pmd, struct sched_site *site)
{
	assert_spin_locked(&mm->page_table_lock);
	sched_yield(site, pmd_obj(mm, pmdp), SCHED_OP_WRITE);
	if (sb_active && !pgtable_contpte && !pte_split_mode() &&
	    sb_kernel_set_pmd(mm, pmdp, pmd, site))
		return;
	if (sb_active)
		sb_kernel_mb();
	*pmdp = pmd;
}

pmd_t __pmdp_get_and_clear(struct mm_struct *mm, pmd_t *pmdp, struct sched_site *site)
{
	sched_yield(site, pmd_obj(mm, pmdp), SCHED_OP_RMW);
	if (sb_active)
		sb_kernel_mb();
	pmd_t old = *pmdp;
	pmdp->val = 0;
	return old;
}

bool __pmdp_cmpxchg(struct mm_struct *mm, pmd_t *pmdp, pmd_t old, pmd_t new,
		    struct sched_site *site)
{
	sched_yield(site, pmd_obj(mm, pmdp), SCHED_OP_RMW);
	if (sb_active)
		sb_kernel_mb();
	if (!pmd_same(*pmdp, old))
		return false;
	*pmdp = new;
	return true;
}

pte_t pte_oracle_get(const struct mm_struct *mm, unsigned long addr)
{
	pmd_t pmd = mm->pmd[pmd_index(addr)];
	if (pmd_trans_huge(pmd))
		return pmd_pte_at(pmd, addr);
	return pmd_present(pmd) ? *pte_offset_map(pmd, addr) : __pte(0);
}

int __pte_alloc(struct mm_struct *mm, pmd_t *pmdp, struct sched_site *site)
{
	/* pte_alloc_one(): the new table is ours alone until it is published */
	int table = pte_alloc_one(mm);
	if (table < 0)
		return -ENOMEM;
	/* pmd_install(): publish under mm->page_table_lock unless we lost the race */
	spin_lock_at(&mm->page_table_lock, site);
	if (pmd_none(__pmdp_get(mm, pmdp, site))) {
		sched_yield(site, pmd_obj(mm, pmdp), SCHED_OP_WRITE); /* pmd_populate */
		if (sb_active)
			sb_kernel_mb();
		pmdp->val = ((uint64_t)table << _PAGE_PFN_SHIFT) | _PMD_PRESENT;
		table = -1;
	}
	spin_unlock_at(&mm->page_table_lock, site);
	if (table >= 0)
		pte_free_table((unsigned)table);
	return 0;
}

void pte_free_table(unsigned table)
{
	SCHED_ASSERT(table < NR_PTE_TABLES && mm_world.pte_meta[table].used);
	mm_world.pte_meta[table].used = false;
	mm_world.pte_meta[table].mm = -1;
	mm_world.pte_meta[table].gen++;
}
