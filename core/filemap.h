/* SPDX-License-Identifier: MIT */
/*
 * The page cache, the disk behind each file, and writeback.
 *
 * Writeback's half of the dirty-tracking protocol: folio_clear_dirty_for_io()
 * first write-protects and cleans every PTE of the folio (folio_mkclean(),
 * transferring PTE dirty bits to the folio), then clears PG_dirty; the next user
 * write faults (wp_page_shared()) and dirties the folio again.  A CPU that can
 * still write through a stale TLB entry breaks this silently: `lost-write`.
 *
 * Models: mm/filemap.c filemap_fault() (page cache lookup, read from disk),
 * mm/page-writeback.c write_cache_pages()/folio_clear_dirty_for_io().  Leaves out:
 * readahead, fault-around (issue 3), PG_writeback waiting, the dirty tags.
 */
#ifndef MMFUZZ_FILEMAP_H
#define MMFUZZ_FILEMAP_H

#include "mm.h"

struct folio;

/* The page cache folio at @index, read from disk if absent, with a reference. */
struct folio *filemap_get_folio(struct address_space *mapping, unsigned long index);
bool folio_clear_dirty_for_io(struct folio *folio);
/* Write every dirty page of @mapping to its disk. */
void do_writepages(struct address_space *mapping);

#endif
