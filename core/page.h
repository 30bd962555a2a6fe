/* SPDX-License-Identifier: MIT */
/*
 * Frames, pages and folios: refcount, mapcount, flags, a payload, and an
 * allocation generation so that a stale reference (a TLB entry, a pin, a walker)
 * to a frame freed since is detectable.  Every access to shared folio state is a
 * yield point at the caller's site.
 *
 * Models: include/linux/mm.h, page_ref.h, page-flags.h, mm/page_alloc.c (the parts
 * a race can see).  Leaves out: compound pages, LRU lists, memcg, zones.
 */
#ifndef MMFUZZ_PAGE_H
#define MMFUZZ_PAGE_H

#include "mm.h"

enum pageflags {
	PG_locked,
	PG_dirty,
	PG_uptodate,
	PG_writeback,
	PG_anon,
	PG_referenced,
	PG_swapbacked,	   /* anon: cleared by MADV_FREE (lazyfree: discardable while clean) */
	PG_anon_exclusive, /* anon: mapped by one process only, may be pinned (PageAnonExclusive) */
	PG_lru,		   /* on an LRU list: reclaim can find it (set once the folio is mapped) */
	PG_swapcache,	   /* anon: in the swap cache, for slot folio->swap (swap.h) */
	PG_ksm,		   /* anon: a KSM folio, in ksmd's stable tree (PAGE_MAPPING_KSM) */
	PG_device_private, /* a page of device memory (MEMORY_DEVICE_PRIVATE, migrate_device.h) */
};

/*
 * FOLL_PIN on a small folio adds GUP_PIN_COUNTING_BIAS to the refcount, so
 * folio_maybe_dma_pinned() may say yes for a folio with a great many references
 * (false positive), never no for a pinned one.
 */
#define GUP_PIN_COUNTING_BIAS 1024

static inline uint32_t folio_pfn(const struct folio *folio)
{
	return (uint32_t)(folio - mm_world.frames);
}

static inline struct folio *pfn_page(uint32_t pfn)
{
	SCHED_ASSERT(pfn < NR_FRAMES);
	return &mm_world.frames[pfn];
}
static inline struct folio *page_folio(const struct folio *page)
{
	return (struct folio *)(page - page->page_idx);
}
static inline struct folio *pfn_folio(uint32_t pfn)
{
	return page_folio(pfn_page(pfn));
}
static inline struct folio *folio_page(struct folio *folio, int i)
{
	return folio + i;
}
static inline int folio_nr_pages(const struct folio *folio)
{
	return 1 << folio->order;
}
static inline bool folio_test_large(const struct folio *folio)
{
	return folio->order != 0;
}

static inline uint32_t folio_obj(const struct folio *folio)
{
	return SCHED_OBJ(OBJ_FOLIO, folio_pfn(folio));
}

static inline uint32_t folio_data_obj(const struct folio *folio)
{
	return SCHED_OBJ(OBJ_DATA, folio_pfn(folio));
}

/* Allocate a zeroed folio of 1 << @order aligned frames with refcount 1; NULL
 * (-ENOMEM) when the arena has no such run. */
struct folio *folio_alloc_order(int order);
static inline struct folio *folio_alloc(void)
{
	return folio_alloc_order(0);
}

int __folio_ref_count(struct folio *folio, struct sched_site *site);
void __folio_get(struct folio *folio, struct sched_site *site);
void __folio_put(struct folio *folio, struct sched_site *site);
int __folio_mapcount(struct folio *folio, struct sched_site *site);
bool __folio_test_flag(struct folio *folio, enum pageflags f, struct sched_site *site);
void __folio_set_flag(struct folio *folio, enum pageflags f, struct sched_site *site);
bool __folio_test_clear_flag(struct folio *folio, enum pageflags f, struct sched_site *site);
bool __folio_test_set_flag(struct folio *folio, enum pageflags f, struct sched_site *site);
bool __folio_mark_dirty(struct folio *folio, struct sched_site *site);
void __folio_lock(struct folio *folio, struct sched_site *site);
void __folio_unlock(struct folio *folio, struct sched_site *site);
/* Map/unmap one page (of its folio) by a PTE: its mapcount and the folio's. */
void __folio_add_rmap_pte(struct folio *page, struct sched_site *site);
void __folio_remove_rmap_pte(struct folio *page, struct sched_site *site);

#define folio_ref_count(f)   __folio_ref_count((f), MM_SITE("folio_ref_count"))
#define folio_get(f)	     __folio_get((f), MM_SITE("folio_get"))
#define folio_put(f)	     __folio_put((f), MM_SITE("folio_put"))
#define folio_mapcount(f)    __folio_mapcount((f), MM_SITE("folio_mapcount"))
#define folio_mapped(f)	     (__folio_mapcount((f), MM_SITE("folio_mapped")) > 0)
#define folio_test_dirty(f)  __folio_test_flag((f), PG_dirty, MM_SITE("folio_test_dirty"))
#define folio_test_anon(f)   (page_folio(f)->flags >> PG_anon & 1u) /* of a page's folio too */
#define folio_test_locked(f) ((f)->flags >> PG_locked & 1u)
#define folio_test_clear_dirty(f)                                                                  \
	__folio_test_clear_flag((f), PG_dirty, MM_SITE("folio_test_clear_dirty"))
#define folio_mark_dirty(f)    __folio_mark_dirty((f), MM_SITE("folio_mark_dirty"))
#define folio_mark_accessed(f) __folio_set_flag((f), PG_referenced, MM_SITE("folio_mark_accessed"))
#define folio_start_writeback(f)                                                                   \
	__folio_set_flag((f), PG_writeback, MM_SITE("folio_start_writeback"))
#define folio_end_writeback(f)                                                                     \
	((void)__folio_test_clear_flag((f), PG_writeback, MM_SITE("folio_end_writeback")))
#define folio_lock(f)			__folio_lock((f), MM_SITE("folio_lock"))
#define folio_trylock(f)		(!__folio_test_set_flag((f), PG_locked, MM_SITE("folio_trylock")))
#define folio_unlock(f)			__folio_unlock((f), MM_SITE("folio_unlock"))
#define folio_add_file_rmap_pte(f, vma) __folio_add_rmap_pte((f), MM_SITE("folio_add_rmap_pte"))
#define folio_add_anon_rmap_pte(f, vma)                                                            \
	__folio_add_rmap_pte((f), MM_SITE("folio_add_anon_rmap_pte"))
/* Map a new anon folio at @addr of @vma (index = linear page index, as the kernel),
 * by a PTE (order 0) or by a PMD (the whole folio). */
void __folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			       struct sched_site *site);
#define folio_add_new_anon_rmap(f, vma, addr)                                                      \
	__folio_add_new_anon_rmap((f), (vma), (addr), MM_SITE("folio_add_new_anon_rmap"))
/* A new large anon folio mapped by @nr PTEs from @addr on (mTHP), each page exclusive. */
void __folio_add_new_anon_rmap_ptes(struct folio *folio, struct vm_area_struct *vma,
				    unsigned long addr, int nr, struct sched_site *site);
#define folio_add_new_anon_rmap_ptes(f, vma, addr, nr)                                             \
	__folio_add_new_anon_rmap_ptes((f), (vma), (addr), (nr),                                   \
				       MM_SITE("folio_add_new_anon_rmap_ptes"))
/* The same for a PMD-sized folio mapped by a PMD at @haddr (all pages exclusive). */
void __folio_add_new_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
				   unsigned long haddr, struct sched_site *site);
#define folio_add_new_anon_rmap_pmd(f, vma, haddr)                                                 \
	__folio_add_new_anon_rmap_pmd((f), (vma), (haddr), MM_SITE("folio_add_new_anon_rmap_pmd"))
/* Unmap / duplicate (fork: -EBUSY if exclusive and maybe pinned) a PMD mapping. */
void __folio_remove_rmap_pmd(struct folio *folio, struct sched_site *site);
int __folio_try_dup_anon_rmap_pmd(struct folio *folio, struct sched_site *site);
#define folio_remove_rmap_pmd(f) __folio_remove_rmap_pmd((f), MM_SITE("folio_remove_rmap_pmd"))
#define folio_try_dup_anon_rmap_pmd(f)                                                             \
	__folio_try_dup_anon_rmap_pmd((f), MM_SITE("folio_try_dup_anon_rmap_pmd"))
/*
 * SetPageAnonExclusive() of a PMD-mapped folio's head page: in the kernel the
 * head's flag speaks for the PMD mapping; the model keeps it on every page, as
 * folio_try_dup_anon_rmap_pmd() clears it.  Context: PMD lock.
 */
void __folio_set_anon_exclusive_pmd(struct folio *folio, struct sched_site *site);
#define folio_set_anon_exclusive_pmd(f)                                                            \
	__folio_set_anon_exclusive_pmd((f), MM_SITE("SetPageAnonExclusive"))
/*
 * Models: folio_likely_mapped_shared(): a small folio mapped more than once, a
 * large one mapped by a PMD or whose first page is mapped more than once (a
 * guess, as the kernel's: cheap, and wrong only for odd partial mappings).
 */
bool __folio_likely_mapped_shared(struct folio *folio, struct sched_site *site);
#define folio_likely_mapped_shared(f)                                                              \
	__folio_likely_mapped_shared((f), MM_SITE("folio_likely_mapped_shared"))
/* A PMD mapping becomes one PTE mapping per page (split).  Context: PMD lock. */
void __folio_split_pmd_mapping(struct folio *folio, struct sched_site *site);
#define folio_split_pmd_mapping(f)                                                                 \
	__folio_split_pmd_mapping((f), MM_SITE("folio_split_pmd_mapping"))
/* A reference unless the folio is already free (folio_try_get()). */
bool __folio_try_get(struct folio *folio, struct sched_site *site);
#define folio_try_get(f) __folio_try_get((f), MM_SITE("folio_try_get"))
#define folio_test_swapbacked(f)                                                                   \
	__folio_test_flag((f), PG_swapbacked, MM_SITE("folio_test_swapbacked"))
#define folio_set_swapbacked(f)                                                                    \
	__folio_set_flag((f), PG_swapbacked, MM_SITE("folio_set_swapbacked"))
#define folio_mark_lazyfree(f)                                                                     \
	((void)__folio_test_clear_flag((f), PG_swapbacked, MM_SITE("folio_mark_lazyfree")))
#define folio_remove_rmap_pte(f, vma) __folio_remove_rmap_pte((f), MM_SITE("folio_remove_rmap_pte"))
#define folio_maybe_dma_pinned(f)                                                                  \
	(__folio_ref_count((f), MM_SITE("folio_maybe_dma_pinned")) >= GUP_PIN_COUNTING_BIAS)
#define PageAnonExclusive(f) __folio_test_flag((f), PG_anon_exclusive, MM_SITE("PageAnonExclusive"))
#define SetPageAnonExclusive(f)                                                                    \
	__folio_set_flag((f), PG_anon_exclusive, MM_SITE("SetPageAnonExclusive"))
#define ClearPageAnonExclusive(f)                                                                  \
	((void)__folio_test_clear_flag((f), PG_anon_exclusive, MM_SITE("ClearPageAnonExclusive")))
/* Add/drop @refs references at once (a pin: GUP_PIN_COUNTING_BIAS). */
void __folio_ref_add(struct folio *folio, int refs, struct sched_site *site);
#define folio_ref_add(f, n) __folio_ref_add((f), (n), MM_SITE("folio_ref_add"))
/*
 * The same add where the kernel has it as a bare atomic_add() whose ordering
 * matters (GUP-fast's pin): in memory arm64 it goes into the CPU's store buffer
 * (sb_kernel_ref_add()), so the CPU's later loads may pass it.
 */
void __folio_ref_add_relaxed(struct folio *folio, int refs, struct sched_site *site);
#define folio_ref_add_relaxed(f, n) __folio_ref_add_relaxed((f), (n), MM_SITE("folio_ref_add"))
#define folio_ref_sub(f, n)	    __folio_ref_add((f), -(n), MM_SITE("folio_ref_sub"))
/*
 * Models: folio_try_dup_anon_rmap_pte() (fork): a page that is exclusive and may
 * be pinned must not be shared: -EBUSY, the caller copies it for the child;
 * otherwise it stops being exclusive and gains a mapping.  Context: PTLs held.
 */
int __folio_try_dup_anon_rmap_pte(struct folio *page, struct sched_site *site);
#define folio_try_dup_anon_rmap_pte(page)                                                          \
	__folio_try_dup_anon_rmap_pte((page), MM_SITE("folio_try_dup_anon_rmap_pte"))

/*
 * Copy one word of payload (folio_copy(), word by word: a device may write the
 * source meanwhile), the copy reported to the oracle layer as such.
 */
void __folio_copy_word(struct folio *dst, struct folio *src, int word, struct sched_site *site);
#define folio_copy_word(dst, src, w) __folio_copy_word((dst), (src), (w), MM_SITE("folio_copy"))

/*
 * PG_swapcache changes only under the folio lock (add_to_swap(),
 * delete_from_swap_cache()), which every reader that acts on it holds: a plain
 * read, as folio_test_anon().
 */
#define folio_test_swapcache(f) (page_folio(f)->flags >> PG_swapcache & 1u)
/* Models: folio_is_device_private(): set at allocation by the device's driver, constant
 * while the frame is allocated: a plain read. */
#define folio_is_device_private(f) (page_folio(f)->flags >> PG_device_private & 1u)
/*
 * Models: page_pgmap() of a device page, the read of its dev_pagemap (the
 * device's ops and data, e.g. migrate_to_ram): a read of the page's metadata,
 * which must not have been freed (memunmap_pages() may free the pgmap itself).
 * Returns whether it is device-private.
 */
bool __page_pgmap(struct folio *page, struct sched_site *site);
#define page_pgmap(page) __page_pgmap((page), MM_SITE("page_pgmap"))
/*
 * Models: folio_try_share_anon_rmap_pte() (try_to_unmap_one() before it writes a
 * swap entry): a page that may be pinned must stay exclusive and mapped: -EBUSY;
 * otherwise it stops being exclusive (the swap entry carries the bit from here).
 * Paired with GUP-fast's re-check of the PTE after its grab: the PTE is cleared
 * first.  Context: PTL held, the PTE cleared.
 */
int __folio_try_share_anon_rmap_pte(struct folio *page, struct sched_site *site);
#define folio_try_share_anon_rmap_pte(page)                                                        \
	__folio_try_share_anon_rmap_pte((page), MM_SITE("folio_try_share_anon_rmap_pte"))
/*
 * Models: folio_ref_freeze(): if the refcount is @count, make it 0 at once (no
 * speculative folio_try_get() succeeds then), as __remove_mapping() does before it
 * takes a reclaimed folio out of its cache.  false if someone else holds it.
 * folio_ref_unfreeze() gives the references back; folio_free_frozen() frees the
 * frames of a frozen folio (free_unref_folios(), after reclaim's TLB flush).
 */
bool __folio_ref_freeze(struct folio *folio, int count, struct sched_site *site);
#define folio_ref_freeze(f, count) __folio_ref_freeze((f), (count), MM_SITE("folio_ref_freeze"))
void folio_ref_unfreeze(struct folio *folio, int count);
void folio_free_frozen(struct folio *folio);

/*
 * folio_test_ksm(): set once under the folio lock, when ksmd makes the folio a KSM
 * folio (write-protected everywhere), and never cleared while it lives: a plain
 * read, as folio_test_anon().
 */
#define folio_test_ksm(f) (page_folio(f)->flags >> PG_ksm & 1u)
#define folio_set_ksm(f)  __folio_set_flag((f), PG_ksm, MM_SITE("folio_set_stable_node"))
/*
 * Models: pages_identical() (memcmp_pages()): compare the payloads of two pages
 * word by word, each read a yield point.  Words found equal are reported to the
 * oracle layer (the two origins hold one value): a merge that follows may let a
 * process read the other page's copy of it.
 */
bool __pages_identical(struct folio *a, struct folio *b, struct sched_site *site);
#define pages_identical(a, b) __pages_identical((a), (b), MM_SITE("pages_identical"))
/*
 * Models: vma_alloc_zeroed_movable_folio(): a new anon page, cleared by the
 * faulting CPU.  In `memory arm64` the clear is that CPU's stores, in its store
 * buffer (sbuf.h): until they drain, memory holds what the frame held before.
 */
struct folio *vma_alloc_zeroed_movable_folio(void);
/*
 * Models: __folio_mark_uptodate(): smp_wmb(), then PG_uptodate: the stores that
 * made the content are visible before anything published after it (the PTE).
 * Knob uptodate-no-wmb: no barrier (before 0ed361dec369).
 */
void __folio_mark_uptodate(struct folio *folio);

/* Payload access by the model (copying, writeback) and by users through a TLB. */
uint64_t __folio_read_word(struct folio *folio, int word, struct sched_site *site);
void __folio_write_word(struct folio *folio, int word, uint64_t v, struct sched_site *site);
#define folio_read_word(f, w)	  __folio_read_word((f), (w), MM_SITE("read_word"))
#define folio_write_word(f, w, v) __folio_write_word((f), (w), (v), MM_SITE("write_word"))

#endif
