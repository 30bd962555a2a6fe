/* SPDX-License-Identifier: MIT */
/*
 * get_user_pages: a reference to the folio mapped at a user address, as
 * vmsplice(), O_DIRECT or a driver takes one.  GUP-fast first: with interrupts
 * disabled (the shootdown IPI that precedes freeing a page table waits for us),
 * read the PMD and the PTE locklessly, grab a reference, re-check both, back off
 * if either changed.  Then the slow path: under mmap_lock, follow the PTE under
 * the PTL, faulting the page in (for write: breaking COW) until it is there.
 *
 * Models: mm/gup.c gup_fast() with write_protect_seq, gup_fast_pte_range() and
 * gup_fast_pmd_leaf() (huge PMDs), try_grab_folio(), gup_must_unshare() (anon
 * pages that may be shared; R/O long-term pins of page-cache pages in COW
 * mappings), __get_user_pages() with follow_page_pte(), follow_huge_pmd() and
 * faultin_page() (FAULT_FLAG_UNSHARE).  FOLL_FORCE: a write to a read-only
 * private mapping breaks COW and then may follow the read-only PTE of the
 * exclusive anon copy (can_follow_write_pte()).  Protnone entries: GUP-fast
 * refuses them, the slow path faults (a NUMA hinting fault, FOLL_HONOR_NUMA_FAULT);
 * a PROT_NONE VMA is -EFAULT, also for FOLL_FORCE (the kernel lets ptrace in: not
 * modelled).  The device holds one reference
 * at a time; its accesses and pins are events for the oracle layer.  Leaves out:
 * the pincount of large folios (the bias is on the refcount), FOLL_LONGTERM
 * migration out of movable zones.  pin_user_pages() (the slow path alone, under
 * the caller's mmap_read_lock()) serves the device as a second way to pin.
 */
#ifndef MMFUZZ_GUP_H
#define MMFUZZ_GUP_H

#include "mm.h"

struct folio;

/* gup_flags */
#define FOLL_WRITE    0x01u
#define FOLL_GET      0x04u
#define FOLL_FORCE    0x10u /* ptrace, /proc/pid/mem: write a read-only private mapping */
#define FOLL_LONGTERM 0x100u
#define FOLL_PIN      0x40000u

/*
 * Models: can_follow_write_common(): a FOLL_FORCE write may use a read-only PTE
 * or huge PMD of a private mapping without VM_WRITE once @page is the process's
 * own (exclusive anon: COW was broken for it).  Context: the PTL or PMD lock.
 */
bool can_follow_write_common(struct folio *page, const struct vm_area_struct *vma,
			     unsigned int flags);

/*
 * Models: get_user_pages_fast() / pin_user_pages_fast() for one page: the page
 * mapped at @addr (writable if FOLL_WRITE), its folio grabbed, or NULL with *err = -EFAULT or
 * -ENOMEM.  FOLL_PIN adds GUP_PIN_COUNTING_BIAS, on an exclusive anon page only
 * (a read-only pin unshares first).  Context: no locks held.
 */
struct folio *get_user_pages_fast(struct mm_struct *mm, unsigned long addr, unsigned int flags,
				  int *err);

/*
 * The device side: one buffer, a pin (gup_hold with FOLL_PIN | FOLL_LONGTERM, an
 * RDMA region) or a FOLL_GET reference (a pipe's), taken by a process's syscall;
 * any agent, acting as the device, reads and writes the word at its address
 * through it with no TLB (dma_access: a device takes no shootdowns); gup_release
 * drops it (a writable pin dirties the page, as unpin_user_pages_dirty_lock()).
 * A buffer still held when the agents are done is released before the processes
 * exit.  Oracles: a word the device reads or writes through a pin must be what
 * the process sees at the pinned address (`pin-coherence`), as long as the
 * address keeps the mapping it was pinned in and the process did not unmap the
 * page there; after fork, no read through a pin or a reference returns what the
 * other process stored since (`isolation`).
 */
/* @fast: get_user_pages_fast() / pin_user_pages_fast(); else pin_user_pages()
 * under mmap_read_lock(), the slow path alone. */
int gup_hold(struct mm_struct *mm, unsigned long addr, unsigned int flags, bool fast);
int gup_release(void);
void gup_release_all(void);
int dma_access(int agent, bool write, uint64_t *val);

/*
 * A short-lived reference (vmsplice() into a pipe that is read at once): take it
 * with @flags, read the word at @addr through it, drop it.  Returns 0 or -errno.
 */
int gup_read_once(struct mm_struct *mm, unsigned long addr, unsigned int flags, uint64_t *val);
/*
 * Models: access_remote_vm() writing one word, as a debugger's write to
 * /proc/pid/mem or PTRACE_POKEDATA: GUP with FOLL_FORCE | FOLL_WRITE under
 * mmap_lock, the store through the kernel's mapping of the page, the page put.
 */
int access_remote_vm_write(struct mm_struct *mm, unsigned long addr, uint64_t val);

#endif
