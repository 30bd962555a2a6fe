/* SPDX-License-Identifier: MIT */
/*
 * Page-table accessors and PTE-table allocation (see pgtable.h).  A PTE is one
 * 64-bit word written atomically, as on x86-64; the hardware walker's A/D update
 * is a cmpxchg on it, so it can fail against a concurrent software change and
 * must retry, as the real one does.
 */
#include "pgtable.h"

#include <errno.h>
#include <string.h>

pte_t mm_pte_tables[NR_PTE_TABLES][PTRS_PER_PTE];
struct pte_table_meta mm_pte_meta[NR_PTE_TABLES];

void pgtable_reset(void)
{
	memset(mm_pte_tables, 0, sizeof(mm_pte_tables));
	for (int t = 0; t < NR_PTE_TABLES; t++) {
		mm_pte_meta[t].used = false;
		mm_pte_meta[t].mm = -1;
		spin_lock_init(&mm_pte_meta[t].ptl, SCHED_OBJ(OBJ_PTL, t), "ptl", RANK_PTL);
	}
}

pte_t __ptep_get(pte_t *ptep, struct sched_site *site)
{
	sched_yield(site, pte_obj(ptep), SCHED_OP_READ);
	return *ptep;
}

void __set_pte_at(pte_t *ptep, pte_t pte, struct sched_site *site)
{
	sched_yield(site, pte_obj(ptep), SCHED_OP_WRITE);
	*ptep = pte;
}

pte_t __ptep_get_and_clear(pte_t *ptep, struct sched_site *site)
{
	sched_yield(site, pte_obj(ptep), SCHED_OP_RMW);
	pte_t old = *ptep;
	*ptep = __pte(0);
	return old;
}

bool __ptep_cmpxchg(pte_t *ptep, pte_t old, pte_t new, struct sched_site *site)
{
	sched_yield(site, pte_obj(ptep), SCHED_OP_RMW);
	if (!pte_same(*ptep, old))
		return false;
	*ptep = new;
	return true;
}

pmd_t __pmdp_get(struct mm_struct *mm, pmd_t *pmdp, struct sched_site *site)
{
	sched_yield(site, pmd_obj(mm, pmdp), SCHED_OP_READ);
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
		if (!pmd_present(pmdval))
			return NULL;
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
int __pte_alloc(struct mm_struct *mm, pmd_t *pmdp, struct sched_site *site)
{
	/* pte_alloc_one(): the new table is ours alone until it is published */
	int table = -1;
	for (int t = 0; t < NR_PTE_TABLES && table < 0; t++)
		if (!mm_pte_meta[t].used)
			table = t;
	if (table < 0)
		return -ENOMEM;
	mm_pte_meta[table].used = true;
	mm_pte_meta[table].mm = mm->id;
	memset(mm_pte_tables[table], 0, sizeof(mm_pte_tables[table]));
	/* pmd_install(): publish under mm->page_table_lock unless we lost the race */
	spin_lock_at(&mm->page_table_lock, site);
	if (pmd_none(__pmdp_get(mm, pmdp, site))) {
		sched_yield(site, pmd_obj(mm, pmdp), SCHED_OP_WRITE); /* pmd_populate */
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
	SCHED_ASSERT(table < NR_PTE_TABLES && mm_pte_meta[table].used);
	mm_pte_meta[table].used = false;
	mm_pte_meta[table].mm = -1;
	mm_pte_meta[table].gen++;
}
