/* SPDX-License-Identifier: MIT */
/*
 * The arm64 contiguous-PTE layer (ZOO §5), active on the arm64 flavour
 * (pgtable_contpte).  A block is CONT_PTES aligned entries mapping contiguous frames
 * of one large folio with the same permissions, all with the CONT bit: the TLB may
 * cache the whole block as one entry, filled from whichever entry the walker read,
 * and the hardware sets access/dirty on that one entry only.  So:
 *
 *  - ptep_get() of a CONT entry gathers A/D over the block; ptep_get_lockless()
 *    also retries until the block it read was consistent;
 *  - a block is folded (CONT set) or unfolded only by break-before-make
 *    (contpte_convert()): get-and-clear every entry OR-ing their A/D, flush the
 *    TLB range, write every entry;
 *  - changing one entry of a live block unfolds it first; set_pte_at() folds
 *    when it writes the last entry of a block that qualifies;
 *  - clearing whole blocks (zap) goes entry by entry with atomic exchanges and
 *    no unfold: the range's TLB flush comes before any page is freed.
 *
 * The accessors themselves are declared in pgtable.h (the generic names route
 * here).  Models: arch/arm64/mm/contpte.c and arch/arm64/include/asm/pgtable.h
 * (v6.9+), scaled to CONT_PTES = 4.  Leaves out: batched wrprotect_ptes and
 * clear_young_dirty_ptes (fork and MADV_FREE go entry by entry, unfolding), and
 * ptep_test_and_clear_young (reclaim's reference check is not modelled).
 */
#ifndef MMFUZZ_CONTPTE_H
#define MMFUZZ_CONTPTE_H

#include "pgtable.h"

#define CONT_PTES     (1 << CONT_PTE_ORDER)
#define CONT_PTE_SIZE ((unsigned long)CONT_PTES * PAGE_SIZE)
#define CONT_PTE_MASK (~(CONT_PTE_SIZE - 1))
_Static_assert(PTRS_PER_PTE % CONT_PTES == 0, "a block never straddles two tables");

/* The first entry of @ptep's block. */
static inline pte_t *contpte_align_down(pte_t *ptep)
{
	size_t i = (size_t)(ptep - &mm_world.pte_tables[0][0]);
	return &mm_world.pte_tables[0][0] + (i & ~(size_t)(CONT_PTES - 1));
}

static inline bool pte_valid_cont(pte_t pte)
{
	return pte_present(pte) && pte_cont(pte);
}

/*
 * For the oracle layer (privileged, no yield), for a walker that read the CONT
 * entry @ptep: NULL if the block is well programmed, else what is wrong with it
 * (*@bad: the entry that disagrees with the one walked).  With @rewriting (a PTL
 * holder is rewriting the block: the layer knows it from oracle_contpte_rewrite())
 * invalid entries are not wrong.
 */
const char *contpte_block_misprogrammed(pte_t *ptep, bool rewriting, pte_t **bad);
/* May @pte be entry @i of the block whose entry @at is @orig (valid, CONT, its own
 * frame of the run, the same attributes but A/D)?  contpte_ptep_get_lockless()'s
 * test of every entry it gathers. */
bool contpte_entry_fits(pte_t pte, pte_t orig, int at, int i);

#endif
