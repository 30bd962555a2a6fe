/* SPDX-License-Identifier: MIT */
/*
 * Folios (see page.h).  Freeing happens when the last reference goes; the frame's
 * generation tells later users that it was freed (and maybe reused) under them.
 * The folio lock (PG_locked) is a sleeping bit lock: waiters block, as in
 * folio_wait_bit_common(), until folio_unlock() wakes them.
 */
#include "page.h"

#include <errno.h>
#include <string.h>

#include "oracle/events.h"
#include "sbuf.h"

static void folio_check_live(struct folio *folio, const struct sched_site *site)
{
	if (!folio->allocated)
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], site, NULL, 0,
			      "access to freed frame %u by %s", folio_pfn(folio),
			      sched_agent_name(sched_current()));
}

static struct folio *folio_alloc_frames(int order, bool keep_data)
{
	/* lowest free run: deterministic, and reuse of a just-freed frame is likely,
	 * which is what makes a stale reference observable */
	uint32_t nr = 1u << order;
	for (uint32_t pfn = 0; pfn + nr <= NR_FRAMES; pfn += nr) {
		bool free = true;
		for (uint32_t i = 0; i < nr && free; i++)
			free = !mm_world.frames[pfn + i].allocated;
		if (!free)
			continue;
		/* a frame never allocated in this execution holds zeros (mm_reset(), the
		 * snapshot's restore) and the oracle layer's origins for it are stale:
		 * nothing old to keep */
		if (keep_data && !mm_world.frames[pfn].gen)
			keep_data = false;
		for (uint32_t i = 0; i < nr; i++) {
			struct folio *page = &mm_world.frames[pfn + i];
			uint32_t gen = page->gen + 1;
			if (keep_data) { /* what the frame held: its clear is not visible yet */
				uint64_t old[MM_WORDS_PER_PAGE];
				memcpy(old, page->data, sizeof(old));
				memset(page, 0, sizeof(*page));
				memcpy(page->data, old, sizeof(old));
			} else {
				memset(page, 0, sizeof(*page));
			}
			page->gen = gen;
			page->allocated = true;
			page->page_idx = (uint8_t)i;
		}
		if (pfn + nr > mm_world.frames_hwm)
			mm_world.frames_hwm = pfn + nr;
		if (!keep_data)
			oracle_frame_alloc(pfn, (int)nr);
		mm_world.frames[pfn].order = (uint8_t)order;
		mm_world.frames[pfn].refcount = 1;
		return &mm_world.frames[pfn];
	}
	return NULL;
}

struct folio *folio_alloc_order(int order)
{
	return folio_alloc_frames(order, false);
}

int __folio_ref_count(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_READ);
	if (sb_active)
		sb_kernel_ref_settle(folio); /* its own relaxed add first */
	return folio->refcount;
}

void __folio_get(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	if (sb_active)
		sb_kernel_ref_settle(folio); /* its own relaxed add first */
	folio_check_live(folio, site);
	if (folio->refcount <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "folio_get on frame %u with refcount %d", folio_pfn(folio),
			      folio->refcount);
	folio->refcount++;
}

void __folio_put(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	if (sb_active)
		sb_kernel_ref_settle(folio); /* its own relaxed add first */
	folio_check_live(folio, site);
	if (folio->refcount <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "folio_put underflow on frame %u", folio_pfn(folio));
	if (sb_active) /* folio_put_testzero(): a value-returning atomic, fully ordered */
		sb_kernel_mb();
	/* a fault that could not bring a device page back waits for the
	 * references in its way (migrate_device_wait_idle()) */
	if (folio->flags >> PG_device_private & 1u)
		sched_wake_obj(folio_obj(folio));
	if (--folio->refcount)
		return;
	if (folio->mapcount)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "frame %u freed while still mapped %d times", folio_pfn(folio),
			      folio->mapcount);
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->allocated = false;
}

bool __page_pgmap(struct folio *page, struct sched_site *site)
{
	sched_yield(site, folio_obj(page_folio(page)), SCHED_OP_READ);
	folio_check_live(page, site);
	return page->flags >> PG_device_private & 1u;
}

int __folio_mapcount(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_READ);
	return folio->mapcount;
}

bool __folio_test_flag(struct folio *folio, enum pageflags f, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_READ);
	return folio->flags >> f & 1u;
}

void __folio_set_flag(struct folio *folio, enum pageflags f, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio->flags |= 1u << f;
}

bool __folio_test_clear_flag(struct folio *folio, enum pageflags f, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	bool was = folio->flags >> f & 1u;
	if (sb_active && was) /* test_and_clear_bit(): fully ordered when it clears */
		sb_kernel_mb();
	folio->flags &= ~(1u << f);
	return was;
}

bool __folio_test_set_flag(struct folio *folio, enum pageflags f, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	bool was = folio->flags >> f & 1u;
	if (sb_active && !was) /* test_and_set_bit(): fully ordered when it sets */
		sb_kernel_mb();
	folio->flags |= 1u << f;
	return was;
}

/* Models: folio_mark_dirty() -> filemap_dirty_folio(): set PG_dirty (the page cache
 * dirty tag is implied by the flag here).  Returns true if it was clean. */
bool __folio_mark_dirty(struct folio *folio, struct sched_site *site)
{
	folio_check_live(folio, site);
	return !__folio_test_set_flag(folio, PG_dirty, site);
}

static uint32_t folio_lock_owners(const void *lock)
{
	(void)lock;
	return 0; /* the bit lock has no owner record; the report names the folio */
}

void __folio_lock(struct folio *folio, struct sched_site *site)
{
	might_sleep_site(site);
	while (__folio_test_set_flag(folio, PG_locked, site)) {
		struct sched_wait w = {.what = "folio_lock",
				       .name = "PG_locked",
				       .obj = folio_obj(folio),
				       .owners_fn = folio_lock_owners,
				       .lock = folio};
		sched_block(site, &w, true);
	}
}

void __folio_unlock(struct folio *folio, struct sched_site *site)
{
	if (!__folio_test_clear_flag(folio, PG_locked, site))
		VM_BUG_ON(!"folio_unlock of an unlocked folio");
	sched_wake_obj(folio_obj(folio));
}

void __folio_add_rmap_pte(struct folio *page, struct sched_site *site)
{
	struct folio *folio = page_folio(page);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(page, site);
	page->pg_mapcount++;
	folio->mapcount++;
}

/*
 * A new anon folio of @vma at @addr (index = linear page index, as the kernel):
 * not yet visible, so plain stores; mapped by one process only (RMAP_EXCLUSIVE).
 */
static void folio_set_new_anon(struct folio *folio, struct vm_area_struct *vma, unsigned long addr)
{
	SCHED_ASSERT(folio->flags >> PG_anon & 1u);
	SCHED_ASSERT(vma->anon_vma); /* anon_vma_prepare() ran when the VMA was linked */
	folio->anon_vma = vma->anon_vma;
	folio->index = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	folio->flags |= 1u << PG_swapbacked;
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->flags |= 1u << PG_anon_exclusive;
	/* folio_add_lru_vma(), which every caller does right after: from now on
	 * reclaim may find it (never before its rmap and flags are set) */
	folio->flags |= 1u << PG_lru;
}

void __folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			       struct sched_site *site)
{
	folio_set_new_anon(folio, vma, addr);
	__folio_add_rmap_pte(folio, site);
}

void __folio_add_new_anon_rmap_ptes(struct folio *folio, struct vm_area_struct *vma,
				    unsigned long addr, int nr, struct sched_site *site)
{
	SCHED_ASSERT(nr == folio_nr_pages(folio));
	folio_set_new_anon(folio, vma, addr);
	for (int i = 0; i < nr; i++)
		__folio_add_rmap_pte(folio_page(folio, i), site);
}

bool __folio_try_get(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	if (sb_active)
		sb_kernel_ref_settle(folio); /* its own relaxed add first */
	if (!folio->allocated || folio->refcount <= 0)
		return false;
	folio->refcount++;
	return true;
}

void __folio_remove_rmap_pte(struct folio *page, struct sched_site *site)
{
	struct folio *folio = page_folio(page);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(page, site);
	if (page->pg_mapcount <= 0 || folio->mapcount <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "mapcount underflow on frame %u", folio_pfn(page));
	page->pg_mapcount--;
	folio->mapcount--;
}

/*
 * memory arm64: the kernel reads or writes a word of a frame it has buffered
 * stores to (a clear or copy not yet visible): they become visible first.  A
 * simplification — not forwarding keeps memory and the oracle layer's origins
 * one (fewer behaviours, none the kernel forbids).
 */
static void folio_settle_word(struct folio *folio, int word)
{
	uint64_t v;
	uint32_t origin;
	if (sb_active && sb_kernel_forward_word(folio, word, &v, &origin))
		sb_kernel_mb();
}

uint64_t __folio_read_word(struct folio *folio, int word, struct sched_site *site)
{
	sched_yield(site, folio_data_obj(folio), SCHED_OP_READ);
	folio_check_live(folio, site);
	folio_settle_word(folio, word);
	return folio->data[word];
}

void __folio_write_word(struct folio *folio, int word, uint64_t v, struct sched_site *site)
{
	sched_yield(site, folio_data_obj(folio), SCHED_OP_WRITE);
	folio_check_live(folio, site);
	folio_settle_word(folio, word);
	folio->data[word] = v;
}

void __folio_ref_add_relaxed(struct folio *folio, int refs, struct sched_site *site)
{
	/* atomic_add(): no return value, no ordering; in memory arm64 the CPU's
	 * later loads may pass it (sb_kernel_ref_add()) */
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (sb_active && sb_kernel_ref_add(folio, refs, site))
		return;
	if (folio->refcount + refs <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "reference count of frame %u would drop to %d", folio_pfn(folio),
			      folio->refcount + refs);
	folio->refcount += refs;
}

void __folio_ref_add(struct folio *folio, int refs, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	if (sb_active)
		sb_kernel_ref_settle(folio); /* its own relaxed add first */
	folio_check_live(folio, site);
	if (folio->refcount + refs <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "reference count of frame %u would drop to %d", folio_pfn(folio),
			      folio->refcount + refs);
	folio->refcount += refs;
}

int __folio_try_dup_anon_rmap_pte(struct folio *page, struct sched_site *site)
{
	struct folio *folio = page_folio(page);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(page, site);
	if (page->flags >> PG_anon_exclusive & 1u) {
		if (folio->refcount >= GUP_PIN_COUNTING_BIAS &&
		    !knob_enabled(KNOB_FORK_SHARE_PINNED))
			return -EBUSY;
		page->flags &= ~(1u << PG_anon_exclusive);
	}
	page->pg_mapcount++;
	folio->mapcount++;
	return 0;
}

void __folio_copy_word(struct folio *dst, struct folio *src, int word, struct sched_site *site)
{
	sched_yield(site, folio_data_obj(src), SCHED_OP_READ);
	folio_check_live(src, site);
	uint64_t v[MM_WORDS_PER_PAGE] = {0};
	uint32_t origin[MM_WORDS_PER_PAGE] = {0};
	folio_settle_word(src, word);
	v[word] = src->data[word];
	origin[word] = oracle_data_origin(folio_pfn(src), word);
	sched_yield(site, folio_data_obj(dst), SCHED_OP_WRITE);
	folio_check_live(dst, site);
	if (sb_active && sb_kernel_store_words(dst, 1u << word, v, origin, site))
		return; /* visible when the CPU's buffer drains it */
	dst->data[word] = v[word];
	oracle_data_set(folio_pfn(dst), word, origin[word]);
}

bool __pages_identical(struct folio *a, struct folio *b, struct sched_site *site)
{
	for (int w = 0; w < MM_WORDS_PER_PAGE; w++) {
		uint64_t va = __folio_read_word(a, w, site);
		uint32_t oa = oracle_data_origin(folio_pfn(a), w);
		uint64_t vb = __folio_read_word(b, w, site);
		if (va != vb)
			return false;
		oracle_data_identical(oa, oracle_data_origin(folio_pfn(b), w));
	}
	return true;
}

void __folio_add_new_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
				   unsigned long haddr, struct sched_site *site)
{
	folio_set_new_anon(folio, vma, haddr);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio->entire_mapcount++;
	folio->mapcount++;
}

void __folio_remove_rmap_pmd(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (folio->entire_mapcount <= 0 || folio->mapcount <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "entire mapcount underflow on frame %u", folio_pfn(folio));
	folio->entire_mapcount--;
	folio->mapcount--;
}

int __folio_try_dup_anon_rmap_pmd(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (folio->flags >> PG_anon_exclusive & 1u) {
		if (folio->refcount >= GUP_PIN_COUNTING_BIAS &&
		    !knob_enabled(KNOB_FORK_SHARE_PINNED))
			return -EBUSY;
		for (int i = 0; i < folio_nr_pages(folio); i++)
			folio_page(folio, i)->flags &= ~(1u << PG_anon_exclusive);
	}
	folio->entire_mapcount++;
	folio->mapcount++;
	return 0;
}

bool __folio_likely_mapped_shared(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_READ);
	if (!folio_test_large(folio))
		return folio->mapcount > 1;
	return folio->entire_mapcount > 0 || folio_page(folio, 0)->pg_mapcount > 1;
}

void __folio_set_anon_exclusive_pmd(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->flags |= 1u << PG_anon_exclusive;
}

void __folio_split_pmd_mapping(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	folio->entire_mapcount--;
	folio->mapcount += folio_nr_pages(folio) - 1;
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->pg_mapcount++;
}

int __folio_try_share_anon_rmap_pte(struct folio *page, struct sched_site *site)
{
	struct folio *folio = page_folio(page);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(page, site);
	/* smp_mb() (088b8aa537c2): the PTE clear is visible before the pin check;
	 * paired with GUP-fast's pin (a fully ordered atomic here) before its PTE
	 * re-check */
	if (sb_active)
		sb_kernel_mb();
	if (folio->refcount >= GUP_PIN_COUNTING_BIAS) /* folio_maybe_dma_pinned() */
		return -EBUSY;
	page->flags &= ~(1u << PG_anon_exclusive);
	return 0;
}

bool __folio_ref_freeze(struct folio *folio, int count, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	if (sb_active)
		sb_kernel_ref_settle(folio); /* its own relaxed add first */
	folio_check_live(folio, site);
	if (folio->refcount != count)
		return false;
	folio->refcount = 0;
	return true;
}

/* No yield: a frozen folio is nobody else's. */
void folio_ref_unfreeze(struct folio *folio, int count)
{
	SCHED_ASSERT(folio->refcount == 0 && folio->allocated);
	folio->refcount = count;
}

void folio_free_frozen(struct folio *folio)
{
	SCHED_ASSERT(folio->refcount == 0 && folio->allocated);
	if (sb_active) /* the freeing's atomics order the CPU's stores into the frames */
		sb_kernel_mb();
	if (folio->mapcount)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], MM_SITE("free_unref_folios"), NULL,
			      0, "frame %u freed while still mapped %d times", folio_pfn(folio),
			      folio->mapcount);
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->allocated = false;
}

/* (after every other site of this file: a new site takes the next ordinal, so the
 * ones above keep their ids and old schedules their fingerprints) */
struct folio *vma_alloc_zeroed_movable_folio(void)
{
	if (!sb_active || sb_kernel_cpu() < 0)
		return folio_alloc_frames(0, false);
	struct folio *folio = folio_alloc_frames(0, true);
	if (!folio)
		return NULL;
	/* clear_user_highpage(): the CPU's stores of zeros, in its store buffer */
	uint64_t zero[MM_WORDS_PER_PAGE] = {0};
	uint32_t origin[MM_WORDS_PER_PAGE];
	for (int w = 0; w < MM_WORDS_PER_PAGE; w++)
		origin[w] = ORACLE_ORIGIN_ZERO;
	SCHED_ASSERT(sb_kernel_store_words(folio, (1u << MM_WORDS_PER_PAGE) - 1, zero, origin,
					   MM_SITE("clear_user_highpage")));
	return folio;
}

void __folio_mark_uptodate(struct folio *folio)
{
	/* order the stores that made the content before the flag and before the PTE
	 * that maps the folio: paired with the address dependency of whoever reads
	 * the content through that PTE (the walker, GUP-fast, a PageUptodate test) */
	if (sb_active && !knob_enabled(KNOB_UPTODATE_NO_WMB))
		sb_kernel_wmb();
	folio->flags |= 1u << PG_uptodate;
}
