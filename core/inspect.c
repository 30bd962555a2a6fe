/* SPDX-License-Identifier: MIT */
/*
 * The read-only look at one address (see inspect.h).  Cost: O(NR_MMS * NR_CPUS *
 * TLB_ENTRIES) per call, a few hundred loads; mmfuzz show calls it once per step.
 */
#include "inspect.h"

#include <string.h>

#include "page.h"
#include "tlb.h"

/*
 * The PMD covering @addr, read as the oracle reads page tables: privileged, no
 * yield point (a yield here would be a step of its own and change the run).
 */
static pmd_t pmd_peek(struct mm_struct *mm, unsigned long addr)
{
	return *pmd_offset(mm, addr);
}

uint32_t mm_inspect_pte_pfn(pte_t pte)
{
	if (pte_present(pte))
		return pte_pfn(pte);
	if (is_migration_entry(pte))
		return migration_entry_pfn(pte);
	if (is_device_private_entry(pte))
		return device_private_entry_pfn(pte);
	return UINT32_MAX;
}

static bool frame_gen_is(uint32_t pfn, uint32_t gen)
{
	if (pfn >= NR_FRAMES)
		return false;
	const struct folio *page = pfn_page(pfn);
	return page->allocated && page->gen == gen;
}

void mm_inspect(unsigned long addr, struct mm_inspect *out)
{
	memset(out, 0, sizeof(*out));
	addr &= ~(PAGE_SIZE - 1);
	out->addr = addr;
	if (addr >= TASK_SIZE)
		return;
	for (int id = 0; id < NR_MMS; id++) {
		struct mm_struct *mm = mm_get(id);
		pmd_t pmd = pmd_peek(mm, addr);
		pte_t pte = pte_oracle_get(mm, addr);
		out->pte[id] = (struct mm_inspect_pte){.huge = pmd_trans_huge(pmd),
						       .pmd_split = (pmd.val & _PMD_INVALID) != 0,
						       .pte = pte};
		for (int cpu = 0; cpu < NR_CPUS; cpu++) {
			const struct tlb_entry *e = tlb_lookup(cpu, mm, addr);
			if (!e)
				continue;
			bool stale = !pte_present(pte) || pte_pfn(pte) != e->pfn ||
				     (e->write && !pte_write(pte)) || !frame_gen_is(e->pfn, e->gen);
			out->tlb[cpu][id] = (struct mm_inspect_tlb){.valid = true,
								    .write = e->write,
								    .dirty = e->dirty,
								    .cont = e->cont,
								    .pfn = e->pfn,
								    .stale = stale};
		}
	}
}

bool mm_inspect_frame(uint32_t pfn, struct mm_inspect_frame *out)
{
	memset(out, 0, sizeof(*out));
	out->pfn = pfn;
	out->file = -1;
	if (pfn >= NR_FRAMES)
		return false;
	const struct folio *page = pfn_page(pfn);
	const struct folio *folio = page_folio(page);
	out->allocated = page->allocated;
	out->gen = page->gen;
	out->head = folio_pfn(folio);
	out->order = folio->order;
	out->refcount = folio->refcount;
	out->mapcount = folio->mapcount;
	out->page_mapcount = page->pg_mapcount;
	out->pinned = folio->refcount >= GUP_PIN_COUNTING_BIAS;
	out->refs_unpinned = folio->refcount % GUP_PIN_COUNTING_BIAS;
	out->dirty = folio->flags >> PG_dirty & 1u;
	out->anon = folio->flags >> PG_anon & 1u;
	out->anon_exclusive = page->flags >> PG_anon_exclusive & 1u;
	out->ksm = folio->flags >> PG_ksm & 1u;
	out->locked = folio->flags >> PG_locked & 1u;
	out->writeback = folio->flags >> PG_writeback & 1u;
	if (folio->mapping && !out->anon) {
		out->file = folio->mapping->id;
		out->index = folio->index + (unsigned long)page->page_idx;
	}
	return true;
}
