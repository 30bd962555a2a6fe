/* SPDX-License-Identifier: MIT */
/*
 * Page tables: a PMD level (in mm_struct) over PTE tables from an arena, PTE bits,
 * split PTE locks, and the accessors.  Page tables are touched only through these
 * accessors (ptep_get, never *ptep): each is a yield point at the caller's site,
 * so every race on a PTE is visible to the scheduler.
 *
 * Models: x86-64 PTE bits and arch/x86 + include/linux/pgtable.h accessors,
 * mm/pgtable-generic.c __pte_offset_map_lock (re-check of the PMD under the PTL),
 * mm/memory.c __pte_alloc, migration entries, 32-bit PAE split PTEs
 * (native_set_pte, native_ptep_get_and_clear, ptep_get_lockless), swap entries
 * with their exclusive bit (pte_swp_exclusive), protnone entries (PROT_NONE, NUMA
 * hinting: numa.h), device-private entries (migrate_device.h).  The arm64 flavour
 * puts the contiguous-PTE layer (contpte.h) under the generic accessors.
 * Leaves out: huge PUDs, PMD swap and migration entries.  Huge PMDs (protnone ones
 * too): see
 * huge_memory.h.
 */
#ifndef MMFUZZ_PGTABLE_H
#define MMFUZZ_PGTABLE_H

#include "mm.h"

#define _PAGE_PRESENT  (1ull << 0)
#define _PAGE_RW       (1ull << 1)
#define _PAGE_ACCESSED (1ull << 5)
#define _PAGE_DIRTY    (1ull << 6)
/*
 * x86 _PAGE_PROTNONE (scaled: its own bit here, not _PAGE_GLOBAL's): a mapping the
 * kernel keeps (pte_present(), rmap, zap, fork see it) that the MMU does not
 * (_PAGE_PRESENT clear): PROT_NONE VMAs and NUMA hinting entries.
 */
#define _PAGE_PROTNONE (1ull << 4)
/* arm64 PTE_CONT: one of CONT_PTES aligned entries mapping contiguous frames of one
 * folio with the same attributes; the TLB may cache the block as one entry */
#define _PAGE_CONT	(1ull << 8)
#define _PAGE_PFN_SHIFT 12
#define _PMD_PRESENT	(1ull << 0)
/* a huge PMD is a leaf (PSE) mapping a PMD-sized folio, with the PTE's R/W, A, D */
#define _PMD_HUGE (1ull << 7)
/* pmdp_invalidate(): a huge PMD being split, still present and huge to software
 * (so that zap and others take the PMD lock and wait), not to the MMU (x86: PSE
 * kept, PRESENT cleared) */
#define _PMD_INVALID	(1ull << 3)
#define HPAGE_PMD_ORDER (PMD_SHIFT - PAGE_SHIFT)
#define HPAGE_PMD_NR	(1 << HPAGE_PMD_ORDER)
#define PMD_SIZE	(1ul << PMD_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))
/* non-present entries (swp_entry_t): a migration entry keeps the pfn in place */
#define _PAGE_SWP_MIGRATION	  (1ull << 9)
#define _PAGE_SWP_MIGRATION_WRITE (1ull << 10)
#define _PAGE_SWP_MIGRATION_EXCL  (1ull << 11) /* the page was PageAnonExclusive */

static inline pte_t __pte(uint64_t v)
{
	return (pte_t){v};
}
static inline uint64_t pte_val(pte_t pte)
{
	return pte.val;
}
static inline bool pte_none(pte_t pte)
{
	return pte.val == 0;
}
/* present to software: mapped, or mapped PROT_NONE (x86 pte_present()) */
static inline bool pte_present(pte_t pte)
{
	return pte.val & (_PAGE_PRESENT | _PAGE_PROTNONE);
}
/* present to the MMU: what the hardware walker and a TLB fill may use */
static inline bool pte_hw_present(pte_t pte)
{
	return pte.val & _PAGE_PRESENT;
}
/* Models: pte_protnone(): mapped, but no access for the MMU. */
static inline bool pte_protnone(pte_t pte)
{
	return (pte.val & (_PAGE_PRESENT | _PAGE_PROTNONE)) == _PAGE_PROTNONE;
}
/* Models: pte_modify(pte, PAGE_NONE): keep pfn, A, D; no access, no write. */
static inline pte_t pte_mkprotnone(pte_t pte)
{
	return __pte((pte.val & ~(_PAGE_PRESENT | _PAGE_RW)) | _PAGE_PROTNONE);
}
/* Models: pte_modify(pte, PAGE_READONLY) of a protnone entry: the MMU may use it again. */
static inline pte_t pte_mkaccessible(pte_t pte)
{
	return __pte((pte.val & ~_PAGE_PROTNONE) | _PAGE_PRESENT);
}
static inline bool pte_write(pte_t pte)
{
	return pte.val & _PAGE_RW;
}
static inline bool pte_dirty(pte_t pte)
{
	return pte.val & _PAGE_DIRTY;
}
static inline bool pte_young(pte_t pte)
{
	return pte.val & _PAGE_ACCESSED;
}
static inline uint32_t pte_pfn(pte_t pte)
{
	return (uint32_t)(pte.val >> _PAGE_PFN_SHIFT);
}
static inline pte_t pfn_pte(uint32_t pfn, bool write)
{
	return __pte(((uint64_t)pfn << _PAGE_PFN_SHIFT) | _PAGE_PRESENT | (write ? _PAGE_RW : 0));
}
static inline pte_t pte_mkwrite(pte_t pte)
{
	return __pte(pte.val | _PAGE_RW);
}
static inline pte_t pte_wrprotect(pte_t pte)
{
	return __pte(pte.val & ~_PAGE_RW);
}
static inline pte_t pte_mkdirty(pte_t pte)
{
	return __pte(pte.val | _PAGE_DIRTY);
}
static inline pte_t pte_mkclean(pte_t pte)
{
	return __pte(pte.val & ~_PAGE_DIRTY);
}
static inline pte_t pte_mkold(pte_t pte)
{
	return __pte(pte.val & ~_PAGE_ACCESSED);
}
static inline pte_t pte_mkyoung(pte_t pte)
{
	return __pte(pte.val | _PAGE_ACCESSED);
}
static inline bool pte_same(pte_t a, pte_t b)
{
	return a.val == b.val;
}
static inline bool pte_cont(pte_t pte)
{
	return pte.val & _PAGE_CONT;
}
static inline pte_t pte_mkcont(pte_t pte)
{
	return __pte(pte.val | _PAGE_CONT);
}
static inline pte_t pte_mknoncont(pte_t pte)
{
	return __pte(pte.val & ~_PAGE_CONT);
}

/*
 * Migration entries (include/linux/swapops.h): not present; the folio under
 * migration, whether the PTE was writable, and its dirty bit.
 */
static inline bool is_migration_entry(pte_t pte)
{
	return !pte_present(pte) && (pte.val & _PAGE_SWP_MIGRATION);
}
static inline bool is_writable_migration_entry(pte_t pte)
{
	return is_migration_entry(pte) && (pte.val & _PAGE_SWP_MIGRATION_WRITE);
}
static inline bool is_exclusive_migration_entry(pte_t pte)
{
	return is_migration_entry(pte) && (pte.val & _PAGE_SWP_MIGRATION_EXCL);
}
static inline pte_t make_migration_entry(uint32_t pfn, bool write, bool dirty, bool exclusive)
{
	return __pte(((uint64_t)pfn << _PAGE_PFN_SHIFT) | _PAGE_SWP_MIGRATION |
		     (write ? _PAGE_SWP_MIGRATION_WRITE : 0) | (dirty ? _PAGE_DIRTY : 0) |
		     (exclusive ? _PAGE_SWP_MIGRATION_EXCL : 0));
}
/* mprotect(): no write permission; still exclusive */
static inline pte_t make_readable_exclusive_migration_entry(pte_t pte)
{
	return __pte(pte.val & ~_PAGE_SWP_MIGRATION_WRITE);
}
/* fork(): shared from now on */
static inline pte_t make_readable_migration_entry(pte_t pte)
{
	return __pte(pte.val & ~(_PAGE_SWP_MIGRATION_WRITE | _PAGE_SWP_MIGRATION_EXCL));
}
static inline uint32_t migration_entry_pfn(pte_t pte)
{
	return (uint32_t)(pte.val >> _PAGE_PFN_SHIFT);
}

/*
 * Swap entries (include/linux/swapops.h, swap.h): not present; the slot of the
 * swap device (swp_offset()) where the pfn would be, and _PAGE_SWP_EXCLUSIVE
 * (x86's _PAGE_SWP_EXCLUSIVE, pte_swp_exclusive()): the page was
 * PageAnonExclusive when reclaim unmapped it, so the swap-in may map it
 * exclusive again.  One swap device: no type field.
 */
#define _PAGE_SWP_SWAP	    (1ull << 2)
#define _PAGE_SWP_EXCLUSIVE (1ull << 3)
static inline bool is_swap_pte(pte_t pte)
{
	return !pte_present(pte) && (pte.val & _PAGE_SWP_SWAP);
}
static inline pte_t swp_entry_to_pte(uint32_t offset)
{
	return __pte(((uint64_t)offset << _PAGE_PFN_SHIFT) | _PAGE_SWP_SWAP);
}
static inline uint32_t swp_offset(pte_t pte)
{
	return (uint32_t)(pte.val >> _PAGE_PFN_SHIFT);
}
static inline bool pte_swp_exclusive(pte_t pte)
{
	return pte.val & _PAGE_SWP_EXCLUSIVE;
}
static inline pte_t pte_swp_mkexclusive(pte_t pte)
{
	return __pte(pte.val | _PAGE_SWP_EXCLUSIVE);
}
static inline pte_t pte_swp_clear_exclusive(pte_t pte)
{
	return __pte(pte.val & ~_PAGE_SWP_EXCLUSIVE);
}

/*
 * Device-private entries (include/linux/swapops.h, memremap.h): not present; the
 * pfn of a device-private page (MEMORY_DEVICE_PRIVATE: memory the CPU cannot
 * address, see migrate_device.h) and whether the mapping may be written.  The
 * page is mapped as far as rmap, refcount and mapcount go; a CPU access faults
 * and do_swap_page() asks the device to migrate it back to system memory.
 */
#define _PAGE_SWP_DEVICE       (1ull << 7)
#define _PAGE_SWP_DEVICE_WRITE (1ull << 10)
static inline bool is_device_private_entry(pte_t pte)
{
	return !pte_present(pte) && (pte.val & _PAGE_SWP_DEVICE);
}
static inline bool is_writable_device_private_entry(pte_t pte)
{
	return is_device_private_entry(pte) && (pte.val & _PAGE_SWP_DEVICE_WRITE);
}
static inline pte_t make_device_private_entry(uint32_t pfn, bool write)
{
	return __pte(((uint64_t)pfn << _PAGE_PFN_SHIFT) | _PAGE_SWP_DEVICE |
		     (write ? _PAGE_SWP_DEVICE_WRITE : 0));
}
/* fork() of a COW mapping, mprotect() read-only: the same page, no write */
static inline pte_t make_readable_device_private_entry(pte_t pte)
{
	return __pte(pte.val & ~_PAGE_SWP_DEVICE_WRITE);
}
static inline uint32_t device_private_entry_pfn(pte_t pte)
{
	return (uint32_t)(pte.val >> _PAGE_PFN_SHIFT);
}

static inline bool pmd_none(pmd_t pmd)
{
	return pmd.val == 0;
}
static inline bool pmd_present(pmd_t pmd)
{
	return pmd.val & _PMD_PRESENT;
}
static inline bool pmd_trans_huge(pmd_t pmd)
{
	return (pmd.val & (_PMD_PRESENT | _PMD_HUGE)) == (_PMD_PRESENT | _PMD_HUGE);
}
/* a present PMD that points to a PTE table */
/* Would the MMU (or GUP-fast, which reads as the MMU does) use this huge PMD?
 * Not while it is being split, nor while it is protnone (NUMA hinting). */
static inline bool pmd_hw_valid(pmd_t pmd)
{
	return !(pmd.val & (_PMD_INVALID | _PAGE_PROTNONE));
}
/* Models: pmd_protnone(): a huge PMD made protnone by a NUMA scan. */
static inline bool pmd_protnone(pmd_t pmd)
{
	return pmd_trans_huge(pmd) && (pmd.val & _PAGE_PROTNONE);
}
static inline bool pmd_table_present(pmd_t pmd)
{
	return pmd_present(pmd) && !(pmd.val & _PMD_HUGE);
}
static inline uint32_t pmd_pfn(pmd_t pmd)
{
	return (uint32_t)(pmd.val >> _PAGE_PFN_SHIFT);
}
static inline pmd_t pfn_pmd(uint32_t pfn, bool write)
{
	return (pmd_t){((uint64_t)pfn << _PAGE_PFN_SHIFT) | _PMD_PRESENT | _PMD_HUGE |
		       (write ? _PAGE_RW : 0)};
}
static inline bool pmd_write(pmd_t pmd)
{
	return pmd.val & _PAGE_RW;
}
static inline pmd_t pmd_wrprotect(pmd_t pmd)
{
	return (pmd_t){pmd.val & ~_PAGE_RW};
}
static inline pmd_t pmd_mkwrite(pmd_t pmd)
{
	return (pmd_t){pmd.val | _PAGE_RW};
}
static inline pmd_t pmd_mkdirty(pmd_t pmd)
{
	return (pmd_t){pmd.val | _PAGE_DIRTY};
}
static inline pmd_t pmd_mkyoung(pmd_t pmd)
{
	return (pmd_t){pmd.val | _PAGE_ACCESSED};
}
static inline pmd_t pmd_mkold(pmd_t pmd)
{
	return (pmd_t){pmd.val & ~_PAGE_ACCESSED};
}
static inline pmd_t pmd_mkclean(pmd_t pmd)
{
	return (pmd_t){pmd.val & ~_PAGE_DIRTY};
}
static inline bool pmd_dirty(pmd_t pmd)
{
	return pmd.val & _PAGE_DIRTY;
}
static inline bool pmd_young(pmd_t pmd)
{
	return pmd.val & _PAGE_ACCESSED;
}
/* The PTE a huge PMD amounts to for the page at @addr (same R/W, A, D bits;
 * protnone if it is). */
static inline pte_t pmd_pte_at(pmd_t pmd, unsigned long addr)
{
	pte_t pte = __pte((((uint64_t)pmd_pfn(pmd) + ((addr >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1)))
			   << _PAGE_PFN_SHIFT) |
			  (pmd.val & (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)));
	return pmd_protnone(pmd) ? pte_mkprotnone(pte) : pte;
}

static inline bool pmd_same(pmd_t a, pmd_t b)
{
	return a.val == b.val;
}

static inline unsigned long pmd_index(unsigned long addr)
{
	return (addr >> PMD_SHIFT) & (PTRS_PER_PMD - 1);
}
static inline unsigned long pte_index(unsigned long addr)
{
	return (addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1);
}
static inline unsigned long pmd_addr_end(unsigned long addr, unsigned long end)
{
	unsigned long boundary = (addr + (1ul << PMD_SHIFT)) & ~((1ul << PMD_SHIFT) - 1);
	return boundary < end ? boundary : end;
}

static inline uint32_t pte_obj(const pte_t *ptep)
{
	return SCHED_OBJ(OBJ_PTE, (uint32_t)(ptep - &mm_world.pte_tables[0][0]));
}
static inline unsigned pmd_table(pmd_t pmd)
{
	return (unsigned)(pmd.val >> _PAGE_PFN_SHIFT);
}
static inline pmd_t *pmd_offset(struct mm_struct *mm, unsigned long addr)
{
	return &mm->pmd[pmd_index(addr)];
}
static inline uint32_t pmd_obj(const struct mm_struct *mm, const pmd_t *pmdp)
{
	return SCHED_OBJ(OBJ_PMD, (uint32_t)mm->id * PTRS_PER_PMD + (uint32_t)(pmdp - mm->pmd));
}
/* Lockless: the table a (stable, present) pmd value points to. */
static inline pte_t *pte_offset_map(pmd_t pmd, unsigned long addr)
{
	return &mm_world.pte_tables[pmd_table(pmd)][pte_index(addr)];
}
static inline spinlock_t *pte_lockptr(pmd_t pmd)
{
	return &mm_world.pte_meta[pmd_table(pmd)].ptl;
}
/*
 * For assertions only: the PTL of the table that holds @ptep, attached or not
 * (a collapse works on a detached table), for callees that have the PTE but not
 * the PMD.  No yield: it reads no page table.
 */
static inline spinlock_t *ptep_lockptr(const pte_t *ptep)
{
	return &mm_world.pte_meta[(ptep - &mm_world.pte_tables[0][0]) / PTRS_PER_PTE].ptl;
}

/*
 * 32-bit split PTEs (ZOO §6): the PTE is two words, the low one holding the flags
 * and pfn bits below PTE_SPLIT_SHIFT (scaled down from PAE's bit 32 so that the
 * model's pfns straddle the halves).  Set by tests (CONFIG_X86_PAE) and by the
 * knob pte-lockless-torn.
 */
#define PTE_SPLIT_SHIFT 14
extern bool pgtable_split_ptes;
/* The arm64 flavour (a scenario's `arch arm64`): contpte blocks, mTHP faults. */
extern bool pgtable_contpte;
static inline bool pte_split_mode(void)
{
	return pgtable_split_ptes || knob_enabled(KNOB_PTE_LOCKLESS_TORN);
}

pte_t __ptep_get(pte_t *ptep, struct sched_site *site);
/*
 * Models: ptep_get_lockless(): without the PTL.  Split PTEs: read low, high, and
 * low again, retrying if the low word changed (knob pte-lockless-torn: each half
 * once).  The hardware walker does not use it: it reads the PTE atomically.
 */
pte_t __ptep_get_lockless(pte_t *ptep, struct sched_site *site);
void __set_pte_at(pte_t *ptep, pte_t pte, struct sched_site *site);
pte_t __ptep_get_and_clear(pte_t *ptep, struct sched_site *site);
bool __ptep_cmpxchg(pte_t *ptep, pte_t old, pte_t new, struct sched_site *site);
/* The hardware walker's read and A/D update: memory, never the CPU's store
 * buffer, and no barrier (memory arm64; sbuf.h). */
pte_t __ptep_get_hw(pte_t *ptep, struct sched_site *site);
bool __ptep_cmpxchg_hw(pte_t *ptep, pte_t old, pte_t new, struct sched_site *site);
pmd_t __pmdp_get(struct mm_struct *mm, pmd_t *pmdp, struct sched_site *site);
void __set_pmd_at(struct mm_struct *mm, pmd_t *pmdp, pmd_t pmd, struct sched_site *site);
pmd_t __pmdp_get_and_clear(struct mm_struct *mm, pmd_t *pmdp, struct sched_site *site);
/*
 * A split's pmd_populate() of the table it filled: __set_pmd_at(), but in memory
 * arm64 a store in the CPU's buffer like a PTE's (sbuf.h), so whether a walker
 * that sees the table also sees its PTEs is up to the smp_wmb() before it.
 * Context: mm->page_table_lock.
 */
void __pmd_populate(struct mm_struct *mm, pmd_t *pmdp, pmd_t pmd, struct sched_site *site);
/*
 * A PTE store into a table nobody can reach yet (a split filling the withdrawn
 * table): no step, no oracle event; in memory arm64 it goes into the CPU's
 * buffer (sb_kernel_init_pte()), so it can still become visible late.
 */
void pte_init_at(pte_t *ptep, pte_t pte);
bool __pmdp_cmpxchg(struct mm_struct *mm, pmd_t *pmdp, pmd_t old, pmd_t new,
		    struct sched_site *site);
/* Models: pte_alloc_one(): a zeroed PTE table, ours alone; -1 when none is free. */
int pte_alloc_one(struct mm_struct *mm);
/*
 * Models: pgtable_trans_huge_deposit()/withdraw(): a huge PMD keeps the PTE table
 * its split will need.  Context: the PMD lock (mm->page_table_lock).
 */
void pgtable_trans_huge_deposit(struct mm_struct *mm, pmd_t *pmdp, int table);
int pgtable_trans_huge_withdraw(struct mm_struct *mm, pmd_t *pmdp);
/* The index of a PTE in the table arena (its OBJ_PTE object index). */
static inline uint32_t pte_index_of(const pte_t *ptep)
{
	return (uint32_t)(ptep - &mm_world.pte_tables[0][0]);
}
/* Oracle (privileged, no yield): the PTE the page tables hold for @addr, huge or not. */
pte_t pte_oracle_get(const struct mm_struct *mm, unsigned long addr);
pte_t *__pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmdp, unsigned long addr,
			     spinlock_t **ptlp, struct sched_site *site);
int __pte_alloc(struct mm_struct *mm, pmd_t *pmdp, struct sched_site *site);
/* Return a PTE table to the arena (pte_free()).  Its generation changes. */
void pte_free_table(unsigned table);
/* Oracle: is @table still the table of generation @gen?  (no yield) */
static inline bool pte_table_live(unsigned table, uint32_t gen)
{
	return mm_world.pte_meta[table].used && mm_world.pte_meta[table].gen == gen;
}

/*
 * The generic accessors.  On the x86 flavour they are the raw ones above; on the
 * arm64 flavour they go through the contpte layer (contpte.c), which hides the
 * CONT bit and keeps every block consistent, as arch/arm64's wrappers do.
 */
pte_t contpte_ptep_get(pte_t *ptep, struct sched_site *site);
pte_t contpte_ptep_get_lockless(pte_t *ptep, struct sched_site *site);
void contpte_set_ptes(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte, int nr,
		      struct sched_site *site);
pte_t contpte_get_and_clear_full_ptes(struct mm_struct *mm, unsigned long addr, pte_t *ptep, int nr,
				      struct sched_site *site);
void contpte_set_access_flags(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t entry,
			      bool dirty, struct sched_site *site);

#define ptep_get(p)	     contpte_ptep_get((p), MM_SITE("ptep_get"))
#define ptep_get_lockless(p) contpte_ptep_get_lockless((p), MM_SITE("ptep_get_lockless"))
/* the hardware walker: one atomic read of the one entry it walks */
#define ptep_get_hw(p)		     __ptep_get_hw((p), MM_SITE("ptep_get_hw"))
#define ptep_cmpxchg_hw(p, old, new) __ptep_cmpxchg_hw((p), (old), (new), MM_SITE("ptep_cmpxchg"))
#define set_pte_at(mm, addr, p, pte)                                                               \
	contpte_set_ptes((mm), (addr), (p), (pte), 1, MM_SITE("set_pte_at"))
/* Map @nr consecutive pages of one folio from @pte on (the pfn advances). */
#define set_ptes(mm, addr, p, pte, nr)                                                             \
	contpte_set_ptes((mm), (addr), (p), (pte), (nr), MM_SITE("set_ptes"))
#define ptep_get_and_clear(mm, addr, p)                                                            \
	contpte_get_and_clear_full_ptes((mm), (addr), (p), 1, MM_SITE("ptep_get_and_clear"))
#define ptep_get_and_clear_full(mm, addr, p, full)                                                 \
	((void)(full), contpte_get_and_clear_full_ptes((mm), (addr), (p), 1,                       \
						       MM_SITE("ptep_get_and_clear_full")))
/* Clear @nr entries mapping pages of one folio; the OR of their A/D bits. */
#define get_and_clear_full_ptes(mm, addr, p, nr, full)                                             \
	((void)(full), contpte_get_and_clear_full_ptes((mm), (addr), (p), (nr),                    \
						       MM_SITE("get_and_clear_full_ptes")))
/*
 * Models: ptep_set_access_flags(): add A (and D and write, for a write fault) to
 * a present entry under the PTL.  Never a plain store that could drop a bit the
 * hardware sets meanwhile: x86 writes only for a write fault (the new value has
 * every bit the hardware could add), arm64 uses a cmpxchg loop.
 */
#define ptep_set_access_flags(mm, addr, p, entry, dirty)                                           \
	contpte_set_access_flags((mm), (addr), (p), (entry), (dirty),                              \
				 MM_SITE("ptep_set_access_flags"))
#define ptep_cmpxchg(p, old, new) __ptep_cmpxchg((p), (old), (new), MM_SITE("ptep_cmpxchg"))
#define pmdp_get(mm, p)		  __pmdp_get((mm), (p), MM_SITE("pmdp_get"))
#define pmdp_get_lockless(mm, p)  __pmdp_get((mm), (p), MM_SITE("pmdp_get_lockless"))
#define set_pmd_at(mm, addr, p, pmd)                                                               \
	((void)(addr), __set_pmd_at((mm), (p), (pmd), MM_SITE("set_pmd_at")))
#define pmdp_huge_get_and_clear(mm, addr, p)                                                       \
	((void)(addr), __pmdp_get_and_clear((mm), (p), MM_SITE("pmdp_huge_get_and_clear")))
#define pmdp_cmpxchg(mm, p, old, new)                                                              \
	__pmdp_cmpxchg((mm), (p), (old), (new), MM_SITE("pmdp_cmpxchg"))
#define pte_offset_map_lock(mm, pmdp, addr, ptlp)                                                  \
	__pte_offset_map_lock((mm), (pmdp), (addr), (ptlp), MM_SITE("pte_offset_map_lock"))
#define pte_alloc(mm, pmdp)	    __pte_alloc((mm), (pmdp), MM_SITE("pte_alloc"))
#define pte_unmap_unlock(ptep, ptl) spin_unlock(ptl)

#endif
