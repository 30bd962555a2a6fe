/* SPDX-License-Identifier: MIT */
/*
 * The oracle layer's input: the events the model emits.  Everything an oracle of
 * this directory knows it learns from these calls or reads, privileged and without
 * yielding, from the model's own state (page tables, TLBs, VMAs, folios).  Modelled
 * kernel functions carry no oracle fields and call nothing of the layer but these.
 *
 * The events, and why they suffice for the data oracles (data.c: `lost-write`,
 * `isolation`, `pin-coherence`) and the postconditions (post.c):
 *
 *   data provenance   oracle_frame_alloc, and a value in transit (read, then
 *                     written elsewhere after any number of yields) carried with
 *                     its origin: oracle_data_origin / oracle_data_set for frames,
 *                     oracle_disk_origin / oracle_disk_set for file blocks,
 *                     oracle_swap_origin / oracle_swap_set for swap slots: every
 *                     way a frame's or a disk block's payload changes other than a
 *                     store.  They sit in the payload
 *                     accessors (page.c, filemap.c, swap.c), which every copy, COW,
 *                     migration, collapse and writeback path goes through, so the
 *                     layer knows, for every word of every frame, which store (or
 *                     zero fill, or original file block) its value came from.
 *   page tables       oracle_pte_write: every PTE store or atomic update (the
 *                     accessors in pgtable.c), for the other party of a report and
 *                     the dirty bit a plain store must not drop;
 *   accesses          oracle_user_store / oracle_user_load (a CPU through its TLB,
 *                     or the kernel on a process's behalf through GUP),
 *                     oracle_tlb_fill (when each TLB entry was filled),
 *                     oracle_device_access (DMA through a pin or a GUP reference),
 *                     oracle_pin / oracle_unpin: each says who, which mm and
 *                     address, which frame.
 *   system calls      oracle_syscall_enter / oracle_syscall_exit, around every
 *                     operation of a process: what the operation promises (its
 *                     postcondition) and what it may legitimately discard, move
 *                     or copy is the operation's semantics, so the layer needs no
 *                     word from the paths that carry it out.
 *   lockless walks    oracle_walk_pmd / oracle_walk_pte / oracle_walk_fill (the
 *                     hardware's walker, GUP-fast), oracle_tlb_access (a CPU's
 *                     access through its TLB), oracle_pte_lockless and
 *                     oracle_gup_fast_follow (a split PTE read in two halves),
 *                     oracle_contpte_gather (a contpte block read without the PTL),
 *                     oracle_deferred_access (a buffered store or deferred load),
 *                     oracle_contpte_rewrite (a PTL holder rewriting a contpte
 *                     block): walk.c's use-after-free, contpte and mm-bug checks,
 *                     and break-before-make at the TLB fill that ends a walk
 *                     (tlb-coherence, a TLB conflict).
 *   quiescence        oracle_final_sync: after teardown and the final writeback
 *                     (data.c: the disks; accounting.c: frames, swap slots and
 *                     TLBs left over).
 *
 * The memory model is sequentially consistent: an event happens at one instant,
 * in one global order (the schedule's).  Under a scenario's `memory arm64`
 * (core/sbuf.h) a CPU's user store is the event oracle_user_store when it leaves
 * the store buffer (becomes visible), and a load its own buffer forwards is no
 * event; the kernel's own accesses stay sequentially consistent.
 *
 * What an agent may observe at an address is derived, per word, from these events
 * alone: the set of stores (or the zero fill, or the file's block) whose value a
 * load may return there, given the operations in flight (data.c says how).
 */
#ifndef MMFUZZ_ORACLE_EVENTS_H
#define MMFUZZ_ORACLE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../../scheduler/sched.h"
#include "../pgtable.h"

struct mm_struct;
struct folio;

/* The operations whose semantics the oracles know (others are OSYS_OTHER). */
enum oracle_syscall {
	OSYS_OTHER,
	OSYS_MMAP,   /* any mmap: ret is the address; arg: MAP_FIXED (start is replaced;
		      * otherwise start is a hint or must be free: nothing there changes) */
	OSYS_MUNMAP, /* [start, start + len) */
	OSYS_MADV_DONTNEED,
	OSYS_MADV_FREE,
	OSYS_MPROTECT, /* arg: the new protection allows writes (1), reads only (0), nothing
			* (OSYS_MPROTECT_NONE) */
	OSYS_MREMAP,   /* arg: the new address; ret is it */
	OSYS_FORK,     /* arg: the child's mm id */
	OSYS_EXIT,
	OSYS_GUP,	    /* a GUP of start (a pin, a reference, a read): arg: for write */
	OSYS_QUERY,	    /* PROCMAP_QUERY of start: ret is 1 if it found a VMA */
	OSYS_LOAD,	    /* a user load of start: ret is 0 or -errno */
	OSYS_STORE,	    /* a user store to start, or the kernel's for the process (mem-write) */
	OSYS_MADV_DONTFORK, /* the range's VMAs get VM_DONTCOPY: a fork leaves them out */
	OSYS_MADV_DOFORK,
};

#define OSYS_MPROTECT_NONE 2ul /* OSYS_MPROTECT's arg for PROT_NONE */

void oracle_reset(void);

/*
 * The layer's state after a scenario's setup, saved and put back with the world's
 * (mm_snapshot_*).  Saved with no operation in flight; @frames: frames [0, frames)
 * may have been allocated.  _equal names the first difference in @what.
 */
struct oracle_snapshot;
struct oracle_snapshot *oracle_snapshot_alloc(void);
void oracle_snapshot_free(struct oracle_snapshot *s);
void oracle_snapshot_save(struct oracle_snapshot *s, uint32_t frames);
void oracle_snapshot_restore(const struct oracle_snapshot *s);
bool oracle_snapshot_equal(const struct oracle_snapshot *a, const struct oracle_snapshot *b,
			   char *what, size_t what_bytes);

/* ---- data provenance (the payload accessors) ---------------------------------- */

/* Frames [pfn, pfn + nr) were allocated: zero-filled. */
void oracle_frame_alloc(uint32_t pfn, int nr);
/*
 * The origin of the value word @word of frame @pfn (of file block @index of file
 * @file) holds now: an opaque token, taken when the model reads the value, given
 * back when it writes the value somewhere else.
 */
uint32_t oracle_data_origin(uint32_t pfn, int word);
void oracle_data_set(uint32_t pfn, int word, uint32_t origin);
/* The origin of a word no store wrote: a cleared page's zero. */
#define ORACLE_ORIGIN_ZERO 0u
uint32_t oracle_disk_origin(int file, unsigned long index, int word);
void oracle_disk_set(int file, unsigned long index, int word, uint32_t origin);
/*
 * Origins @a and @b (oracle_data_origin()) were found to hold one value by a
 * comparison of payloads (pages_identical(), which KSM merges on): a process whose
 * view holds one of them may read the other from then on.
 */
void oracle_data_identical(uint32_t a, uint32_t b);
/* The same for word @word of swap slot @slot (swap_writepage(), swap_read_folio()). */
uint32_t oracle_swap_origin(uint32_t slot, int word);
void oracle_swap_set(uint32_t slot, int word, uint32_t origin);

/* ---- accesses ------------------------------------------------------------------ */

/*
 * @agent stored @val (loaded *@val) at @addr of @mm, in frame @pfn.  A CPU's
 * access through its TLB, or the kernel's on the process's behalf (/proc/pid/mem,
 * GUP reads).  @site names the access in reports.
 */
void oracle_user_store(int agent, struct mm_struct *mm, unsigned long addr, uint32_t pfn,
		       uint64_t val, const struct sched_site *site);
void oracle_user_load(int agent, struct mm_struct *mm, unsigned long addr, uint32_t pfn,
		      uint64_t val, const struct sched_site *site);
/* The current agent's kernel stored @val at @addr of @mm in frame @pfn through a
 * GUP reference it took earlier in the same call (/proc/pid/mem). */
void oracle_kernel_store(struct mm_struct *mm, unsigned long addr, uint32_t pfn, uint64_t val,
			 const struct sched_site *site);
/* A GUP reference's read on the process's behalf, taken earlier: only the
 * `isolation` check applies (what it reads may be older than the address). */
void oracle_gup_load(int agent, struct mm_struct *mm, unsigned long addr, uint32_t pfn,
		     uint64_t val, const struct sched_site *site);

/*
 * PTE @pte (pte_index_of()) changed from @old to @new at @site, by the current
 * agent: a plain store (@plain: set_pte_at(), which must not drop a dirty bit the
 * hardware may have set), or an atomic update.  The page-table accessors' event.
 */
void oracle_pte_write(uint32_t pte, pte_t old, pte_t new, bool plain,
		      const struct sched_site *site);
/* The same, by @agent: a CPU's buffered PTE store becomes visible (sbuf.c). */
void oracle_pte_write_by(int agent, uint32_t pte, pte_t old, pte_t new, bool plain,
			 const struct sched_site *site);
/* Who last wrote PTE @pte (the other party of a report); -1 in *@agent if nobody. */
const struct sched_site *oracle_pte_last_writer(uint32_t pte, int *agent);

/* ---- lockless walks (walk.c): the hardware's walker and GUP-fast ------------- */

/* @agent, walking without the PTL, read a PMD that points to PTE table @table. */
void oracle_walk_pmd(int agent, unsigned table);
/* @agent now reads @addr's PTE of that table (@gup_fast: GUP-fast, else the
 * hardware walker): the table must not have been freed since oracle_walk_pmd(). */
void oracle_walk_pte(int agent, const struct mm_struct *mm, unsigned long addr, unsigned table,
		     bool gup_fast);
/* @agent's ptep_get_lockless() read @at_low and @at_high as it read each half of
 * a PTE and returned @pte (one word: all three the same). */
void oracle_pte_lockless(int agent, pte_t at_low, pte_t at_high, pte_t pte);
/* @agent's GUP-fast follows the PTE it read locklessly to frame @pfn. */
void oracle_gup_fast_follow(int agent, const struct mm_struct *mm, unsigned long addr,
			    uint32_t pfn);
/* The PTL holder begins (ends) rewriting the contpte blocks of @nr entries from
 * @ptep one entry at a time (a fold or unfold, set_ptes(), a whole-block clear). */
void oracle_contpte_rewrite(const pte_t *ptep, int nr, bool begin);
/* @cpu accesses @addr of @mm through a TLB entry for frame @pfn filled when the
 * frame had generation @gen (before the data access, also for a buffered store). */
void oracle_tlb_access(int cpu, const struct mm_struct *mm, unsigned long addr, uint32_t pfn,
		       uint32_t gen, bool write);
/* @cpu's buffered store of *@store (NULL: a deferred load) to @addr of @mm, issued
 * at @issued and translated to frame @pfn at generation @gen, becomes visible (is
 * performed) now (`memory arm64`, core/sbuf.c). */
void oracle_deferred_access(int cpu, const struct mm_struct *mm, unsigned long addr, uint32_t pfn,
			    uint32_t gen, const uint64_t *store, const struct sched_site *issued);
/* @agent's contpte_ptep_get_lockless() returns @pte for entry @at of a CONT block,
 * gathered from the block's entries @seen[0, n) as it read them, one load each. */
void oracle_contpte_gather(int agent, const pte_t *seen, int n, int at, pte_t pte);
/* @cpu's walker fills its TLB for @addr from @pte (read at @ptep; NULL: a huge PMD);
 * called before the fill, while the TLBs hold what the fill will replace. */
void oracle_walk_fill(int cpu, const struct mm_struct *mm, unsigned long addr, pte_t *ptep,
		      pte_t pte);

/* @cpu filled TLB slot @slot (tlb.c): when, and from which mmap()'s mapping, for
 * the postconditions' TLB side and the next fills' break-before-make. */
void oracle_tlb_fill(int cpu, int slot);

/* A device took (dropped) its reference to frame @pfn, at @addr of @mm. */
void oracle_pin(struct mm_struct *mm, unsigned long addr, uint32_t pfn, bool pin);
void oracle_unpin(void);
/* @agent, acting as the device, read or wrote word @word of the referenced frame. */
void oracle_device_access(int agent, bool write, uint32_t pfn, int word, uint64_t val,
			  const struct sched_site *site);

/* ---- system calls ---------------------------------------------------------------- */

/*
 * @agent enters (returns from) operation @kind of @mm on [@start, @start + @len).
 * Context: the agent's own context; no yield.  One operation per agent at a time.
 */
void oracle_syscall_enter(int agent, enum oracle_syscall kind, struct mm_struct *mm,
			  unsigned long start, unsigned long len, unsigned long arg);
void oracle_syscall_exit(int agent, long ret);

/* ---- quiescence -------------------------------------------------------------------- */

/* After the final writeback: every file block on disk is what its last store made it. */
void oracle_final_sync(void);

#endif
