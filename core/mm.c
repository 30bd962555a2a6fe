/* SPDX-License-Identifier: MIT */
/*
 * The model's world: reset between executions, process teardown, and the
 * quiescence checks that run after every agent has finished: tear down every
 * address space (exit_mmap with fullmm), write back every file, then let the
 * oracle layer compare each file's disk with what it should hold
 * (oracle_final_sync(): `lost-write`, `isolation`), account every frame
 * (`refcount`: leaks, stray references), every swap slot (`refcount`: a slot
 * some entry or cache still holds after every process is gone) and every TLB
 * (`tlb-coherence`).
 */
#include "mm.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "contpte.h"
#include "filemap.h"
#include "gup.h"
#include "hw.h"
#include "memory.h"
#include "mmap.h"
#include "oracle/events.h"
#include "page.h"
#include "pgtable.h"
#include "quiesce.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"

struct mm_world mm_world;

struct mm_struct *mm_get(int id)
{
	SCHED_ASSERT(id >= 0 && id < NR_MMS);
	return &mm_world.mms[id];
}

struct address_space *mapping_get(int id)
{
	SCHED_ASSERT(id >= 0 && id < NR_FILES);
	return &mm_world.mappings[id];
}

/*
 * Frames [0, frames_touched()) are all a run can have changed: a frame's fields
 * are written only once it is allocated, an allocation bumps its generation, and
 * only mm_reset() sets that back to 0 (frames are taken lowest first, so the
 * touched ones are nearly a prefix).  O(untouched frames): scans down from the top.
 */
static uint32_t frames_touched(void)
{
	uint32_t n = NR_FRAMES;
	while (n > 0 && mm_world.frames[n - 1].gen == 0)
		n--;
	return n;
}

/* The world every run starts from: locks initialised with their ids, disks filled. */
static struct mm_world mm_pristine;

static void mm_pristine_build(void)
{
	struct mm_world *w = &mm_pristine;
	for (int i = 0; i < NR_MMS; i++) {
		struct mm_struct *mm = &w->mms[i];
		mm->id = i;
		mm->live = true;
		init_rwsem(&mm->munmap_sem, MM_OBJ(i, MM_OBJ_MUNMAP_SEM), "munmap_sem",
			   RANK_MUNMAP_SEM);
		seqcount_init(&mm->write_protect_seq, MM_OBJ(i, MM_OBJ_WRITE_PROTECT_SEQ),
			      "write_protect_seq");
		init_rwsem(&mm->mmap_lock, MM_OBJ(i, MM_OBJ_MMAP_LOCK), "mmap_lock",
			   RANK_MMAP_LOCK);
		spin_lock_init(&mm->page_table_lock, MM_OBJ(i, MM_OBJ_PAGE_TABLE_LOCK),
			       "page_table_lock", RANK_PAGE_TABLE_LOCK);
	}
	for (int t = 0; t < NR_PTE_TABLES; t++) {
		w->pte_meta[t].mm = -1;
		spin_lock_init(&w->pte_meta[t].ptl, SCHED_OBJ(OBJ_PTL, t), "ptl", RANK_PTL);
	}
	for (int f = 0; f < NR_FILES; f++) {
		struct address_space *mapping = &w->mappings[f];
		mapping->id = f;
		spin_lock_init(&mapping->i_pages_lock,
			       SCHED_OBJ(OBJ_MAPPING, 0x8000u + (uint32_t)f * 2), "i_pages",
			       RANK_PTL + 1);
		init_rwsem(&mapping->i_mmap_rwsem,
			   SCHED_OBJ(OBJ_MAPPING, 0x8000u + (uint32_t)f * 2 + 1), "i_mmap_rwsem",
			   RANK_I_MMAP);
		/* recognisable initial file content: file, page and word */
		for (int p = 0; p < FILE_PAGES; p++)
			for (int wd = 0; wd < MM_WORDS_PER_PAGE; wd++)
				mapping->disk[p][wd] = 0x1000000ull * (uint64_t)(f + 1) +
						       0x100ull * (uint64_t)p + (uint64_t)wd;
	}
	spin_lock_init(&w->swap.lock, SCHED_OBJ(OBJ_SWAP_MAP, 0x8000u), "swap_lock",
		       RANK_SWAP_LOCK);
	spin_lock_init(&w->swap.cache_lock, SCHED_OBJ(OBJ_SWAP_CACHE, 0x8000u), "swap_cache",
		       RANK_SWAP_CACHE);
	for (int i = 0; i < NR_VMAS; i++)
		init_rwsem(&w->anon_vmas[i].rwsem, SCHED_OBJ(OBJ_ANON_VMA, (uint32_t)i), "anon_vma",
			   RANK_I_MMAP);
}

void mm_reset(void)
{
	static bool built;
	if (!built) {
		mm_pristine_build();
		mm_world = mm_pristine; /* then each reset restores what a run used */
		built = true;
	}
	struct mm_world *w = &mm_world;
	memset(w->frames, 0, frames_touched() * sizeof(w->frames[0]));
	for (int i = 0; i < NR_MMS; i++) {
		memcpy(&w->mms[i], &mm_pristine.mms[i], offsetof(struct mm_struct, mm_mt));
		mt_init(&w->mms[i].mm_mt, (uint32_t)i, "mm_mt");
	}
	memcpy(w->vmas, mm_pristine.vmas, (size_t)w->vma_hwm * sizeof(w->vmas[0]));
	memcpy(w->anon_vmas, mm_pristine.anon_vmas,
	       (size_t)w->anon_vma_hwm * sizeof(w->anon_vmas[0]));
	size_t whole = offsetof(struct mm_world, pte_tables);
	memcpy((char *)w + whole, (const char *)&mm_pristine + whole, sizeof(*w) - whole);
	oracle_reset();
}

SCHED_SITE_GLOBAL(site_accounting, "mm_quiesce", "accounting");

static void check_accounting(void)
{
	uint32_t frames = frames_touched(); /* beyond: never allocated, nothing to account */
	for (uint32_t pfn = 0; pfn < frames; pfn++) {
		const struct folio *folio = &mm_world.frames[pfn];
		if (!folio->allocated)
			continue;
		bool cached = folio->mapping && !folio_test_anon(folio) &&
			      folio->mapping->pages[folio->index] == folio;
		/* a swap-cache folio no entry names: reclaim's to free, not leaked */
		cached |= folio_test_swapcache(folio) && folio->swap < NR_SWAP_SLOTS &&
			  mm_world.swap.cache[folio->swap] == folio &&
			  mm_world.swap.swap_map[folio->swap] == SWAP_HAS_CACHE;
		if (!cached) {
			sched_finding(mm_oracle_names[ORACLE_REFCOUNT], &site_accounting, NULL, 0,
				      "frame %u leaked after teardown (refcount %d, mapcount %d)",
				      pfn, folio->refcount, folio->mapcount);
			return;
		}
		if (folio->refcount != 1 || folio->mapcount != 0) {
			sched_finding(mm_oracle_names[ORACLE_REFCOUNT], &site_accounting, NULL, 0,
				      "page cache frame %u has refcount %d, mapcount %d after "
				      "teardown (expected 1, 0)",
				      pfn, folio->refcount, folio->mapcount);
			return;
		}
	}
	for (uint32_t slot = 0; slot < NR_SWAP_SLOTS; slot++) {
		uint8_t map = mm_world.swap.swap_map[slot];
		const struct folio *cache = mm_world.swap.cache[slot];
		if (map == 0 || (map == SWAP_HAS_CACHE && cache))
			continue;
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], &site_accounting, NULL, 0,
			      "swap slot %u leaked after teardown (%d entries%s)", slot,
			      map & ~SWAP_HAS_CACHE,
			      map & SWAP_HAS_CACHE ? (cache ? ", in the swap cache"
							    : ", SWAP_HAS_CACHE without a folio")
						   : "");
		return;
	}
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		for (int i = 0; i < TLB_ENTRIES; i++)
			if (mm_world.tlb[cpu][i].valid) {
				sched_finding(mm_oracle_names[ORACLE_TLB_COHERENCE],
					      &site_accounting, NULL, 1u << cpu,
					      "%s still caches P%d 0x%x -> frame %u after teardown",
					      sched_agent_name(cpu), mm_world.tlb[cpu][i].mm,
					      mm_world.tlb[cpu][i].vpn << PAGE_SHIFT,
					      mm_world.tlb[cpu][i].pfn);
				return;
			}
}

/*
 * No yield in mmget/mmput: entering and leaving a system call are atomic with
 * respect to exit_group() here (the kernel's SIGKILL delivery is not modelled).
 */
bool mmget_not_exiting(struct mm_struct *mm)
{
	if (mm->exiting || !mm->live || mm->unborn)
		return false;
	mm->mm_users++;
	return true;
}

void mmput(struct mm_struct *mm)
{
	SCHED_ASSERT(mm->mm_users > 0);
	if (--mm->mm_users == 0 && mm->exiting && mm->live)
		exit_mmap(mm); /* __mmput(): the last user tears the address space down */
}

int do_exit(struct mm_struct *mm)
{
	if (!mmget_not_exiting(mm))
		return -ESRCH;
	mm->exiting = true; /* zap_other_threads(): none starts another system call */
	mmput(mm);
	return 0;
}

void mm_quiesce(int agent, void *arg)
{
	(void)agent;
	(void)arg;
	if (!site_accounting.id)
		sched_site_init(&site_accounting);
	rcu_barrier();
	gup_release_all(); /* the devices let go before the processes exit */
	for (int i = 0; i < NR_MMS && !sched_stopped(); i++)
		if (mm_world.mms[i].live)
			exit_mmap(&mm_world.mms[i]);
	for (int f = 0; f < NR_FILES && !sched_stopped(); f++)
		do_writepages(&mm_world.mappings[f]);
	if (!sched_stopped())
		oracle_final_sync();
	if (!sched_stopped())
		check_accounting();
}
