/* SPDX-License-Identifier: MIT */
/*
 * User accesses, the walker and the fault entry (see hw.h).  An access is one
 * yield point (where IPIs are taken), then the TLB lookup and the data access with
 * no yield in between: a TLB shootdown either completes before the access or after
 * it, as on real hardware where the IPI is taken between instructions.
 */
#include "hw.h"

#include <errno.h>
#include <string.h>

#include "contpte.h"
#include "memory.h"
#include "mmap.h"
#include "oracle/events.h"
#include "page.h"
#include "pgtable.h"
#include "sbuf.h"
#include "tlb.h"
#include "vma.h"

uint32_t hw_device_agents;

/* the user accesses' sites: the walker's findings (oracle/walk.c) name them too */
struct sched_site hw_site_load = {.file = __FILE__,
				  .line = __LINE__,
				  .ordinal = __COUNTER__,
				  .func = "hw_access",
				  .label = "load"};
struct sched_site hw_site_store = {.file = __FILE__,
				   .line = __LINE__,
				   .ordinal = __COUNTER__,
				   .func = "hw_access",
				   .label = "store"};
/* the device's accesses through a pin (gup.c): shared, so that the oracles know them */
struct sched_site hw_site_dma_read = {
    .file = __FILE__, .line = __LINE__, .ordinal = __COUNTER__, .func = "dma", .label = "read"};
struct sched_site hw_site_dma_write = {
    .file = __FILE__, .line = __LINE__, .ordinal = __COUNTER__, .func = "dma", .label = "write"};

enum walk_result { WALK_FILLED, WALK_RETRY, WALK_FAULT };

/*
 * The end of a walk: the oracles on the translation found (oracle_walk_fill()),
 * then the TLB fill.  @ptep: the entry walked (NULL for a huge PMD).
 */
static enum walk_result hw_fill(int cpu, struct mm_struct *mm, unsigned long addr, pte_t *ptep,
				pte_t pte)
{
	oracle_walk_fill(cpu, mm, addr, ptep, pte);
	tlb_fill(cpu, mm, addr, pte, pfn_page(pte_pfn(pte))->gen);
	return WALK_FILLED;
}

/*
 * The page-table walker: PMD, then PTE, each a separate load that can race; then
 * set accessed (and dirty for a write) with a cmpxchg, as the hardware's locked
 * update does, failing if the PTE changed meanwhile.  A walk is part of one
 * instruction: interrupts (shootdown IPIs) are taken before or after it, never in
 * the middle, which is what lets the flush IPI before freeing a page table wait
 * for walkers still reading it.
 */
static enum walk_result hw_walk_locked(int cpu, struct mm_struct *mm, unsigned long addr,
				       bool write)
{
	pmd_t *pmdp = pmd_offset(mm, addr);
	pmd_t pmd = pmdp_get_lockless(mm, pmdp);
	if (!pmd_present(pmd))
		return WALK_FAULT;
	if (pmd_trans_huge(pmd) && !pmd_hw_valid(pmd))
		return WALK_FAULT; /* being split */
	if (pmd_trans_huge(pmd)) {
		/* a leaf: A/D go to the PMD, the TLB gets the page at @addr */
		if (write && !pmd_write(pmd))
			return WALK_FAULT;
		pmd_t newpmd = pmd_mkyoung(write ? pmd_mkdirty(pmd) : pmd);
		if (!pmd_same(newpmd, pmd) && !pmdp_cmpxchg(mm, pmdp, pmd, newpmd))
			return WALK_RETRY;
		return hw_fill(cpu, mm, addr, NULL, pmd_pte_at(newpmd, addr));
	}
	unsigned table = pmd_table(pmd);
	oracle_walk_pmd(cpu, table);
	pte_t *ptep = pte_offset_map(pmd, addr);
	pte_t pte = ptep_get_hw(ptep); /* one atomic read, split PTEs or not */
	oracle_walk_pte(cpu, mm, addr, table, false);
	/* a protnone entry (PROT_NONE, NUMA hinting) is mapped for software only */
	if (!pte_hw_present(pte) || (write && !pte_write(pte)))
		return WALK_FAULT;
	pte_t new = pte_mkyoung(pte);
	if (write)
		new = pte_mkdirty(new);
	if (!pte_same(new, pte) && !ptep_cmpxchg_hw(ptep, pte, new))
		return WALK_RETRY;
	return hw_fill(cpu, mm, addr, ptep, new);
}

static enum walk_result hw_walk(int cpu, struct mm_struct *mm, unsigned long addr, bool write)
{
	unsigned long flags = local_irq_save();
	mm_world.hw_walkers |= 1u << cpu;
	enum walk_result r = hw_walk_locked(cpu, mm, addr, write);
	mm_world.hw_walkers &= ~(1u << cpu);
	local_irq_restore(flags);
	return r;
}

/*
 * Models: arch/x86 access_error(): a store needs VM_WRITE, a load VM_READ (a
 * PROT_NONE VMA refuses both: SIGSEGV, even where its PTEs are still mapped).
 */
static bool access_error(const struct vm_area_struct *vma, bool write)
{
	return write ? !(vma->vm_flags & VM_WRITE) : !(vma->vm_flags & VM_READ);
}

/*
 * Models: do_user_addr_fault(): first under the per-VMA lock found under RCU,
 * falling back to mmap_read_lock when that fails or the fault asks to retry.
 */
static int do_user_addr_fault(struct mm_struct *mm, unsigned long addr, bool write)
{
	struct vm_area_struct *vma = lock_vma_under_rcu(mm, addr);
	if (vma) {
		if (access_error(vma, write)) {
			vma_end_read(vma);
			return -EFAULT;
		}
		int fault = handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0);
		vma_end_read(vma);
		if (!(fault & VM_FAULT_RETRY))
			return fault & VM_FAULT_OOM ? -ENOMEM : 0;
	}
	vma = lock_mm_and_find_vma(mm, addr);
	if (!vma)
		return -EFAULT;
	if (access_error(vma, write)) {
		mmap_read_unlock(mm);
		return -EFAULT;
	}
	int fault = handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0);
	mmap_read_unlock(mm);
	if (fault & VM_FAULT_OOM)
		return -ENOMEM;
	return 0;
}

/* @defer: a plain load that memory arm64 may perform later (sbuf.h) */
static int hw_access(int cpu, struct mm_struct *mm, unsigned long addr, bool write, bool defer,
		     uint64_t *val)
{
	const struct sched_site *site = write ? &hw_site_store : &hw_site_load;
	unsigned long base = addr & ~(PAGE_SIZE - 1);
	int word = (int)((addr % PAGE_SIZE) / sizeof(uint64_t));
	SCHED_ASSERT(cpu >= 0 && cpu < NR_CPUS && word < MM_WORDS_PER_PAGE);
	mm->cpumask |= 1u << cpu; /* switch_mm(): this CPU now runs the mm */
	/*
	 * Retry until the access goes through: other CPUs may zap the page between
	 * our fault and our access any number of times (the kernel retries as
	 * often); a model that never lets it through ends as a `hang` finding.
	 */
	for (;;) {
		/* the yield point of the access: interrupts (shootdowns) are taken here */
		struct tlb_entry *e = tlb_lookup(cpu, mm, base);
		sched_yield((struct sched_site *)site,
			    e ? SCHED_OBJ(OBJ_DATA, e->pfn) : SCHED_OBJ(OBJ_TLB, (uint32_t)cpu),
			    write ? SCHED_OP_WRITE : SCHED_OP_READ);
		e = tlb_lookup(cpu, mm, base);
		if (e && (!write || (e->write && e->dirty))) {
			struct folio *page = pfn_page(e->pfn);
			oracle_tlb_access(cpu, mm, addr, e->pfn, e->gen, write);
			if (write) {
				/* (the CPU's earlier loads of the word read older data) */
				if (sb_active)
					sb_loads_settle(cpu, e->pfn, word);
				if (sb_active &&
				    sb_store(cpu, mm, addr, e->pfn, e->gen, word, *val, site))
					return 0; /* visible when its buffer drains it */
				page->data[word] = *val;
				oracle_user_store(cpu, mm, addr, e->pfn, *val, site);
				return 0;
			}
			if (sb_active && defer &&
			    sb_load_defer(cpu, mm, addr, e->pfn, e->gen, word, val, site))
				return 0; /* read when a load agent performs it */
			if (sb_active)
				sb_loads_settle(cpu, e->pfn, word);
			if (sb_active && sb_forward(cpu, e->pfn, word, val))
				return 0; /* the CPU's own store, not yet visible */
			*val = page->data[word];
			oracle_user_load(cpu, mm, addr, e->pfn, *val, site);
			return 0;
		}
		if (e) /* not dirty yet, or no write permission: re-walk */
			tlb_entry_invalidate(cpu, e);
		enum walk_result r = hw_walk(cpu, mm, base, write);
		if (r != WALK_FAULT)
			continue;
		sb_drain_wait(cpu); /* the fault handler must see the CPU's user stores */
		int err = do_user_addr_fault(mm, base, write);
		/* the fault's own stores (released at its unlocks) are visible before the
		 * access retries: a simplification, fewer behaviours (sbuf.h) */
		if (sb_active)
			sb_flush_now(cpu);
		if (err)
			return err;
	}
}

int hw_load(int cpu, struct mm_struct *mm, unsigned long addr, uint64_t *val)
{
	return hw_access(cpu, mm, addr, false, false, val);
}

int hw_load_relaxed(int cpu, struct mm_struct *mm, unsigned long addr, uint64_t *val)
{
	return hw_access(cpu, mm, addr, false, true, val);
}

int hw_store(int cpu, struct mm_struct *mm, unsigned long addr, uint64_t val)
{
	return hw_access(cpu, mm, addr, true, false, &val);
}
