/* SPDX-License-Identifier: MIT */
/*
 * get_user_pages: a reference to the folio mapped at a user address, as
 * vmsplice(), O_DIRECT or a driver takes one.  GUP-fast first: with interrupts
 * disabled (the shootdown IPI that precedes freeing a page table waits for us),
 * read the PMD and the PTE locklessly, grab a reference, re-check both, back off
 * if either changed.  Then the slow path: under mmap_lock, follow the PTE under
 * the PTL, faulting the page in (for write: breaking COW) until it is there.
 *
 * Models: mm/gup.c gup_fast_pte_range() and try_grab_folio() for FOLL_GET,
 * __get_user_pages() with follow_page_pte() and faultin_page().  Leaves out
 * (issue 4): FOLL_PIN and pincount, FOLL_LONGTERM, unshare faults,
 * write_protect_seq, huge PMDs, DMA agents.
 */
#ifndef MMFUZZ_GUP_H
#define MMFUZZ_GUP_H

#include "mm.h"

struct folio;

/*
 * Models: get_user_pages_fast(addr, 1, write ? FOLL_WRITE : 0): a referenced
 * folio mapped at @addr (writable if @write), or NULL with *err = -EFAULT or
 * -ENOMEM.  Context: no locks held.
 */
struct folio *get_user_pages_fast(struct mm_struct *mm, unsigned long addr, bool write, int *err);

/*
 * A user of a GUP reference (vmsplice(), an O_DIRECT write): take it (FOLL_WRITE
 * if @write), read the word at @addr through it, drop it.  Returns 0 or -errno.
 */
int gup_read_word(struct mm_struct *mm, unsigned long addr, bool write, uint64_t *val);

#endif
