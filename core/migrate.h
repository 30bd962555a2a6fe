/* SPDX-License-Identifier: MIT */
/*
 * Page migration of anonymous folios, the protocol stated once (mm/migrate.c):
 * with an isolation reference held, lock the source folio; replace every PTE that
 * maps it by a migration entry (try_to_migrate(): clear and flush under the PTL,
 * then drop the rmap and the mapping's reference); if nothing maps it any more
 * and nobody but us holds a reference (a GUP reference makes the copy unsafe),
 * copy data and flags to the new folio; then replace the migration entries by
 * PTEs of the new folio — or of the old one if the move was refused — and unlock.
 * A fault that meets a migration entry waits for the folio lock and retries.
 *
 * Models: migrate_pages() for one folio in MIGRATE_SYNC mode, try_to_migrate_one(),
 * remove_migration_pte(), migration_entry_wait(), move_pages(2) for one page.
 * Leaves out: file folios (they need the speculative page-cache lookup:
 * folio_try_get() + re-check, and a reference freeze), large folios, batched
 * flushes.  Device memory (migrate_vma_*) uses the same entries: migrate_device.h.
 */
#ifndef MMFUZZ_MIGRATE_H
#define MMFUZZ_MIGRATE_H

#include "mm.h"
#include "pgtable.h"

struct folio;

/*
 * Migrate @folio (anonymous, order 0) to a new frame.  Context: the caller holds a
 * reference (isolation), no locks.  Returns 0, -EAGAIN (extra references or
 * still mapped: the caller may retry), -EBUSY or -ENOMEM.
 */
int migrate_folio_anon(struct folio *folio);

/*
 * Models: migrate_misplaced_folio() for a NUMA hinting fault: migrate_folio_anon()
 * with its retries, then drop the caller's isolation reference.  Returns 0 or
 * migrate_folio_anon()'s last error.  Context: no locks.
 */
int migrate_misplaced_folio(struct folio *folio);

/*
 * Models: move_pages(2) for the page mapped at @addr.  Returns 0, -EFAULT (no
 * VMA), -ENOENT (nothing mapped), -EINVAL (a file page), or migrate_folio_anon()'s
 * error after its retries.
 */
int do_move_page(struct mm_struct *mm, unsigned long addr);

/*
 * Models: try_to_migrate(): every PTE mapping @folio (present, or a device-private
 * entry) becomes a migration entry, but for a maybe-pinned exclusive page (left
 * mapped: the walk stops, returns false).  Context: @folio locked, a reference
 * held, its anon_vma pinned (folio_get_anon_vma()).
 */
bool try_to_migrate(struct folio *folio);
/*
 * Models: remove_migration_ptes(): @src's migration entries map @dst instead
 * (@src again if the move was refused), a device-private entry if @dst is
 * device memory.  Context: both locked, @src's anon_vma pinned.
 */
void remove_migration_ptes(struct folio *src, struct folio *dst);

/*
 * Models: pfn_swap_entry_folio() (include/linux/swapops.h): the folio a
 * migration entry names.  It must be locked (VM_BUG_ON otherwise): the
 * migration that wrote the entry holds the folio lock until
 * remove_migration_ptes() has replaced the entry again, so an entry found under
 * the PTL whose folio is unlocked is one that migration's rmap walk missed.
 */
struct folio *pfn_swap_entry_folio(pte_t entry);

/*
 * Models: migration_entry_wait(): the PTE at @addr held a migration entry; wait
 * until that migration is over.  Context: mmap_lock or the VMA lock held, no PTL.
 */
void migration_entry_wait(struct mm_struct *mm, pmd_t *pmdp, unsigned long addr);

#endif
