/* SPDX-License-Identifier: MIT */
/*
 * What a system call promises once it returns, checked at that instant against
 * the page tables and every CPU's TLB (privileged reads, no yield):
 *
 *   munmap          `postcondition`: nothing of the range is mapped: no entry where
 *                   no VMA is, no anonymous page the range mapped when the call
 *                   began; `tlb-coherence`: no TLB entry filled before the call
 *                   translates the range to what the page tables no longer map;
 *   MADV_DONTNEED   the same, except that a racing fault may map a new page (legal);
 *   mmap            (MAP_FIXED over a mapping) the TLB side, as munmap;
 *   mprotect(R)     `postcondition`: no entry of the range permits a write, no
 *                   migration entry will restore one; `tlb-coherence`: no TLB
 *                   entry of the range permits a write;
 *   mprotect(NONE)  the same, and no entry of the range is one the MMU may use
 *                   (protnone or nothing); no TLB entry of the range at all;
 *   PROCMAP_QUERY   `vma-visibility`: a query that found no VMA at an address the
 *                   process had mapped before it began and still has, with no
 *                   operation of the process unmapping or moving it meanwhile;
 *   load            `vma-visibility`: the same for a load's SIGSEGV, unless the
 *                   page may have been PROT_NONE while it ran.
 *
 * Derived from state only: the pages mapped at entry (pfn and generation, so a
 * freed and reused frame is a different page), when each TLB entry was filled
 * (and from which mmap(): the fill checks of walk.c ask),
 * which pages the process's own calls have mapped (mmap, mremap and fork set
 * them on return; munmap, mremap and exit clear them on entry; a fork's child
 * gets none that MADV_DONTFORK may have marked, the mark moving with mremap at its
 * entry and its return), and the page tables and TLBs at
 * return.
 * Left out: file pages of the range (a racing fault may map the same page-cache
 * page again, legally), MADV_FREE (it keeps the mapping), pages a stack grew into
 * (no call maps them).
 */
#include <errno.h>
#include <string.h>

#include "../page.h"
#include "../pgtable.h"
#include "../tlb.h"
#include "../vma.h"
#include "oracle_int.h"

SCHED_SITE_GLOBAL(site_post_munmap, "postcondition", "munmap");
SCHED_SITE_GLOBAL(site_post_dontneed, "postcondition", "madvise_dontneed");
SCHED_SITE_GLOBAL(site_post_mprotect, "postcondition", "mprotect");

static struct post_state P;

void post_reset(void)
{
	memset(&P, 0, sizeof(P));
}

void post_snapshot(struct post_state *to)
{
	*to = P;
}

void post_restore(const struct post_state *from)
{
	uint32_t copy = P.used | from->used; /* the others are zero both sides */
	memcpy(&P, from, offsetof(struct post_state, mm));
	for (; copy; copy &= copy - 1)
		P.mm[__builtin_ctz(copy)] = from->mm[__builtin_ctz(copy)];
}

/* The clocks of process @mm, to write. */
static struct post_mm *post_mm_w(int mm)
{
	P.used |= 1u << mm;
	return &P.mm[mm];
}

/* A call that unmaps or moves op's range (all of it for exit) enters or returns. */
static void post_unmap_range(const struct oracle_op *op, unsigned long start, bool enter)
{
	struct post_mm *pm = post_mm_w(op->mm);
	for (unsigned long a = start; a < start + op->len && a < TASK_SIZE; a += PAGE_SIZE) {
		pm->unmap_clock[a >> PAGE_SHIFT] = oracle_clock();
		pm->unmap_by[a >> PAGE_SHIFT] = op->enter_clock;
		pm->unmap_inflight[a >> PAGE_SHIFT] += enter ? 1 : -1;
	}
}

/* (mremap unmaps its destination first, MREMAP_FIXED, even when it then fails) */
static void post_unmapping(const struct oracle_op *op, bool enter)
{
	if (op->kind == OSYS_MUNMAP || op->kind == OSYS_MREMAP || op->kind == OSYS_EXIT)
		post_unmap_range(op, op->start, enter);
	if (op->kind == OSYS_MREMAP)
		post_unmap_range(op, op->arg, enter);
}

uint32_t post_mapping_gen(const struct mm_struct *mm, unsigned long addr)
{
	/* the tree's view, as a fault's find_vma() has it */
	const struct vm_area_struct *vma = mtree_load_oracle(&mm->mm_mt, addr);
	return vma && vma->vm_start <= addr ? vma->vm_gen : 0;
}

void oracle_tlb_fill(int cpu, int slot)
{
	const struct tlb_entry *e = &mm_world.tlb[cpu][slot];
	P.fill_clock[cpu][slot] = oracle_clock();
	P.fill_vma_gen[cpu][slot] =
	    post_mapping_gen(mm_get(e->mm), (unsigned long)e->vpn << PAGE_SHIFT);
}

uint32_t post_fill_vma_gen(int cpu, int slot)
{
	return P.fill_vma_gen[cpu][slot];
}

static uint64_t post_range_bits(unsigned long start, unsigned long len)
{
	uint64_t bits = 0;
	for (unsigned long a = start; a < start + len && a < TASK_SIZE; a += PAGE_SIZE)
		bits |= 1ull << (a >> PAGE_SHIFT);
	return bits;
}

/* [start, start + len) no longer carries VM_DONTCOPY (unless a MADV_DONTFORK of the
 * process is in flight: it may come after). */
static void post_dontfork_clear(int mm, unsigned long start, unsigned long len)
{
	if (P.dontfork_inflight[mm])
		return;
	for (unsigned long a = start; a < start + len && a < TASK_SIZE; a += PAGE_SIZE)
		if (P.dontfork[mm] >> (a >> PAGE_SHIFT) & 1)
			post_mm_w(mm)->dontfork_clock[a >> PAGE_SHIFT] = oracle_clock();
	P.dontfork[mm] &= ~post_range_bits(start, len);
}

/* mprotect() enters (@enter) or returns: which pages may be PROT_NONE. */
static void post_noaccess_track(const struct oracle_op *op, bool enter, long ret)
{
	if (op->kind == OSYS_FORK && !enter && ret == 0)
		P.noaccess[op->arg] |= P.noaccess[op->mm];
	if (op->kind == OSYS_MREMAP && !enter && ret >= 0 &&
	    (P.noaccess[op->mm] & post_range_bits(op->start, op->len)))
		P.noaccess[op->mm] |= post_range_bits((unsigned long)ret, op->len);
	if (op->kind != OSYS_MPROTECT)
		return;
	bool none = op->arg == OSYS_MPROTECT_NONE;
	uint64_t bits = post_range_bits(op->start, op->len);
	if (none)
		P.noaccess_inflight[op->mm] += enter ? 1 : -1;
	if (none && enter)
		P.noaccess[op->mm] |= bits;
	if (enter || (!none && P.noaccess_inflight[op->mm]))
		return;
	for (unsigned long a = op->start; a < op->start + op->len && a < TASK_SIZE; a += PAGE_SIZE)
		if (P.noaccess[op->mm] >> (a >> PAGE_SHIFT) & 1)
			post_mm_w(op->mm)->noaccess_clock[a >> PAGE_SHIFT] = oracle_clock();
	if (!none && ret == 0)
		P.noaccess[op->mm] &= ~bits;
}

/* May the page of a load's address have been PROT_NONE while the load ran? */
static bool post_noaccess_since(const struct oracle_op *op)
{
	unsigned long page = op->start % TASK_SIZE >> PAGE_SHIFT;
	return (P.noaccess[op->mm] >> page & 1) ||
	       P.mm[op->mm].noaccess_clock[page] > op->enter_clock;
}

/* The pages a fork that entered at @enter_clock may have left out of the child. */
static uint64_t post_dontfork_since(int mm, uint32_t enter_clock)
{
	uint64_t bits = P.dontfork[mm];
	for (unsigned long p = 0; p < TASK_SIZE >> PAGE_SHIFT; p++)
		if (P.mm[mm].dontfork_clock[p] > enter_clock)
			bits |= 1ull << p;
	return bits;
}

/* VM_DONTCOPY on entry and return of the calls that set, clear or move it. */
static void post_dontfork_track(const struct oracle_op *op, bool enter, long ret)
{
	switch (op->kind) {
	case OSYS_MADV_DONTFORK:
		P.dontfork_inflight[op->mm] += enter ? 1 : -1;
		if (enter)
			P.dontfork[op->mm] |= post_range_bits(op->start, op->len);
		break;
	case OSYS_MADV_DOFORK:
		if (!enter && ret == 0)
			post_dontfork_clear(op->mm, op->start, op->len);
		break;
	case OSYS_MREMAP: { /* the flags move with the VMA */
		/* and again at the return: a MADV_DONTFORK that entered after this
		 * call may have marked the VMA before the move */
		unsigned long to = enter ? op->arg : (unsigned long)ret;
		for (unsigned long i = 0; (enter || ret >= 0) && i < op->len &&
					  op->start + i < TASK_SIZE && to + i < TASK_SIZE;
		     i += PAGE_SIZE)
			if (P.dontfork[op->mm] >> ((op->start + i) >> PAGE_SHIFT) & 1)
				P.dontfork[op->mm] |= 1ull << ((to + i) >> PAGE_SHIFT);
		break;
	}
	case OSYS_MMAP:
		if (!enter && ret >= 0)
			post_dontfork_clear(op->mm, (unsigned long)ret, op->len);
		break;
	case OSYS_EXIT:
		if (enter)
			post_dontfork_clear(op->mm, 0, TASK_SIZE);
		break;
	default:
		break;
	}
}

void post_syscall_enter(struct oracle_op *op)
{
	post_unmapping(op, true);
	post_dontfork_track(op, true, 0);
	post_noaccess_track(op, true, 0);
	if (op->kind == OSYS_MUNMAP || op->kind == OSYS_MREMAP)
		P.mapped[op->mm] &= ~post_range_bits(op->start, op->len);
	if (op->kind == OSYS_MREMAP)
		P.mapped[op->mm] &= ~post_range_bits(op->arg, op->len);
	if (op->kind == OSYS_EXIT)
		P.mapped[op->mm] = 0;
	if (op->kind == OSYS_QUERY || op->kind == OSYS_LOAD)
		op->arg = P.mapped[op->mm] >> (op->start % TASK_SIZE >> PAGE_SHIFT) & 1;
	if (op->kind != OSYS_MUNMAP && op->kind != OSYS_MADV_DONTNEED)
		return;
	const struct mm_struct *mm = mm_get(op->mm);
	for (unsigned long a = op->start; a < op->start + op->len && a < TASK_SIZE;
	     a += PAGE_SIZE) {
		pte_t pte = pte_oracle_get(mm, a);
		unsigned long i = (a - op->start) / PAGE_SIZE;
		op->anon_pfn[i] = 0;
		if (!pte_present(pte) || !folio_test_anon(pfn_page(pte_pfn(pte))))
			continue;
		op->anon_pfn[i] = pte_pfn(pte) + 1;
		op->anon_gen[i] = pfn_page(pte_pfn(pte))->gen;
	}
}

static void post_report(struct sched_site *site, const struct oracle_op *op, unsigned long addr,
			const char *what, pte_t pte)
{
	if (!site->id)
		sched_site_init(site);
	const struct mm_struct *mm = mm_get(op->mm);
	uint32_t mask;
	const struct sched_site *other = oracle_pte_writer(mm, addr, &mask);
	sched_finding(
	    mm_oracle_names[ORACLE_POSTCONDITION], site, other, mask | 1u << op->agent,
	    "%s returned to %s, but P%d 0x%lx %s (PTE %#llx)",
	    op->kind == OSYS_MUNMAP ? "munmap"
	    : op->kind == OSYS_MPROTECT
		? (op->arg == OSYS_MPROTECT_NONE ? "mprotect(PROT_NONE)" : "mprotect(PROT_READ)")
		: "madvise(MADV_DONTNEED)",
	    sched_agent_name(op->agent), op->mm, addr, what, (unsigned long long)pte_val(pte));
}

SCHED_SITE_GLOBAL(site_post_stale, "postcondition", "stale_translation");
SCHED_SITE_GLOBAL(site_post_writable, "postcondition", "writable_translation");
SCHED_SITE_GLOBAL(site_post_hole, "postcondition", "query_hole");

static const char *post_op_name(const struct oracle_op *op)
{
	switch (op->kind) {
	case OSYS_MUNMAP:
		return "munmap";
	case OSYS_MADV_DONTNEED:
		return "madvise(MADV_DONTNEED)";
	case OSYS_MPROTECT:
		return op->arg == OSYS_MPROTECT_NONE ? "mprotect(PROT_NONE)"
						     : "mprotect(PROT_READ)";
	case OSYS_MREMAP:
		return "mremap";
	default:
		return "mmap";
	}
}

/* defined at the end of the file: a site's id is its ordinal in the file */
static struct sched_site site_post_accessible;

/*
 * The TLB side: no CPU may still hold, for the range, a translation filled before
 * the call that the page tables no longer allow (@writable: any that allows a
 * write; @none: any at all).
 */
static void post_check_tlbs(const struct oracle_op *op, bool writable, bool none)
{
	const struct mm_struct *mm = mm_get(op->mm);
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		for (int i = 0; i < TLB_ENTRIES; i++) {
			const struct tlb_entry *e = &mm_world.tlb[cpu][i];
			unsigned long addr = (unsigned long)e->vpn << PAGE_SHIFT;
			if (!e->valid || e->mm != op->mm || addr < op->start ||
			    addr >= op->start + op->len)
				continue;
			if (none || (writable && e->write)) {
				struct sched_site *site =
				    none ? &site_post_accessible : &site_post_writable;
				if (!site->id)
					sched_site_init(site);
				sched_finding(
				    mm_oracle_names[ORACLE_TLB_COHERENCE], site, NULL, 1u << cpu,
				    "%s can still %s P%d 0x%lx (frame %u) after %s returned",
				    sched_agent_name(cpu), none ? "access" : "write", op->mm, addr,
				    e->pfn, post_op_name(op));
				return;
			}
			if (writable || P.fill_clock[cpu][i] > op->enter_clock)
				continue;
			pte_t pte = pte_oracle_get(mm, addr);
			if (pte_present(pte) && pte_pfn(pte) == e->pfn &&
			    (pte_write(pte) || !e->write))
				continue;
			if (!site_post_stale.id)
				sched_site_init(&site_post_stale);
			sched_finding(
			    mm_oracle_names[ORACLE_TLB_COHERENCE], &site_post_stale, NULL,
			    1u << cpu,
			    "%s returned but %s still translates P%d 0x%lx to frame %u (the "
			    "page table maps %s)",
			    post_op_name(op), sched_agent_name(cpu), op->mm, addr, e->pfn,
			    pte_present(pte) ? "another page" : "nothing");
			return;
		}
}

/* PROCMAP_QUERY found nothing, or a load faulted (SIGSEGV): was the address
 * the process's all along? */
static void post_check_query(const struct oracle_op *op, long found)
{
	unsigned long page = op->start % TASK_SIZE >> PAGE_SHIFT;
	if (found || !op->arg || !(P.mapped[op->mm] >> page & 1) ||
	    P.mm[op->mm].unmap_inflight[page] || P.mm[op->mm].unmap_clock[page] > op->enter_clock)
		return;
	if (!site_post_hole.id)
		sched_site_init(&site_post_hole);
	sched_finding(
	    mm_oracle_names[ORACLE_VMA_VISIBILITY], &site_post_hole, NULL, 1u << op->agent,
	    "%s %s at P%d 0x%lx, which is mapped before and after the "
	    "operation in flight",
	    sched_agent_name(op->agent),
	    op->kind == OSYS_LOAD ? "takes SIGSEGV loading" : "finds no VMA", op->mm, op->start);
}

/*
 * Did another call of @op's process unmap @addr while @op ran, or is one still
 * unmapping it?  Then what @op left there (a new mapping, the child's copy) may
 * or may not have survived it.  @op's own unmapping has returned by now.
 */
static bool post_unmapped_meanwhile(const struct oracle_op *op, unsigned long addr)
{
	unsigned long page = addr >> PAGE_SHIFT;
	if (P.mm[op->mm].unmap_inflight[page])
		return true;
	return P.mm[op->mm].unmap_clock[page] > op->enter_clock &&
	       P.mm[op->mm].unmap_by[page] != op->enter_clock;
}

void post_syscall_exit(const struct oracle_op *op, long ret)
{
	post_unmapping(op, false);
	post_dontfork_track(op, false, ret);
	post_noaccess_track(op, false, ret);
	/* what an unmapping call removed may have been mapped while it ran */
	if (op->kind == OSYS_MUNMAP || op->kind == OSYS_MREMAP)
		P.mapped[op->mm] &= ~post_range_bits(op->start, op->len);
	if (op->kind == OSYS_MREMAP)
		P.mapped[op->mm] &= ~post_range_bits(op->arg, op->len);
	if (ret >= 0 && (op->kind == OSYS_MMAP || op->kind == OSYS_MREMAP))
		for (unsigned long a = (unsigned long)ret;
		     a < (unsigned long)ret + op->len && a < TASK_SIZE; a += PAGE_SIZE)
			if (!post_unmapped_meanwhile(op, a))
				P.mapped[op->mm] |= 1ull << (a >> PAGE_SHIFT);
	if (ret == 0 && op->kind == OSYS_FORK) {
		/* the child has what the parent had when fork copied its tree: a page
		 * another call unmapped while fork ran may be in the child or not */
		uint64_t copied = P.mapped[op->mm] & ~post_dontfork_since(op->mm, op->enter_clock);
		for (unsigned long a = 0; a < TASK_SIZE; a += PAGE_SIZE)
			if (post_unmapped_meanwhile(op, a))
				copied &= ~(1ull << (a >> PAGE_SHIFT));
		P.mapped[op->arg] = copied;
	}
	if (op->kind == OSYS_QUERY)
		post_check_query(op, ret);
	if (op->kind == OSYS_LOAD)
		post_check_query(op, ret != -EFAULT || post_noaccess_since(op));
	if (ret < 0)
		return;
	if (op->kind == OSYS_MUNMAP || op->kind == OSYS_MADV_DONTNEED || op->kind == OSYS_MREMAP ||
	    (op->kind == OSYS_MMAP && ret == (long)op->start))
		post_check_tlbs(op, false, false);
	if (op->kind == OSYS_MPROTECT && op->arg != 1)
		post_check_tlbs(op, true, op->arg == OSYS_MPROTECT_NONE);
	if (ret != 0 || sched_stopped())
		return;
	const struct mm_struct *mm = mm_get(op->mm);
	for (unsigned long a = op->start; a < op->start + op->len && a < TASK_SIZE;
	     a += PAGE_SIZE) {
		pte_t pte = pte_oracle_get(mm, a);
		unsigned long i = (a - op->start) / PAGE_SIZE;
		/* (not a KSM page: ksmd merges a page faulted in there since with the
		 * same KSM page again, the old frame mapped anew) */
		bool old_anon = (op->kind == OSYS_MUNMAP || op->kind == OSYS_MADV_DONTNEED) &&
				op->anon_pfn[i] && pte_present(pte) &&
				pte_pfn(pte) == op->anon_pfn[i] - 1 &&
				pfn_page(pte_pfn(pte))->gen == op->anon_gen[i] &&
				!folio_test_ksm(pfn_page(pte_pfn(pte)));
		switch (op->kind) {
		case OSYS_MUNMAP:
			if (old_anon)
				post_report(&site_post_munmap, op, a,
					    "still maps the anonymous page it mapped before", pte);
			/* (unless another call that unmaps the page is in flight: an
			 * mremap's destination, detached and not yet zapped) */
			else if (!pte_none(pte) && !vma_lookup_oracle(mm, a) &&
				 !P.mm[op->mm].unmap_inflight[a >> PAGE_SHIFT])
				post_report(&site_post_munmap, op, a,
					    "has a page-table entry and no VMA", pte);
			break;
		case OSYS_MADV_DONTNEED:
			if (old_anon)
				post_report(&site_post_dontneed, op, a,
					    "still maps the anonymous page it mapped before", pte);
			break;
		case OSYS_MPROTECT:
			if (op->arg == 1)
				return;
			if (pte_present(pte) && pte_write(pte))
				post_report(&site_post_mprotect, op, a, "is mapped writable", pte);
			else if (op->arg == OSYS_MPROTECT_NONE && pte_hw_present(pte))
				post_report(&site_post_mprotect, op, a, "is mapped accessible",
					    pte);
			else if (is_writable_migration_entry(pte))
				post_report(&site_post_mprotect, op, a,
					    "has a writable migration entry", pte);
			break;
		default:
			return;
		}
	}
}

SCHED_SITE_GLOBAL(site_post_accessible, "postcondition", "accessible_translation");
