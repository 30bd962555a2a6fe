/* SPDX-License-Identifier: MIT */
/*
 * The harness's address fold (see fold.h): every address of a scenario into its
 * first focus pages, so that mutated scenarios keep landing on the same pages.
 *
 * Why huge ranges keep their offsets (FOLD_THP): the fold first kept only
 * whole-PMD operations whole.  A THP family's per-page operations were still
 * folded into the first four pages of the THP, and a race about one subpage of a
 * split then lost its subpage: corpus/weak-thp-split.sched loads the THP's last
 * page, which the split's table fill reaches last; folded to page 3, the store
 * buffer can no longer hold that PTE back past pmd_populate(), and libFuzzer never
 * found split-pmd-populate-no-wmb from corpus/ (about a million inputs), though
 * random finds it from the family in 59 runs.  Now a page in a range the scenario
 * maps or treats as a THP keeps its offset in the PMD, and the PMD folds as the
 * whole-PMD operation does; a page elsewhere folds into the focus pages as before,
 * which in the default setting (4 pages) are the first pages of the first PMD: a
 * folded per-page operation still collides with the THP's first subpages.
 *
 * What counts as huge is syntactic: a PMD that an operation of the scenario
 * covers whole and aligned (mmap, madvise, numa-scan, a collapse of 16 pages...),
 * or that a whole-PMD mremap moves to; whether the model then maps it by a PMD
 * does not matter (a 16-page mapping without MADV_HUGEPAGE keeps its offsets too).
 * Left out: a range that only a smaller operation makes huge (khugepaged over 4
 * pages of a 16-page mapping counts only through the mapping).  Per-page operations
 * after a whole-PMD mremap keep the offsets of the PMD they name, which need not be
 * where the folded move put the THP (as before, when they folded to pages 0-3).
 *
 * Cost: three passes over the operations (a bit per PMD of the address space);
 * an input's run is orders of magnitude more.
 */
#include "fold.h"

#include "../scheduler/sched.h"

const char *const fold_mode_names[FOLD_COUNT] = {"thp", "flat"};

_Static_assert(SCN_VA_PAGES / SCN_PAGES_MAX <= 32, "a PMD mask is 32 bits");

struct fold {
	uint32_t focus_pages;
	uint32_t huge;	      /* bit k: PMD k (pages k*SCN_PAGES_MAX..) is a huge range */
	uint32_t huge_folded; /* the same after the whole-PMD operations are folded */
};

/* Page @page folded into the first focus pages, aligned down to @unit pages. */
static uint32_t fold_unit(const struct fold *f, uint32_t page, uint32_t unit)
{
	return page % f->focus_pages / unit * unit;
}

static bool fold_page_huge(const struct fold *f, uint32_t page)
{
	return page < SCN_VA_PAGES && (f->huge >> (page / SCN_PAGES_MAX) & 1);
}

/* A single page @page folded: its offset kept in a huge range. */
static uint32_t fold_page(const struct fold *f, uint32_t page)
{
	if (!fold_page_huge(f, page))
		return fold_unit(f, page, 1);
	uint32_t pmd = fold_unit(f, page / SCN_PAGES_MAX * SCN_PAGES_MAX, SCN_PAGES_MAX);
	return pmd + page % SCN_PAGES_MAX;
}

/* One past the last page of folded page @to's PMD, or of the focus pages if further. */
static uint32_t pmd_reach(const struct fold *f, uint32_t to)
{
	uint32_t end = to / SCN_PAGES_MAX * SCN_PAGES_MAX + SCN_PAGES_MAX;
	return end > f->focus_pages ? end : f->focus_pages;
}

static bool op_whole_pmd(const struct scn_op *op)
{
	uint32_t page = op->addr / SCN_PAGE_SIZE;
	return op->pages == SCN_PAGES_MAX && page % SCN_PAGES_MAX == 0;
}

static uint32_t huge_bit(uint64_t addr)
{
	return addr / SCN_PAGE_SIZE < SCN_VA_PAGES ? 1u << (addr / SCN_PAGE_SIZE / SCN_PAGES_MAX)
						   : 0;
}

/* The huge ranges of @s: the PMDs its whole-PMD operations cover (and move to). */
static uint32_t huge_ranges(const struct scenario *s)
{
	uint32_t huge = 0;
	for (int i = 0; i < s->setup_count + s->ops_count; i++) {
		const struct scn_op *op =
		    i < s->setup_count ? &s->setup[i] : &s->ops[i - s->setup_count];
		if (!op_whole_pmd(op))
			continue;
		huge |= huge_bit(op->addr);
		if (op->kind == SCN_OP_MREMAP && op->value % (SCN_PAGES_MAX * SCN_PAGE_SIZE) == 0)
			huge |= huge_bit(op->value);
	}
	return huge;
}

/* Fold @op if it is (@whole) or is not a whole-PMD operation. */
static void fold_op(const struct fold *f, enum fold_mode mode, struct scn_op *op, bool whole)
{
	uint32_t page = op->addr / SCN_PAGE_SIZE;
	if (op_whole_pmd(op) != whole)
		return;
	uint32_t to = mode == FOLD_THP ? fold_page(f, page) : fold_unit(f, page, 1);
	if (whole)
		to = fold_unit(f, page, SCN_PAGES_MAX);
	/* an operation in a huge range may reach to the end of its PMD, others not past the focus
	 */
	uint32_t limit = f->focus_pages;
	if (mode == FOLD_THP && fold_page_huge(f, page))
		limit = pmd_reach(f, to);
	op->addr = to * SCN_PAGE_SIZE + op->addr % SCN_PAGE_SIZE;
	if (!whole && op->pages > limit - to)
		op->pages = limit - to;
	if (op->kind != SCN_OP_MREMAP)
		return;
	/*
	 * A move onto its own source does nothing: move next to it, in the focus
	 * pages or the huge range the source lies in once folded (huge_folded: the
	 * same when folded again, so a folded move stays where it is).
	 */
	uint32_t from = to, dest = (uint32_t)(op->value / SCN_PAGE_SIZE);
	limit = f->focus_pages;
	if (mode == FOLD_THP && from < SCN_VA_PAGES &&
	    (f->huge_folded >> (from / SCN_PAGES_MAX) & 1))
		limit = pmd_reach(f, from);
	if (whole)
		to = fold_unit(f, dest, SCN_PAGES_MAX);
	else
		to = mode == FOLD_THP ? fold_page(f, dest) : fold_unit(f, dest, 1);
	if (to == from && whole) /* the next PMD in the focus, else the first; folds to itself */
		to = from + SCN_PAGES_MAX < f->focus_pages ? from + SCN_PAGES_MAX
		     : from				   ? 0
							   : SCN_PAGES_MAX;
	else if (to == from && limit > 1)
		to = (from + op->pages) % limit;
	op->value = (uint64_t)to * SCN_PAGE_SIZE;
}

/*
 * The whole-PMD operations first: the huge ranges they leave in the folded space
 * (huge_folded) bound the others, so that folding again bounds them alike.  Which
 * pages keep their offsets is decided on the scenario as given (huge).
 */
void fold_scenario(struct scenario *s, uint32_t focus_pages, enum fold_mode mode)
{
	SCHED_ASSERT(focus_pages >= 1 && focus_pages <= SCN_VA_PAGES);
	SCHED_ASSERT(mode < FOLD_COUNT);
	struct fold f = {.focus_pages = focus_pages};
	f.huge = huge_ranges(s);
	for (int whole = 1; whole >= 0; whole--) {
		for (int i = 0; i < s->setup_count; i++)
			fold_op(&f, mode, &s->setup[i], whole);
		for (int i = 0; i < s->ops_count; i++)
			fold_op(&f, mode, &s->ops[i], whole);
		if (whole)
			f.huge_folded = huge_ranges(s);
	}
}
