/* SPDX-License-Identifier: MIT */
/*
 * The MM model's world: sizes, object kinds, mm_struct, VMAs, files, and the one
 * arena that holds them all.  Scaled down from the kernel: a 2-level page table of
 * PTRS_PER_PMD x PTRS_PER_PTE entries (64 pages of address space), order-0 folios
 * with a few 64-bit words of payload, a handful of files each backed by a "disk".
 *
 * Everything lives in fixed arrays inside `struct mm_world`, reset between
 * executions; object ids are arena indices, never addresses.
 *
 * Leaves out (for now, see the issues): large folios and huge PMDs, anon_vma
 * chains (one anon_vma per mm), swap, page migration.
 */
#ifndef MMFUZZ_MM_H
#define MMFUZZ_MM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "../scheduler/sched.h"
#include "../scheduler/sync.h"
#include "knobs.h"
#include "mtree.h"
#include "oracle.h"

#define PAGE_SHIFT	  12
#define PAGE_SIZE	  (1ul << PAGE_SHIFT)
#define PTRS_PER_PTE	  16
#define PTRS_PER_PMD	  4
#define PMD_SHIFT	  (PAGE_SHIFT + 4)
#define TASK_SIZE	  ((unsigned long)PTRS_PER_PMD << PMD_SHIFT)
#define MM_WORDS_PER_PAGE 4
_Static_assert(TASK_SIZE / PAGE_SIZE <= 64, "the oracle layer keeps a bit per page");

#define NR_CPUS	   4 /* agents that are CPUs (each has a TLB) */
#define NR_MMS	   2
#define NR_FILES   2
#define FILE_PAGES 16
#define NR_FRAMES  96
/* every PMD of every mm, plus one per CPU racing in __pte_alloc() or holding one to
 * deposit: never -ENOMEM */
#define NR_PTE_TABLES  (NR_MMS * PTRS_PER_PMD + 2 * NR_CPUS)
#define NR_VMAS_PER_MM 16
#define NR_VMAS	       (NR_MMS * NR_VMAS_PER_MM)
#define TLB_ENTRIES    8

/* Object kinds for yield points (see SCHED_OBJ). */
enum mm_obj_kind {
	OBJ_FOLIO = SCHED_OBJ_MODEL, /* struct folio metadata: refcount, mapcount, flags */
	OBJ_DATA,		     /* a frame's payload */
	OBJ_PTE,		     /* one PTE: table * PTRS_PER_PTE + index */
	OBJ_PMD,		     /* one PMD entry: mm * PTRS_PER_PMD + index */
	OBJ_PTL,		     /* split PTE lock of a table */
	OBJ_MM_LOCK,		     /* per-mm locks and counters: see enum mm_obj */
	OBJ_MAPPING,		     /* page cache and i_mmap of a file */
	OBJ_DISK,		     /* a file's backing store, per page */
	OBJ_TLB,		     /* a CPU's TLB */
	OBJ_VMA,		     /* a VMA's fields */
	OBJ_VMA_LOCK,		     /* a VMA's per-VMA lock */
	OBJ_ANON_VMA,		     /* an anon_vma's rwsem */
};

/* The per-mm objects of kind OBJ_MM_LOCK: one index each, never shared. */
enum mm_obj {
	MM_OBJ_MMAP_LOCK,
	MM_OBJ_PAGE_TABLE_LOCK,
	MM_OBJ_LOCK_SEQ,
	MM_OBJ_FLUSH_PENDING,
	MM_OBJ_FLUSH_BATCHED,
	MM_OBJ_MUNMAP_SEM,
	MM_OBJ_WRITE_PROTECT_SEQ,
	MM_OBJ_COUNT
};
#define MM_OBJ(mm_id, which) SCHED_OBJ(OBJ_MM_LOCK, (uint32_t)(mm_id)*MM_OBJ_COUNT + (which))

/* Lock ranks: an inner lock has a higher rank (lockdep-lite order checks). */
enum mm_lock_rank {
	RANK_MUNMAP_SEM = 5,
	RANK_MMAP_LOCK = 10,
	RANK_VMA_LOCK = 15,
	RANK_FOLIO_LOCK = 20,
	RANK_I_MMAP = 30,
	RANK_PAGE_TABLE_LOCK = 40,
	RANK_PTL = 50,
};

/* The caller's site, for accessors that are macros (like the sync primitives). */
#define MM_SITE(lbl)                                                                               \
	({                                                                                         \
		SCHED_SITE_DEFINE(mm_site__, lbl);                                                 \
		&mm_site__;                                                                        \
	})

struct folio;
struct address_space;

/* vm_flags */
#define VM_READ		0x1u
#define VM_WRITE	0x2u
#define VM_SHARED	0x8u
#define VM_GROWSDOWN	0x100u
#define VM_HUGEPAGE	0x20000000u /* madvise(MADV_HUGEPAGE): THP faults allowed */
#define STACK_GUARD_GAP PAGE_SIZE   /* stack_guard_gap, scaled down */

/* a VMA is chained to its own anon_vma and, one fork deep (NR_MMS = 2), its parent's */
#define ANON_VMA_CHAINS 2

/*
 * Models: struct anon_vma.  The VMAs that may map its folios, in link order (the
 * anon_vma_chain); the root's rwsem locks the whole tree (a parent's anon_vma and
 * its children's).
 */
struct anon_vma {
	struct anon_vma *root;
	struct rw_semaphore rwsem; /* used as the lock only in the root */
	struct vm_area_struct *vmas[NR_VMAS];
	int nr_vmas;
	int degree;   /* root: the other anon_vmas whose root it is */
	int refcount; /* folio_get_anon_vma(): kept while a migration walks it */
	bool used;
};

struct vm_area_struct {
	unsigned long vm_start, vm_end;
	uint32_t vm_flags;
	struct mm_struct *vm_mm;
	struct address_space *vm_file; /* NULL: anonymous */
	unsigned long vm_pgoff;	       /* file offset of vm_start, in pages */
	uint32_t vm_gen;	       /* which mmap() made it (a TLB entry remembers it) */
	/* per-VMA lock (see vma.h) */
	struct rw_semaphore vm_lock;
	uint32_t vm_lock_seq; /* == mm_lock_seq: write-locked until mmap_write_unlock */
	bool vm_detached;     /* not (or no longer) in the mm's tree */
	/* private VMAs: the anon_vma new anon folios get, and the anon_vmas whose
	 * folios it may map (its own and, after fork, its parent's): the chain */
	struct anon_vma *anon_vma;
	struct anon_vma *avc[ANON_VMA_CHAINS];
	int nr_avc;
	bool vm_allocated; /* arena bookkeeping */
};

typedef struct {
	uint64_t val;
} pmd_t;

struct mm_struct {
	int id;
	bool live;
	struct rw_semaphore mmap_lock;
	spinlock_t page_table_lock;    /* protects PMD population */
	pmd_t pmd[PTRS_PER_PMD];       /* the top level: the mm's pgd, folded */
	int pmd_deposit[PTRS_PER_PMD]; /* a huge PMD's deposited PTE table + 1, or 0 */
	struct maple_tree mm_mt;       /* the VMAs, by address */
	uint32_t mm_lock_seq;	       /* bumped by mmap_write_unlock (vma_end_write_all) */
	uint32_t cpumask;	       /* CPUs that may hold TLB entries of this mm (mm_cpumask) */
	int tlb_flush_pending;	       /* mmu_gathers in progress (atomic_t tlb_flush_pending) */
	/* reclaim cleared PTEs and deferred their flush: the batches made pending (low
	 * 16 bits) and those flushed (high 16 bits), one atomic_t in the kernel */
	uint32_t tlb_flush_batched;
	/*
	 * Held for read by every munmap() from before it reserves its range (MTREE_ZERO)
	 * until it releases it; MAP_FIXED and mremap() take it for write to wait out the
	 * reservations in their way.  Ordered before mmap_lock.
	 */
	struct rw_semaphore munmap_sem;
	/* odd while fork() write-protects this mm's anonymous pages: GUP-fast must not
	 * pin then (it could pin a page about to be shared) */
	seqcount_t write_protect_seq;
	/* a fork child before do_fork() creates it: no such process yet (-ESRCH for
	 * its threads); a process that no fork makes exists from the start */
	bool unborn;
	/*
	 * Threads inside a system call on this mm (mm_users, less the reference of
	 * threads in user space), and whether the process is exiting (exit_group():
	 * no new system call; the last thread out tears the mm down).
	 */
	int mm_users;
	bool exiting;
};

struct address_space {
	int id;
	spinlock_t i_pages_lock;	 /* the page cache xarray's lock */
	struct folio *pages[FILE_PAGES]; /* page cache, by index */
	struct rw_semaphore i_mmap_rwsem;
	/* i_mmap: the VMAs mapping this file, for rmap walks (under i_mmap_rwsem) */
	struct vm_area_struct *i_mmap[NR_MMS * NR_VMAS_PER_MM];
	int nr_i_mmap;
	uint64_t disk[FILE_PAGES][MM_WORDS_PER_PAGE];
};

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* The first VMA ending above @addr.  Context: mmap_lock held (asserted). */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/* The same without the assertion: the oracle's privileged view. */
struct vm_area_struct *__find_vma(struct mm_struct *mm, unsigned long addr);

void mmap_read_lock(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
void mmap_write_lock(struct mm_struct *mm);
void mmap_write_unlock(struct mm_struct *mm);
void mmap_write_downgrade(struct mm_struct *mm);
void mmap_assert_locked(struct mm_struct *mm);
void mmap_assert_write_locked(struct mm_struct *mm);

struct mm_struct *mm_get(int id);
/*
 * A thread enters a system call on @mm: false (-ESRCH) if the process is exiting,
 * gone or not yet forked.  mmput() when it returns: the last one out of an exiting
 * process runs exit_mmap() (mmput() -> __mmput()).
 */
bool mmget_not_exiting(struct mm_struct *mm);
void mmput(struct mm_struct *mm);
/* exit_group(): the process exits; its mm goes when its last thread is out. */
int do_exit(struct mm_struct *mm);
struct address_space *mapping_get(int id);

/* Reset the whole model (frames, tables, TLBs, mms, files, shadows). */
void mm_reset(void);

#endif
