/* SPDX-License-Identifier: MIT */
/*
 * Historical bugs as knobs: one table.  The model is the fixed kernel by default; a
 * knob puts one real, historical race back at the place the kernel had it.  Knobs are
 * runtime switches (one build serves all) and a knob never changes behaviour when off.
 */
#ifndef MMFUZZ_KNOBS_H
#define MMFUZZ_KNOBS_H

#include <stdbool.h>
#include <stdint.h>

/* X(enum, "cli-name", "oracle", "description with upstream reference") */
#define MM_KNOBS(X)                                                                                  \
	X(KNOB_ZAP_RMAP_BEFORE_FLUSH, "zap-rmap-before-flush", "lost-write",                         \
	  "zap_pte_range() drops the mapcount of a dirty shared file page right "                    \
	  "after clearing its PTE, before the TLB flush; folio_mkclean() then sees "                 \
	  "the page unmapped while another CPU can still write through a stale TLB "                 \
	  "entry (fixed by 5df397dec7c4, delay rmap removal until after the flush)")                 \
	X(KNOB_ZAP_FLUSH_AFTER_UNLOCK, "zap-flush-after-unlock", "lost-write",                       \
	  "zap_pte_range() does its forced TLB flush (and the delayed rmap removal) "                \
	  "only after dropping the PTE lock; folio_mkclean() takes the lock, finds "                 \
	  "the PTE already clear and cleans the page while a stale writable TLB "                    \
	  "entry survives (fixed by 1cf35d47712d, 2014: flush before releasing the "                 \
	  "page table lock)")                                                                        \
	X(KNOB_MUNMAP_UNLOCK_BEFORE_FLUSH, "munmap-unlock-before-flush", "tlb-coherence",            \
	  "munmap() drops mmap_lock before zapping the PTEs and flushing the TLB with nothing "      \
	  "reserving the range (the tree holds NULL, not a ZERO reservation): a concurrent "         \
	  "mmap() is handed the same addresses and faults new pages in while another CPU still "     \
	  "translates them to the old ones (the hazard dd2283f2605e avoided, 2018, by holding "      \
	  "mmap_lock for read across the flush; the Glisse/Wilcox thread, Dec 2019)")                \
	X(KNOB_MUNMAP_FREE_RANGE_BEFORE_FLUSH, "munmap-free-range-before-flush", "tlb-coherence",    \
	  "munmap() releases its ZERO reservation (stores NULL) once the PTEs are clear, before "    \
	  "the TLB flush and the page-table free: mmap() hands the range out and a fault maps a "    \
	  "new page while another CPU still translates the address to the old one (the "             \
	  "Glisse/Wilcox thread, Dec 2019: a range is reusable only after the flush)")               \
	X(KNOB_MTREE_ZERO_AS_GAP, "mtree-zero-as-gap", "tlb-coherence",                              \
	  "the gap search of get_unmapped_area() treats a ZERO reservation as free: mmap() is "      \
	  "handed a range munmap() is still tearing down (the maple tree's mas_empty_area() must "   \
	  "count XA_ZERO_ENTRY as occupied; Glisse/Wilcox thread, Dec 2019)")                        \
	X(KNOB_MAP_FIXED_TEMPORAL_GAP, "map-fixed-temporal-gap", "vma-visibility",                   \
	  "MAP_FIXED over an existing mapping removes the old VMAs from the tree, unmaps them, "     \
	  "and only then stores the new VMA: a lockless reader of the tree (PROCMAP_QUERY under "    \
	  "RCU and per-VMA locks) finds nothing at an address that is mapped before and after "      \
	  "(fixed by f8d112a4e657, 6.12: gather the old VMAs, store the new one over them, then "    \
	  "complete the unmap)")                                                                     \
	X(KNOB_PTE_LOCKLESS_TORN, "pte-lockless-torn", "use-after-free",                             \
	  "32-bit PAE split PTEs: ptep_get_lockless() reads the low and the high word once each, "   \
	  "so a PTE rewritten between the two reads comes back torn — the present bit and low "    \
	  "pfn bits of one entry, the high pfn bits of another — and GUP-fast grabs a frame that " \
	  "was never mapped there (the fix: read low, high, low again and retry, x86 PAE "           \
	  "gup_get_pte(), generic ptep_get_lockless() since 2020)")                                  \
	X(KNOB_COW_REUSE_BY_MAPCOUNT, "cow-reuse-by-mapcount", "isolation",                          \
	  "do_wp_page() reuses an anonymous page in place when its mapcount is 1, as before "        \
	  "2020: "                                                                                   \
	  "a child that took a read-only GUP reference (vmsplice) and unmapped the page then "       \
	  "reads the parent's later writes through it (CVE-2020-29374; Linus Torvalds, \"mm: "       \
	  "do_wp_page() simplification\", 5.9, reuse only when the refcount proves it unique; "      \
	  "do_huge_pmd_wp_page() kept the mapcount rule for THPs until 5.18)")                       \
	X(KNOB_COW_REUSE_BY_REFCOUNT, "cow-reuse-by-refcount", "pin-coherence",                      \
	  "do_wp_page() reuses an anonymous page only when its refcount is 1 and has no "            \
	  "PageAnonExclusive, as in 5.9-5.18: a pinned page whose PTE was write-protected (e.g. "    \
	  "mprotect R/O, then R/W) is copied on the next write, and the process and the device "     \
	  "part ways (David Hildenbrand, \"mm: remember exclusively mapped anonymous pages with "    \
	  "PG_anon_exclusive\", 5.19; do_huge_pmd_wp_page() likewise for THPs, and "                 \
	  "mprotect() makes no private PTE writable before 6.0)")                                    \
	X(KNOB_FORK_SHARE_PINNED, "fork-share-pinned", "pin-coherence",                              \
	  "fork() shares a pinned exclusive anonymous page with the child instead of copying it "    \
	  "for the child at once: the parent's next write copies it away from the pin, and DMA "     \
	  "writes land in the child's page (Peter Xu, \"mm: Do early cow for pinned pages during "   \
	  "fork() for ptes\", 5.9)")                                                                 \
	X(KNOB_GUP_RO_NO_UNSHARE, "gup-ro-no-unshare", "pin-coherence",                              \
	  "a read-only pin of a possibly shared anonymous page is taken as is, without the "         \
	  "unshare fault that makes it exclusive first: after fork the pin holder reads the "        \
	  "other "                                                                                   \
	  "process's writes (David Hildenbrand, \"mm/gup: trigger FAULT_FLAG_UNSHARE when "          \
	  "R/O-pinning a possibly shared anonymous page\", 5.19)")                                   \
	X(KNOB_GUPFAST_IGNORE_WRITE_PROTECT_SEQ, "gupfast-ignore-write-protect-seq",                 \
	  "pin-coherence",                                                                           \
	  "GUP-fast pins without checking mm->write_protect_seq: it pins a page fork() is about "    \
	  "to share (write-protected, no longer exclusive), and the parent's next write copies "     \
	  "it "                                                                                      \
	  "away from the pin (Jason Gunthorpe, \"mm/gup: prevent gup_fast from racing with COW "     \
	  "during fork\", 5.11)")                                                                    \
	X(KNOB_COLLAPSE_NO_REFCOUNT_CHECK, "collapse-no-refcount-check", "pin-coherence",            \
	  "khugepaged collapses pages that carry references beyond their mappings: a pinned page "   \
	  "is copied into the huge folio and unmapped while the device keeps the old one, so its "   \
	  "DMA writes vanish (collapse_huge_page() aborts unless the refcount is the mapcount; "     \
	  "Hildenbrand, Jan 2025 thread)")                                                           \
	X(KNOB_COLLAPSE_BACKOFF_CLEARS_PTES, "collapse-backoff-clears-ptes", "lost-write",           \
	  "collapse clears each PTE as it isolates the page, in place (the read-lock variant "       \
	  "discussed in the Jan 2025 thread) instead of working on the detached table: when it "     \
	  "must back off (a page is pinned or locked) it has nothing to restore, and the process "   \
	  "loses the pages it had already isolated")                                                 \
	X(KNOB_ZAP_NO_NESTED_FLUSH, "zap-no-nested-flush", "tlb-coherence",                          \
	  "tlb_finish_mmu() does not check mm_tlb_flush_nested(): of two MADV_DONTNEED zapping "     \
	  "the same range under mmap_lock for read, the one that finds the PTEs already clear "      \
	  "flushes nothing and returns while the other's flush is still pending, so a CPU keeps "    \
	  "translating the range after madvise() returned (fixed by 99baac21e458, 2017)")            \
	X(KNOB_NO_FLUSH_BATCHED_PENDING, "no-flush-batched-pending", "tlb-coherence",                \
	  "zap, mprotect and mremap do not call flush_tlb_batched_pending(): reclaim cleared a "     \
	  "PTE and deferred its TLB flush, MADV_DONTNEED finds the PTE already clear, has "          \
	  "nothing to flush and returns while a CPU still translates the address to the page "       \
	  "reclaim is about to free (fixed by 3ea277194daa, 2017)")                                  \
	X(KNOB_MREMAP_FLUSH_AFTER_UNLOCK, "mremap-flush-after-unlock", "lost-write",                 \
	  "move_ptes() flushes the old range only after dropping the PTE locks: rmap walkers "       \
	  "(writeback's folio_mkclean) find the page at its new address and clean it there "         \
	  "while another CPU can still write it through the old address (CVE-2018-18281, fixed "     \
	  "by eb66ae030829)")                                                                        \
	X(KNOB_DIRTY_COW, "dirty-cow", "isolation",                                                  \
	  "__get_user_pages() drops FOLL_WRITE once a FOLL_FORCE write fault has broken COW in a "   \
	  "mapping without VM_WRITE, and follows the PTE for read: if MADV_DONTNEED zaps the "       \
	  "private copy before the retry, the read fault maps the page-cache page and a "            \
	  "debugger's write to a read-only private file mapping lands in the file (Dirty COW, "      \
	  "CVE-2016-5195, fixed by 19be0eaffa3a)")                                                   \
	X(KNOB_CONTPTE_NONATOMIC_AD_WRITEBACK, "contpte-nonatomic-ad-writeback", "contpte",          \
	  "arm64: unfolding a contpte block reads its entries, gathers their access/dirty bits "     \
	  "and "                                                                                     \
	  "writes them back with plain stores over the live entries (the idea of the series' "       \
	  "first "                                                                                   \
	  "version): a dirty bit the hardware sets on one entry in between is overwritten and "      \
	  "the "                                                                                     \
	  "write is forgotten (Popple/Roberts review, Nov 2023; contpte_convert() clears every "     \
	  "entry with an atomic get-and-clear first, v6.9)")                                         \
	X(KNOB_CONTPTE_CLEAR_WITHOUT_UNFOLD, "contpte-clear-without-unfold", "contpte",              \
	  "arm64: ptep_get_and_clear() of one entry of a live contpte block does not unfold the "    \
	  "block first: the other entries stay CONT around a hole, and a walker reading one of "     \
	  "them finds a misprogrammed block, whose TLB entry may translate the whole range, hole "   \
	  "included, to the old folio (contpte_try_unfold() in every single-entry modifier, "        \
	  "\"arm64/mm: wire up PTE_CONT for user mappings\", v6.9)")                                 \
	X(KNOB_CONTPTE_FOLD_SKIP_TLBI, "contpte-fold-skip-tlbi", "contpte",                          \
	  "arm64: contpte_convert() folds or unfolds a block without the TLB flush between "         \
	  "clearing and rewriting the entries: a CPU still holding a single-page entry of the "      \
	  "block fills a contiguous entry over it, a TLB conflict (break-before-make, Arm ARM "      \
	  "D8.16; contpte_convert()'s __flush_tlb_range(), v6.9)")                                   \
	X(KNOB_CONTPTE_LOCKLESS_NO_RETRY, "contpte-lockless-no-retry", "contpte",                    \
	  "arm64: ptep_get_lockless() of a CONT entry gathers access/dirty over the block "          \
	  "without "                                                                                 \
	  "checking that the block stayed consistent, so GUP-fast and the fault path get a value "   \
	  "assembled from a block being folded or unfolded (contpte_ptep_get_lockless() retries, "   \
	  "added with the series' GUP-fast support, v6.9)")                                          \
	X(KNOB_GUPFAST_NO_PMD_RECHECK, "gupfast-no-pmd-recheck", "pin-coherence",                    \
	  "GUP-fast re-checks only the PTE after grabbing the folio, not the PMD it read the PTE "   \
	  "through: collapse clears the PMD, finds the page unpinned, copies it and is about to "    \
	  "free it while GUP-fast, still walking the detached table, grabs it and sees the PTE "     \
	  "unchanged; the device keeps the old page, the process gets the huge one (fixed by "       \
	  "70cbc3cc78a9, Yang Shi 2022, \"mm: gup: fix the fast GUP race against THP collapse\"; "   \
	  "the race needs a TLB flush that does not wait for interrupts-off walkers and no "         \
	  "tlb_remove_table_sync_one(), the kernel before 2ba99c5e0881)")                            \
	X(KNOB_COLLAPSE_NO_IPI_SYNC, "collapse-no-ipi-sync", "use-after-free",                       \
	  "collapse_huge_page() goes on with the PTE table it detached without "                     \
	  "tlb_remove_table_sync_one(): where the TLB flush interrupts nobody (broadcast "           \
	  "invalidation, a paravirt flush) a GUP-fast walker with interrupts off may still hold "    \
	  "a "                                                                                       \
	  "pointer into the table, which collapse deposits and a later zap of the huge PMD frees "   \
	  "at once (fixed by 2ba99c5e0881, Jann Horn 2022, \"mm/khugepaged: fix GUP-fast "           \
	  "interaction by sending IPI\")")                                                           \
	X(KNOB_COLLAPSE_ANON_VMA_UNLOCK_EARLY, "collapse-anon-vma-unlock-early", "mm-bug",           \
	  "mTHP collapse (an order below PMD) drops the anon_vma write lock once its pages are "     \
	  "isolated, as PMD collapse may, though the PMD stays cleared until the new folio's "       \
	  "PTEs "                                                                                    \
	  "are in: an rmap walk over a page of the same table outside the collapsed range sees "     \
	  "pmd_none, and migration's remove_migration_ptes() leaves a migration entry behind for "   \
	  "a folio it unlocks (no single commit: Nico Pache's mTHP collapse series, 2025-2026, "     \
	  "keeps the lock until the PMD is re-installed; David Hildenbrand's review, Jan 2025)")     \
	X(KNOB_THP_SPLIT_CLEAR_THEN_SET, "thp-split-clear-then-set", "postcondition",                \
	  "MADV_FREE rewrites a huge PMD by clearing it and setting it again, as "                   \
	  "madvise_free_huge_pmd() did before 58ceeb6bec86 (2017, 'thp: fix MADV_DONTNEED vs. "      \
	  "MADV_FREE race'; the window is opened there, for a range covering the PMD whole, and "    \
	  "in the split a partial MADV_FREE runs): a racing MADV_DONTNEED under mmap_lock for "      \
	  "read finds pmd_none, zaps nothing and returns while the pages come back mapped")          \
	X(KNOB_LAZYFREE_DISCARD_PINNED, "lazyfree-discard-pinned", "pin-coherence",                  \
	  "reclaim discards a clean MADV_FREE page without checking for references beyond its "      \
	  "mappings, so a page a device is writing through a pin (direct I/O) is dropped and the "   \
	  "process reads zero (fixed by 6c8e2a256915, 2022, 'mm: fix race between MADV_FREE "        \
	  "reclaim and blkdev direct IO read')")                                                     \
	X(KNOB_GUP_LONGTERM_RO_PAGECACHE_NO_UNSHARE, "gup-longterm-ro-pagecache-no-unshare",         \
	  "pin-coherence",                                                                           \
	  "a read-only long-term pin of a page-cache page in a private mapping is taken on the "     \
	  "page cache: the process's next write breaks COW away from it, and the device keeps "      \
	  "reading the file's page, not the process's (before 84209e87c696, 2022, 'mm/gup: "         \
	  "reliable R/O long-term pinning in COW mappings')")                                        \
	X(KNOB_STACK_EXPAND_READ_LOCK, "stack-expand-read-lock", "mm-bug",                           \
	  "a fault below a VM_GROWSDOWN stack expands it under mmap_lock held for read, as "         \
	  "before 6.5 (serialised against other expanders by page_table_lock only): the VMA "        \
	  "tree and vm_start change under every other mmap_lock reader; a /proc/pid/maps reader "    \
	  "between its tree walk and show_map sees a VMA that disagrees with its tree range "        \
	  "(syzbot's report behind Liam Howlett's \"Fix VMA tree modification under mmap read "      \
	  "lock\", 39d0bd86c499 and 3dd443254941, 2023; fixed by 8d7071af8907, Linus Torvalds "      \
	  "2023, \"mm: always expand the stack with the mmap write lock held\")")                    \
	X(KNOB_SWAPIN_SKIP_CACHE_NO_PREPARE, "swapin-skip-cache-no-prepare", "lost-write",           \
	  "do_swap_page() on a SWP_SYNCHRONOUS_IO device reads an entry only it references "         \
	  "straight into a new folio, skipping the swap cache, without taking SWAP_HAS_CACHE "       \
	  "(swapcache_prepare()): a second fault on the same entry reads its own copy; the first "   \
	  "maps, frees the slot, the page is written and swapped out again to the same slot, and "   \
	  "the second fault's pte_same() sees the same swap entry and maps its stale copy (ABA; "    \
	  "fixed by 13ddaf26be32, Kairui Song 2024, \"mm/swap: fix race when skipping "              \
	  "swapcache\")")                                                                            \
	X(KNOB_MIGRATE_PROTNONE_NO_FLUSH, "migrate-protnone-no-flush", "use-after-free",             \
	  "pte_accessible() calls a protnone PTE inaccessible even while change_protection() "       \
	  "has not flushed yet: a NUMA scan makes a PTE protnone and defers its flush, another "     \
	  "CPU's hinting fault migrates the page, and migration's ptep_clear_flush() skips the "     \
	  "flush; a third CPU keeps storing to the old page through its stale writable TLB "         \
	  "entry (fixed by 20841405940e, Rik van Riel 2013, \"mm: fix TLB flush race between "       \
	  "migration, and change_protection_range\": mm->tlb_flush_pending)")                        \
	X(KNOB_KSM_WRPROTECT_CHECK_BEFORE_CLEAR, "ksm-wrprotect-check-before-clear",                 \
	  "pin-coherence",                                                                           \
	  "KSM's write_protect_page() compares the folio's refcount with its mapcount while the "    \
	  "PTE is still present and writable, and only then clears, flushes and write-protects "     \
	  "it, the references alone deciding (as before PageAnonExclusive, 6c287605fd56): "          \
	  "GUP-fast reads the writable PTE, pins after the check and passes its re-check, and "      \
	  "the pinned page is merged away; the device writes a page the process no longer "          \
	  "maps.  "                                                                                  \
	  "Clear and flush first, then check, is the rule since KSM's merge (31dbd01f3143, Izik "    \
	  "Eidus 2009, \"ksm: Kernel SamePage Merging\", the O_DIRECT comment in "                   \
	  "write_protect_page())")                                                                   \
	X(KNOB_PMDP_INVALIDATE_LOSE_DIRTY, "pmdp-invalidate-lose-dirty", "lost-write",               \
	  "pmdp_invalidate() reads the huge PMD and then stores it back invalid with a plain "       \
	  "store, as before 2018: a dirty bit the walker sets in between is lost; a split then "     \
	  "gives clean PTEs, and reclaim discards a lazyfree (MADV_FREE) THP the process wrote "     \
	  "after MADV_FREE returned (Kirill A. Shutemov, d52605d7cb30, \"mm: do not lose dirty "     \
	  "and accessed bits in pmdp_invalidate()\", 4.16: one atomic pmdp_establish())")            \
	X(KNOB_UPTODATE_NO_WMB, "uptodate-no-wmb", "lost-write",                                     \
	  "memory arm64: __folio_mark_uptodate() has no smp_wmb(): the stores that clear a new "     \
	  "anon page (or copy it, COW) may become visible after the set_pte_at() that maps it, "     \
	  "and another CPU whose walker reads the new PTE loads what the frame held in its "         \
	  "previous life (fixed by 0ed361dec369, Nick Piggin 2008, \"mm: fix PageUptodate data "     \
	  "race\"; unreachable in memory sc)")                                                       \
	X(KNOB_MIGRATE_DEVICE_FLUSH_AFTER_UNLOCK, "migrate-device-flush-after-unlock",               \
	  "tlb-coherence",                                                                           \
	  "migrate_vma_collect_pmd() clears the PTEs of pages that are not exclusive without a "     \
	  "flush each and flushes the range only after dropping the PTL: MADV_DONTNEED takes the "   \
	  "PTL in between, zaps the migration entries, which need no flush, and returns while a "    \
	  "CPU still translates the address to the old page (fixed by 60bae7370896, Alistair "       \
	  "Popple 2022, \"mm/migrate_device.c: flush TLB while holding PTL\")")                      \
	X(KNOB_DEVICE_FAULT_NO_PAGE_REF, "device-fault-no-page-ref", "use-after-free",               \
	  "do_swap_page() calls the device's migrate_to_ram() for a device-private entry without "   \
	  "a reference on the page: another CPU's fault migrates the page back and frees it, and "   \
	  "the first fault reads the freed page's pgmap (fixed by 16ce101db85d, Alistair Popple "    \
	  "2022, \"mm/memory.c: fix race when faulting a device private page\": the reference "      \
	  "is taken under the PTL and migrate_vma_*() expect it as the fault_page's)")               \
	X(KNOB_LAZYFREE_THP_DISCARD_WHOLE, "lazyfree-thp-discard-whole", "tlb-coherence",            \
	  "reclaim discards a PMD-mapped lazyfree THP whole, as upstream since 735ecdfaf4e8 "        \
	  "(\"mm/vmscan: avoid split lazyfree THP during shrink_folio_list\"; the packaged 6.12 "    \
	  "splits it): __discard_anon_folio_pmd_locked() clears the PMD and sets it back if the "    \
	  "THP was written or grabbed, and a MADV_DONTNEED or exit that tests the PMD without "      \
	  "its lock skips it meanwhile (the window 58ceeb6bec86 closed in "                          \
	  "madvise_free_huge_pmd()). No fix known: open-findings/lazyfree-thp-discard.md")           \
	X(KNOB_SPLIT_PMD_POPULATE_NO_WMB, "split-pmd-populate-no-wmb", "lost-write",                 \
	  "memory arm64: __split_huge_pmd_locked() has no smp_wmb() between filling the "            \
	  "withdrawn PTE table and the pmd_populate() that publishes it: another CPU's walker "      \
	  "sees the table before its PTEs, faults on an empty entry and maps a new zeroed page "     \
	  "over the THP's data (the rule and barrier of 362a61ad6119, Nick Piggin 2008, \"fix "      \
	  "SMP data race in pagetable setup vs walking\"; the split's own \"make pte visible "       \
	  "before pmd\" barrier came with 71e3aac0724f; unreachable in memory sc)")                  \
	X(KNOB_KSM_WRPROTECT_NO_SET_DIRTY, "ksm-wrprotect-no-set-dirty", "isolation",                \
	  "KSM's write_protect_page() only write-protects the PTE, leaving its dirty bit there "     \
	  "and the folio clean, and the new KSM page is not marked dirty either: a swap-cache "      \
	  "page a fault mapped writable, written since, becomes the KSM page; its writer's COW "     \
	  "drops the dirty PTE, and reclaim frees the KSM page as a clean copy of a slot that "      \
	  "holds older data, which the other process then reads back (fixed by 4e31635c367a, "       \
	  "Hugh Dickins 2010, \"ksm: fix bad user data when swapping\"; the KSM page's own "         \
	  "dirty mark came later, Minchan Kim's \"mm: mark stable page dirty in KSM\", for "         \
	  "MADV_FREE)")                                                                              \
	X(KNOB_GUPFAST_PIN_NO_MB, "gupfast-pin-no-mb", "isolation",                                  \
	  "memory arm64: try_grab_folio_fast() has no smp_mb__after_atomic() after the pin's "       \
	  "bare atomic_add() of the bias: GUP-fast's re-checks of the PTE and of "                   \
	  "write_protect_seq pass before the pin is visible, fork()'s "                              \
	  "folio_try_dup_anon_rmap_pte() reads the count without it and shares the pinned "          \
	  "page with the child, which then reads what the device writes for the parent (the "        \
	  "barrier came with 088b8aa537c2, David Hildenbrand 2022, \"mm: fix "                       \
	  "PageAnonExclusive clearing racing with concurrent RCU GUP-fast\"; unreachable in "        \
	  "memory sc)")

/* The mask of one knob. */
#define KNOB_BIT(k) (UINT64_C(1) << (k))

/* clang-format off */
enum mm_knob {
#define MM_KNOB_ENUM(e, n, o, d) e,
	MM_KNOBS(MM_KNOB_ENUM)
#undef MM_KNOB_ENUM
	KNOB_COUNT
};
/* clang-format on */

struct mm_knob_info {
	const char *name;
	const char *oracle;
	const char *description;
};

extern const struct mm_knob_info mm_knob_table[KNOB_COUNT];
extern uint64_t mm_knobs; /* bit per enum mm_knob */

static inline bool knob_enabled(enum mm_knob k)
{
	return (mm_knobs >> k) & 1u;
}

/* Index of a knob by its CLI name, or -1. */
int mm_knob_by_name(const char *name, unsigned len);

/* "a,b" -> mask.  Returns false and names the unknown knob in err. */
bool mm_knobs_parse(const char *list, uint64_t *mask, char *err, unsigned err_bytes);

#endif
