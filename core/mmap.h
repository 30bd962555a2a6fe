/* SPDX-License-Identifier: MIT */
/*
 * The address-space operations a user process calls: mmap and madvise.
 *
 * Models: mm/mmap.c do_mmap()/mmap_region() for fixed, non-overlapping ranges
 * (MAP_FIXED_NOREPLACE semantics) and mm/madvise.c madvise_dontneed_single_vma().
 * Leaves out (issue 3): hint placement and gap search, MAP_FIXED replacement,
 * munmap, mremap, mprotect, MADV_FREE, the maple tree and per-VMA locks.
 */
#ifndef MMFUZZ_MMAP_H
#define MMFUZZ_MMAP_H

#include "mm.h"

#define EINVAL 22
#define EEXIST 17
#define ENOMEM 12

#define MADV_DONTNEED 4

/* Map [addr, addr + pages) of @file (NULL: anonymous) at page offset @pgoff.
 * Returns 0 or -errno. */
int do_mmap(struct mm_struct *mm, unsigned long addr, unsigned long pages,
	    struct address_space *file, unsigned long pgoff, uint32_t vm_flags);
void mmap_reset(void);
int do_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len, int advice);

#endif
