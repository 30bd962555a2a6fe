/* SPDX-License-Identifier: MIT */
/* VMAs, the mm's tree, per-VMA locks (see vma.h). */
#include "vma.h"

#include <string.h>

#include "mmap.h"
#include "mtree.h"
#include "rmap.h"

static uint32_t vma_index(const struct vm_area_struct *vma)
{
	return (uint32_t)(vma - mm_world.vmas);
}

uint32_t vma_obj(const struct vm_area_struct *vma)
{
	return SCHED_OBJ(OBJ_VMA, vma_index(vma));
}

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	for (int i = 0; i < NR_VMAS; i++) {
		struct vm_area_struct *vma = &mm_world.vmas[i];
		if (vma->vm_allocated)
			continue;
		memset(vma, 0, sizeof(*vma));
		vma->vm_allocated = true;
		vma->vm_mm = mm;
		vma->vm_detached = true; /* until vma_link() */
		init_rwsem(&vma->vm_lock, SCHED_OBJ(OBJ_VMA_LOCK, (uint32_t)i), "vm_lock",
			   RANK_VMA_LOCK);
		vma->vm_lock_seq = UINT32_MAX; /* never equal to a live mm_lock_seq */
		if (i >= mm_world.vma_hwm)
			mm_world.vma_hwm = i + 1;
		return vma;
	}
	return NULL;
}

const struct vm_area_struct *vma_lookup_oracle(const struct mm_struct *mm, unsigned long addr)
{
	for (int i = 0; i < NR_VMAS; i++) {
		const struct vm_area_struct *vma = &mm_world.vmas[i];
		if (vma->vm_allocated && !vma->vm_detached && vma->vm_mm == mm &&
		    vma->vm_start <= addr && addr < vma->vm_end)
			return vma;
	}
	/* split_vma() stores the upper half in the tree before it marks it attached,
	 * and shrinks the lower half in between: the address is still mapped */
	const struct vm_area_struct *vma = mtree_load_oracle(&mm->mm_mt, addr);
	return vma && vma->vm_start <= addr && addr < vma->vm_end ? vma : NULL;
}

int vm_area_available(void)
{
	int n = 0;
	for (int i = 0; i < NR_VMAS; i++)
		n += !mm_world.vmas[i].vm_allocated;
	return n;
}

static void vm_area_free_rcu(void *arg)
{
	struct vm_area_struct *vma = arg;
	SCHED_ASSERT(vma->vm_allocated && vma->vm_freed);
	vma->vm_allocated = false;
}

static void vm_area_double_free(const struct vm_area_struct *vma);

/*
 * A VMA freed a second time (KASAN's double-free report: a path kept using a VMA
 * it had lost, e.g. one a racing writer took out of the tree) is a finding, not
 * a second RCU callback.
 */
void vm_area_free(struct vm_area_struct *vma)
{
	SCHED_ASSERT(vma->vm_detached);
	if (vma->vm_freed) {
		vm_area_double_free(vma);
		return;
	}
	vma->vm_freed = true;
	call_rcu(vm_area_free_rcu, vma);
}

void vma_assert_write_locked(struct vm_area_struct *vma)
{
	if (vma->vm_lock_seq != vma->vm_mm->mm_lock_seq ||
	    !rwsem_is_write_locked_by_me(&vma->vm_mm->mmap_lock))
		lockdep_assert_held_at(vma->vm_lock.obj, "vma write lock", false,
				       MM_SITE("vma_assert_write_locked"));
}

void vma_assert_locked(struct vm_area_struct *vma)
{
	if (!rwsem_is_locked_by_me(&vma->vm_lock) && !rwsem_is_locked_by_me(&vma->vm_mm->mmap_lock))
		lockdep_assert_held_at(vma->vm_lock.obj, "vma lock or mmap_lock", false,
				       MM_SITE("vma_assert_locked"));
}

/*
 * Models: vma_start_write(): wait for the readers of this VMA to leave, then
 * mark it write-locked until mmap_write_unlock().
 */
void vma_start_write(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_write_locked(mm);
	SCHED_YIELD("vm_lock_seq", vma_obj(vma), SCHED_OP_READ);
	if (vma->vm_lock_seq == mm->mm_lock_seq)
		return; /* already write-locked in this cycle */
	down_write(&vma->vm_lock);
	SCHED_YIELD("vm_lock_seq", vma_obj(vma), SCHED_OP_WRITE);
	vma->vm_lock_seq = mm->mm_lock_seq;
	up_write(&vma->vm_lock);
}

/*
 * Models: vma_start_read(): fail fast if write-locked in this cycle, try the
 * read lock, and re-check (the writer may have come between the two).
 */
bool vma_start_read(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	if (!rcu_read_lock_held())
		mmap_assert_locked(mm);
	SCHED_YIELD("vm_lock_seq", vma_obj(vma), SCHED_OP_READ);
	if (vma->vm_lock_seq == mm->mm_lock_seq)
		return false;
	if (!down_read_trylock(&vma->vm_lock))
		return false;
	SCHED_YIELD("vm_lock_seq", vma_obj(vma), SCHED_OP_READ);
	if (vma->vm_lock_seq == mm->mm_lock_seq) {
		up_read(&vma->vm_lock);
		return false;
	}
	return true;
}

void vma_end_read(struct vm_area_struct *vma)
{
	up_read(&vma->vm_lock);
}

void vma_mark_detached(struct vm_area_struct *vma, bool detached)
{
	vma_assert_write_locked(vma);
	SCHED_YIELD("vm_detached", vma_obj(vma), SCHED_OP_WRITE);
	vma->vm_detached = detached;
}

void vma_end_write_all(struct mm_struct *mm)
{
	mmap_assert_write_locked(mm);
	SCHED_YIELD("mm_lock_seq", MM_OBJ(mm->id, MM_OBJ_LOCK_SEQ), SCHED_OP_WRITE);
	mm->mm_lock_seq++;
}

/*
 * Models: lock_vma_under_rcu().  The lookup races with munmap/mmap: the VMA found
 * may be write-locked, detached or resized by the time it is locked; every such
 * case returns NULL and the fault retries under mmap_lock.
 */
struct vm_area_struct *lock_vma_under_rcu(struct mm_struct *mm, unsigned long addr)
{
	rcu_read_lock();
	struct vm_area_struct *vma = mtree_load(&mm->mm_mt, addr);
	if (!vma || !vma_start_read(vma))
		goto inval;
	SCHED_YIELD("vma_check", vma_obj(vma), SCHED_OP_READ);
	if (addr < vma->vm_start || addr >= vma->vm_end || vma->vm_detached) {
		vma_end_read(vma);
		goto inval;
	}
	rcu_read_unlock();
	return vma;
inval:
	rcu_read_unlock();
	return NULL;
}

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	mmap_assert_write_locked(mm);
	vma_start_write(vma);
	/* every caller preallocated (mt_preallocate): the kernel's vma_iter_prealloc */
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, vma->vm_start, vma->vm_end - 1, vma) == 0);
	vma_mark_detached(vma, false);
	if (vma->vm_file)
		vma_link_file(vma);
	if (!(vma->vm_flags & VM_SHARED))
		anon_vma_prepare(vma); /* eager: the kernel waits for the first anon fault */
}

/*
 * For assertions only: mmap_lock, or the lock of a VMA of @mm covering @addr, held
 * by this CPU.  Walks the arena, not the tree (mt_find() yields); placed last so
 * that its site does not renumber the ones above.
 */
void mm_assert_locked_at(struct mm_struct *mm, unsigned long addr)
{
	if (rwsem_is_locked_by_me(&mm->mmap_lock))
		return;
	for (int i = 0; i < NR_VMAS; i++) {
		struct vm_area_struct *vma = &mm_world.vmas[i];
		if (vma->vm_allocated && vma->vm_mm == mm && vma->vm_start <= addr &&
		    addr < vma->vm_end && rwsem_is_locked_by_me(&vma->vm_lock))
			return;
	}
	lockdep_assert_held_at(mm->mmap_lock.obj, "mmap_lock or the VMA lock", false,
			       MM_SITE("mm_assert_locked_at"));
}

/* Placed last, like mm_assert_locked_at(), so that its site renumbers none above. */
SCHED_SITE_GLOBAL(site_vm_area_free, "vm_area_free", "freed_twice");

static void vm_area_double_free(const struct vm_area_struct *vma)
{
	if (!site_vm_area_free.id)
		sched_site_init(&site_vm_area_free);
	sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], &site_vm_area_free, NULL, 0,
		      "vm_area_free() of P%d's VMA [0x%lx, 0x%lx) already freed", vma->vm_mm->id,
		      vma->vm_start, vma->vm_end);
}
