/* SPDX-License-Identifier: MIT */
/*
 * VMAs: an arena of vm_area_structs, the mm's maple tree of them, and per-VMA
 * locks.
 *
 * Per-VMA locking, stated once (include/linux/mmap_lock.h): a writer holding
 * mmap_lock for write marks each VMA it modifies with vma_start_write() (vm_lock_seq
 * = mm_lock_seq); mmap_write_unlock() bumps mm_lock_seq, which unlocks them all at
 * once.  A page fault looks the VMA up under RCU and read-locks it
 * (lock_vma_under_rcu()); it fails, and the fault falls back to mmap_lock, if the
 * VMA is write-locked in the current cycle, detached, or no longer covers the
 * address.  A VMA is freed through RCU, so a lockless lookup never touches a
 * reused one.
 *
 * Models: include/linux/mmap_lock.h, mm/memory.c lock_vma_under_rcu(),
 * kernel/fork.c vm_area_alloc()/vm_area_free().  Leaves out: vm_refcnt (6.15+;
 * the rw_semaphore form of 6.4-6.14 is modelled), anon_vma chains (issue 4).
 */
#ifndef MMFUZZ_VMA_H
#define MMFUZZ_VMA_H

#include "mm.h"

/* The VMA's object id (its fields; the per-VMA lock has its own kind). */
uint32_t vma_obj(const struct vm_area_struct *vma);

/* Allocate a zeroed VMA for @mm; NULL when the arena is full (-ENOMEM). */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
/* Free after an RCU grace period: lockless lookups may still be looking at it. */
void vm_area_free(struct vm_area_struct *vma);
/* How many VMAs can still be allocated (splits need them up front). */
int vm_area_available(void);

/* Oracle (privileged, no yield): the attached VMA of @mm covering @addr, or NULL. */
const struct vm_area_struct *vma_lookup_oracle(const struct mm_struct *mm, unsigned long addr);

/* Context: mmap_lock held for write. */
void vma_start_write(struct vm_area_struct *vma);
/* Context: rcu_read_lock() or mmap_lock.  Never sleeps; false if write-locked. */
bool vma_start_read(struct vm_area_struct *vma);
void vma_end_read(struct vm_area_struct *vma);
/* Context: the VMA write-locked. */
void vma_mark_detached(struct vm_area_struct *vma, bool detached);
/* mmap_write_unlock(): every VMA write-locked in this cycle is unlocked. */
void vma_end_write_all(struct mm_struct *mm);
/* Assertion helpers. */
void vma_assert_write_locked(struct vm_area_struct *vma);
void vma_assert_locked(struct vm_area_struct *vma);
/* vma_assert_locked() for a callee that has @mm and @addr but not the VMA. */
void mm_assert_locked_at(struct mm_struct *mm, unsigned long addr);

/* A read-locked VMA covering @addr, or NULL (the caller takes mmap_lock). */
struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr);

/*
 * Insert @vma into @mm's tree and its file's i_mmap.
 * Context: mmap_lock held for write, VMA not yet visible.
 */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);

#endif
