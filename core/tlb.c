/* SPDX-License-Identifier: MIT */
/*
 * TLBs, flushes and the mmu_gather (see tlb.h).  A TLB entry caches a translation
 * with its write and dirty permission; it is the hardware's private state, so
 * filling and invalidating it are not yield points.  The oracle layer learns of
 * every fill (oracle_walk_fill() before it, oracle_tlb_fill() per slot) and checks
 * break-before-make there (oracle/walk.c).  mm_world.tlb_valid mirrors the valid
 * bits (tlb_entry_set_valid() writes both), so a lookup or an invalidation walks
 * only the valid slots.
 */
#include "tlb.h"

#include <string.h>

#include "contpte.h"
#include "hw.h"
#include "oracle/events.h"
#include "page.h"
#include "sbuf.h"
#include "swap.h"
#include "vma.h"

bool tlb_flush_broadcast;

static uint32_t addr_vpn(unsigned long addr)
{
	return (uint32_t)(addr >> PAGE_SHIFT);
}

/*
 * @e: each slot of @cpu's TLB valid when the walk starts, lowest first (the mask is
 * read once: a slot the body invalidates later in the walk is still visited).
 */
#define tlb_for_each_valid(e, cpu)                                                                 \
	for (uint32_t left_ = mm_world.tlb_valid[cpu];                                             \
	     left_ && ((e) = &mm_world.tlb[cpu][__builtin_ctz(left_)], true); left_ &= left_ - 1)

struct tlb_entry *tlb_lookup(int cpu, const struct mm_struct *mm, unsigned long addr)
{
	SCHED_ASSERT(cpu >= 0 && cpu < NR_CPUS);
	struct tlb_entry *e;
	tlb_for_each_valid(e, cpu)
	{
		if (e->mm == mm->id && e->vpn == addr_vpn(addr))
			return e;
	}
	return NULL;
}

/* An entry's valid bit and its bit in mm_world.tlb_valid, together. */
static void tlb_entry_set_valid(int cpu, struct tlb_entry *e, bool valid)
{
	uint8_t bit = (uint8_t)(1u << (e - mm_world.tlb[cpu]));
	e->valid = valid;
	mm_world.tlb_valid[cpu] =
	    valid ? mm_world.tlb_valid[cpu] | bit : mm_world.tlb_valid[cpu] & (uint8_t)~bit;
}

static uint32_t block_vpn(uint32_t vpn)
{
	return vpn & ~(uint32_t)(CONT_PTES - 1);
}

void tlb_entry_invalidate(int cpu, struct tlb_entry *e)
{
	if (!e->cont) {
		tlb_entry_set_valid(cpu, e, false);
		return;
	}
	uint32_t block = block_vpn(e->vpn);
	uint8_t mm = e->mm;
	struct tlb_entry *o;
	tlb_for_each_valid(o, cpu)
	{
		if (o->cont && o->mm == mm && block_vpn(o->vpn) == block)
			tlb_entry_set_valid(cpu, o, false);
	}
}

/* The slot for a new entry: the one being replaced, else the next victim. */
static struct tlb_entry *tlb_slot(int cpu, struct mm_struct *mm, unsigned long addr)
{
	struct tlb_entry *e = tlb_lookup(cpu, mm, addr);
	if (e)
		return e;
	e = &mm_world.tlb[cpu][mm_world.tlb_victim[cpu]];
	mm_world.tlb_victim[cpu] = (mm_world.tlb_victim[cpu] + 1) % TLB_ENTRIES;
	if (e->valid)
		tlb_entry_invalidate(cpu, e); /* capacity eviction (a block goes whole) */
	return e;
}

void tlb_fill(int cpu, struct mm_struct *mm, unsigned long addr, pte_t pte, uint32_t gen)
{
	bool cont = pgtable_contpte && pte_cont(pte);
	unsigned long first = cont ? addr & CONT_PTE_MASK : addr;
	int nr = cont ? CONT_PTES : 1;
	uint32_t pfn0 = pte_pfn(pte) - (uint32_t)((addr - first) >> PAGE_SHIFT);
	for (int i = 0; i < nr; i++) {
		unsigned long a = first + (unsigned long)i * PAGE_SIZE;
		uint32_t pfn = pfn0 + (uint32_t)i;
		struct tlb_entry *e = tlb_slot(cpu, mm, a);
		*e = (struct tlb_entry){.write = pte_write(pte),
					.dirty = pte_dirty(pte),
					.cont = cont,
					.mm = (uint8_t)mm->id,
					.vpn = addr_vpn(a),
					.pfn = pfn,
					.gen = a == addr ? gen : pfn_page(pfn)->gen};
		tlb_entry_set_valid(cpu, e, true);
		oracle_tlb_fill(cpu, (int)(e - mm_world.tlb[cpu]));
	}
	mm->cpumask |= 1u << cpu;
}

static void tlb_invalidate_local(int cpu, int mm, unsigned long start, unsigned long end)
{
	if (sb_active) /* the DSB after the TLBI: accesses through old entries complete */
		sb_flush_now(cpu);
	/* a TLBI by address drops a block entry covering it: all of the block's slots
	 * (so e->valid: a slot an earlier block's invalidation cleared is skipped) */
	struct tlb_entry *e;
	tlb_for_each_valid(e, cpu)
	{
		if (e->valid && e->mm == mm && e->vpn >= addr_vpn(start) && e->vpn < addr_vpn(end))
			tlb_entry_invalidate(cpu, e);
	}
}

struct flush_tlb_info {
	int mm;
	unsigned long start, end;
};

/* IPI handler: runs on the target CPU in interrupt context. */
static void flush_tlb_func(int cpu, void *arg)
{
	const struct flush_tlb_info *info = arg;
	if (cpu < NR_CPUS)
		tlb_invalidate_local(cpu, info->mm, info->start, info->end);
}

/*
 * Run @fn on the CPUs in @targets, as tlb_flush_broadcast says (see tlb.h): by
 * IPIs, waited for; or by the hardware at once, waiting (the DSB, TLBSYNC) only
 * for the targets in the middle of a page-table walk, which invalidate once it
 * is over.  Context: irqs enabled (the wait).
 */
static void tlb_shootdown(uint32_t targets, void (*fn)(int cpu, void *arg), void *arg,
			  const char *what)
{
	VM_WARN_ON_ONCE(irqs_disabled());
	uint32_t wait = tlb_flush_broadcast ? targets & mm_world.hw_walkers : targets;
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		if ((targets & ~wait) >> cpu & 1u)
			fn(cpu, arg);
	if (wait)
		sched_ipi_send_wait(wait, fn, arg, what);
}

/*
 * Models: flush_tlb_mm_range(): flush this CPU, then every other CPU in
 * mm_cpumask (tlb_shootdown()).  Context: irqs enabled (the wait).
 */
void __flush_tlb_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		       struct sched_site *site)
{
	VM_WARN_ON_ONCE(irqs_disabled());
	int me = sched_current();
	sched_yield(site, SCHED_OBJ(OBJ_TLB, (uint32_t)me), SCHED_OP_EVENT);
	if (sb_active) /* the DSB before the TLBI: the PTE stores are visible to walkers */
		sb_kernel_mb();
	if (me >= 0 && me < NR_CPUS)
		tlb_invalidate_local(me, mm->id, start, end);
	struct flush_tlb_info info = {mm->id, start, end};
	uint32_t targets = mm->cpumask & ~(me >= 0 ? 1u << me : 0u);
	if (targets)
		tlb_shootdown(targets, flush_tlb_func, &info, "flush_tlb_func");
}

static void tlb_remove_table_smp_sync(int cpu, void *arg)
{
	(void)cpu;
	(void)arg; /* taking the interrupt is the point: the walk it waited for is over */
}

void tlb_remove_table_sync_one(void)
{
	VM_WARN_ON_ONCE(irqs_disabled());
	int me = sched_current();
	uint32_t targets =
	    ((1u << NR_CPUS) - 1) & ~hw_device_agents & ~(me >= 0 && me < NR_CPUS ? 1u << me : 0u);
	sched_ipi_send_wait(targets, tlb_remove_table_smp_sync, NULL, "tlb_remove_table_sync_one");
}

void flush_tlb_fix_spurious_fault(struct mm_struct *mm, unsigned long addr)
{
	int me = sched_current();
	if (me >= 0 && me < NR_CPUS)
		tlb_invalidate_local(me, mm->id, addr, addr + PAGE_SIZE);
}

pte_t __ptep_clear_flush(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep,
			 struct sched_site *site)
{
	pte_t old = contpte_get_and_clear_full_ptes(vma->vm_mm, addr, ptep, 1, site);
	if (pte_accessible(vma->vm_mm, old))
		__flush_tlb_range(vma->vm_mm, addr, addr + PAGE_SIZE, site);
	return old;
}

/* ---- reclaim's batched flush ------------------------------------------------------- */

static void flush_all_func(int cpu, void *arg)
{
	(void)arg;
	if (sb_active)
		sb_flush_now(cpu);
	if (cpu < NR_CPUS)
		for (int i = 0; i < TLB_ENTRIES; i++)
			tlb_entry_set_valid(cpu, &mm_world.tlb[cpu][i], false);
}

void set_tlb_ubc_flush_pending(struct tlbflush_unmap_batch *ubc, struct mm_struct *mm)
{
	/* memory arm64: arch_tlbbatch_add_pending() invalidates at once, behind a DSB
	 * that makes the PTE store visible: a walk that starts after it finds the
	 * new PTE (the batch's CPUs are those that may still hold the old one) */
	if (sb_active)
		sb_kernel_mb();
	ubc->cpumask |= mm->cpumask;
	ubc->flush_required = true;
	SCHED_YIELD("tlb_flush_batched", MM_OBJ(mm->id, MM_OBJ_FLUSH_BATCHED), SCHED_OP_RMW);
	mm->tlb_flush_batched = (mm->tlb_flush_batched & ~0xffffu) |
				((mm->tlb_flush_batched + 1) & 0xffffu); /* atomic_inc */
}

/* Models: try_to_unmap_flush() -> arch_tlbbatch_flush(): every CPU of the batch. */
void try_to_unmap_flush(struct tlbflush_unmap_batch *ubc)
{
	if (!ubc->flush_required)
		return;
	int me = sched_current();
	SCHED_YIELD("batch_flush", SCHED_OBJ(OBJ_TLB, (uint32_t)me), SCHED_OP_EVENT);
	if (me >= 0 && me < NR_CPUS)
		flush_all_func(me, NULL);
	uint32_t targets = ubc->cpumask & ~(me >= 0 ? 1u << me : 0u);
	if (targets)
		tlb_shootdown(targets, flush_all_func, NULL, "arch_tlbbatch_flush");
	*ubc = (struct tlbflush_unmap_batch){0};
}

void __flush_tlb_batched_pending(struct mm_struct *mm, struct sched_site *site)
{
	if (knob_enabled(KNOB_NO_FLUSH_BATCHED_PENDING))
		return;
	sched_yield(site, MM_OBJ(mm->id, MM_OBJ_FLUSH_BATCHED), SCHED_OP_READ);
	uint32_t batch = mm->tlb_flush_batched, pending = batch & 0xffffu;
	if (pending == batch >> 16)
		return;
	__flush_tlb_range(mm, 0, TASK_SIZE, site);
	/* a batch made pending meanwhile stays pending: cmpxchg, not a plain store */
	SCHED_YIELD("tlb_flush_batched", MM_OBJ(mm->id, MM_OBJ_FLUSH_BATCHED), SCHED_OP_RMW);
	if (mm->tlb_flush_batched == batch)
		mm->tlb_flush_batched = pending | pending << 16;
}

pte_t *__pte_range_lock(struct mm_struct *mm, unsigned long addr, unsigned long end,
			unsigned long *nextp, spinlock_t **ptlp, struct sched_site *site)
{
	mm_assert_locked_at(mm, addr);
	*nextp = pmd_addr_end(addr, end);
	pte_t *pte = __pte_offset_map_lock(mm, pmd_offset(mm, addr), addr, ptlp, site);
	if (pte)
		__flush_tlb_batched_pending(mm, site);
	return pte;
}

/* ---- mmu_gather ------------------------------------------------------------------ */

static uint32_t flush_pending_obj(const struct mm_struct *mm)
{
	return MM_OBJ(mm->id, MM_OBJ_FLUSH_PENDING);
}

/*
 * mm->tlb_flush_pending (include/linux/mm_types.h): how many mmu_gathers of the
 * mm have changed, or may change, PTEs whose TLB entries are not flushed yet.
 * Raised before the first PTE changes (tlb_gather_mmu()), lowered after the flush
 * (tlb_finish_mmu()); read under a PTL by anyone who must know whether a CPU may
 * still translate through an entry the page tables no longer hold, or hold
 * differently (pte_accessible(), mm_tlb_flush_nested()).  Each access is a yield
 * point at the caller's site: the increment's store is ordered before the PTE
 * changes by the PTL, as the kernel's smp_mb__after_atomic() pairs with the reader's
 * PTL in the comment of inc_tlb_flush_pending().
 */
void inc_tlb_flush_pending(struct mm_struct *mm, struct sched_site *site)
{
	sched_yield(site, flush_pending_obj(mm), SCHED_OP_RMW);
	mm->tlb_flush_pending++;
}

void dec_tlb_flush_pending(struct mm_struct *mm, struct sched_site *site)
{
	sched_yield(site, flush_pending_obj(mm), SCHED_OP_RMW);
	mm->tlb_flush_pending--;
}

bool mm_tlb_flush_nested(struct mm_struct *mm, struct sched_site *site)
{
	sched_yield(site, flush_pending_obj(mm), SCHED_OP_READ);
	return mm->tlb_flush_pending > 1;
}

/* Models: tlb_gather_mmu() with inc_tlb_flush_pending(). */
void __tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm, struct sched_site *site)
{
	memset(tlb, 0, sizeof(*tlb));
	tlb->mm = mm;
	tlb->start = TASK_SIZE;
	inc_tlb_flush_pending(mm, site);
}

void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm)
{
	tlb_gather_mmu(tlb, mm);
	tlb->fullmm = true;
}

bool tlb_caches_pfn_writable(uint32_t pfn)
{
	const struct tlb_entry *e;
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		tlb_for_each_valid(e, cpu)
		{
			if (e->write && e->pfn == pfn)
				return true;
		}
	return false;
}

void tlb_remove_tlb_entry(struct mmu_gather *tlb, pte_t *ptep, unsigned long addr)
{
	(void)ptep;
	if (addr < tlb->start)
		tlb->start = addr;
	if (addr + PAGE_SIZE > tlb->end)
		tlb->end = addr + PAGE_SIZE;
}

bool __tlb_remove_folio_pages(struct mmu_gather *tlb, struct folio *folio, bool delay_rmap)
{
	SCHED_ASSERT(tlb->nr < MMU_GATHER_BATCH);
	tlb->pages[tlb->nr].folio = folio;
	tlb->pages[tlb->nr].delay_rmap = delay_rmap;
	tlb->nr++;
	tlb->delayed_rmap |= delay_rmap;
	return tlb->nr == MMU_GATHER_BATCH;
}

void tlb_remove_pmd_tlb_entry(struct mmu_gather *tlb, unsigned long addr)
{
	addr &= ~((1ul << PMD_SHIFT) - 1);
	if (addr < tlb->start)
		tlb->start = addr;
	if (addr + (1ul << PMD_SHIFT) > tlb->end)
		tlb->end = addr + (1ul << PMD_SHIFT);
}

void tlb_remove_table(struct mmu_gather *tlb, unsigned table, unsigned long addr)
{
	SCHED_ASSERT(tlb->nr_tables < PTRS_PER_PMD);
	tlb->tables[tlb->nr_tables++] = table;
	tlb->freed_tables = true;
	if (addr < tlb->start)
		tlb->start = addr;
	if (addr + (1ul << PMD_SHIFT) > tlb->end)
		tlb->end = addr + (1ul << PMD_SHIFT);
}

/* Step 2 of the protocol: invalidate every TLB entry of the gathered range. */
void __tlb_flush_mmu_tlbonly(struct mmu_gather *tlb, struct sched_site *site)
{
	sched_yield(site, SCHED_OBJ(OBJ_TLB, (uint32_t)sched_current()), SCHED_OP_EVENT);
	if (tlb->start >= tlb->end)
		return;
	__flush_tlb_range(tlb->mm, tlb->start, tlb->end, site);
	tlb->start = TASK_SIZE;
	tlb->end = 0;
}

/*
 * Models: tlb_flush_rmaps(): drop the rmap of the pages queued with delay_rmap.
 * Context: after tlb_flush_mmu_tlbonly(), PTE lock held (zap_pte_range()).
 */
void __tlb_flush_rmaps(struct mmu_gather *tlb, struct vm_area_struct *vma, struct sched_site *site)
{
	(void)vma;
	if (!tlb->delayed_rmap)
		return;
	for (int i = 0; i < tlb->nr; i++) {
		if (!tlb->pages[i].delay_rmap)
			continue;
		__folio_remove_rmap_pte(tlb->pages[i].folio, site);
		tlb->pages[i].delay_rmap = false;
	}
	tlb->delayed_rmap = false;
}

/* Steps 2 and 3: flush, then drop the references of the gathered pages. */
void __tlb_flush_mmu(struct mmu_gather *tlb, struct sched_site *site)
{
	__tlb_flush_mmu_tlbonly(tlb, site);
	VM_WARN_ON(tlb->delayed_rmap); /* freeing a page whose rmap was never dropped */
	for (int i = 0; i < tlb->nr; i++) {
		free_swap_cache(tlb->pages[i].folio); /* free_pages_and_swap_cache() */
		__folio_put(tlb->pages[i].folio, site);
	}
	tlb->nr = 0;
	/* an IPI flush waited for every CPU: no walker can still be in these; a
	 * broadcast flush waited for no GUP-fast walker: tlb_remove_table_one() */
	if (tlb->nr_tables && tlb_flush_broadcast)
		tlb_remove_table_sync_one();
	for (int i = 0; i < tlb->nr_tables; i++) {
		for (int e = 0; e < PTRS_PER_PTE; e++)
			VM_BUG_ON(!pte_none(mm_world.pte_tables[tlb->tables[i]][e]));
		pte_free_table(tlb->tables[i]);
	}
	tlb->nr_tables = 0;
	tlb->freed_tables = false;
}

/*
 * Models: tlb_finish_mmu().  Another mmu_gather running on this mm in parallel
 * (MADV_DONTNEED under mmap_lock for read) may have cleared PTEs of our range and
 * not flushed yet; we found them clear and gathered nothing, but must not return
 * before those translations are gone: flush the whole mm (mm_tlb_flush_nested()).
 * Knob zap-no-nested-flush: skip that.
 */
void __tlb_finish_mmu(struct mmu_gather *tlb, struct sched_site *site)
{
	struct mm_struct *mm = tlb->mm;
	if (mm_tlb_flush_nested(mm, site) && !knob_enabled(KNOB_ZAP_NO_NESTED_FLUSH)) {
		tlb->start = 0;
		tlb->end = TASK_SIZE;
	}
	__tlb_flush_mmu(tlb, site);
	dec_tlb_flush_pending(mm, site);
}

/* ---- pte_accessible() -------------------------------------------------------------- */

/*
 * Below every other site of this file: a site's id is its ordinal in the file, and
 * these came last (see scheduler/sched.h).
 */
bool mm_tlb_flush_pending(struct mm_struct *mm)
{
	SCHED_YIELD("mm_tlb_flush_pending", flush_pending_obj(mm), SCHED_OP_READ);
	return mm->tlb_flush_pending > 0;
}

bool pte_accessible(struct mm_struct *mm, pte_t pte)
{
	if (pte_hw_present(pte))
		return true;
	/* knob migrate-protnone-no-flush: before 20841405940e a protnone entry was
	 * never accessible, whatever change_protection() had left unflushed */
	if (pte_protnone(pte) && !knob_enabled(KNOB_MIGRATE_PROTNONE_NO_FLUSH))
		return mm_tlb_flush_pending(mm);
	return false;
}
