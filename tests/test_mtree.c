/* SPDX-License-Identifier: MIT */
/*
 * Criterion tests of core/mtree: (1) random operation sequences, many seeds, every
 * step compared with a reference model written here and followed by mt_validate;
 * (2) hand-written cases: ZERO entries, windowed gap search at its edges, mt_find's
 * and mas_find's cursors (the kernel's: NULL moves index/last), splits and merges,
 * 10,000 VMAs, -ENOMEM, a stale cursor's use-after-free, the yield points on the
 * trace; (4) vectors in the spirit of the kernel's lib/test_maple_tree.c (written
 * here); (3) RCU: a writer replaces the nodes a reader holds across yield points,
 * under exhaustive bounded DFS and under random schedules with many readers; every
 * entry a reader sees must be a range of a state the tree was in meanwhile, and
 * iterations only move forward (the kernel's maple tree is not a snapshot).
 *
 * Single-agent tests run in sched_run_solo, on the test's own stack, so they call
 * cr_assert directly.  Concurrent agents run on coroutine stacks: they record, and
 * the test asserts after sched_run, as in test_sched.c.
 *
 * The reference model is a per-cell array: indices 0..REF_SMALL-1 one cell each, then
 * [REF_SMALL, ULONG_MAX-2], ULONG_MAX-1 and ULONG_MAX.  Stores begin and end on cell
 * boundaries; reads and gap windows use any index.  A cell holds (entry, store id), so
 * two adjacent stores of one pointer stay two ranges, as in the tree.
 *
 * Leaves out: timing; the tree inside the MM model (vma tests).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mtree.h"
#include "policy.h"
#include "sched.h"
#include "sync.h"

#define STEPS_MAX 100000
/* Ranges the reference model compares; the random sequences are made to reach it. */
#define REF_RANGES_MAX 64

static char vma_stub[8];
#define V(i) ((void *)&vma_stub[(i)])

struct range {
	unsigned long first, last;
	void *entry;
};

static const char *entry_name(const void *e)
{
	static char buf[4][8];
	static int next;
	char *b = buf[next++ % 4];

	if (!e)
		return "NULL";
	if (mt_is_zero(e))
		return "ZERO";
	snprintf(b, sizeof(buf[0]), "V%d", (int)((const char *)e - vma_stub));
	return b;
}

static void format_ranges(char *out, size_t bytes, const struct range *r, int n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n && used < bytes; i++)
		used += (size_t)snprintf(out + used, bytes - used, "[%#lx,%#lx]=%s ", r[i].first,
					 r[i].last, entry_name(r[i].entry));
}

/* Every range of @mt, gaps included, through mas_walk.  Context: an agent. */
static int tree_ranges(struct maple_tree *mt, struct range *out)
{
	MA_STATE(mas, mt, 0, 0);
	int n = 0;

	for (;;) {
		void *e = mas_walk(&mas);
		cr_assert_lt(n, REF_RANGES_MAX, "more than REF_RANGES_MAX ranges");
		out[n++] = (struct range){mas.index, mas.last, e};
		if (mas.last == ULONG_MAX)
			return n;
		mas_set(&mas, mas.last + 1);
	}
}

static void assert_tree(struct maple_tree *mt, const struct range *want, int n, const char *what)
{
	struct range got[REF_RANGES_MAX];
	char gs[4096], ws[4096];
	int m;

	mt_validate(mt);
	m = tree_ranges(mt, got);
	format_ranges(gs, sizeof(gs), got, m);
	format_ranges(ws, sizeof(ws), want, n);
	cr_assert(m == n && !memcmp(got, want, sizeof(got[0]) * (size_t)n),
		  "%s:\n  tree: %s\n  want: %s", what, gs, ws);
}

/* Run @fn as CPU0 in a solo phase of a fresh execution. */
static void solo(sched_fn fn, void *arg)
{
	struct sched_config cfg = {.steps_max = STEPS_MAX};
	const struct sched_finding *f;

	sched_reset(&cfg);
	sched_agent_add(0, "CPU0", NULL, NULL);
	sched_run_solo(0, fn, arg);
	f = sched_get_finding();
	cr_assert_null(f, "unexpected %s finding: %s", f ? f->oracle : "", f ? f->msg : "");
}

/* ---- (1) random sequences against the reference model -------------------------------- */

#define REF_SMALL 256
#define REF_CELLS (REF_SMALL + 3)
#define SEEDS	  200
#define OPS	  400

struct cell {
	unsigned long lo, hi;
	void *entry;
	uint32_t id; /* the store that wrote it; 0 for NULL, so NULLs merge */
};

static struct cell ref[REF_CELLS];
static uint32_t ref_next_id;
static struct maple_tree rand_mt;
static uint64_t rng;

static void ref_init(void)
{
	for (int c = 0; c < REF_SMALL; c++)
		ref[c] = (struct cell){(unsigned long)c, (unsigned long)c, NULL, 0};
	ref[REF_SMALL] = (struct cell){REF_SMALL, ULONG_MAX - 2, NULL, 0};
	ref[REF_SMALL + 1] = (struct cell){ULONG_MAX - 1, ULONG_MAX - 1, NULL, 0};
	ref[REF_SMALL + 2] = (struct cell){ULONG_MAX, ULONG_MAX, NULL, 0};
	ref_next_id = 1;
}

static int ref_cell(unsigned long index)
{
	if (index < REF_SMALL)
		return (int)index;
	if (index <= ULONG_MAX - 2)
		return REF_SMALL;
	return index == ULONG_MAX - 1 ? REF_SMALL + 1 : REF_SMALL + 2;
}

static bool ref_same(const struct cell *a, const struct cell *b)
{
	return a->entry == b->entry && a->id == b->id;
}

static void ref_paint(struct cell *cells, int a, int b, void *entry)
{
	uint32_t id = entry ? ref_next_id++ : 0;

	for (int c = a; c <= b; c++) {
		cells[c].entry = entry;
		cells[c].id = id;
	}
}

static int ref_ranges(const struct cell *cells, struct range *out)
{
	int n = 0;

	for (int c = 0; c < REF_CELLS; c++) {
		if (c && ref_same(&cells[c - 1], &cells[c]))
			out[n - 1].last = cells[c].hi;
		else
			out[n++] = (struct range){cells[c].lo, cells[c].hi, cells[c].entry};
	}
	return n;
}

/* The cells of the range holding cell @c. */
static void ref_range_of(int c, int *a, int *b)
{
	for (*a = c; *a > 0 && ref_same(&ref[*a - 1], &ref[c]); (*a)--)
		;
	for (*b = c; *b + 1 < REF_CELLS && ref_same(&ref[*b + 1], &ref[c]); (*b)++)
		;
}

static bool ref_free(const void *e, unsigned int flags)
{
	return !e || (mt_is_zero(e) && (flags & MT_EMPTY_ZERO_AS_GAP));
}

static bool ref_span_free(unsigned long s, unsigned long e, unsigned int flags)
{
	for (int c = ref_cell(s); c <= ref_cell(e); c++)
		if (!ref_free(ref[c].entry, flags))
			return false;
	return true;
}

/*
 * By brute force: the lowest fit starts at min or at a cell's first index (else
 * one index lower would fit too); the highest fit ends at max or at a cell's last.
 */
static int ref_gap(unsigned long min, unsigned long max, unsigned long size, unsigned int flags,
		   unsigned long *start)
{
	if (min > max || size == 0 || max - min < size - 1)
		return -EINVAL;
	if (!(flags & MT_EMPTY_REV)) {
		for (int c = ref_cell(min); c < REF_CELLS && ref[c].lo <= max; c++) {
			unsigned long s = c == ref_cell(min) ? min : ref[c].lo;
			if (max - s < size - 1)
				break;
			if (ref_span_free(s, s + (size - 1), flags)) {
				*start = s;
				return 0;
			}
		}
	} else {
		for (int c = ref_cell(max); c >= 0 && ref[c].hi >= min; c--) {
			unsigned long e = c == ref_cell(max) ? max : ref[c].hi;
			if (e - min < size - 1)
				break;
			if (ref_span_free(e - (size - 1), e, flags)) {
				*start = e - (size - 1);
				return 0;
			}
		}
	}
	return -EBUSY;
}

static void *ref_find(unsigned long *index, unsigned long max)
{
	if (*index > max)
		return NULL;
	for (int c = ref_cell(*index); c < REF_CELLS && ref[c].lo <= max; c++) {
		int a, b;
		if (!ref[c].entry || mt_is_zero(ref[c].entry))
			continue;
		ref_range_of(c, &a, &b);
		*index = ref[b].hi + 1;
		return ref[c].entry;
	}
	return NULL;
}

static uint64_t rnd(uint64_t n)
{
	return sched_prng(&rng) % n;
}

static void *rnd_entry(void)
{
	uint64_t r = rnd(10);

	if (r < 2)
		return NULL;
	if (r < 3)
		return MTREE_ZERO;
	return V(rnd(6));
}

/* Any index: small ones, the inside of the big cell, the top. */
static unsigned long rnd_index(void)
{
	switch (rnd(8)) {
	case 0:
		return REF_SMALL + rnd(1000);
	case 1:
		return ULONG_MAX - rnd(4);
	default:
		return rnd(REF_SMALL + 2);
	}
}

/* A run of cells [*a, *b], mostly short, sometimes reaching the top. */
static void rnd_cells(int *a, int *b)
{
	*a = rnd(16) ? (int)rnd(REF_SMALL) : REF_SMALL + (int)rnd(3);
	uint64_t r = rnd(10);
	*b = *a + (int)(r < 7 ? rnd(4) : r < 9 ? rnd(16) : rnd(REF_CELLS));
	if (*b >= REF_CELLS)
		*b = REF_CELLS - 1;
}

static unsigned long rnd_size(unsigned long min, unsigned long max)
{
	switch (rnd(16)) {
	case 0:
		return 0;
	case 1:
		return max - min + 1; /* the whole window (0 when it is [0, ULONG_MAX]) */
	case 2:
		return max - min + 2; /* one more than the window */
	case 3:
		return ULONG_MAX - rnd(3);
	default:
		return 1 + rnd(24);
	}
}

enum rand_op {
	OP_STORE,   /* mtree_store_range; skipped when the result would not fit */
	OP_INSERT,  /* mtree_insert_range */
	OP_ERASE,   /* mtree_erase */
	OP_LOAD,    /* mtree_load and mas_walk */
	OP_FIND,    /* mt_find, then mt_for_each over a window */
	OP_ITERATE, /* mas_for_each over a window: one version, ZERO included */
	OP_GAP,	    /* gap search, all four flag combinations */
};

/* Out of 20: 7 stores, 3 inserts, 2 erases, 1 load, 2 finds, 1 iteration, 4 gaps. */
static enum rand_op rnd_op(void)
{
	static const enum rand_op table[20] = {
	    OP_STORE,  OP_STORE,   OP_STORE,  OP_STORE, OP_STORE, OP_STORE, OP_STORE,
	    OP_INSERT, OP_INSERT,  OP_INSERT, OP_ERASE, OP_ERASE, OP_LOAD,  OP_FIND,
	    OP_FIND,   OP_ITERATE, OP_GAP,    OP_GAP,	OP_GAP,	  OP_GAP};
	return table[rnd(20)];
}

struct rand_stats {
	uint64_t seed;
	int stores, skipped, eexist, ebusy, einval, gaps_found, finds, max_ranges;
};

static void rand_step(struct rand_stats *st, int step)
{
	struct maple_tree *mt = &rand_mt;
	struct range want[REF_CELLS], got[REF_RANGES_MAX];
	unsigned long seed = st->seed;
	int a, b, n, m;

	switch (rnd_op()) {
	case OP_STORE: {
		struct cell saved[REF_CELLS];
		void *e = rnd_entry();
		rnd_cells(&a, &b);
		memcpy(saved, ref, sizeof(ref));
		ref_paint(ref, a, b, e);
		if (ref_ranges(ref, want) > REF_RANGES_MAX) {
			memcpy(ref, saved, sizeof(ref));
			st->skipped++;
			break;
		}
		cr_assert_eq(mtree_store_range(mt, ref[a].lo, ref[b].hi, e), 0);
		st->stores++;
		break;
	}
	case OP_INSERT: {
		struct cell saved[REF_CELLS];
		void *e = rnd_entry();
		bool free = true;
		rnd_cells(&a, &b);
		for (int c = a; c <= b; c++)
			free &= !ref[c].entry;
		memcpy(saved, ref, sizeof(ref));
		if (free)
			ref_paint(ref, a, b, e);
		if (ref_ranges(ref, want) > REF_RANGES_MAX) {
			memcpy(ref, saved, sizeof(ref));
			st->skipped++;
			break;
		}
		int ret = mtree_insert_range(mt, ref[a].lo, ref[b].hi, e);
		cr_assert_eq(ret, free ? 0 : -EEXIST, "seed %lu step %d: insert [%#lx,%#lx]", seed,
			     step, ref[a].lo, ref[b].hi);
		st->eexist += !free;
		break;
	}
	case OP_ERASE: {
		unsigned long index = rnd_index();
		void *old = ref[ref_cell(index)].entry;
		ref_range_of(ref_cell(index), &a, &b);
		if (old)
			ref_paint(ref, a, b, NULL);
		cr_assert_eq(mtree_erase(mt, index), old, "seed %lu step %d: erase %#lx", seed,
			     step, index);
		break;
	}
	case OP_LOAD: {
		unsigned long index = rnd_index();
		void *e = ref[ref_cell(index)].entry;
		MA_STATE(mas, mt, index, index);
		cr_assert_eq(mtree_load(mt, index), mt_is_zero(e) ? NULL : e,
			     "seed %lu step %d: load %#lx", seed, step, index);
		ref_range_of(ref_cell(index), &a, &b);
		cr_assert_eq(mas_walk(&mas), e, "seed %lu step %d: walk %#lx", seed, step, index);
		cr_assert(mas.index == ref[a].lo && mas.last == ref[b].hi,
			  "seed %lu step %d: walk %#lx range [%#lx,%#lx], want [%#lx,%#lx]", seed,
			  step, index, mas.index, mas.last, ref[a].lo, ref[b].hi);
		break;
	}
	case OP_FIND: {
		unsigned long index = rnd_index(), max = rnd_index(), ri = index, ti = index;
		void *e = ref_find(&ri, max);
		cr_assert_eq(mt_find(mt, &ti, max), e, "seed %lu step %d: mt_find %#lx..%#lx", seed,
			     step, index, max);
		cr_assert_eq(ti, ri, "seed %lu step %d: mt_find cursor", seed, step);
		st->finds += e != NULL;
		ri = ti = index;
		mt_for_each(mt, e, ti, max)
		{
			cr_assert_eq(e, ref_find(&ri, max), "seed %lu step %d: mt_for_each", seed,
				     step);
			cr_assert_eq(ti, ri, "seed %lu step %d: mt_for_each cursor", seed, step);
		}
		if (ti) /* else it wrapped after ULONG_MAX: mt_find_after stops */
			cr_assert_null(ref_find(&ri, max),
				       "seed %lu step %d: mt_for_each ended early", seed, step);
		break;
	}
	case OP_ITERATE: {
		unsigned long lo = rnd_index(), hi = rnd_index();
		MA_STATE(mas, mt, lo, lo);
		void *e;
		n = ref_ranges(ref, want);
		int w = 0;
		for (int i = 0; i < n; i++)
			if (want[i].entry && lo <= hi && want[i].first <= hi && want[i].last >= lo)
				want[w++] = want[i];
		m = 0;
		mas_for_each(&mas, e, hi)
		{
			cr_assert_lt(m, REF_RANGES_MAX);
			got[m++] = (struct range){mas.index, mas.last, e};
		}
		cr_assert(m == w && !memcmp(got, want, sizeof(got[0]) * (size_t)w),
			  "seed %lu step %d: mas_for_each %#lx..%#lx: %d entries, want %d", seed,
			  step, lo, hi, m, w);
		break;
	}
	case OP_GAP: {
		unsigned long min = rnd_index(), max = min, d = rnd(128);
		switch (rnd(8)) {
		case 0:
			break;
		case 1:
		case 2:
			max = rnd_index(); /* either way round */
			break;
		default:
			max = min + d < min ? ULONG_MAX : min + d;
			break;
		}
		unsigned long size = rnd_size(min, max);
		for (unsigned int flags = 0; flags < 4; flags++) {
			unsigned long rs = 0xdead, ts = 0xdead;
			int rr = ref_gap(min, max, size, flags, &rs);
			int tr = mt_empty_area(mt, min, max, size, flags, &ts);
			cr_assert(rr == tr && rs == ts,
				  "seed %lu step %d: empty_area [%#lx,%#lx] size %#lx flags %u: "
				  "%d at %#lx, want %d at %#lx",
				  seed, step, min, max, size, flags, tr, ts, rr, rs);
			st->ebusy += rr == -EBUSY;
			st->einval += rr == -EINVAL;
			st->gaps_found += rr == 0;
		}
		break;
	}
	}
	if (rnd(50) == 0) { /* first > last is rejected and changes nothing */
		unsigned long x = 1 + rnd(REF_SMALL);
		cr_assert_eq(mtree_store_range(mt, x, x - 1, V(0)), -EINVAL);
		cr_assert_eq(mtree_insert_range(mt, x, x - 1, V(0)), -EINVAL);
	}
	n = ref_ranges(ref, want);
	m = tree_ranges(mt, got);
	mt_validate(mt);
	if (m > st->max_ranges)
		st->max_ranges = m;
	if (m != n || memcmp(got, want, sizeof(got[0]) * (size_t)n)) {
		char gs[4096], ws[4096];
		format_ranges(gs, sizeof(gs), got, m);
		format_ranges(ws, sizeof(ws), want, n);
		cr_assert_fail("seed %lu step %d:\n  tree: %s\n  want: %s", seed, step, gs, ws);
	}
}

static void rand_body(int me, void *arg)
{
	struct rand_stats *st = arg;

	(void)me;
	rng = st->seed;
	mt_init(&rand_mt, 0, "rand_mt");
	ref_init();
	for (int step = 0; step < OPS; step++)
		rand_step(st, step);
	cr_assert_eq(mt_nodes_retired(&rand_mt), 0, "no reader: every retired node freed");
}

Test(mtree_random, every_step_matches_the_reference_model)
{
	struct rand_stats total = {0};

	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct rand_stats st = {.seed = seed * 0x9e3779b97f4a7c15ull};
		solo(rand_body, &st);
		total.stores += st.stores;
		total.skipped += st.skipped;
		total.eexist += st.eexist;
		total.ebusy += st.ebusy;
		total.einval += st.einval;
		total.gaps_found += st.gaps_found;
		total.finds += st.finds;
		if (st.max_ranges > total.max_ranges)
			total.max_ranges = st.max_ranges;
	}
	cr_log_info("%d stores (%d skipped), %d -EEXIST, %d -EBUSY, %d -EINVAL, %d gaps found, "
		    "%d finds, at most %d ranges",
		    total.stores, total.skipped, total.eexist, total.ebusy, total.einval,
		    total.gaps_found, total.finds, total.max_ranges);
	/* the sequences reach the interesting cases, not just the easy ones */
	cr_assert_eq(total.max_ranges, REF_RANGES_MAX, "capacity never reached");
	cr_assert_lt(total.skipped, total.stores / 4, "too many stores skipped: %d of %d",
		     total.skipped, total.stores);
	cr_assert_gt(total.eexist, 100);
	cr_assert_gt(total.ebusy, 100);
	cr_assert_gt(total.einval, 100);
	cr_assert_gt(total.gaps_found, 1000);
	cr_assert_gt(total.finds, 1000);
}

/* ---- (2) hand-written cases ------------------------------------------------------------ */

static struct maple_tree mt;

#define R(f, l, e) ((struct range){(f), (l), (e)})
#define ASSERT_TREE(what, ...)                                                                     \
	do {                                                                                       \
		const struct range want__[] = {__VA_ARGS__};                                       \
		assert_tree(&mt, want__, (int)(sizeof(want__) / sizeof(want__[0])), what);         \
	} while (0)

static int gap(unsigned long min, unsigned long max, unsigned long size, unsigned int flags,
	       unsigned long *start)
{
	*start = 0xbad;
	return mt_empty_area(&mt, min, max, size, flags, start);
}

static void store_body(int me, void *arg)
{
	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	ASSERT_TREE("empty", R(0, ULONG_MAX, NULL));
	cr_assert_eq(mtree_store_range(&mt, 100, 199, V(1)), 0);
	cr_assert_eq(mtree_store_range(&mt, 200, 299, V(1)), 0);
	ASSERT_TREE("equal neighbours stay two ranges", R(0, 99, NULL), R(100, 199, V(1)),
		    R(200, 299, V(1)), R(300, ULONG_MAX, NULL));
	cr_assert_eq(mtree_store_range(&mt, 150, 249, V(2)), 0);
	ASSERT_TREE("a store over two ranges splits both", R(0, 99, NULL), R(100, 149, V(1)),
		    R(150, 249, V(2)), R(250, 299, V(1)), R(300, ULONG_MAX, NULL));
	cr_assert_eq(mtree_store_range(&mt, 160, 169, V(3)), 0);
	ASSERT_TREE("a store inside one range splits it in three", R(0, 99, NULL),
		    R(100, 149, V(1)), R(150, 159, V(2)), R(160, 169, V(3)), R(170, 249, V(2)),
		    R(250, 299, V(1)), R(300, ULONG_MAX, NULL));
	cr_assert_eq(mtree_erase(&mt, 165), V(3));
	cr_assert_eq(mtree_erase(&mt, 165), NULL);
	cr_assert_eq(mtree_erase(&mt, 100), V(1));
	ASSERT_TREE("erase removes whole ranges, merges the gaps", R(0, 149, NULL),
		    R(150, 159, V(2)), R(160, 169, NULL), R(170, 249, V(2)), R(250, 299, V(1)),
		    R(300, ULONG_MAX, NULL));
	cr_assert_eq(mtree_store_range(&mt, 155, 172, NULL), 0);
	ASSERT_TREE("a NULL store merges with the gaps around it", R(0, 149, NULL),
		    R(150, 154, V(2)), R(155, 172, NULL), R(173, 249, V(2)), R(250, 299, V(1)),
		    R(300, ULONG_MAX, NULL));
	cr_assert_eq(mtree_store_range(&mt, 150, 299, NULL), 0);
	ASSERT_TREE("all gone", R(0, ULONG_MAX, NULL));
	cr_assert_eq(mtree_store_range(&mt, 0, 0, V(1)), 0);
	cr_assert_eq(mtree_store_range(&mt, ULONG_MAX, ULONG_MAX, V(2)), 0);
	ASSERT_TREE("single indices at both ends", R(0, 0, V(1)), R(1, ULONG_MAX - 1, NULL),
		    R(ULONG_MAX, ULONG_MAX, V(2)));
	cr_assert_eq(mtree_load(&mt, 0), V(1));
	cr_assert_eq(mtree_load(&mt, ULONG_MAX), V(2));
	cr_assert_eq(mtree_store_range(&mt, 0, ULONG_MAX, V(3)), 0);
	ASSERT_TREE("one range over everything", R(0, ULONG_MAX, V(3)));
	cr_assert_eq(mtree_erase(&mt, 12345), V(3));
	ASSERT_TREE("erased", R(0, ULONG_MAX, NULL));
	cr_assert_eq(mtree_store_range(&mt, 5, 4, V(1)), -EINVAL);
	cr_assert_eq(mtree_insert_range(&mt, 5, 4, V(1)), -EINVAL);
	cr_assert_eq(mtree_insert_range(&mt, 10, 19, V(1)), 0);
	cr_assert_eq(mtree_insert_range(&mt, 19, 25, V(2)), -EEXIST);
	cr_assert_eq(mtree_insert_range(&mt, 0, 10, V(2)), -EEXIST);
	cr_assert_eq(mtree_insert_range(&mt, 0, 9, V(2)), 0);
	cr_assert_eq(mtree_insert_range(&mt, 20, ULONG_MAX, V(3)), 0);
	ASSERT_TREE("inserts fill exactly", R(0, 9, V(2)), R(10, 19, V(1)), R(20, ULONG_MAX, V(3)));
	cr_assert_eq(mt_nodes_retired(&mt), 0);
}

Test(mtree, store_splits_spans_merges_and_erases)
{
	solo(store_body, NULL);
}

static void zero_body(int me, void *arg)
{
	unsigned long s, index;

	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	cr_assert_eq(mtree_store_range(&mt, 10, 19, MTREE_ZERO), 0);
	cr_assert_eq(mtree_store_range(&mt, 30, 39, V(1)), 0);
	cr_assert_null(mtree_load(&mt, 15), "a plain lookup does not see ZERO");
	cr_assert_eq(mtree_insert_range(&mt, 12, 12, V(2)), -EEXIST, "ZERO is occupied");
	cr_assert_eq(mtree_insert_range(&mt, 0, 10, V(2)), -EEXIST);
	cr_assert_eq(gap(0, 100, 10, 0, &s), 0);
	cr_assert_eq(s, 0);
	cr_assert_eq(gap(5, 100, 10, 0, &s), 0);
	cr_assert_eq(s, 20, "gap search skips ZERO: got %#lx", s);
	cr_assert_eq(gap(5, 100, 10, MT_EMPTY_ZERO_AS_GAP, &s), 0);
	cr_assert_eq(s, 5, "mtree-zero-as-gap: ZERO is free");
	cr_assert_eq(gap(0, 29, 11, 0, &s), -EBUSY);
	cr_assert_eq(gap(0, 29, 11, MT_EMPTY_REV, &s), -EBUSY);
	cr_assert_eq(gap(0, 29, 30, MT_EMPTY_REV | MT_EMPTY_ZERO_AS_GAP, &s), 0);
	cr_assert_eq(s, 0);

	MA_STATE(mas, &mt, 15, 15);
	cr_assert_eq(mas_walk(&mas), MTREE_ZERO, "the advanced walk sees ZERO");
	cr_assert(mas.index == 10 && mas.last == 19);
	mas_set(&mas, 0);
	cr_assert_eq(mas_find(&mas, ULONG_MAX), MTREE_ZERO, "mas_find returns ZERO");
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(1));
	cr_assert(mas.index == 30 && mas.last == 39);
	cr_assert_null(mas_find(&mas, ULONG_MAX));

	index = 0;
	cr_assert_eq(mt_find(&mt, &index, ULONG_MAX), V(1), "mt_find skips ZERO");
	cr_assert_eq(index, 40);
	index = 0;
	cr_assert_null(mt_find(&mt, &index, 29));
	cr_assert_eq(index, 0, "not found: the cursor stays");

	cr_assert_eq(mtree_erase(&mt, 11), MTREE_ZERO, "mtree_erase returns ZERO as stored");
	cr_assert_eq(mtree_insert_range(&mt, 12, 12, V(2)), 0);
}

Test(mtree, zero_entries)
{
	solo(zero_body, NULL);
}

/*
 *   0    10      19 20     29 30        49 50   59 60 ... ULONG_MAX-10 .. ULONG_MAX
 *   |V1..|  gap 10 |  V2    |  gap 20    |  V3  |  gap               V4
 */
static void gap_body(int me, void *arg)
{
	unsigned long s;

	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	cr_assert_eq(mtree_store_range(&mt, 0, 9, V(1)), 0);
	cr_assert_eq(mtree_store_range(&mt, 20, 29, V(2)), 0);
	cr_assert_eq(mtree_store_range(&mt, 50, 59, V(3)), 0);
	cr_assert_eq(mtree_store_range(&mt, ULONG_MAX - 10, ULONG_MAX, V(4)), 0);

	/* window edges are inclusive; exact fits at both ends of the window */
	cr_assert_eq(gap(10, 19, 10, 0, &s), 0);
	cr_assert_eq(s, 10, "a fit of exactly the window size");
	cr_assert_eq(gap(10, 19, 10, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 10);
	cr_assert_eq(gap(10, 18, 10, 0, &s), -EINVAL, "size larger than the window (kernel 6.5+)");
	cr_assert_eq(gap(9, 19, 10, 0, &s), 0);
	cr_assert_eq(s, 10, "the gap starts after index 9");
	cr_assert_eq(gap(9, 19, 11, 0, &s), -EBUSY, "index 9 is taken");
	cr_assert_eq(gap(10, 20, 11, 0, &s), -EBUSY, "index 20 is taken");
	cr_assert_eq(gap(10, 20, 10, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 10);
	/* lowest and highest fits, in a window over several gaps */
	cr_assert_eq(gap(0, 100, 5, 0, &s), 0);
	cr_assert_eq(s, 10);
	cr_assert_eq(gap(0, 100, 5, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 96);
	cr_assert_eq(gap(0, 49, 5, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 45, "the window's end is the fit's end");
	cr_assert_eq(gap(0, 35, 5, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 31, "clipped gap [30, 35]");
	cr_assert_eq(gap(0, 34, 5, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 30, "exact fit at the window's end");
	cr_assert_eq(gap(0, 33, 5, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 15, "[30, 33] is too small: the next gap down");
	cr_assert_eq(gap(0, 49, 11, 0, &s), 0);
	cr_assert_eq(s, 30, "the 10-gap is skipped");
	cr_assert_eq(gap(0, 59, 21, 0, &s), -EBUSY, "no fit");
	cr_assert_eq(gap(0, 59, 21, MT_EMPTY_REV, &s), -EBUSY);
	cr_assert_eq(gap(21, 28, 1, 0, &s), -EBUSY, "window inside an entry");
	/* ranges touching 0 and ULONG_MAX */
	cr_assert_eq(gap(0, ULONG_MAX, 1, 0, &s), 0);
	cr_assert_eq(s, 10);
	cr_assert_eq(gap(0, ULONG_MAX, 1, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, ULONG_MAX - 11);
	cr_assert_eq(gap(ULONG_MAX - 20, ULONG_MAX, 10, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, ULONG_MAX - 20, "exact fit below the top entry");
	cr_assert_eq(gap(ULONG_MAX - 20, ULONG_MAX, 11, MT_EMPTY_REV, &s), -EBUSY);
	cr_assert_eq(gap(ULONG_MAX, ULONG_MAX, 1, 0, &s), -EBUSY);
	cr_assert_eq(gap(60, ULONG_MAX, ULONG_MAX - 70, 0, &s), 0);
	cr_assert_eq(s, 60, "a huge gap");
	cr_assert_eq(gap(60, ULONG_MAX, ULONG_MAX - 70, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 60);
	cr_assert_eq(gap(60, ULONG_MAX, ULONG_MAX - 69, 0, &s), -EBUSY);
	/* argument checks */
	cr_assert_eq(gap(10, 19, 0, 0, &s), -EINVAL, "size 0");
	cr_assert_eq(gap(19, 10, 1, 0, &s), -EINVAL, "min > max");
	cr_assert_eq(s, 0xbad, "start untouched on error");
	cr_assert_eq(gap(15, 15, 1, 0, &s), 0, "a window of one index");
	cr_assert_eq(s, 15);

	/* an empty tree: the whole space, both directions */
	cr_assert_eq(mtree_store_range(&mt, 0, ULONG_MAX, NULL), 0);
	cr_assert_eq(gap(0, ULONG_MAX, ULONG_MAX, 0, &s), 0);
	cr_assert_eq(s, 0);
	cr_assert_eq(gap(0, ULONG_MAX, ULONG_MAX, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 1);
	cr_assert_eq(gap(0, 0, 1, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, 0);
	cr_assert_eq(gap(ULONG_MAX, ULONG_MAX, 1, MT_EMPTY_REV, &s), 0);
	cr_assert_eq(s, ULONG_MAX);
}

Test(mtree, gap_search_window_edges)
{
	solo(gap_body, NULL);
}

static void find_body(int me, void *arg)
{
	unsigned long index;
	void *e;
	int n = 0;

	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	cr_assert_eq(mtree_store_range(&mt, 10, 19, V(1)), 0);
	cr_assert_eq(mtree_store_range(&mt, 20, 29, V(2)), 0);
	cr_assert_eq(mtree_store_range(&mt, ULONG_MAX - 1, ULONG_MAX, V(3)), 0);
	index = 15;
	cr_assert_eq(mt_find(&mt, &index, 15), V(1), "the range holding *index counts");
	cr_assert_eq(index, 20, "*index = last + 1");
	cr_assert_eq(mt_find(&mt, &index, 20), V(2));
	cr_assert_eq(index, 30);
	cr_assert_null(mt_find(&mt, &index, 1000));
	cr_assert_eq(index, 30);
	index = 31;
	cr_assert_null(mt_find(&mt, &index, 30), "*index > max");
	cr_assert_eq(index, 31);
	cr_assert_eq(mt_find(&mt, &index, ULONG_MAX), V(3));
	cr_assert_eq(index, 0, "wraps after ULONG_MAX");

	index = 0;
	mt_for_each(&mt, e, index, ULONG_MAX)
	{
		cr_assert_lt(n, 3);
		cr_assert_eq(e, V(n + 1));
		n++;
	}
	cr_assert_eq(n, 3, "mt_for_each stops at the wrap");

	/* mas_find: first call includes mas->index's range, later calls continue after it */
	MA_STATE(mas, &mt, 25, 25);
	cr_assert_eq(mas_find(&mas, 100), V(2));
	cr_assert(mas.index == 20 && mas.last == 29);
	cr_assert_null(mas_find(&mas, 100));
	cr_assert(mas.index == 30 && mas.last == ULONG_MAX - 2,
		  "NULL: index/last are the empty range the search stopped in, [%#lx, %#lx]",
		  mas.index, mas.last);
	cr_assert_null(mas_find(&mas, 100), "past max: stays NULL");
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(3), "a larger max continues (ma_overflow)");
	cr_assert_null(mas_find(&mas, ULONG_MAX));
	cr_assert(mas.index == ULONG_MAX - 1 && mas.last == ULONG_MAX, "[%#lx, %#lx]", mas.index,
		  mas.last);
	mas_set(&mas, 0);
	cr_assert_eq(mas_find(&mas, 10), V(1), "a range starting at max counts");
	mas_pause(&mas);
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(2), "after mas_pause: continues after last");
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(3));
	cr_assert_null(mas_find(&mas, ULONG_MAX));
}

Test(mtree, find_and_iterate)
{
	solo(find_body, NULL);
}

/* Run @fn as CPU0, a real agent of a fresh execution; return its finding or NULL. */
static const struct sched_finding *run_agent(sched_fn fn, void *arg)
{
	struct sched_config cfg = {.steps_max = 10 * STEPS_MAX};
	struct sched_directed none;

	sched_reset(&cfg);
	sched_directed_init(&none);
	sched_agent_add(0, "CPU0", fn, arg);
	sched_run(&none.base);
	return sched_get_finding();
}

/* 10,000 VMAs with a gap after each: 20,000 ranges (the old flat map held 64). */
#define CAP_VMAS 10000
static void fill_to_capacity(void)
{
	mt_init(&mt, 0, "mt");
	for (unsigned long i = 0; i < CAP_VMAS; i++)
		cr_assert_eq(mtree_store_range(&mt, 32 * i, 32 * i + 15, V(i % 8)), 0, "vma %lu",
			     i);
	mt_validate(&mt);
}

static void capacity_body(int me, void *arg)
{
	unsigned long s;

	(void)me, (void)arg;
	fill_to_capacity();
	for (unsigned long i = 0; i < CAP_VMAS; i += 97) {
		MA_STATE(mas, &mt, 32 * i + 20, 32 * i + 20);
		cr_assert_eq(mtree_load(&mt, 32 * i + 7), V(i % 8));
		cr_assert_null(mas_walk(&mas));
		cr_assert(mas.index == 32 * i + 16 && mas.last == 32 * i + 31, "gap %lu", i);
	}
	cr_assert_eq(mas_empty_area(&mt, 0, ULONG_MAX, 17, &s), 0);
	cr_assert_eq(s, 32ul * (CAP_VMAS - 1) + 16, "no 17-gap before the last VMA");
	cr_assert_eq(mas_empty_area(&mt, 0, 32ul * CAP_VMAS - 1, 16, &s), 0);
	cr_assert_eq(s, 16);
	cr_assert_eq(mas_empty_area_rev(&mt, 0, 32ul * CAP_VMAS - 1, 16, &s), 0);
	cr_assert_eq(s, 32ul * CAP_VMAS - 16);
	/* every other VMA erased: the gaps combine into 48-index ones */
	for (unsigned long i = 1; i < CAP_VMAS; i += 2)
		cr_assert_eq(mtree_erase(&mt, 32 * i + 3), V(i % 8));
	mt_validate(&mt);
	cr_assert_eq(mas_empty_area(&mt, 0, ULONG_MAX, 48, &s), 0);
	cr_assert_eq(s, 16);
	cr_assert_eq(mas_empty_area(&mt, 0, ULONG_MAX, 49, &s), 0);
	cr_assert_eq(s, 32ul * (CAP_VMAS - 2) + 16, "the open end after the last VMA");
	cr_log_info("%u nodes live for %d VMAs, %u at most", mt_nodes_live(&mt), CAP_VMAS,
		    mt.pool.live_max);
}

Test(mtree, holds_ten_thousand_vmas)
{
	solo(capacity_body, NULL);
}

/* Node allocation failure: -ENOMEM to the caller, the tree as it was, then it works again. */
static void enomem_body(int me, void *arg)
{
	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	for (unsigned long i = 0; i < 40; i++)
		cr_assert_eq(mtree_store_range(&mt, 32 * i, 32 * i + 15, V(1)), 0);
	mt_set_nodes_limit(&mt, mt_nodes_live(&mt));
	cr_assert_eq(mtree_store_range(&mt, 100 * 32, 100 * 32, V(2)), -ENOMEM);
	cr_assert_eq(mtree_insert_range(&mt, 100 * 32, 100 * 32, V(2)), -ENOMEM);
	cr_assert_null(mtree_load(&mt, 100 * 32), "a failed store changed the tree");
	cr_assert_eq(mtree_erase(&mt, 5 * 32), V(1), "erase returns the entry");
	mt_validate(&mt);
	mt_set_nodes_limit(&mt, KMAPLE_NODES_MAX);
	cr_assert_eq(mtree_store_range(&mt, 100 * 32, 100 * 32, V(2)), 0);
	cr_assert_eq(mtree_load(&mt, 100 * 32), V(2));
	mt_validate(&mt);
}

Test(mtree, allocation_failure_is_enomem)
{
	solo(enomem_body, NULL);
}

/* mt_preallocate() answers for the worst case beside pledges; a pledge is returned whole. */
static void prealloc_body(int me, void *arg)
{
	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	cr_assert_eq(mt_preallocate(&mt, 1), 0);
	mt_set_nodes_limit(&mt, 2 * 22); /* two worst-case stores */
	cr_assert_eq(mt_preallocate(&mt, 1), 0, "one store beside exit_mmap's");
	cr_assert_eq(mt_preallocate(&mt, 2), -ENOMEM);
	mt_pledge(&mt, 1);
	cr_assert_eq(mt_preallocate(&mt, 1), -ENOMEM, "the pledge is taken");
	mt_unpledge(&mt, 1);
	cr_assert_eq(mt_preallocate(&mt, 1), 0);
	cr_assert_eq(mt.pool.pledged, 0);
}

Test(mtree, preallocation_and_pledges)
{
	solo(prealloc_body, NULL);
}

/* Two VMAs, [10, 19] = V1 and [30, 39] = V2: one leaf.  Also on agents: no cr_assert. */
static void two_vmas(void)
{
	mt_init(&mt, 0, "mt");
	mtree_store_range(&mt, 10, 19, V(1));
	mtree_store_range(&mt, 30, 39, V(2));
}

/*
 * A cursor inside RCU while a writer replaces the node it holds: mas_find meets
 * the dead node, walks again and continues in the new tree; the old node waits
 * for the reader's grace period.
 */
static void rcu_cursor_body(int me, void *arg)
{
	MA_STATE(mas, &mt, 0, 0);

	(void)me, (void)arg;
	two_vmas();
	rcu_read_lock();
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(1));
	cr_assert_eq(mtree_store_range(&mt, 25, 34, V(3)), 0);
	cr_assert_eq(mtree_store_range(&mt, 40, 49, V(4)), 0);
	cr_assert_gt(mt_nodes_retired(&mt), 0, "the replaced nodes wait for the reader");
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(3), "walked again: the new tree");
	cr_assert(mas.index == 25 && mas.last == 34);
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(2));
	cr_assert(mas.index == 35 && mas.last == 39);
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(4));
	cr_assert_null(mas_find(&mas, ULONG_MAX));
	rcu_read_unlock();
	cr_assert_eq(mt_nodes_retired(&mt), 0, "freed when the reader leaves");
}

Test(mtree, a_cursor_inside_rcu_survives_a_writer)
{
	solo(rcu_cursor_body, NULL);
}

/* The same cursor without RCU (and without mas_pause): its node is freed under it. */
static void stale_body(int me, void *arg)
{
	MA_STATE(mas, &mt, 0, 0);

	(void)me, (void)arg;
	two_vmas();
	mas_find(&mas, ULONG_MAX);
	mtree_store_range(&mt, 25, 34, V(3)); /* a new leaf replaces the old one */
	mas_find(&mas, ULONG_MAX);	      /* reads the freed leaf */
}

Test(mtree, a_cursor_used_after_its_node_was_freed_is_a_use_after_free)
{
	const struct sched_finding *f = run_agent(stale_body, NULL);

	cr_assert_not_null(f, "no finding");
	cr_assert_str_eq(f->oracle, "use-after-free", "%s: %s", f->oracle, f->msg);
}

/* mas_pause() before leaving RCU is the kernel's rule, and makes the same sequence safe. */
static void paused_body(int me, void *arg)
{
	MA_STATE(mas, &mt, 0, 0);

	(void)me, (void)arg;
	two_vmas();
	rcu_read_lock();
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(1));
	mas_pause(&mas);
	rcu_read_unlock();
	mtree_store_range(&mt, 25, 34, V(3));
	rcu_read_lock();
	cr_assert_eq(mas_find(&mas, ULONG_MAX), V(3));
	rcu_read_unlock();
}

Test(mtree, a_paused_cursor_survives_a_writer)
{
	cr_assert_null(run_agent(paused_body, NULL));
}

/*
 * A reader iterating under RCU while a store empties the tree: its node is dead,
 * mas_next_slot re-walks, finds no node (ma_none) and retries with none.  The
 * model reports the kernel's NULL dereference as an mm-bug finding.  Observed
 * in the model on 6.12's lib/maple_tree.c, not confirmed on a running kernel:
 * the mm's lockless readers of 6.12 use mas_walk (lock_vma_under_rcu), not
 * mas_find, so no VMA path is known to reach it.
 */
static void emptied_body(int me, void *arg)
{
	MA_STATE(mas, &mt, 0, 0);

	(void)me, (void)arg;
	two_vmas();
	rcu_read_lock();
	mas_find(&mas, ULONG_MAX);
	mtree_store_range(&mt, 0, ULONG_MAX, NULL);
	mas_find(&mas, ULONG_MAX);
	rcu_read_unlock();
}

Test(mtree, an_rcu_reader_meeting_an_emptied_tree_is_an_mm_bug)
{
	const struct sched_finding *f = run_agent(emptied_body, NULL);

	cr_assert_not_null(f, "no finding");
	cr_assert_str_eq(f->oracle, "mm-bug", "%s: %s", f->oracle, f->msg);
	cr_assert(strstr(f->msg, "ma_dead_node(NULL)"), "%s", f->msg);
}

/* ---- the yield points, on the trace ------------------------------------------------- */

#define TREE_OBJ SCHED_OBJ(OBJ_MTREE, 0)
#define LOCK_OBJ SCHED_OBJ(OBJ_MTREE, 1)
#define NODE(n)	 SCHED_OBJ(OBJ_MAPLE_NODE, (n))
#define RCU_OBJ	 SCHED_OBJ(SCHED_OBJ_RCU, 0)

static void trace_agent(int me, void *arg)
{
	MA_STATE(mas, &mt, 0, 0);
	unsigned long s;

	(void)me, (void)arg;
	mtree_store_range(&mt, 10, 19, V(1)); /* steps 0-7 */
	mtree_load(&mt, 15);		      /* 8-11 */
	mas_find(&mas, ULONG_MAX);	      /* 12-14 */
	mas_find(&mas, ULONG_MAX);	      /* 15-16 */
	mas_empty_area(&mt, 0, 100, 5, &s);   /* 17-18 */
}

static void trace_setup(int me, void *arg)
{
	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	mtree_store_range(&mt, 30, 39, V(2)); /* one leaf: node 0 */
}

/*
 * The kernel's code, step by step.  A store: ma_lock, the root and the old leaf
 * read, the new leaf's slots published (node 1), the root published, unlock, the
 * old leaf to call_rcu.  A lookup: the root, then one slot per level.  A cursor
 * reads a slot per step; gap search descends from the root.  Every step carries
 * the caller's site; the object names the node.
 */
Test(mtree, yield_points_at_node_reads_and_publications)
{
	static const struct {
		uint32_t obj;
		enum sched_op op;
		const char *site;
	} want[] = {
	    {LOCK_OBJ, SCHED_OP_ACQUIRE, "trace_agent:mtree_store_range"},
	    {TREE_OBJ, SCHED_OP_READ, "trace_agent:mtree_store_range"},
	    {NODE(0), SCHED_OP_READ, "trace_agent:mtree_store_range"},
	    {NODE(1), SCHED_OP_WRITE, "trace_agent:mtree_store_range"},
	    {NODE(1), SCHED_OP_WRITE, "trace_agent:mtree_store_range"},
	    {TREE_OBJ, SCHED_OP_WRITE, "trace_agent:mtree_store_range"},
	    {LOCK_OBJ, SCHED_OP_RELEASE, "trace_agent:mtree_store_range"},
	    {RCU_OBJ, SCHED_OP_WRITE, "trace_agent:mtree_store_range"},
	    {RCU_OBJ, SCHED_OP_ACQUIRE, "trace_agent:mtree_load"},
	    {TREE_OBJ, SCHED_OP_READ, "trace_agent:mtree_load"},
	    {NODE(1), SCHED_OP_READ, "trace_agent:mtree_load"},
	    {RCU_OBJ, SCHED_OP_RELEASE, "trace_agent:mtree_load"},
	    {TREE_OBJ, SCHED_OP_READ, "trace_agent:mas_find"},
	    {NODE(1), SCHED_OP_READ, "trace_agent:mas_find"},
	    {NODE(1), SCHED_OP_READ, "trace_agent:mas_find"},
	    {NODE(1), SCHED_OP_READ, "trace_agent:mas_find"},
	    {NODE(1), SCHED_OP_READ, "trace_agent:mas_find"},
	    {TREE_OBJ, SCHED_OP_READ, "trace_agent:mas_empty_area"},
	    {NODE(1), SCHED_OP_READ, "trace_agent:mas_empty_area"},
	};
	struct sched_config cfg = {.steps_max = STEPS_MAX};
	const struct sched_trace_entry *t;
	struct sched_directed none;
	uint32_t n;

	sched_reset(&cfg);
	sched_directed_init(&none);
	sched_agent_add(0, "CPU0", trace_agent, NULL);
	sched_run_solo(0, trace_setup, NULL);
	cr_assert_not(sched_run(&none.base), "unexpected finding");
	t = sched_trace(&n);
	cr_assert_eq(n, sizeof(want) / sizeof(want[0]), "%u steps", n);
	for (uint32_t i = 0; i < n; i++) {
		const struct sched_site *site = sched_site_by_id(t[i].site);
		cr_assert(t[i].obj == want[i].obj && t[i].op == want[i].op,
			  "step %u: obj %#x op %d, want %#x op %d", i, t[i].obj, t[i].op,
			  want[i].obj, want[i].op);
		cr_assert_str_eq(site->name, want[i].site, "step %u", i);
	}
}

/* ---- (4) vectors in the spirit of the kernel's lib/test_maple_tree.c ------------------ */

/*
 * A layout of LAYOUT_VMAS occupied ranges over several levels of nodes: VMA i is
 * [start_i, start_i + len_i - 1], gaps between them of 1..13 indices (a pattern
 * with repeats, so that equal gaps compete), some entries ZERO.  The reference
 * answers of gap search come from the layout, by brute force.
 */
#define LAYOUT_VMAS 600
static unsigned long lay_first[LAYOUT_VMAS], lay_last[LAYOUT_VMAS];
static void *lay_entry[LAYOUT_VMAS];

static void layout_build(void)
{
	unsigned long at = 5;

	mt_init(&mt, 0, "mt");
	for (int i = 0; i < LAYOUT_VMAS; i++) {
		unsigned long len = 1 + (unsigned long)(i * 7 % 5),
			      gap = 1 + (unsigned long)(i * 5 % 13);
		lay_first[i] = at;
		lay_last[i] = at + len - 1;
		lay_entry[i] = i % 9 == 4 ? MTREE_ZERO : V(i % 8);
		cr_assert_eq(mtree_insert_range(&mt, lay_first[i], lay_last[i], lay_entry[i]), 0);
		at += len + gap;
	}
	mt_validate(&mt);
}

/* Brute force over the layout's gaps clipped to [min, max]: lowest or highest fit. */
static int layout_gap(unsigned long min, unsigned long max, unsigned long size, bool rev,
		      unsigned long *start)
{
	int found = -EBUSY;

	for (int i = 0; i <= LAYOUT_VMAS; i++) {
		unsigned long lo = i ? lay_last[i - 1] + 1 : 0;
		unsigned long hi = i < LAYOUT_VMAS ? lay_first[i] - 1 : ULONG_MAX;
		if (lo > hi)
			continue;
		if (lo < min)
			lo = min;
		if (hi > max)
			hi = max;
		if (lo > hi || hi - lo < size - 1)
			continue;
		*start = rev ? hi - (size - 1) : lo;
		found = 0;
		if (!rev)
			break;
	}
	return found;
}

static void windowed_gap_body(int me, void *arg)
{
	unsigned long end;
	int checked = 0, hits = 0;

	(void)me, (void)arg;
	layout_build();
	end = lay_last[LAYOUT_VMAS - 1] + 40;
	for (unsigned long min = 0; min < end; min += 37)
		for (unsigned long w = 1; w < 400; w = w * 3 + 1)
			for (unsigned long size = 1; size <= 14 && size <= w; size++) {
				unsigned long max = min + w - 1;
				for (int rev = 0; rev <= 1; rev++) {
					unsigned long want = 0xbad, got = 0xbad;
					int rr = layout_gap(min, max, size, rev, &want);
					int tr = rev ? mas_empty_area_rev(&mt, min, max, size, &got)
						     : mas_empty_area(&mt, min, max, size, &got);
					cr_assert(
					    rr == tr && (rr || want == got),
					    "%s [%#lx, %#lx] size %lu: %d at %#lx, want %d at %#lx",
					    rev ? "rev" : "fwd", min, max, size, tr, got, rr, want);
					checked++;
					hits += !rr;
				}
			}
	cr_log_info("%d windowed gap searches, %d fits", checked, hits);
	cr_assert_gt(hits, checked / 4);
	cr_assert_lt(hits, checked - checked / 10);
}

Test(mtree_vectors, windowed_gap_search_forward_and_reverse)
{
	solo(windowed_gap_body, NULL);
}

/* ZERO inside iterations: mas_find returns it as stored, mt_find and mtree_load do not. */
static void zero_iteration_body(int me, void *arg)
{
	MA_STATE(mas, &mt, 0, 0);
	unsigned long index = 0;
	void *e;
	int n = 0, zeros = 0, found = 0;

	(void)me, (void)arg;
	layout_build();
	mas_for_each(&mas, e, ULONG_MAX)
	{
		cr_assert_lt(n, LAYOUT_VMAS);
		cr_assert(mas.index == lay_first[n] && mas.last == lay_last[n] && e == lay_entry[n],
			  "entry %d: [%#lx, %#lx]", n, mas.index, mas.last);
		zeros += mt_is_zero(e);
		n++;
	}
	cr_assert_eq(n, LAYOUT_VMAS);
	cr_assert_gt(zeros, 50);
	mt_for_each(&mt, e, index, ULONG_MAX)
	{
		cr_assert_not(mt_is_zero(e), "mt_find returned ZERO");
		found++;
	}
	cr_assert_eq(found, LAYOUT_VMAS - zeros);
	for (int i = 0; i < LAYOUT_VMAS; i++)
		cr_assert_eq(mtree_load(&mt, lay_last[i]),
			     mt_is_zero(lay_entry[i]) ? NULL : lay_entry[i]);
	/* reverse: from the top down, the same entries */
	mas_set(&mas, ULONG_MAX);
	for (int i = LAYOUT_VMAS - 1; i >= 0; i--) {
		cr_assert_eq(mas_find_rev(&mas, 0), lay_entry[i], "rev entry %d", i);
		cr_assert(mas.index == lay_first[i] && mas.last == lay_last[i]);
	}
	cr_assert_null(mas_find_rev(&mas, 0));
}

Test(mtree_vectors, zero_entries_inside_iterations)
{
	solo(zero_iteration_body, NULL);
}

/* Thousands of single-index entries in and out, both directions; the tree shrinks back. */
#define SEQ_COUNT 3000
static void sequential_body(int me, void *arg)
{
	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	for (unsigned long i = 0; i < SEQ_COUNT; i++)
		cr_assert_eq(mtree_insert_range(&mt, 2 * i + 1, 2 * i + 1, V(i % 8)), 0, "%lu", i);
	mt_validate(&mt);
	cr_assert_eq(mtree_insert_range(&mt, 7, 7, V(1)), -EEXIST);
	for (unsigned long i = 0; i < SEQ_COUNT; i++) {
		cr_assert_eq(mtree_load(&mt, 2 * i + 1), V(i % 8));
		cr_assert_null(mtree_load(&mt, 2 * i));
	}
	uint32_t grown = mt_nodes_live(&mt);
	for (unsigned long i = SEQ_COUNT; i-- > 0;)
		cr_assert_eq(mtree_erase(&mt, 2 * i + 1), V(i % 8), "%lu", i);
	mt_validate(&mt);
	MA_STATE(mas, &mt, 12345, 12345);
	cr_assert_null(mas_walk(&mas));
	cr_assert(mas.index == 0 && mas.last == ULONG_MAX, "one gap left: [%#lx, %#lx]", mas.index,
		  mas.last);
	cr_assert_lt(mt_nodes_live(&mt), 2, "%u nodes live after erasing all (%u at most)",
		     mt_nodes_live(&mt), grown);
	for (unsigned long i = SEQ_COUNT; i-- > 0;)
		cr_assert_eq(mtree_insert_range(&mt, 2 * i + 1, 2 * i + 1, V(i % 8)), 0, "%lu", i);
	mt_validate(&mt);
	for (unsigned long i = 0; i < SEQ_COUNT; i++)
		cr_assert_eq(mtree_erase(&mt, 2 * i + 1), V(i % 8), "%lu", i);
	mt_validate(&mt);
	cr_assert_lt(mt_nodes_live(&mt), 2);
	cr_log_info("%d entries: %u nodes live at the top", SEQ_COUNT, grown);
}

Test(mtree_vectors, sequential_insert_and_erase_of_thousands)
{
	solo(sequential_body, NULL);
}

/* Erasing neighbours combines their gaps; the tree's gap entries follow (mt_validate). */
static void gap_combining_body(int me, void *arg)
{
	unsigned long s;

	(void)me, (void)arg;
	mt_init(&mt, 0, "mt");
	for (unsigned long i = 0; i < 1000; i++) /* [10i, 10i+9], no gaps at all */
		cr_assert_eq(mtree_store_range(&mt, 10 * i, 10 * i + 9, V(i % 8)), 0);
	cr_assert_eq(mas_empty_area(&mt, 0, 9999, 1, &s), -EBUSY);
	for (unsigned long i = 1; i < 1000; i += 3)
		mtree_erase(&mt, 10 * i);
	mt_validate(&mt);
	cr_assert_eq(mas_empty_area(&mt, 0, 9999, 11, &s), -EBUSY, "single gaps of 10");
	cr_assert_eq(mas_empty_area(&mt, 0, 9999, 10, &s), 0);
	cr_assert_eq(s, 10);
	for (unsigned long i = 2; i < 1000; i += 3) /* the right neighbours: gaps of 20 */
		mtree_erase(&mt, 10 * i);
	mt_validate(&mt);
	cr_assert_eq(mas_empty_area(&mt, 0, 9999, 21, &s), -EBUSY);
	cr_assert_eq(mas_empty_area_rev(&mt, 0, 9999, 20, &s), 0);
	cr_assert_eq(s, 9970, "the highest: [9970, 9989], below V at 999");
	for (unsigned long i = 0; i < 1000; i += 3) /* the rest: one gap */
		mtree_erase(&mt, 10 * i);
	mt_validate(&mt);
	cr_assert_eq(mas_empty_area(&mt, 0, 9999, 10000, &s), 0);
	cr_assert_eq(s, 0);
	MA_STATE(mas, &mt, 5000, 5000);
	cr_assert_null(mas_walk(&mas));
	cr_assert(mas.index == 0 && mas.last == ULONG_MAX);
}

Test(mtree_vectors, gaps_combine)
{
	solo(gap_combining_body, NULL);
}

/*
 * Fill a window with allocations found by gap search, as get_unmapped_area does:
 * bottom-up (starts ascending) and top-down (descending), until -EBUSY, then the
 * window is exactly full.
 */
static void fill_body(int me, void *arg)
{
	unsigned long min = 0x1000, max = 0x1000 + 7 * 1000 - 1, size = 7;

	(void)me, (void)arg;
	for (int rev = 0; rev <= 1; rev++) {
		unsigned long s, prev = rev ? ULONG_MAX : 0;
		int n = 0;

		mt_init(&mt, 0, "mt");
		mtree_store_range(&mt, min + 700, min + 706, MTREE_ZERO); /* reserved: not free */
		for (;;) {
			int ret = rev ? mas_empty_area_rev(&mt, min, max, size, &s)
				      : mas_empty_area(&mt, min, max, size, &s);
			if (ret) {
				cr_assert_eq(ret, -EBUSY);
				break;
			}
			cr_assert(rev ? s < prev : s > prev || !n, "%s: %#lx after %#lx",
				  rev ? "rev" : "fwd", s, prev);
			cr_assert_eq(mtree_insert_range(&mt, s, s + size - 1, V(n % 8)), 0);
			prev = s;
			n++;
		}
		cr_assert_eq(n, 999, "%s: %d allocations", rev ? "rev" : "fwd", n);
		cr_assert_eq(mas_empty_area(&mt, min, max, 1, &s), -EBUSY, "window full");
		mt_validate(&mt);
	}
}

Test(mtree_vectors, filling_the_space_with_allocations)
{
	solo(fill_body, NULL);
}

/* ---- (3) RCU: what the maple tree promises its lockless readers ------------------------ */

/*
 * The writer (CPU0) goes round six states, one store each; the readers iterate
 * with a yield point after each entry (where a fault would vma_start_read),
 * then look again: load, walk, gap search, load.
 *
 *         100    120   150    199 200    249 250  279 280  299
 *   S0     |---------A---------|---------B---------|
 *   S1     |----A------|--------C--------|----B----|          [150,249] = C
 *   S2     |-A-|---------------ZERO-----------|-B-|           [120,279] = ZERO
 *   S3                                                        [100,299] = NULL
 *   S4     |-------------------D-------------------|          [100,299] = D
 *   S5     |---------A---------|---------D---------|          [100,199] = A
 *   S0                                                        [200,299] = B
 */
#define RCU_STATES 6
/*
 * An entry above the states keeps the tree from becoming empty in S3: a
 * reader's re-walk into an empty tree is its own test (emptied_body).
 */
#define RCU_SENTINEL 1000
#define A	     V(0)
#define B	     V(1)
#define C	     V(2)
#define D	     V(3)

/* rcu_stores[k] leads from S(k) to S(k+1 mod 6). */
static const struct {
	unsigned long first, last;
	void *entry;
} rcu_stores[RCU_STATES] = {{150, 249, C}, {120, 279, MTREE_ZERO}, {100, 299, NULL},
			    {100, 299, D}, {100, 199, A},	   {200, 299, B}};

static const struct range rcu_views[RCU_STATES][3] = {
    {{100, 199, A}, {200, 299, B}},
    {{100, 149, A}, {150, 249, C}, {250, 299, B}},
    {{100, 119, A}, {120, 279, MTREE_ZERO}, {280, 299, B}},
    {{0, 0, NULL}},
    {{100, 299, D}},
    {{100, 199, A}, {200, 299, D}},
};
static const int rcu_view_count[RCU_STATES] = {2, 3, 3, 0, 1, 2};
/* the looks: mtree_load(160); mas_walk(130); a 100-gap in [100, 299]; mtree_load(260) */
static void *const rcu_load160[RCU_STATES] = {A, C, NULL, NULL, D, A};
static const struct range rcu_walk130[RCU_STATES] = {
    {100, 199, A}, {100, 149, A}, {120, 279, MTREE_ZERO}, {0, RCU_SENTINEL - 1, NULL},
    {100, 299, D}, {100, 199, A}};
static const int rcu_gap_ret[RCU_STATES] = {-EBUSY, -EBUSY, -EBUSY, 0, -EBUSY, -EBUSY};
static void *const rcu_load260[RCU_STATES] = {B, B, NULL, NULL, D, D};
#define RCU_LOOKS 4

#define RCU_PASSES_MAX 3
struct rcu_obs {
	struct range view[4];
	int view_count;
	int writer_start; /* stores the writer had finished when the view began */
	int writer_done;  /* ... when the view was complete */
	int writer_after; /* ... when the looks were done */
	void *load160, *load260;
	struct range walk;
	int gap_ret;
	unsigned long gap_start;
};

static struct maple_tree rcu_mt;
static struct rcu_obs rcu_obs[SCHED_AGENTS_MAX][RCU_PASSES_MAX];
static int rcu_passes;	      /* per reader */
static int rcu_writer_stores; /* going round rcu_stores */
static int rcu_writer_done;   /* test bookkeeping, not modelled state */
static uint32_t rcu_live_max; /* nodes live at once, over all runs */
static int rcu_stale_views;   /* views during which the writer replaced nodes */
static uint64_t rcu_runs;

static void rcu_writer(int me, void *arg)
{
	(void)me, (void)arg;
	for (int i = 0; i < rcu_writer_stores; i++) {
		int k = i % RCU_STATES;
		mtree_store_range(&rcu_mt, rcu_stores[k].first, rcu_stores[k].last,
				  rcu_stores[k].entry);
		rcu_writer_done++;
	}
}

static void rcu_reader(int me, void *arg)
{
	(void)arg;
	for (int pass = 0; pass < rcu_passes; pass++) {
		struct rcu_obs *o = &rcu_obs[me][pass];
		MA_STATE(mas, &rcu_mt, 0, 0);
		MA_STATE(walk, &rcu_mt, 130, 130);
		void *e;

		rcu_read_lock();
		o->writer_start = rcu_writer_done;
		mas_for_each(&mas, e, RCU_SENTINEL - 1)
		{
			if (o->view_count < 4)
				o->view[o->view_count] = (struct range){mas.index, mas.last, e};
			o->view_count++;
			SCHED_YIELD("rcu_reader:between", SCHED_OBJ(OBJ_MTREE, 0x100),
				    SCHED_OP_EVENT);
		}
		o->writer_done = rcu_writer_done;
		o->load160 = mtree_load(&rcu_mt, 160);
		e = mas_walk(&walk);
		o->walk = (struct range){walk.index, walk.last, e};
		o->gap_ret = mas_empty_area(&rcu_mt, 100, 299, 100, &o->gap_start);
		o->load260 = mtree_load(&rcu_mt, 260);
		o->writer_after = rcu_writer_done;
		rcu_read_unlock();
	}
}

static void rcu_s0(int me, void *arg)
{
	(void)me, (void)arg;
	mt_init(&rcu_mt, 0, "rcu_mt");
	mtree_store_range(&rcu_mt, RCU_SENTINEL, RCU_SENTINEL, V(7));
	mtree_store_range(&rcu_mt, 100, 199, A);
	mtree_store_range(&rcu_mt, 200, 299, B);
}

static void rcu_setup(int readers)
{
	static const char *const names[SCHED_AGENTS_MAX] = {"CPU0", "CPU1", "CPU2", "CPU3",
							    "CPU4", "CPU5", "CPU6", "CPU7"};
	struct sched_config cfg = {.steps_max = STEPS_MAX};

	sched_reset(&cfg);
	memset(rcu_obs, 0, sizeof(rcu_obs));
	rcu_writer_done = 0;
	sched_agent_add(0, names[0], rcu_writer, NULL);
	for (int r = 1; r <= readers; r++)
		sched_agent_add(r, names[r], rcu_reader, NULL);
	sched_run_solo(0, rcu_s0, NULL);
}

static bool range_eq(const struct range *a, const struct range *b)
{
	return a->first == b->first && a->last == b->last && a->entry == b->entry;
}

/* Is @r, returned by an iteration, a range of state @k (k counts stores, mod RCU_STATES)? */
static bool range_in_state(const struct range *r, int k)
{
	k %= RCU_STATES;
	for (int i = 0; i < rcu_view_count[k]; i++)
		if (range_eq(r, &rcu_views[k][i]))
			return true;
	return false;
}

/* Does the @look-th look after the view fit state @k? */
static bool look_fits(const struct rcu_obs *o, int look, int k)
{
	switch (look) {
	case 0:
		return o->load160 == rcu_load160[k];
	case 1:
		return range_eq(&o->walk, &rcu_walk130[k]);
	case 2:
		return o->gap_ret == rcu_gap_ret[k] && (o->gap_ret || o->gap_start == 100);
	default:
		return o->load260 == rcu_load260[k];
	}
}

/*
 * What the kernel's maple tree promises an RCU reader (not a snapshot: a reader
 * whose node is replaced walks again into the new tree): each entry an iteration
 * returns is a range of a state the tree was in while the iteration ran, and the
 * iteration moves forward (each range ends after the previous one).  Each look
 * after the view fits a state from the view's end to the looks' end.  A view
 * during which the writer stored counts as a view across a node replacement.
 */
static void rcu_check_reader(int reader, uint64_t run)
{
	for (int pass = 0; pass < rcu_passes; pass++) {
		const struct rcu_obs *o = &rcu_obs[reader][pass];
		char vs[512];

		format_ranges(vs, sizeof(vs), o->view, o->view_count < 4 ? o->view_count : 4);
		for (int i = 0; i < o->view_count && i < 4; i++) {
			int k = o->writer_start;
			/* writer_done + 1: the store in progress may be seen */
			while (k <= o->writer_done + 1 && !range_in_state(&o->view[i], k))
				k++;
			cr_assert_leq(
			    k, o->writer_done + 1,
			    "run %llu CPU%d pass %d: entry %d in no state of stores %d..%d: %s",
			    (unsigned long long)run, reader, pass, i, o->writer_start,
			    o->writer_done, vs);
			cr_assert(i == 0 || o->view[i].last > o->view[i - 1].last,
				  "run %llu CPU%d pass %d: went backwards: %s",
				  (unsigned long long)run, reader, pass, vs);
		}
		rcu_stale_views += o->writer_start != o->writer_done;
		for (int look = 0; look < RCU_LOOKS; look++) {
			int k = o->writer_done;
			while (k <= o->writer_after + 1 && !look_fits(o, look, k % RCU_STATES))
				k++;
			cr_assert_leq(
			    k, o->writer_after + 1,
			    "run %llu CPU%d pass %d: look %d fits no state of stores %d..%d",
			    (unsigned long long)run, reader, pass, look, o->writer_done,
			    o->writer_after);
		}
	}
}

static void rcu_check_run(int readers, uint64_t run)
{
	const struct sched_finding *f = sched_get_finding();

	cr_assert_null(f, "run %llu: unexpected %s finding: %s", (unsigned long long)run,
		       f ? f->oracle : "", f ? f->msg : "");
	for (int r = 1; r <= readers; r++)
		rcu_check_reader(r, run);
	mt_validate(&rcu_mt);
	cr_assert_eq(mt_nodes_retired(&rcu_mt), 0,
		     "run %llu: every retired node freed once the readers left",
		     (unsigned long long)run);
	if (rcu_mt.pool.live_max > rcu_live_max)
		rcu_live_max = rcu_mt.pool.live_max;
	rcu_runs++;
}

Test(mtree_rcu, one_reader_sees_whole_versions_in_every_dfs_schedule)
{
	struct sched_dfs d;

	rcu_passes = 1;
	rcu_writer_stores = 4;
	rcu_live_max = 0;
	sched_dfs_init(&d, 2);
	do {
		rcu_setup(1);
		sched_run(&d.base);
		rcu_check_run(1, rcu_runs);
		cr_assert_lt(rcu_runs, 100000, "DFS bound 2 does not end");
	} while (d.base.ops->end(&d.base));
	cr_assert(d.exhausted, "DFS bound 2 stopped without being exhausted");
	cr_assert_eq(d.executions, rcu_runs);
	sched_dfs_fini(&d);
	cr_assert_gt(rcu_stale_views, 0, "no schedule stored while the reader iterated");
	cr_assert_geq(rcu_live_max, 4, "no schedule kept three retired nodes waiting at once");
	cr_log_info("DFS bound 2: %llu schedules, %d views across stores, %u nodes live at most",
		    (unsigned long long)rcu_runs, rcu_stale_views, rcu_live_max);
}

/* SCHED_AGENTS_MAX - 1 readers, three passes each, against ten rounds of the writer. */
Test(mtree_rcu, many_readers_see_whole_versions_under_random_schedules)
{
	rcu_passes = RCU_PASSES_MAX;
	rcu_writer_stores = 10 * RCU_STATES;
	rcu_live_max = 0;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct sched_random r;
		sched_random_init(&r, seed, 3);
		rcu_setup(SCHED_AGENTS_MAX - 1);
		sched_run(&r.base);
		rcu_check_run(SCHED_AGENTS_MAX - 1, seed);
	}
	cr_assert_geq(rcu_live_max, 4, "readers never held nodes back");
	cr_log_info("random: %u nodes live at most", rcu_live_max);
}
