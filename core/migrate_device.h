/* SPDX-License-Identifier: MIT */
/*
 * Device-private memory and migrate_vma_*: a device driver moves a process's
 * anonymous pages into memory only the device can address (MEMORY_DEVICE_PRIVATE)
 * and a CPU fault moves them back.  The protocol, stated once (mm/migrate_device.c,
 * Documentation/mm/hmm.rst "Migration to and from device memory"):
 *
 *   1. migrate_vma_setup(): under mmap_lock, walk the range; each page is
 *      referenced, trylocked, and its PTE replaced *under the PTL* by a migration
 *      entry (cleared with a flush if the page is exclusive; otherwise cleared,
 *      and the range flushed before the PTL is dropped), its rmap and the
 *      mapping's reference dropped; then pages still mapped elsewhere are
 *      unmapped through rmap (try_to_migrate()), and pages with references
 *      beyond ours (a pin) are restored and left out;
 *   2. the driver allocates a destination page for each page still selected,
 *      locks it and copies the data (the CPU cannot store to the source any more:
 *      no PTE, no TLB entry maps it);
 *   3. migrate_vma_pages(): the struct page metadata moves, if the source's
 *      references are still only ours (folio_migrate_mapping());
 *   4. migrate_vma_finalize(): each migration entry becomes a PTE of the
 *      destination (a device-private entry for device memory) or of the source
 *      again; pages are unlocked and our references dropped.
 *
 * A CPU access to a device-private entry faults (do_swap_page()): with a
 * reference taken under the PTL, the device's migrate_to_ram() runs the same
 * protocol from device to system memory for the faulting page (its fault_page:
 * one more expected reference).
 *
 * The device is test_hmm's dmirror, scaled down: one device, its memory a pool
 * of frames of the model's arena flagged PG_device_private (allocated when a
 * page moves in, freed when its last reference goes: page_free() returns it to
 * the pool), and its view of the process's memory the process's page tables
 * (a device read looks at the device-private entry under the PTL, as the mirror
 * kept coherent by mmu notifiers would).
 *
 * Models: migrate_vma_setup(), migrate_vma_collect_pmd(), migrate_device_unmap(),
 * migrate_vma_check_page(), migrate_vma_pages() (__migrate_device_pages()),
 * migrate_vma_finalize() (migrate_device_finalize()), lib/test_hmm.c's
 * dmirror_migrate_to_device() and dmirror_devmem_fault() (migrate_to_ram).
 * Leaves out: holes (migrate_vma_insert_page(): an unpopulated page is not
 * selected), huge PMDs (not split: skipped), file and swap-cache pages (not
 * selected or not migrated), KSM folios (not selected: the model's
 * rmap_walk_ksm() serves reclaim only), device-coherent and device-exclusive memory,
 * mmu notifiers (the device has no page table of its own), pgmap owners (one
 * device), migrate_device_range().  The migration pins each folio's anon_vma
 * (folio_get_anon_vma()) for its walks, where the kernel relies on mmap_lock:
 * the model's munmap tears down behind a reservation, not the write lock.
 */
#ifndef MMFUZZ_MIGRATE_DEVICE_H
#define MMFUZZ_MIGRATE_DEVICE_H

#include "mm.h"
#include "pgtable.h"

struct folio;

/* include/linux/migrate.h: a pfn and its state in src[] / dst[] */
#define MIGRATE_PFN_VALID		  (1ul << 0)
#define MIGRATE_PFN_MIGRATE		  (1ul << 1)
#define MIGRATE_PFN_WRITE		  (1ul << 3)
#define MIGRATE_PFN_SHIFT		  6
#define MIGRATE_VMA_PAGES_MAX		  PTRS_PER_PTE
#define MIGRATE_VMA_SELECT_SYSTEM	  (1u << 0)
#define MIGRATE_VMA_SELECT_DEVICE_PRIVATE (1u << 1)

/* Models: struct migrate_vma, its arrays inline. */
struct migrate_vma {
	struct vm_area_struct *vma;
	unsigned long src[MIGRATE_VMA_PAGES_MAX];
	unsigned long dst[MIGRATE_VMA_PAGES_MAX];
	/* the model's: the anon_vma each selected folio pins until finalize */
	struct anon_vma *anon_vma[MIGRATE_VMA_PAGES_MAX];
	unsigned long cpages, npages;
	unsigned long start, end;
	unsigned int flags;
	struct folio *fault_page; /* migrate_to_ram(): the faulting page, referenced */
};

static inline unsigned long migrate_pfn(uint32_t pfn)
{
	return ((unsigned long)pfn << MIGRATE_PFN_SHIFT) | MIGRATE_PFN_VALID;
}
/* The page of a src[]/dst[] entry, or NULL. */
struct folio *migrate_pfn_to_page(unsigned long mpfn);

/*
 * Models: migrate_vma_setup(): collect and unmap [start, end) of @args->vma
 * (page-aligned, inside the VMA, at most MIGRATE_VMA_PAGES_MAX pages).  Returns
 * 0 or -EINVAL.  Context: mmap_lock held for read.
 */
int migrate_vma_setup(struct migrate_vma *args);
/* Models: migrate_vma_pages(): the metadata of each copied page moves. */
void migrate_vma_pages(struct migrate_vma *migrate);
/* Models: migrate_vma_finalize(): the PTEs map the new (or old) pages. */
void migrate_vma_finalize(struct migrate_vma *migrate);

/*
 * Models: dmirror_migrate_to_device() (the HMM_DMIRROR_MIGRATE_TO_DEV ioctl):
 * move the anonymous pages of [@start, @start + @npages pages) of @mm to device
 * memory.  Returns how many moved, or -EINVAL / -EFAULT.  Context: no locks.
 */
int dmirror_migrate_to_device(struct mm_struct *mm, unsigned long start, unsigned long npages);

/*
 * Models: dev_pagemap_ops.migrate_to_ram (dmirror_devmem_fault()): move the
 * device-private page mapped at @addr of @vma back to system memory.  Returns
 * 0 (moved: the access retries), VM_FAULT_SIGBUS / VM_FAULT_OOM, or (the
 * model's) VM_FAULT_RETRY: not moved, another migration of it is in the way
 * (see migrate_device_wait_idle()).  Context: mmap_lock held for read;
 * @fault_page, the faulting page, referenced by the caller (NULL: the kernel
 * before 16ce101db85d, no reference and no fault_page).
 */
int dmirror_devmem_fault(struct vm_area_struct *vma, unsigned long addr, struct folio *fault_page);

/*
 * The model's, not the kernel's: a fault whose migrate_to_ram() could not move
 * @page (generation @gen) because another migration of it holds its lock or a
 * reference returns and retries the access; the kernel's CPU spins so, fault
 * after fault, while the other party runs on its own CPU.  Under the model's
 * cooperative scheduler the spin would starve that party (a `hang`), so the
 * faulting CPU sleeps until the page is unlocked and referenced by its
 * mappings only, or freed.  Context: mmap_lock held, no reference on @page.
 */
void migrate_device_wait_idle(struct folio *page, uint32_t gen);

/*
 * The device reads, in its own memory, the word at @addr of @mm (the
 * HMM_DMIRROR_READ ioctl of a page the device holds).  Returns 0, -EFAULT (no
 * VMA) or -ENOENT (the page is not in device memory).  Context: no locks.
 */
int dmirror_device_read(struct mm_struct *mm, unsigned long addr, uint64_t *val);

#endif
