/* SPDX-License-Identifier: MIT */
/* KSM: ksmd's scan, merge and unmerge (see ksm.h). */
#include "ksm.h"

#include <errno.h>

#include "memory.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"

#define KSM (&mm_world.ksm)

void ksm_init(struct ksm_state *ksm)
{
	mutex_init(&ksm->ksm_thread_mutex, SCHED_OBJ(OBJ_KSM, 0), "ksm_thread_mutex",
		   RANK_KSM_THREAD);
}

/*
 * Models: ksm_test_exit(): the process is exiting or gone (mm_users dropped to
 * zero in the kernel); exit_mmap() tears the VMAs down under mmap_lock for write,
 * so a check made with mmap_lock held stays true until it is dropped
 * (6db504ce55bd: check it after taking the lock, before walking the VMAs).
 */
static bool ksm_test_exit(const struct mm_struct *mm)
{
	return mm->exiting || !mm->live || mm->unborn;
}

/* Models: find_mergeable_vma(): the VM_MERGEABLE VMA of @addr, or NULL.
 * Context: mmap_lock held. */
static struct vm_area_struct *find_mergeable_vma(struct mm_struct *mm, unsigned long addr)
{
	mmap_assert_locked(mm);
	if (ksm_test_exit(mm))
		return NULL;
	struct vm_area_struct *vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr || !(vma->vm_flags & VM_MERGEABLE))
		return NULL;
	return vma;
}

/*
 * Models: folio_walk_start() as KSM uses it: under the PTL, the page a present,
 * accessible PTE maps at @addr of @vma; with a reference if it is a small
 * anonymous page (@ksm_only: a KSM page), else NULL.  PMD-mapped THPs: NULL.
 * Context: mmap_lock held.
 */
static struct folio *ksm_follow_page(struct vm_area_struct *vma, unsigned long addr, bool ksm_only)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	pmd_t *pmdp = pmd_offset(mm, addr);
	if (!pmd_table_present(pmdp_get(mm, pmdp)))
		return NULL;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return NULL;
	pte_t pte = ptep_get(ptep);
	struct folio *page = NULL;
	if (pte_present(pte) && !pte_protnone(pte)) {
		struct folio *folio = pfn_folio(pte_pfn(pte));
		if (folio_test_anon(folio) && !folio_test_large(folio) &&
		    (!ksm_only || folio_test_ksm(folio))) {
			folio_get(folio); /* the PTL keeps it mapped until here */
			page = folio;
		}
	}
	pte_unmap_unlock(ptep, ptl);
	return page;
}

/*
 * Models: break_ksm(): while @addr of @vma maps a KSM page, an unshare fault
 * gives the process its own copy (do_wp_page() never reuses a KSM folio).
 * Returns 0, or -ENOMEM if a fault fails.  Context: mmap_lock held.
 */
static int break_ksm(struct vm_area_struct *vma, unsigned long addr)
{
	mmap_assert_locked(vma->vm_mm);
	/* each round copies the page or finds it changed under our feet: a racing
	 * merge maps another KSM page at most once per round of ours */
	for (int round = 0; round < 16; round++) {
		struct folio *page = ksm_follow_page(vma, addr, true);
		if (!page)
			return 0;
		folio_put(page);
		int ret = handle_mm_fault(vma, addr, FAULT_FLAG_UNSHARE);
		if (ret & (VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV))
			return -ENOMEM;
	}
	return -EAGAIN;
}

int unmerge_ksm_pages(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	mmap_assert_write_locked(vma->vm_mm);
	for (unsigned long addr = start; addr < end; addr += PAGE_SIZE) {
		int err = break_ksm(vma, addr);
		if (err)
			return err;
	}
	return 0;
}

/* Models: break_cow(): unshare the page ksmd made KSM at @addr of @mm but could
 * not pair.  Context: ksm_thread_mutex held; takes mmap_lock for read. */
static void break_cow(struct mm_struct *mm, unsigned long addr)
{
	lockdep_assert_held(&KSM->ksm_thread_mutex);
	mmap_read_lock(mm);
	struct vm_area_struct *vma = find_mergeable_vma(mm, addr);
	if (vma)
		(void)break_ksm(vma, addr);
	mmap_read_unlock(mm);
}

/*
 * Models: write_protect_page(): make the PTE mapping @folio at @addr of @vma
 * read-only and clean, and the page shared, unless someone other than its
 * mappings and ksmd holds a reference (a pin, a GUP reference, O_DIRECT).  The
 * order is the protocol: clear the PTE and flush first — from then on GUP-fast
 * cannot take a reference through it, and one it took before is counted, or it
 * fails its re-check of the PTE — then compare the counts, then share the page
 * (folio_try_share_anon_rmap_pte(), paired with GUP-fast's re-check the same
 * way).  An entry that is clean, read-only, not exclusive and has no flush
 * pending needs nothing.  *@orig_pte: the entry as left, for replace_page().
 * Knob ksm-wrprotect-check-before-clear: the counts are compared while the entry
 * is still present and writable, and they alone decide (the page stops being
 * exclusive with no pin check, as before PageAnonExclusive existed); GUP-fast
 * pins between the check and the clear.
 * Knob ksm-wrprotect-no-set-dirty: as before 4e31635c367a, an entry that is
 * dirty but read-only needs nothing, and a writable one is only write-protected:
 * its dirty bit stays in the PTE and the folio is not marked dirty, though it may
 * be a clean swap-cache folio a fault mapped writable, whose slot holds older
 * data.  Returns 0 or -EFAULT.
 * Context: the folio locked, mmap_lock held for read; takes the PTL.
 */
static int write_protect_page(struct vm_area_struct *vma, unsigned long addr, struct folio *folio,
			      pte_t *orig_pte)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	SCHED_ASSERT(folio_test_locked(folio));
	pmd_t *pmdp = pmd_offset(mm, addr);
	if (!pmd_table_present(pmdp_get(mm, pmdp)))
		return -EFAULT;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return -EFAULT;
	pte_t entry = ptep_get(ptep);
	/* page_vma_mapped_walk(): is the page still mapped here? */
	if (!pte_present(entry) || pte_pfn(entry) != folio_pfn(folio)) {
		pte_unmap_unlock(ptep, ptl);
		return -EFAULT;
	}
	bool anon_exclusive = PageAnonExclusive(folio);
	/* knob ksm-wrprotect-no-set-dirty: the dirty bit is not looked at */
	bool no_set_dirty = knob_enabled(KNOB_KSM_WRPROTECT_NO_SET_DIRTY);
	if (pte_write(entry) || (pte_dirty(entry) && !no_set_dirty) || anon_exclusive ||
	    mm_tlb_flush_pending(mm)) {
		/* the swap cache holds a reference of its own */
		int swapped = folio_test_swapcache(folio) ? 1 : 0;
		bool early = knob_enabled(KNOB_KSM_WRPROTECT_CHECK_BEFORE_CLEAR);
		if (early) {
			/* the knob: checked while GUP-fast can still grab through the PTE;
			 * the references alone decide, as before PageAnonExclusive */
			if (folio_mapcount(folio) + 1 + swapped != folio_ref_count(folio)) {
				pte_unmap_unlock(ptep, ptl);
				return -EFAULT;
			}
			entry = ptep_clear_flush(vma, addr, ptep);
			if (anon_exclusive)
				ClearPageAnonExclusive(folio);
		} else {
			entry = ptep_clear_flush(vma, addr, ptep);
			/* a reference beyond the mappings' and ours: I/O may be in flight */
			if (folio_mapcount(folio) + 1 + swapped != folio_ref_count(folio)) {
				set_pte_at(mm, addr, ptep, entry);
				pte_unmap_unlock(ptep, ptl);
				return -EFAULT;
			}
			/* the PTE is clear: a pin GUP-fast takes now fails its re-check */
			if (anon_exclusive && folio_try_share_anon_rmap_pte(folio)) {
				set_pte_at(mm, addr, ptep, entry);
				pte_unmap_unlock(ptep, ptl);
				return -EFAULT;
			}
		}
		if (no_set_dirty) {
			/* the knob: the PTE keeps the only record of the writes; a zap or
			 * a COW drops it without telling the folio (anon) */
			entry = pte_wrprotect(entry);
		} else {
			/* the folio must be written before reclaim may free it: the
			 * entry going clean would otherwise hide the writes */
			if (pte_dirty(entry))
				folio_mark_dirty(folio);
			entry = pte_wrprotect(pte_mkclean(entry));
		}
		set_pte_at(mm, addr, ptep, entry);
	}
	*orig_pte = entry;
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

/*
 * Models: replace_page(): map KSM page @kpage at @addr of @vma in place of @page,
 * read-only, if the PTE is still @orig_pte (what write_protect_page() left);
 * the old translation is flushed before the new one is set.  Returns 0 or -EFAULT.
 * Context: @page locked, mmap_lock held for read; takes the PTL.
 */
static int replace_page(struct vm_area_struct *vma, unsigned long addr, struct folio *page,
			struct folio *kpage, pte_t orig_pte)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	SCHED_ASSERT(folio_test_locked(page));
	pmd_t *pmdp = pmd_offset(mm, addr);
	if (!pmd_table_present(pmdp_get(mm, pmdp)))
		return -EFAULT;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return -EFAULT;
	if (!pte_same(ptep_get(ptep), orig_pte)) {
		/* written, zapped or moved since write_protect_page(): not ours to merge */
		pte_unmap_unlock(ptep, ptl);
		return -EFAULT;
	}
	folio_get(kpage);
	folio_add_anon_rmap_pte(kpage, vma);
	ptep_clear_flush(vma, addr, ptep);
	set_pte_at(mm, addr, ptep, pte_mkyoung(pfn_pte(folio_pfn(kpage), false)));
	folio_remove_rmap_pte(page, vma);
	folio_put(page); /* the old mapping's reference; ksmd still holds one */
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

/*
 * Models: try_to_merge_one_page(): merge @page, mapped at @addr of @vma, into
 * @kpage; with no @kpage, make @page itself a KSM page (write-protected, shared).
 * Returns 0 or -EFAULT.  Context: mmap_lock held for read.
 */
static int try_to_merge_one_page(struct vm_area_struct *vma, unsigned long addr, struct folio *page,
				 struct folio *kpage)
{
	if (page == kpage)
		return 0;
	if (!folio_test_anon(page) || folio_test_large(page))
		return -EFAULT;
	/* ksmd does not wait: a locked page is busy, try it on the next scan */
	if (!folio_trylock(page))
		return -EFAULT;
	pte_t orig_pte;
	int err = write_protect_page(vma, addr, page, &orig_pte);
	if (!err) {
		if (!kpage) {
			/* set_page_stable_node(): it is the KSM page now; dirty, so that
			 * reclaim writes it rather than free it as a clean copy (a later
			 * line than 4e31635c367a: the knob ksm-wrprotect-no-set-dirty goes
			 * back before both) */
			folio_set_ksm(page);
			if (!knob_enabled(KNOB_KSM_WRPROTECT_NO_SET_DIRTY))
				folio_mark_dirty(page);
		} else if (pages_identical(page, kpage)) {
			err = replace_page(vma, addr, page, kpage, orig_pte);
		} else {
			err = -EFAULT;
		}
	}
	folio_unlock(page);
	return err;
}

/*
 * Models: try_to_merge_with_ksm_page(): try_to_merge_one_page() under mmap_lock,
 * if @addr of @mm is still in a mergeable VMA.  On success *@avp is the VMA's
 * anon_vma with a reference, taken while mmap_lock still keeps it alive, for the
 * rmap_item that rmap_walk_ksm() will visit.
 */
static int try_to_merge_with_ksm_page(struct mm_struct *mm, unsigned long addr, struct folio *page,
				      struct folio *kpage, struct anon_vma **avp)
{
	int err = -EFAULT;
	mmap_read_lock(mm);
	struct vm_area_struct *vma = find_mergeable_vma(mm, addr);
	if (vma)
		err = try_to_merge_one_page(vma, addr, page, kpage);
	if (!err) {
		SCHED_ASSERT(vma->anon_vma); /* it mapped an anonymous page */
		get_anon_vma(vma->anon_vma);
		*avp = vma->anon_vma;
	}
	mmap_read_unlock(mm);
	return err;
}

/* Models: remove_node_from_stable_tree(): stale @node goes, and its items with
 * their anon_vma references (remove_rmap_item_from_tree()). */
static void stable_node_release(struct ksm_stable_node *node)
{
	for (int i = 0; i < node->nr_items; i++)
		put_anon_vma(node->items[i].anon_vma);
	node->nr_items = 0;
	node->used = false;
}

/*
 * Models: get_ksm_page(): the KSM folio of stable node @node with a reference, or
 * NULL if it was freed since (the node is stale, and goes).
 */
static struct folio *get_ksm_page(struct ksm_stable_node *node)
{
	struct folio *kpage = pfn_folio(node->kpfn);
	if (folio_try_get(kpage)) {
		/* the frame may have been freed and allocated again: is it still ours? */
		if (kpage->gen == node->gen && folio_test_ksm(kpage))
			return kpage;
		folio_put(kpage);
	}
	stable_node_release(node);
	return NULL;
}

/* Models: stable_tree_insert(): a node for new KSM folio @kpage; NULL when the
 * tree is full.  Context: @kpage locked (rmap_walk_ksm() finds it from then on). */
static struct ksm_stable_node *stable_tree_insert(struct folio *kpage)
{
	SCHED_ASSERT(folio_test_locked(kpage));
	for (int i = 0; i < KSM_STABLE_NODES; i++) {
		struct ksm_stable_node *node = &KSM->stable[i];
		if (node->used) {
			struct folio *old = get_ksm_page(node);
			if (old) {
				folio_put(old);
				continue;
			}
		}
		*node = (struct ksm_stable_node){
		    .used = true, .kpfn = folio_pfn(kpage), .gen = kpage->gen};
		return node;
	}
	return NULL;
}

/*
 * Models: stable_tree_append(): @kpage of @node is mapped at @addr of mm @mm_id
 * now, in a VMA of anon_vma @av (whose reference the item takes over).  An item
 * for the same place is replaced (remove_rmap_item_from_tree() when ksmd sees
 * the address again); with no room left the reference goes and rmap_walk_ksm()
 * will not find that mapping: reclaim then keeps the folio.
 * Context: ksm_thread_mutex held, @kpage locked.
 */
static void stable_tree_append(struct ksm_stable_node *node, struct folio *kpage, uint8_t mm_id,
			       unsigned long addr, struct anon_vma *av)
{
	lockdep_assert_held(&KSM->ksm_thread_mutex);
	SCHED_ASSERT(folio_test_locked(kpage) && node->kpfn == folio_pfn(kpage));
	for (int i = 0; i < node->nr_items; i++) {
		struct ksm_stable_item *item = &node->items[i];
		if (item->mm == mm_id && item->address == addr) {
			put_anon_vma(item->anon_vma);
			item->anon_vma = av;
			return;
		}
	}
	if (node->nr_items == KSM_NODE_ITEMS) {
		put_anon_vma(av);
		return;
	}
	node->items[node->nr_items++] =
	    (struct ksm_stable_item){.anon_vma = av, .mm = mm_id, .address = addr};
}

/* Models: folio_stable_node(): the node of KSM folio @folio, or NULL (break_cow()
 * is undoing a merge that got no node).  Context: @folio locked. */
static struct ksm_stable_node *folio_stable_node(const struct folio *folio)
{
	for (int i = 0; i < KSM_STABLE_NODES; i++) {
		struct ksm_stable_node *node = &KSM->stable[i];
		if (node->used && node->kpfn == folio_pfn(folio) && node->gen == folio->gen)
			return node;
	}
	return NULL;
}

bool rmap_walk_ksm(struct folio *folio, rmap_one_fn fn, void *arg)
{
	VM_BUG_ON(!folio_test_locked(folio));
	VM_BUG_ON(!folio_test_ksm(folio));
	struct ksm_stable_node *node = folio_stable_node(folio);
	if (!node)
		return true;
	bool more = true;
	for (int i = 0; more && i < node->nr_items; i++) {
		const struct ksm_stable_item *item = &node->items[i];
		struct anon_vma *av = item->anon_vma;
		/* anon_vma_lock_read(): the VMAs chained to it, a fork's children
		 * included (the kernel's search_new_forks pass), stay put */
		down_read(&av->root->rwsem);
		for (int v = 0; more && v < av->nr_vmas; v++) {
			struct vm_area_struct *vma = av->vmas[v];
			if (item->address < vma->vm_start || item->address >= vma->vm_end)
				continue;
			more = fn(folio, vma, item->address, arg);
		}
		up_read(&av->root->rwsem);
	}
	return more;
}

/*
 * Models: get_mergeable_page(): the small anonymous page @item's address maps
 * now, with a reference, or NULL (its mm exits, its VMA went or stopped being
 * mergeable, or the page is KSM already).  Context: takes its mmap_lock for read.
 */
static struct folio *get_mergeable_page(const struct ksm_rmap_item *item)
{
	struct mm_struct *mm = mm_get(item->mm);
	if (ksm_test_exit(mm))
		return NULL;
	mmap_read_lock(mm);
	struct folio *page = NULL;
	struct vm_area_struct *vma = find_mergeable_vma(mm, item->address);
	if (vma)
		page = ksm_follow_page(vma, item->address, false);
	mmap_read_unlock(mm);
	if (page && folio_test_ksm(page)) {
		folio_put(page);
		page = NULL;
	}
	return page;
}

/* Models: unstable_tree_search_insert()'s insertion: remember where @page was
 * seen, the oldest item giving way when all are used. */
static void unstable_tree_insert(struct mm_struct *mm, unsigned long addr)
{
	struct ksm_rmap_item *free = NULL;
	for (int i = 0; i < KSM_UNSTABLE_ITEMS; i++) {
		struct ksm_rmap_item *item = &KSM->unstable[i];
		if (item->used && item->mm == mm->id && item->address == addr)
			return;
		if (!item->used && !free)
			free = item;
	}
	if (!free) {
		free = &KSM->unstable[KSM->unstable_next];
		KSM->unstable_next = (KSM->unstable_next + 1) % KSM_UNSTABLE_ITEMS;
	}
	*free = (struct ksm_rmap_item){.used = true, .mm = (uint8_t)mm->id, .address = addr};
}

/*
 * Models: try_to_merge_two_pages(): make @page (at @addr of @mm) a KSM page and
 * merge @tree_page (at @item's address) into it.  If the second merge fails the
 * first is unshared again.  Returns the KSM page, or NULL; on success *@av and
 * *@tree_av are the two mappings' anon_vmas, with references.
 */
static struct folio *try_to_merge_two_pages(struct mm_struct *mm, unsigned long addr,
					    struct folio *page, const struct ksm_rmap_item *item,
					    struct folio *tree_page, struct anon_vma **av,
					    struct anon_vma **tree_av)
{
	if (try_to_merge_with_ksm_page(mm, addr, page, NULL, av))
		return NULL;
	if (try_to_merge_with_ksm_page(mm_get(item->mm), item->address, tree_page, page, tree_av)) {
		put_anon_vma(*av);
		break_cow(mm, addr);
		return NULL;
	}
	return page;
}

/*
 * Models: cmp_and_merge_page(): merge @page, which ksmd found at @addr of @mm,
 * into an identical KSM page of the stable tree; else into an identical page of
 * the unstable tree, the pair becoming a new KSM page; else remember it in the
 * unstable tree.  Context: ksm_thread_mutex held; a reference to @page.
 */
static void cmp_and_merge_page(struct mm_struct *mm, unsigned long addr, struct folio *page)
{
	lockdep_assert_held(&KSM->ksm_thread_mutex);
	if (folio_test_ksm(page))
		return; /* merged already */
	for (int i = 0; i < KSM_STABLE_NODES; i++) {
		struct ksm_stable_node *node = &KSM->stable[i];
		if (!node->used)
			continue;
		struct folio *kpage = get_ksm_page(node);
		if (!kpage)
			continue;
		bool same = kpage != page && pages_identical(page, kpage);
		struct anon_vma *av;
		if (same && !try_to_merge_with_ksm_page(mm, addr, page, kpage, &av)) {
			folio_lock(kpage);
			stable_tree_append(node, kpage, (uint8_t)mm->id, addr, av);
			folio_unlock(kpage);
		}
		folio_put(kpage);
		if (same)
			return;
	}
	for (int i = 0; i < KSM_UNSTABLE_ITEMS; i++) {
		struct ksm_rmap_item *item = &KSM->unstable[i];
		if (!item->used || (item->mm == mm->id && item->address == addr))
			continue;
		struct folio *tree_page = get_mergeable_page(item);
		if (!tree_page) {
			item->used = false; /* gone or merged: drop it */
			continue;
		}
		bool same = tree_page != page && pages_identical(page, tree_page);
		if (same) {
			struct ksm_rmap_item twin = *item;
			item->used = false; /* out of the unstable tree, merged or not */
			struct anon_vma *av, *tree_av;
			struct folio *kpage =
			    try_to_merge_two_pages(mm, addr, page, &twin, tree_page, &av, &tree_av);
			folio_put(tree_page);
			if (!kpage)
				return;
			folio_lock(kpage);
			struct ksm_stable_node *node = stable_tree_insert(kpage);
			if (node) {
				stable_tree_append(node, kpage, twin.mm, twin.address, tree_av);
				stable_tree_append(node, kpage, (uint8_t)mm->id, addr, av);
			}
			folio_unlock(kpage);
			if (!node) {
				/* no node for it: undo both merges */
				put_anon_vma(av);
				put_anon_vma(tree_av);
				break_cow(mm, addr);
				break_cow(mm_get(twin.mm), twin.address);
			}
			return;
		}
		folio_put(tree_page);
	}
	unstable_tree_insert(mm, addr);
}

int ksm_do_scan(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	if (start % PAGE_SIZE || !len || len > TASK_SIZE || start > TASK_SIZE - len)
		return -EINVAL;
	unsigned long end = start + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	mutex_lock(&KSM->ksm_thread_mutex);
	mm_world.ksm_used = true; /* restored by use (mm_world) */
	for (unsigned long addr = start; addr < end; addr += PAGE_SIZE) {
		/* scan_get_next_rmap_item(): find the page under mmap_lock, keep a
		 * reference, drop the lock before merging */
		mmap_read_lock(mm);
		struct vm_area_struct *vma = find_mergeable_vma(mm, addr);
		struct folio *page = vma ? ksm_follow_page(vma, addr, false) : NULL;
		mmap_read_unlock(mm);
		if (!page)
			continue;
		cmp_and_merge_page(mm, addr, page);
		folio_put(page);
	}
	mutex_unlock(&KSM->ksm_thread_mutex);
	return 0;
}
