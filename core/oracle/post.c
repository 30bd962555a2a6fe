/* SPDX-License-Identifier: MIT */
/*
 * The `postcondition` oracle: what a system call promises once it returns,
 * checked against the page tables at that instant (privileged reads, no yield).
 *
 *   munmap          nothing of the range is mapped: no entry where no VMA is, and
 *                   no anonymous page the range mapped when the call began;
 *   MADV_DONTNEED   no anonymous page the range mapped when the call began is
 *                   still mapped there (a racing fault may map a new one: legal);
 *   mprotect(R)     no entry of the range permits a write, and no migration entry
 *                   will restore one.
 *
 * Derived from state only: the pages mapped at entry (pfn and generation, so a
 * freed and reused frame is a different page) and the page tables at return.
 * The TLB side of the same promises is tlb-coherence's (core/tlb.c).
 * Left out: file pages of the range (a racing fault may map the same page-cache
 * page again, legally), MADV_FREE (it keeps the mapping).
 */
#include "../page.h"
#include "../pgtable.h"
#include "../vma.h"
#include "oracle_int.h"

SCHED_SITE_GLOBAL(site_post_munmap, "postcondition", "munmap");
SCHED_SITE_GLOBAL(site_post_dontneed, "postcondition", "madvise_dontneed");
SCHED_SITE_GLOBAL(site_post_mprotect, "postcondition", "mprotect");

void post_reset(void)
{
}

void post_syscall_enter(struct oracle_op *op)
{
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
	sched_finding(mm_oracle_names[ORACLE_POSTCONDITION], site, other, mask | 1u << op->agent,
		      "%s returned to %s, but P%d 0x%lx %s (PTE %#llx)",
		      op->kind == OSYS_MUNMAP	  ? "munmap"
		      : op->kind == OSYS_MPROTECT ? "mprotect(PROT_READ)"
						  : "madvise(MADV_DONTNEED)",
		      sched_agent_name(op->agent), op->mm, addr, what,
		      (unsigned long long)pte_val(pte));
}

void post_syscall_exit(const struct oracle_op *op, long ret)
{
	if (ret != 0)
		return;
	const struct mm_struct *mm = mm_get(op->mm);
	for (unsigned long a = op->start; a < op->start + op->len && a < TASK_SIZE;
	     a += PAGE_SIZE) {
		pte_t pte = pte_oracle_get(mm, a);
		unsigned long i = (a - op->start) / PAGE_SIZE;
		bool old_anon = (op->kind == OSYS_MUNMAP || op->kind == OSYS_MADV_DONTNEED) &&
				op->anon_pfn[i] && pte_present(pte) &&
				pte_pfn(pte) == op->anon_pfn[i] - 1 &&
				pfn_page(pte_pfn(pte))->gen == op->anon_gen[i];
		switch (op->kind) {
		case OSYS_MUNMAP:
			if (old_anon)
				post_report(&site_post_munmap, op, a,
					    "still maps the anonymous page it mapped before", pte);
			else if (!pte_none(pte) && !vma_lookup_oracle(mm, a))
				post_report(&site_post_munmap, op, a,
					    "has a page-table entry and no VMA", pte);
			break;
		case OSYS_MADV_DONTNEED:
			if (old_anon)
				post_report(&site_post_dontneed, op, a,
					    "still maps the anonymous page it mapped before", pte);
			break;
		case OSYS_MPROTECT:
			if (op->arg)
				return;
			if (pte_present(pte) && pte_write(pte))
				post_report(&site_post_mprotect, op, a, "is mapped writable", pte);
			else if (is_writable_migration_entry(pte))
				post_report(&site_post_mprotect, op, a,
					    "has a writable migration entry", pte);
			break;
		default:
			return;
		}
	}
}
