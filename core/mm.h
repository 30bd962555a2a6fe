/* SPDX-License-Identifier: MIT */
/*
 * The MM model's world: sizes, object kinds and lock ranks, the structs every
 * subsystem shares (folio, PTE and PMD, mm_struct, VMAs, anon_vmas, files, TLB
 * entries, the device's GUP reference), and `struct mm_world`, the one place that
 * holds all mutable model state.  Scaled down from the kernel: a 2-level page
 * table of PTRS_PER_PMD x PTRS_PER_PTE entries (64 pages of address space, a PMD
 * of PTRS_PER_PTE pages for THP), folios of 1 << order frames with a few 64-bit
 * words of payload each, a handful of files each backed by a "disk", one swap
 * device of NR_SWAP_SLOTS slots.
 *
 * Object ids are indices into mm_world's arrays, never addresses.  The memory
 * model is sequentially consistent: a store is visible to every agent when the
 * storing agent next yields (a weak-memory mode is a separate issue).
 *
 * Leaves out (see the issues): PUD-level and multi-level page tables.  PROT_NONE
 * and NUMA hinting: numa.h; swap: swap.h; KSM: ksm.h; device-private memory
 * (frames of the arena flagged PG_device_private): migrate_device.h.
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
#define CONT_PTE_ORDER 2  /* arm64 contpte blocks of 1 << CONT_PTE_ORDER entries */
#define NR_SWAP_SLOTS  16 /* the swap device's page slots */

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
	OBJ_SWAP_MAP,		     /* a swap slot's count (swap_map[]); 0x8000: si->lock */
	OBJ_SWAP_CACHE,		     /* a swap slot's swap cache entry; 0x8000: its xa_lock */
	OBJ_SWAP_DATA,		     /* a swap slot's content on the device */
	OBJ_KSM,		     /* ksm_thread_mutex (index 0; ksm.h) */
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
	RANK_KSM_THREAD = 3, /* ksm_thread_mutex: ksmd takes mmap_lock under it */
	RANK_MUNMAP_SEM = 5,
	RANK_MMAP_LOCK = 10,
	RANK_VMA_LOCK = 15,
	RANK_FOLIO_LOCK = 20,
	RANK_I_MMAP = 30,
	RANK_PAGE_TABLE_LOCK = 40,
	RANK_PTL = 50,
	RANK_SWAP_CACHE = 55, /* the swap cache's xa_lock */
	RANK_SWAP_LOCK = 60,  /* si->lock (the swap_map), taken under the PTL */
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
#define VM_DONTCOPY	0x20000u    /* madvise(MADV_DONTFORK): fork() leaves it out of the child */
#define VM_HUGEPAGE	0x20000000u /* madvise(MADV_HUGEPAGE): THP faults allowed */
#define VM_MERGEABLE	0x80000000u /* madvise(MADV_MERGEABLE): ksmd may merge its pages */
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
	uint32_t vm_gen;	       /* which mmap() made it (vms.h: the merge rule) */
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
	bool vm_freed;	   /* vm_area_free() called: waiting for its grace period */
};

typedef struct {
	uint64_t val;
} pte_t;
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
	/* last: mm_reset() copies the fields above whole and resets the tree by use */
	struct maple_tree mm_mt; /* the VMAs, by address */
};

struct address_space {
	int id;
	spinlock_t i_pages_lock;	 /* the page cache xarray's lock */
	struct folio *pages[FILE_PAGES]; /* page cache, by index */
	uint32_t present;		 /* bit per index whose pages[] is set: filemap_get_folio(),
					  * the one insertion (the model never removes a page) */
	struct rw_semaphore i_mmap_rwsem;
	/* i_mmap: the VMAs mapping this file, for rmap walks (under i_mmap_rwsem) */
	struct vm_area_struct *i_mmap[NR_MMS * NR_VMAS_PER_MM];
	int nr_i_mmap;
	uint64_t disk[FILE_PAGES][MM_WORDS_PER_PAGE];
};

/*
 * One struct per frame, used as struct page and, in the first frame of a folio
 * (its head), as struct folio: a folio is 1 << order aligned frames.  Folio state
 * lives in the head (refcount, mapcounts, flags but PG_anon_exclusive, mapping,
 * anon_vma, index); page state in each frame (its PTE mapcount, its
 * PageAnonExclusive bit, its payload, its generation).  For a
 * single-page folio the two are the same struct.
 */
struct folio {
	int refcount;	     /* head: _refcount */
	int mapcount;	     /* head: all mappings, PTEs of any page + PMDs (large_mapcount) */
	int entire_mapcount; /* head: PMD mappings of the whole folio */
	int pg_mapcount;     /* page: PTEs mapping this page (_mapcount + 1) */
	uint8_t order;	     /* head: the folio has 1 << order pages */
	uint8_t page_idx;    /* page: its index in its folio (0: the head) */
	uint32_t flags;	     /* bit per enum pageflags (PG_anon_exclusive: per page) */
	uint32_t gen;	     /* bumped at every allocation */
	bool allocated;
	struct address_space *mapping; /* file pages: the page cache they belong to */
	struct anon_vma *anon_vma;     /* anon pages: where rmap finds their mappings */
	unsigned long index;	       /* file pages: offset in pages */
	uint32_t swap;		       /* PG_swapcache: its swap slot (folio->swap) */
	uint64_t data[MM_WORDS_PER_PAGE];
};

/*
 * Models: struct swap_info_struct of one SWP_SYNCHRONOUS_IO device (zram-like: a
 * read completes in the caller), and the swap cache (swapper_spaces) in front of
 * it.  swap_map[] holds each slot's count of swap entries in page tables, plus
 * SWAP_HAS_CACHE while a folio is in, or being added to, the swap cache for it.
 */
#define SWAP_HAS_CACHE 0x40
struct swap_info_struct {
	spinlock_t lock;       /* si->lock (the kernel's cluster locks): swap_map */
	spinlock_t cache_lock; /* the swap cache's xa_lock */
	uint8_t swap_map[NR_SWAP_SLOTS];
	struct folio *cache[NR_SWAP_SLOTS]; /* the swap cache: the folio of each slot */
	uint64_t slots[NR_SWAP_SLOTS][MM_WORDS_PER_PAGE];
};

/*
 * KSM's trees, scaled down to arrays searched in order (see ksm.h): the stable
 * tree, one node per KSM folio (its frame and the generation it had when it
 * became KSM: a node whose frame was freed since is stale), and the unstable
 * tree, the (mm, address) of pages ksmd saw and found no twin for.  Only ksmd
 * reads or writes them, under ksm_thread_mutex: plain accesses, no yield points.
 * A stable node's items (its rmap_items' hlist: where the KSM folio was mapped,
 * each with a reference on the anon_vma of its VMA) are what rmap_walk_ksm()
 * visits: ksmd appends them with the KSM folio locked, as the walk runs.
 */
#define KSM_STABLE_NODES   8
#define KSM_UNSTABLE_ITEMS 8
#define KSM_NODE_ITEMS	   4
struct ksm_stable_item {
	struct anon_vma *anon_vma; /* get_anon_vma() while the item lives */
	uint8_t mm;
	unsigned long address;
};
struct ksm_stable_node {
	bool used;
	uint32_t kpfn, gen;
	int nr_items;
	struct ksm_stable_item items[KSM_NODE_ITEMS];
};
struct ksm_rmap_item {
	bool used;
	uint8_t mm;
	unsigned long address;
};
/* anon_vmas: one per VMA, and those only KSM's stable items still hold */
#define NR_ANON_VMAS (NR_VMAS + KSM_STABLE_NODES * KSM_NODE_ITEMS)
struct ksm_state {
	struct mutex ksm_thread_mutex; /* one scan at a time, as the one ksmd thread */
	struct ksm_stable_node stable[KSM_STABLE_NODES];
	struct ksm_rmap_item unstable[KSM_UNSTABLE_ITEMS];
	int unstable_next; /* the slot the next insertion takes when all are used */
};

/* The PTE-table arena: one per table, beside the table's entries. */
struct pte_table_meta {
	spinlock_t ptl; /* split PTE lock */
	bool used;
	int mm;
	uint32_t gen; /* bumped when the table is freed: a stale walker is detectable */
};

_Static_assert(TLB_ENTRIES <= 8, "mm_world.tlb_valid is a byte per TLB");
_Static_assert(FILE_PAGES <= 32, "address_space.present is a word");

/* A CPU's cached translation of one page (see tlb.h). */
struct tlb_entry {
	bool valid;
	bool write;
	bool dirty;
	bool cont; /* one of CONT_PTES slots standing for one contiguous (block) entry */
	uint8_t mm;
	uint32_t vpn;
	uint32_t pfn;
	uint32_t gen; /* the frame's generation when the entry was filled */
};

/*
 * The device's buffer: a pin (FOLL_PIN | FOLL_LONGTERM, e.g. an RDMA memory region
 * or io_uring fixed buffer) or a FOLL_GET reference (a pipe's), one at a time.  A
 * process's syscall takes it; any agent may then act as the device through it.
 */
struct gup_ref {
	struct folio *page; /* its folio holds the reference */
	struct mm_struct *mm;
	unsigned long addr;
	unsigned int flags;
};

/*
 * All mutable state of the model, in one place: what a run can change, and so
 * what mm_reset() puts back and a setup snapshot saves (mm_snapshot_save()).
 * Object ids are indices into these arrays, never addresses.  Two parts:
 *
 *  - reset by use: frames (only those a run allocated: an allocation raises
 *    `frames_hwm`), each mm's maple tree (its node pool by its high-water mark),
 *    the VMA, anon_vma and PTE table arenas (below their high-water marks: each
 *    allocates the lowest free slot), the files an operation named (mapping_get()
 *    sets their bit in `files_used`; the quiescent writeback of a file nobody
 *    named leaves its bytes as they were), the swap device and KSM's trees once
 *    a slot was allocated or ksmd ran (`swap_used`, `ksm_used`; a lock taken and
 *    released leaves its bytes as they were);
 *  - reset whole: everything from `vma_hwm` on (the marks themselves, TLBs, the
 *    GUP reference), copied from a pristine world built once (locks initialised
 *    with their object ids, files' disks filled).
 * Pristine and by-use parts are both copied from the pristine world, so a run
 * starts from the same bytes whatever the previous one did.
 *
 * Not here: the run's configuration, set before mm_reset() and constant during a
 * run (mm_knobs, pgtable_contpte, pgtable_split_ptes, tlb_flush_broadcast,
 * hw_device_agents); the scheduler's state (sched_reset()); the oracle layer's
 * state, which that layer owns (oracle_reset(), called by mm_reset(); saved with
 * a snapshot); the store buffers of `memory arm64` (sbuf.c), state of the
 * concurrent phase alone, emptied by sb_begin() and sb_end() around it.
 */
struct mm_world {
	struct folio frames[NR_FRAMES];
	struct mm_struct mms[NR_MMS];
	struct vm_area_struct vmas[NR_VMAS];
	struct anon_vma anon_vmas[NR_ANON_VMAS];
	pte_t pte_tables[NR_PTE_TABLES][PTRS_PER_PTE];
	struct pte_table_meta pte_meta[NR_PTE_TABLES];
	struct address_space mappings[NR_FILES];
	struct swap_info_struct swap; /* the swap device and its cache (swap.h) */
	struct ksm_state ksm;	      /* ksmd's trees (ksm.h) */
	/* ---- reset whole from here on ---- */
	int vma_hwm, anon_vma_hwm, pte_table_hwm; /* slots [0, hwm) of the arenas were used */
	uint32_t frames_hwm; /* frames [0, hwm) were allocated since mm_reset() */
	uint32_t files_used; /* bit per file: named by an operation (mapping_get()) */
	bool swap_used;	     /* a swap slot was allocated (folio_alloc_swap()) */
	bool ksm_used;	     /* ksmd ran (ksm_do_scan()): only it writes the trees */
	struct tlb_entry tlb[NR_CPUS][TLB_ENTRIES];
	/* bit i: tlb[cpu][i].valid, kept with it by tlb.c; the model's scans of a TLB
	 * (a flush, a lookup, a fill's slot) visit only these slots, the oracles read
	 * the entries themselves */
	uint8_t tlb_valid[NR_CPUS];
	int tlb_victim[NR_CPUS]; /* each TLB's next slot to evict, round robin */
	struct gup_ref gup_ref;	 /* the device's one reference (gup.h) */
	uint32_t vma_generation; /* the last vm_gen handed out */
	uint32_t hw_walkers;	 /* CPUs whose page-table walker is mid-walk (hw.h) */
};

extern struct mm_world mm_world;

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
/* Frames [0, n) are all the run since mm_reset() can have allocated or changed. */
uint32_t mm_frames_touched(void);
/*
 * A thread enters a system call on @mm: false (-ESRCH) if the process is exiting,
 * gone or not yet forked.  mmput() when it returns: the last one out of an exiting
 * process runs exit_mmap() (mmput() -> __mmput()).
 */
bool mmget_not_exiting(struct mm_struct *mm);
void mmput(struct mm_struct *mm);
/* exit_group(): the process exits; its mm goes when its last thread is out. */
int do_exit(struct mm_struct *mm);
/* An operation's handle on file @id: marks it used (restored by use, see mm_world). */
struct address_space *mapping_get(int id);
/* The oracle layer's view of file @id: no mark. */
const struct address_space *mapping_peek(int id);

/* Reset the whole model (struct mm_world) and the oracle layer's state. */
void mm_reset(void);

/*
 * Snapshots: the world and the oracle layer's state after a scenario's setup, put
 * back before each schedule explored from it, instead of running the setup again.
 * Save and restore cost what the setup and the run used (the by-use marks above),
 * not the size of the world.  Taken outside any agent with no operation in flight,
 * restored under the configuration it was taken in (asserted).  _alloc: NULL when
 * out of memory.  _equal: the same use, configuration and oracle state (false
 * with the first difference named in @what; the worlds: mm_world_same()).
 */
struct mm_snapshot;
struct mm_snapshot *mm_snapshot_alloc(void);
void mm_snapshot_free(struct mm_snapshot *s);
void mm_snapshot_save(struct mm_snapshot *s);
/* Taken under the configuration set now (knobs, arch, TLB mode, split PTEs)? */
bool mm_snapshot_fits(const struct mm_snapshot *s);
void mm_snapshot_restore(const struct mm_snapshot *s);
bool mm_snapshot_equal(const struct mm_snapshot *a, const struct mm_snapshot *b, char *what,
		       size_t what_bytes);
/*
 * Two whole worlds equal, but for the bytes no run reads: a maple batch or node
 * above its pool's marks (initialised when taken) and the free FIFO outside its
 * window.  Independent of what a snapshot saves: the check of its restores.
 */
bool mm_world_same(const struct mm_world *a, const struct mm_world *b, char *what,
		   size_t what_bytes);

#endif
