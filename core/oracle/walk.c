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
 *                   held); a buffered store becomes visible, or a deferred load
 *                   is performed, in a frame freed since it was translated
 *                   (`memory arm64`);
 *   contpte         a lockless read of a contpte entry returns a value gathered
 *                   from entries that are not one block (a block mid-conversion);
 *                   the walker reads a CONT entry whose block is misprogrammed
 *                   while no PTL holder is rewriting it (break-before-make); it
 *                   fills a block entry over a single-page entry its TLB still
 *                   holds for the same frame (a TLB conflict);
 *   tlb-coherence   it fills an entry for a new mapping of an address while
 *                   another CPU still caches the old mapping's page there
 *                   (break-before-make across CPUs);
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
#include "../tlb.h"
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
SCHED_SITE_GLOBAL(site_tlb_fill, "tlb_fill", NULL);
SCHED_SITE_GLOBAL(site_lockless_torn, "contpte_ptep_get_lockless", "torn");
SCHED_SITE_GLOBAL(site_ld_uaf, "ld_perform", "freed_frame");
SCHED_SITE_GLOBAL(site_sb_uaf, "sb_drain", "freed_frame");

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

void oracle_contpte_gather(int agent, const pte_t *seen, int n, int at, pte_t pte)
{
	for (int i = 0; i < n; i++)
		if (!contpte_entry_fits(seen[i], pte, at, i)) {
			sched_finding(mm_oracle_names[ORACLE_CONTPTE], &site_lockless_torn, NULL, 0,
				      "%s's ptep_get_lockless() returns a CONT entry of frame %u "
				      "gathered from a block mid-conversion (entry %d no longer "
				      "belongs to it)",
				      sched_agent_name(agent), pte_pfn(pte), i);
			return;
		}
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

/*
 * Break-before-make across CPUs: a *new mapping* of this address (another mmap()'s
 * VMA: post_mapping_gen()) must not serve accesses while another CPU still
 * translates it to the old mapping's page.  Within one mapping, a fault racing
 * with MADV_DONTNEED may legitimately map a new page before the zapping CPU's
 * flush: the old page is kept alive by the mmu_gather until then (use-after-free
 * covers the case where it is not).
 */
static void check_fill_others(int cpu, const struct mm_struct *mm, unsigned long addr, uint32_t pfn,
			      uint32_t gen, uint32_t vma_gen)
{
	for (int other = 0; other < NR_CPUS; other++) {
		if (other == cpu)
			continue;
		const struct tlb_entry *e = tlb_lookup(other, mm, addr);
		if (e && (e->pfn != pfn || e->gen != gen))
			sched_precursor(PRECURSOR_FILL_OTHER_CACHED);
		if (e && post_fill_vma_gen(other, (int)(e - mm_world.tlb[other])) != vma_gen &&
		    (e->pfn != pfn || e->gen != gen))
			sched_finding(mm_oracle_names[ORACLE_TLB_COHERENCE], &site_tlb_fill, NULL,
				      1u << other,
				      "%s installs P%d 0x%lx -> frame %u while %s still caches "
				      "frame %u for it",
				      sched_agent_name(cpu), mm->id, addr, pfn,
				      sched_agent_name(other), e->pfn);
	}
}

/*
 * The TLB fill that follows a walk (tlb_fill()): a CONT entry fills every page of
 * its block.  Each page against the other CPUs' TLBs, and a block against the
 * single-page entries this TLB still holds for the block's frames: folding a block
 * over one without the flush of break-before-make is, on arm64, a TLB conflict
 * abort or either translation.  A stale entry of a page since unmapped (a zap
 * whose flush is pending when a fault maps a new block there) is the race x86 has
 * too, left to tlb-coherence's rule above; its conflict abort is not modelled.
 */
static void check_tlb_fill(int cpu, const struct mm_struct *mm, unsigned long addr, pte_t pte)
{
	bool cont = pgtable_contpte && pte_cont(pte);
	unsigned long first = cont ? addr & CONT_PTE_MASK : addr;
	int nr = cont ? CONT_PTES : 1;
	uint32_t pfn0 = pte_pfn(pte) - (uint32_t)((addr - first) >> PAGE_SHIFT);
	uint32_t vma_gen = post_mapping_gen(mm, addr);
	for (int i = 0; i < nr; i++) {
		unsigned long a = first + (unsigned long)i * PAGE_SIZE;
		uint32_t pfn = pfn0 + (uint32_t)i;
		check_fill_others(cpu, mm, a, pfn, pfn_page(pfn)->gen, vma_gen);
		const struct tlb_entry *o = cont && a != addr ? tlb_lookup(cpu, mm, a) : NULL;
		if (o && !o->cont && o->pfn == pfn)
			sched_finding(
			    mm_oracle_names[ORACLE_CONTPTE], &site_tlb_fill, NULL, 0,
			    "%s fills a contiguous TLB entry for P%d 0x%lx-0x%lx while it "
			    "still holds a single-page entry for 0x%lx (frame %u): a TLB "
			    "conflict",
			    sched_agent_name(cpu), mm->id, first, first + CONT_PTE_SIZE - 1, a,
			    o->pfn);
	}
}

/*
 * A TLB invalidation on the CPU drains its store buffer and performs its pending
 * loads (sb_flush_now()): a frame freed under a buffered store or a deferred load
 * means a flush went missing.
 */
void oracle_deferred_access(int cpu, const struct mm_struct *mm, unsigned long addr, uint32_t pfn,
			    uint32_t gen, const uint64_t *store, const struct sched_site *issued)
{
	const struct folio *page = pfn_page(pfn);
	if (page->allocated && page->gen == gen)
		return;
	if (store)
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], &site_sb_uaf, issued,
			      1u << cpu,
			      "%s's buffered store of %llu to P%d 0x%lx becomes visible in frame "
			      "%u, freed since the store was translated",
			      sched_agent_name(cpu), (unsigned long long)*store, mm->id, addr, pfn);
	else
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], &site_ld_uaf, issued,
			      1u << cpu,
			      "%s's deferred load of P%d 0x%lx is performed in frame %u, "
			      "freed since the load was translated",
			      sched_agent_name(cpu), mm->id, addr, pfn);
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
	check_tlb_fill(cpu, mm, addr, pte);
}
