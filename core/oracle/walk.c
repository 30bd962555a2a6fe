/* SPDX-License-Identifier: MIT */
/*
 * The lockless walkers' oracle (events.h, "lockless walks"): what the hardware's
 * walker and GUP-fast read without the PTL, judged when they read it.
 *
 *   use-after-free  a walker reads a PTE of a table freed (or freed and reused)
 *                   since it read the PMD that led there; the walker fills its TLB
 *                   from an entry that maps a freed frame; a CPU accesses a frame
 *                   through a TLB entry filled before the frame was freed; GUP-fast
 *                   follows a torn read of a split PTE (a value the entry never
 *                   held);
 *   contpte         the walker reads a CONT entry whose block is misprogrammed
 *                   while no PTL holder is rewriting it (break-before-make);
 *   mm-bug          a writable PTE in a read-only VMA (no mmap_lock writer), or a
 *                   writable PTE of an anonymous page that is not
 *                   PageAnonExclusive (no fork write-protecting the mm).
 *
 * The state here lives only inside one walk or one block rewrite (between two
 * events of one agent with no operation boundary between them), so it is not part
 * of the setup snapshot: walk_oracle_reset() clears it for every execution.
 */
#include <string.h>

#include "../contpte.h"
#include "../hw.h"
#include "../oracle.h"
#include "../page.h"
#include "../vma.h"
#include "oracle_int.h"

static struct {
	/* the generation of the PTE table each agent's walk is in (oracle_walk_pmd) */
	uint32_t table_gen[SCHED_AGENTS_MAX];
	/* the agent's last ptep_get_lockless() returned a value the PTE never held */
	bool torn[SCHED_AGENTS_MAX];
	/* contpte blocks a PTL holder is rewriting (a fold or unfold, set_ptes() of
	 * whole blocks, a whole-block clear): their entries change one at a time, and
	 * a walker finding some invalid, others CONT, is harmless while the valid ones
	 * translate to the right frames */
	bool rewriting[NR_PTE_TABLES * PTRS_PER_PTE >> CONT_PTE_ORDER];
} walks;

SCHED_SITE_GLOBAL(site_walk_perm, "hw_walk", "pte_beyond_vma");
SCHED_SITE_GLOBAL(site_walk_block, "hw_walk", "contpte_block");
SCHED_SITE_GLOBAL(site_gup_table_freed, "gup_fast_pte", "pte_table_freed");
SCHED_SITE_GLOBAL(site_gup_torn, "gup_fast_pte", "torn_pte");

void walk_oracle_reset(void)
{
	memset(&walks, 0, sizeof(walks));
}

static size_t block_index(const pte_t *ptep)
{
	return (size_t)(ptep - &mm_world.pte_tables[0][0]) / CONT_PTES;
}

void oracle_walk_pmd(int agent, unsigned table)
{
	SCHED_ASSERT(agent >= 0 && agent < SCHED_AGENTS_MAX && table < NR_PTE_TABLES);
	walks.table_gen[agent] = mm_world.pte_meta[table].gen;
}

void oracle_walk_pte(int agent, const struct mm_struct *mm, unsigned long addr, unsigned table,
		     bool gup_fast)
{
	if (pte_table_live(table, walks.table_gen[agent]))
		return;
	if (gup_fast)
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], &site_gup_table_freed, NULL,
			      1u << agent,
			      "%s's GUP-fast reads PTE table %u of P%d 0x%lx after it was freed",
			      sched_agent_name(agent), table, mm->id, addr);
	else
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], &hw_site_load, NULL, 0,
			      "%s's walker reads PTE table %u of P%d 0x%lx after it was freed",
			      sched_agent_name(agent), table, mm->id, addr);
}

void oracle_pte_lockless(int agent, pte_t at_low, pte_t at_high, pte_t pte)
{
	SCHED_ASSERT(agent >= 0 && agent < SCHED_AGENTS_MAX);
	walks.torn[agent] = !pte_same(pte, at_low) && !pte_same(pte, at_high);
}

void oracle_gup_fast_follow(int agent, const struct mm_struct *mm, unsigned long addr, uint32_t pfn)
{
	if (walks.torn[agent])
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], &site_gup_torn, NULL,
			      1u << agent,
			      "%s's GUP-fast follows P%d 0x%lx to frame %u, which that PTE never "
			      "mapped (a torn read of a PTE rewritten between its two halves)",
			      sched_agent_name(agent), mm->id, addr, pfn);
}

void oracle_contpte_rewrite(const pte_t *ptep, int nr, bool begin)
{
	for (int i = 0; i < nr; i++)
		walks.rewriting[block_index(ptep + i)] = begin;
}

/*
 * A writable PTE needs a VM_WRITE VMA.  Protection changes only under mmap_lock
 * for write, and change_protection() finishes before it is dropped; so unless a
 * writer holds it now, a writable PTE in a read-only VMA means some path put
 * write permission back (e.g. a migration entry that mprotect() did not make
 * read-only).  And a writable anonymous PTE maps a page no other process can map,
 * except while fork() shares it and has yet to write-protect it
 * (write_protect_seq odd).
 */
static void check_pte_within_vma(int cpu, const struct mm_struct *mm, unsigned long addr, pte_t pte)
{
	if (!pte_write(pte))
		return;
	const struct folio *page = pfn_page(pte_pfn(pte));
	if ((page_folio(page)->flags >> PG_anon & 1u) && !(page->flags >> PG_anon_exclusive & 1u) &&
	    !(mm->write_protect_seq.sequence & 1))
		sched_finding(mm_oracle_names[ORACLE_MM_BUG], &site_walk_perm, NULL, 1u << cpu,
			      "%s's walker finds a writable PTE for P%d 0x%lx mapping frame %u, "
			      "an anonymous page that is not PageAnonExclusive",
			      sched_agent_name(cpu), mm->id, addr, pte_pfn(pte));
	if (mm->mmap_lock.writer != SCHED_NO_AGENT)
		return;
	const struct vm_area_struct *vma = vma_lookup_oracle(mm, addr);
	if (vma && !(vma->vm_flags & VM_WRITE))
		sched_finding(mm_oracle_names[ORACLE_MM_BUG], &site_walk_perm, NULL, 1u << cpu,
			      "%s's walker finds a writable PTE for P%d 0x%lx in a read-only VMA",
			      sched_agent_name(cpu), mm->id, addr);
}

void oracle_tlb_access(int cpu, const struct mm_struct *mm, unsigned long addr, uint32_t pfn,
		       uint32_t gen, bool write)
{
	const struct folio *page = pfn_page(pfn);
	if (!page->allocated || page->gen != gen)
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE],
			      write ? &hw_site_store : &hw_site_load, NULL, 0,
			      "%s %s P%d 0x%lx through a TLB entry for frame %u, "
			      "freed since the entry was filled",
			      sched_agent_name(cpu), write ? "stores to" : "loads from", mm->id,
			      addr, pfn);
}

/* (at the fill: a CONT entry fills the TLB with its whole block, so the walker
 * must see the block as the TLB will) */
void oracle_walk_fill(int cpu, const struct mm_struct *mm, unsigned long addr, pte_t *ptep,
		      pte_t pte)
{
	if (ptep && pgtable_contpte && pte_cont(pte)) {
		pte_t *bad;
		const char *wrong =
		    contpte_block_misprogrammed(ptep, walks.rewriting[block_index(ptep)], &bad);
		int writer = -1;
		const struct sched_site *other =
		    wrong ? oracle_pte_last_writer(pte_index_of(bad), &writer) : NULL;
		if (wrong)
			sched_finding(mm_oracle_names[ORACLE_CONTPTE], &site_walk_block, other,
				      writer >= 0 ? 1u << writer : 0,
				      "%s's walker reads P%d 0x%lx from a misprogrammed contpte "
				      "block: %s",
				      sched_agent_name(cpu), mm->id, addr, wrong);
	}
	if (!pfn_page(pte_pfn(pte))->allocated)
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], &hw_site_load, NULL, 0,
			      "%s's walker finds P%d 0x%lx mapping freed frame %u",
			      sched_agent_name(cpu), mm->id, addr, pte_pfn(pte));
	check_pte_within_vma(cpu, mm, addr, pte);
}
