/* SPDX-License-Identifier: MIT */
/*
 * A read-only look at what the model holds for one user address, for tools that
 * show an execution (mmfuzz show's state cells): the PTE (or huge PMD) that maps
 * it in each process, each CPU's TLB entry for it, and the state of a frame —
 * its folio's refcount and mapcount, dirty, anon and KSM flags, the page's
 * PageAnonExclusive, whether it may be pinned.
 *
 * Privileged like the oracle's view: no yield point, no lock, nothing changes, so
 * it may be called between any two steps (sched_set_step_hook) without changing
 * the execution.  Only accessors of the model are used (mm_get, pte_oracle_get,
 * tlb_lookup, pfn_page); it knows nothing of the tools.
 *
 * Leaves out: the device's buffer (which frame a pin is on: a pin shows as the
 * refcount's GUP_PIN_COUNTING_BIAS, as folio_maybe_dma_pinned() sees it), swap
 * entries, the payload.
 */
#ifndef MMFUZZ_INSPECT_H
#define MMFUZZ_INSPECT_H

#include "mm.h"
#include "pgtable.h"

/* The translation of the address in one process. */
struct mm_inspect_pte {
	bool huge;	/* a huge PMD maps it (pte: what that PMD amounts to here) */
	bool pmd_split; /* the huge PMD is being split (pmdp_invalidate()) */
	pte_t pte;
};

/* One CPU's TLB entry for the address in one process. */
struct mm_inspect_tlb {
	bool valid;
	bool write, dirty, cont;
	uint32_t pfn;
	/* it disagrees with the page tables: they map nothing there, another frame,
	 * or not writable while the entry is; or its frame was freed since the fill */
	bool stale;
};

struct mm_inspect {
	unsigned long addr;
	struct mm_inspect_pte pte[NR_MMS];
	struct mm_inspect_tlb tlb[NR_CPUS][NR_MMS];
};

/* One frame: the page and its folio. */
struct mm_inspect_frame {
	uint32_t pfn;
	bool allocated;
	uint32_t gen;	     /* the frame's allocation generation */
	uint32_t head;	     /* the folio's first frame */
	int order;	     /* the folio has 1 << order pages */
	int refcount;	     /* the folio's, pins included */
	int refs_unpinned;   /* refcount less the pin's GUP_PIN_COUNTING_BIAS */
	int mapcount;	     /* the folio's: every PTE and PMD mapping it */
	int page_mapcount;   /* this page's PTE mappings */
	bool pinned;	     /* folio_maybe_dma_pinned(): refcount >= GUP_PIN_COUNTING_BIAS */
	bool dirty;	     /* PG_dirty */
	bool anon;	     /* PG_anon */
	bool anon_exclusive; /* PageAnonExclusive (this page) */
	bool ksm;	     /* PG_ksm: a KSM page (ksm.h) */
	bool locked;	     /* PG_locked */
	bool writeback;	     /* PG_writeback */
	int file;	     /* page cache of file Fn, or -1 */
	unsigned long index; /* file pages: the page's offset in the file */
};

/* The translations of @addr (page-aligned by the callee) in every process and TLB. */
void mm_inspect(unsigned long addr, struct mm_inspect *out);

/* The frame (pte_pfn(), a TLB entry's pfn) @pfn; false if there is no such frame. */
bool mm_inspect_frame(uint32_t pfn, struct mm_inspect_frame *out);

/* The frame a PTE names (present, or a migration entry), or UINT32_MAX. */
uint32_t mm_inspect_pte_pfn(pte_t pte);

#endif
