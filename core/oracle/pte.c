/* SPDX-License-Identifier: MIT */
/*
 * The page-table accessors' event (oracle_pte_write): who last wrote each PTE, so
 * that a report can name the other party, and the check on plain stores: a
 * set_pte_at() over a present, dirty entry that drops the dirty bit loses the
 * record that the page was written — the hardware sets D with an atomic update
 * at any time, software takes it with get-and-clear or cmpxchg, never by
 * overwriting (`mm-bug`; `contpte` in the arm64 flavour, where a block's A/D
 * write-back goes wrong this way).  A setup snapshot's restore copies back the
 * tables the run wrote, no others.
 */
#include <string.h>

#include "oracle_int.h"

static struct pte_oracle_state T;

/*
 * The tables whose writers changed since the last snapshot or restore: a restore
 * copies those back and no others, so it costs what the run wrote.  A reset marks
 * them all (a restore may follow a fresh setup).
 */
#define PTE_TABLE_WORDS ((NR_PTE_TABLES + 63) / 64)
static uint64_t tables_written[PTE_TABLE_WORDS];

void pte_oracle_reset(void)
{
	memset(&T, 0, sizeof(T));
	memset(tables_written, 0xff, sizeof(tables_written));
}

void pte_oracle_snapshot(struct pte_oracle_state *to)
{
	*to = T;
	memset(tables_written, 0, sizeof(tables_written));
}

void pte_oracle_restore(const struct pte_oracle_state *from)
{
	for (int w = 0; w < PTE_TABLE_WORDS; w++)
		for (uint64_t d = tables_written[w]; d; d &= d - 1) {
			uint32_t t = (uint32_t)(w * 64 + __builtin_ctzll(d));
			if (t < NR_PTE_TABLES)
				memcpy(&T.writer[t * PTRS_PER_PTE], &from->writer[t * PTRS_PER_PTE],
				       PTRS_PER_PTE * sizeof(T.writer[0]));
		}
	memset(tables_written, 0, sizeof(tables_written));
}

const struct sched_site *oracle_pte_last_writer(uint32_t pte, int *agent)
{
	SCHED_ASSERT(pte < NR_PTE_TABLES * PTRS_PER_PTE);
	*agent = T.writer[pte].site ? T.writer[pte].agent : -1;
	return T.writer[pte].site;
}

static inline void pte_write_event(int agent, uint32_t pte, pte_t old, pte_t new, bool plain,
				   const struct sched_site *site)
{
	SCHED_ASSERT(pte < NR_PTE_TABLES * PTRS_PER_PTE);
	int setter;
	const struct sched_site *dirtied = oracle_pte_last_writer(pte, &setter);
	T.writer[pte].site = site;
	T.writer[pte].agent = (int8_t)agent;
	tables_written[pte / PTRS_PER_PTE / 64] |= 1ull << (pte / PTRS_PER_PTE % 64);
	if (plain && pte_present(old) && pte_dirty(old) && !(pte_present(new) && pte_dirty(new)))
		sched_finding(mm_oracle_names[pgtable_contpte ? ORACLE_CONTPTE : ORACLE_MM_BUG],
			      site, dirtied, setter >= 0 ? 1u << setter : 0,
			      "%s overwrites a dirty PTE of frame %u with a clean one: the "
			      "hardware-set dirty bit is lost, not transferred to the folio",
			      sched_agent_name(agent), pte_pfn(old));
}

void oracle_pte_write(uint32_t pte, pte_t old, pte_t new, bool plain, const struct sched_site *site)
{
	pte_write_event(sched_current(), pte, old, new, plain, site);
}

void oracle_pte_write_by(int agent, uint32_t pte, pte_t old, pte_t new, bool plain,
			 const struct sched_site *site)
{
	pte_write_event(agent, pte, old, new, plain, site);
}
