/* SPDX-License-Identifier: MIT */
/* GUP-fast and the slow path, FOLL_GET and FOLL_PIN, and the device (see gup.h). */
#include "gup.h"

#include <errno.h>
#include <string.h>

#include "huge_memory.h"
#include "hw.h"
#include "memory.h"
#include "mmap.h"
#include "oracle/events.h"
#include "page.h"
#include "pgtable.h"
#include "sbuf.h"
#include "vma.h"

SCHED_SITE_GLOBAL(site_remote_write, "access_remote_vm", "copy_to_user_page");

/*
 * Models: gup_must_unshare(): a read-only pin of an anonymous page that may be
 * shared must not be taken on that page: an unshare fault makes it exclusive
 * first.  A read-only long-term pin of a page-cache page in a private ("COW")
 * mapping must not be taken on the page cache either: the unshare fault breaks
 * COW early, so that the process's later writes and the pin see one page (since
 * 84209e87c696, 2022; GUP-fast, without the VMA, leaves it to the slow path).
 * Writes (FOLL_WRITE) break COW instead; FOLL_GET never unshares.
 * Knob gup-ro-no-unshare: never for anonymous pages; knob
 * gup-longterm-ro-pagecache-no-unshare: never for page-cache pages.
 */
static bool gup_must_unshare(const struct vm_area_struct *vma, unsigned int flags,
			     struct folio *page)
{
	if ((flags & (FOLL_WRITE | FOLL_PIN)) != FOLL_PIN)
		return false;
	if (!folio_test_anon(page)) {
		if (!(flags & FOLL_LONGTERM) ||
		    knob_enabled(KNOB_GUP_LONGTERM_RO_PAGECACHE_NO_UNSHARE))
			return false;
		return !vma || !(vma->vm_flags & VM_SHARED); /* is_cow_mapping() */
	}
	if (knob_enabled(KNOB_GUP_RO_NO_UNSHARE))
		return false;
	return !PageAnonExclusive(page);
}

/*
 * Models: try_grab_folio() on a folio we hold a reference to (FOLL_GET: keep it),
 * and try_grab_folio_fast()'s pin after its folio_try_get() (@fast): there the
 * bias is a bare atomic_add(), then smp_mb__after_atomic() (088b8aa537c2) so the
 * pin is visible before the re-checks of the PTE and of write_protect_seq.  The
 * other sides: folio_try_share_anon_rmap_pte()'s smp_mb() between its PTE clear
 * and its pin check (KSM, swap-out, migration), and fork()'s
 * write_seqcount_begin() before folio_try_dup_anon_rmap_pte()'s pin check (the
 * seqcount store is not buffered in this model: visible at its step).  Either
 * GUP-fast sees the change, or the other side sees the pin.  Knob
 * gupfast-pin-no-mb: no barrier; in memory arm64 the re-checks may pass before
 * the pin is visible, fork() reads the count without it and shares the pinned
 * page with the child (regressions/gupfast-pin-no-mb.sched).
 */
static void gup_grab_more(struct folio *folio, unsigned int flags, bool fast)
{
	if (!(flags & FOLL_PIN))
		return;
	/* one site for both (so the file's other site ids stay as they were) */
	struct sched_site *site = MM_SITE("folio_ref_add");
	if (!fast) {
		__folio_ref_add(folio, GUP_PIN_COUNTING_BIAS - 1, site);
		return;
	}
	__folio_ref_add_relaxed(folio, GUP_PIN_COUNTING_BIAS - 1, site);
	if (sb_active && !knob_enabled(KNOB_GUPFAST_PIN_NO_MB))
		sb_kernel_mb(); /* smp_mb__after_atomic() */
}

/* Models: gup_put_folio(). */
static void gup_put_folio(struct folio *folio, unsigned int flags)
{
	if (flags & FOLL_PIN)
		folio_ref_sub(folio, GUP_PIN_COUNTING_BIAS - 1);
	folio_put(folio);
}

/*
 * Models: gup_fast_pmd_leaf(): the page of a huge PMD, read locklessly: grab its
 * folio, then re-check the PMD (and write_protect_seq for a pin).
 */
static struct folio *gup_fast_pmd_leaf(struct mm_struct *mm, pmd_t *pmdp, pmd_t pmd,
				       unsigned long addr, unsigned int flags, bool check_seq,
				       uint32_t seq)
{
	if (((flags & FOLL_WRITE) && !pmd_write(pmd)) || !pmd_hw_valid(pmd))
		return NULL; /* (being split: pmd_access_permitted() says no) */
	struct folio *page = pfn_page(pte_pfn(pmd_pte_at(pmd, addr))), *folio = page_folio(page);
	if (!folio_try_get(folio))
		return NULL;
	gup_grab_more(folio, flags, true);
	if (!pmd_same(pmd, pmdp_get_lockless(mm, pmdp))) {
		gup_put_folio(folio, flags);
		return NULL;
	}
	if ((!pmd_write(pmd) && gup_must_unshare(NULL, flags, folio)) ||
	    (check_seq && read_seqcount_retry(&mm->write_protect_seq, seq))) {
		gup_put_folio(folio, flags);
		return NULL;
	}
	return page;
}

/*
 * Models: gup_fast() -> gup_fast_pte_range() for one PTE.  Context: interrupts
 * disabled by the caller.  Returns the page, its folio grabbed, or NULL: take the
 * slow path.
 */
static struct folio *gup_fast_pte(struct mm_struct *mm, unsigned long addr, unsigned int flags)
{
	VM_WARN_ON_ONCE(!irqs_disabled());
	uint32_t seq = 0;
	bool check_seq = (flags & FOLL_PIN) && !knob_enabled(KNOB_GUPFAST_IGNORE_WRITE_PROTECT_SEQ);
	if (check_seq) {
		/* fork() is write-protecting this mm: what we pin may become shared */
		seq = raw_read_seqcount(&mm->write_protect_seq);
		if (seq & 1)
			return NULL;
	}
	pmd_t *pmdp = pmd_offset(mm, addr);
	pmd_t pmd = pmdp_get_lockless(mm, pmdp);
	if (!pmd_present(pmd))
		return NULL;
	if (pmd_trans_huge(pmd))
		return gup_fast_pmd_leaf(mm, pmdp, pmd, addr, flags, check_seq, seq);
	unsigned table = pmd_table(pmd);
	oracle_walk_pmd(sched_current(), table);
	pte_t *ptep = pte_offset_map(pmd, addr);
	pte_t pte = ptep_get_lockless(ptep);
	oracle_walk_pte(sched_current(), mm, addr, table, true);
	/* a protnone entry (NUMA hinting): the slow path takes the hinting fault */
	if (!pte_present(pte) || pte_protnone(pte) || ((flags & FOLL_WRITE) && !pte_write(pte)))
		return NULL;
	uint32_t pfn = pte_pfn(pte);
	oracle_gup_fast_follow(sched_current(), mm, addr, pfn);
	if (pfn >= NR_FRAMES)
		return NULL;
	struct folio *page = pfn_page(pfn), *folio = page_folio(page);
	if (!folio_try_get(folio)) /* try_grab_folio() */
		return NULL;
	gup_grab_more(folio, flags, true);
	/*
	 * The PTE may have changed since we read it, and the table may no longer be
	 * the PMD's: collapse_huge_page() clears the PMD, checks the pages' references
	 * and copies them while we still walk the detached table, where the PTE stays
	 * the same until the copy is done; so re-check both.  Knob
	 * gupfast-no-pmd-recheck: only the PTE (before 70cbc3cc78a9).
	 */
	bool pmd_changed = !knob_enabled(KNOB_GUPFAST_NO_PMD_RECHECK) &&
			   !pmd_same(pmd, pmdp_get_lockless(mm, pmdp));
	pte_t again = ptep_get(ptep);
	oracle_walk_pte(sched_current(), mm, addr, table, true);
	if (pmd_changed || !pte_same(pte, again)) {
		gup_put_folio(folio, flags);
		return NULL;
	}
	if ((!pte_write(pte) && gup_must_unshare(NULL, flags, page)) ||
	    (check_seq && read_seqcount_retry(&mm->write_protect_seq, seq))) {
		gup_put_folio(folio, flags);
		return NULL;
	}
	return page;
}

/*
 * Models: can_follow_write_pte()/_pmd()'s common part: a FOLL_FORCE write may use
 * a read-only entry of a private mapping without VM_WRITE once the page is the
 * process's own (exclusive anon: COW was broken for it).
 */
bool can_follow_write_common(struct folio *page, const struct vm_area_struct *vma,
			     unsigned int flags)
{
	if (!(flags & FOLL_FORCE) || (vma->vm_flags & (VM_SHARED | VM_WRITE)))
		return false;
	return folio_test_anon(page) && PageAnonExclusive(page);
}

/* Models: can_follow_write_pte(). */
static bool can_follow_write_pte(pte_t pte, struct folio *page, const struct vm_area_struct *vma,
				 unsigned int flags)
{
	return pte_write(pte) || can_follow_write_common(page, vma, flags);
}

/*
 * Models: follow_page_pte().  Context: mmap_lock held.  NULL with *unshare false:
 * fault it in; with *unshare true: an unshare fault first.
 */
static struct folio *follow_page_pte(struct vm_area_struct *vma, unsigned long addr,
				     unsigned int flags, bool *unshare)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	*unshare = false;
	pmd_t *pmdp = pmd_offset(mm, addr);
	pmd_t pmd = pmdp_get(mm, pmdp);
	if (pmd_trans_huge(pmd)) {
		bool not_huge;
		struct folio *page = follow_huge_pmd(vma, pmdp, addr, flags, unshare, &not_huge);
		if (!not_huge)
			return page;
		pmd = pmdp_get(mm, pmdp); /* split meanwhile: the PTEs */
	}
	if (!pmd_table_present(pmd))
		return NULL;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return NULL;
	pte_t pte = ptep_get(ptep);
	struct folio *page = NULL;
	/* protnone: !gup_can_follow_protnone() (FOLL_HONOR_NUMA_FAULT in an
	 * accessible VMA, the only kind that gets here): fault, do_numa_page() */
	if (pte_present(pte) && !pte_protnone(pte) &&
	    (!(flags & FOLL_WRITE) ||
	     can_follow_write_pte(pte, pfn_page(pte_pfn(pte)), vma, flags))) {
		page = pfn_page(pte_pfn(pte));
		if (!pte_write(pte) && gup_must_unshare(vma, flags, page)) {
			*unshare = true;
			page = NULL;
		} else {
			folio_get(page_folio(page));
			gup_grab_more(page_folio(page), flags, false);
		}
	}
	pte_unmap_unlock(ptep, ptl);
	return page;
}

#define GUP_FAULT_RETRIES 8 /* the kernel retries until done; bounded for the model */

/*
 * Models: __get_user_pages() for one page: check_vma_flags(), then
 * follow_page_pte() under the PTL and faultin_page() until the page is there.
 * Context: mmap_lock held for read; it stays held.
 */
static struct folio *gup_slow_locked(struct vm_area_struct *vma, unsigned long addr,
				     unsigned int flags, int *err)
{
	mmap_assert_locked(vma->vm_mm);
	*err = -EFAULT;
	/* check_vma_flags(): FOLL_FORCE may write a read-only private mapping only */
	if ((flags & FOLL_WRITE) && !(vma->vm_flags & VM_WRITE) &&
	    (!(flags & FOLL_FORCE) || (vma->vm_flags & VM_SHARED)))
		return NULL;
	/* nor a PROT_NONE one: -EFAULT.  The kernel lets FOLL_FORCE (ptrace,
	 * /proc/pid/mem) read and COW-write it; the model does not (see numa.h) */
	if (!(vma->vm_flags & VM_READ))
		return NULL;
	struct folio *page = NULL;
	for (int tries = 0; !page && tries < GUP_FAULT_RETRIES; tries++) {
		bool unshare;
		page = follow_page_pte(vma, addr, flags, &unshare);
		if (page)
			break;
		/* faultin_page(): the fault runs under the mmap_lock we hold */
		unsigned int fault_flags = unshare		? FAULT_FLAG_UNSHARE
					   : flags & FOLL_WRITE ? FAULT_FLAG_WRITE
								: 0;
		int fault = handle_mm_fault(vma, addr, fault_flags);
		if (fault & VM_FAULT_OOM) {
			*err = -ENOMEM;
			break;
		}
		/*
		 * Knob dirty-cow: before 19be0eaffa3a, once the write fault had broken
		 * COW in a mapping without VM_WRITE, the retry followed the PTE for
		 * read: if MADV_DONTNEED zapped the copy meanwhile, the read fault maps
		 * the page-cache page again and the "private" write goes into it.
		 */
		if (knob_enabled(KNOB_DIRTY_COW) && (fault & VM_FAULT_WRITE) &&
		    !(vma->vm_flags & VM_WRITE))
			flags &= ~FOLL_WRITE;
	}
	return page;
}

/* GUP runs on current->mm: this CPU is in its mm_cpumask, so the flush IPI that
 * precedes freeing a page table waits for our interrupts-off walk. */
static void gup_enter_mm(struct mm_struct *mm)
{
	if (sched_current() < NR_CPUS)
		mm->cpumask |= 1u << sched_current();
}

/*
 * The GUP of one page: GUP-fast (not for FOLL_FORCE: a remote access), else the
 * slow path under mmap_lock.  @keep_locked: a page found by the slow path is
 * returned with mmap_lock still held for read (the caller drops it); NULL never
 * holds it.
 */
static struct folio *__get_user_pages(struct mm_struct *mm, unsigned long addr, unsigned int flags,
				      int *err, bool keep_locked)
{
	addr &= ~(PAGE_SIZE - 1);
	gup_enter_mm(mm);
	unsigned long irq = local_irq_save();
	struct folio *page =
	    addr < TASK_SIZE && !(flags & FOLL_FORCE) ? gup_fast_pte(mm, addr, flags) : NULL;
	local_irq_restore(irq);
	if (page)
		return page;
	*err = -EFAULT;
	struct vm_area_struct *vma = lock_mm_and_find_vma(mm, addr);
	if (!vma)
		return NULL;
	page = gup_slow_locked(vma, addr, flags, err);
	if (!page || !keep_locked)
		mmap_read_unlock(mm);
	return page;
}

/*
 * Models: pin_user_pages() for one page, called under mmap_read_lock() (as a
 * driver does around it): no GUP-fast, the VMA looked up as gup_vma_lookup()
 * does (no stack expansion since 6.5), then the slow path.
 */
static struct folio *pin_user_pages_slow(struct mm_struct *mm, unsigned long addr,
					 unsigned int flags, int *err)
{
	addr &= ~(PAGE_SIZE - 1);
	gup_enter_mm(mm);
	*err = -EFAULT;
	mmap_read_lock(mm);
	struct vm_area_struct *vma = find_vma(mm, addr);
	struct folio *page = NULL;
	if (vma && vma->vm_start <= addr)
		page = gup_slow_locked(vma, addr, flags, err);
	mmap_read_unlock(mm);
	return page;
}

struct folio *get_user_pages_fast(struct mm_struct *mm, unsigned long addr, unsigned int flags,
				  int *err)
{
	return __get_user_pages(mm, addr, flags, err, false);
}

/* ---- references held by a device ------------------------------------------------- */

int gup_hold(struct mm_struct *mm, unsigned long addr, unsigned int flags, bool fast)
{
	struct gup_ref *ref = &mm_world.gup_ref;
	if (ref->page)
		return -EBUSY;
	int err = 0;
	struct folio *page = fast ? get_user_pages_fast(mm, addr, flags, &err)
				  : pin_user_pages_slow(mm, addr, flags, &err);
	if (!page)
		return err;
	if (ref->page) { /* another agent registered one meanwhile */
		gup_put_folio(page_folio(page), flags);
		return -EBUSY;
	}
	*ref = (struct gup_ref){page, mm, addr, flags};
	oracle_pin(mm, addr, folio_pfn(page), flags & FOLL_PIN);
	return 0;
}

int gup_release(void)
{
	struct gup_ref *ref = &mm_world.gup_ref;
	struct folio *page = ref->page;
	unsigned int flags = ref->flags; /* another agent may register the next buffer */
	if (!page)
		return -EINVAL;
	ref->page = NULL;
	oracle_unpin();
	/* unpin_user_pages_dirty_lock() / set_page_dirty_lock() + put_page(): what the
	 * device may have written is dirty */
	if (flags & FOLL_WRITE)
		folio_mark_dirty(page_folio(page));
	gup_put_folio(page_folio(page), flags);
	return 0;
}

void gup_release_all(void)
{
	if (mm_world.gup_ref.page)
		gup_release();
}

int dma_access(int agent, bool write, uint64_t *val)
{
	struct gup_ref *ref = &mm_world.gup_ref;
	struct folio *page = ref->page;
	/* a device writes only through a writable pin: FOLL_GET references are read
	 * (a pipe's); DMA into FOLL_GET pages is what fork could not keep apart, and
	 * what FOLL_PIN (O_DIRECT, 6.x) exists for */
	if (!page || (write && (ref->flags & (FOLL_PIN | FOLL_WRITE)) != (FOLL_PIN | FOLL_WRITE)))
		return -EINVAL;
	struct sched_site *site = write ? &hw_site_dma_write : &hw_site_dma_read;
	sched_yield(site, folio_data_obj(page), write ? SCHED_OP_WRITE : SCHED_OP_READ);
	if (ref->page != page)
		return -EINVAL; /* the buffer went away before the device got to it */
	int word = (int)(ref->addr % PAGE_SIZE / sizeof(uint64_t));
	if (write)
		page->data[word] = *val;
	else
		*val = page->data[word];
	oracle_device_access(agent, write, folio_pfn(page), word, *val, site);
	return 0;
}

int gup_read_once(struct mm_struct *mm, unsigned long addr, unsigned int flags, uint64_t *val)
{
	int err = 0;
	struct folio *page = get_user_pages_fast(mm, addr, flags | FOLL_GET, &err);
	if (!page)
		return err;
	int word = (int)(addr % PAGE_SIZE / sizeof(uint64_t));
	*val = folio_read_word(page, word);
	oracle_gup_load(sched_current(), mm, addr, folio_pfn(page), *val, &hw_site_dma_read);
	gup_put_folio(page_folio(page), flags | FOLL_GET);
	return 0;
}

int access_remote_vm_write(struct mm_struct *mm, unsigned long addr, uint64_t val)
{
	int err = 0;
	/* __access_remote_vm(): mmap_lock held from the GUP to the put */
	struct folio *page =
	    __get_user_pages(mm, addr, FOLL_GET | FOLL_WRITE | FOLL_FORCE, &err, true);
	if (!page)
		return err;
	int word = (int)(addr % PAGE_SIZE / sizeof(uint64_t));
	if (!site_remote_write.id)
		sched_site_init(&site_remote_write);
	folio_write_word(page, word, val); /* copy_to_user_page() */
	/* the store is the process's, at @addr, whichever page GUP found there */
	oracle_kernel_store(mm, addr, folio_pfn(page), val, &site_remote_write);
	struct folio *folio = page_folio(page);
	folio_mark_dirty(folio); /* set_page_dirty_lock() */
	gup_put_folio(folio, FOLL_GET);
	mmap_read_unlock(mm);
	return 0;
}
