/* SPDX-License-Identifier: MIT */
/*
 * The harness's address fold (fuzz/fold.c): a page in a huge range keeps its
 * offset in the PMD and every other page folds into the focus pages; folding a
 * folded scenario changes nothing, so what a campaign saves replays through the
 * harness as it ran; the folded THP split family still holds its race (the flat
 * fold of before did not), and the schedule found on it replays from its binary
 * form.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../core/knobs.h"
#include "../fuzz/fold.h"
#include "exec.h"
#include "explore.h"

static void load(struct scenario *s, const char *path)
{
	char err[512];
	cr_assert(scn_load(s, path, err, sizeof(err)), "%s", err);
}

static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * The operations of corpus/weak-thp-split.sched at random addresses: a third of
 * them whole aligned PMDs (the huge ranges), the rest single or a few pages,
 * anywhere in the address space (mremap targets too).
 */
static void scatter(struct scenario *s, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	load(s, "corpus/weak-thp-split.sched");
	s->ops[0].kind = SCN_OP_MREMAP; /* an mremap, for its target */
	for (int i = 0; i < s->setup_count + s->ops_count; i++) {
		struct scn_op *op = i < s->setup_count ? &s->setup[i] : &s->ops[i - s->setup_count];
		uint32_t page = (uint32_t)(next(&x) % SCN_VA_PAGES);
		op->pages = (uint32_t)(next(&x) % 4);
		if (next(&x) % 3 == 0) {
			page = page / SCN_PAGES_MAX * SCN_PAGES_MAX;
			op->pages = SCN_PAGES_MAX;
		}
		op->addr = page * SCN_PAGE_SIZE + (uint32_t)(next(&x) % 512) * 8;
		if (op->kind == SCN_OP_MREMAP)
			op->value = next(&x) % SCN_VA_PAGES * SCN_PAGE_SIZE;
	}
}

static uint32_t page_of(const struct scn_op *op)
{
	return op->addr / SCN_PAGE_SIZE;
}

Test(fold, thp_family_keeps_its_subpages)
{
	static struct scenario s, flat;
	load(&s, "corpus/weak-thp-split.sched");
	flat = s;
	fold_scenario(&s, 4, FOLD_THP);
	fold_scenario(&flat, 4, FOLD_FLAT);
	/* the THP itself: whole, on the first PMD, in both */
	cr_assert_eq(s.setup[0].addr, 0);
	cr_assert_eq(s.setup[0].pages, SCN_PAGES_MAX);
	cr_assert_eq(flat.setup[0].addr, 0);
	cr_assert_eq(flat.setup[0].pages, SCN_PAGES_MAX);
	/* its subpages keep their offsets: the store and load of the last page */
	cr_assert_eq(s.setup[2].addr, 0xe008);
	cr_assert_eq(s.setup[3].addr, 0xf000);
	cr_assert_eq(s.ops[1].addr, 0x1000); /* mprotect of the second page */
	cr_assert_eq(s.ops[2].addr, 0xf000); /* CPU1's load of the last page */
	cr_assert_eq(s.ops[3].addr, 0xd000);
	cr_assert_eq(s.ops[4].addr, 0xe008);
	cr_assert_eq(s.ops[5].addr, 0xe000); /* the pin */
	/* the flat fold put the last page on page 3 */
	cr_assert_eq(flat.ops[2].addr, 0x3000);
	cr_assert_eq(flat.ops[4].addr, 0x2008);
}

Test(fold, pages_outside_a_huge_range_fold_into_the_focus_pages)
{
	static struct scenario s;
	load(&s, "corpus/weak-thp-split.sched"); /* the THP at PMD 1 (0x10000) */
	s.ops[2].addr = 50 * SCN_PAGE_SIZE + 8;	 /* PMD 3: not huge */
	s.ops[3].addr = 55 * SCN_PAGE_SIZE;
	s.ops[3].pages = 4;
	s.ops[4].addr = 30 * SCN_PAGE_SIZE; /* PMD 1, two pages before its end */
	s.ops[4].pages = 5;
	fold_scenario(&s, 4, FOLD_THP);
	cr_assert_eq(s.ops[2].addr, 2 * SCN_PAGE_SIZE + 8);
	cr_assert_eq(page_of(&s.ops[3]), 3);
	cr_assert_eq(s.ops[3].pages, 1, "clamped to the focus pages");
	cr_assert_eq(page_of(&s.ops[4]), 14);
	cr_assert_eq(s.ops[4].pages, 2, "clamped to its PMD");
}

Test(fold, without_a_huge_range_the_modes_agree)
{
	static struct scenario a, b;
	int compared = 0;
	for (uint64_t seed = 1; seed <= 2000; seed++) {
		scatter(&a, seed);
		bool huge = false;
		for (int i = 0; i < a.setup_count + a.ops_count; i++)
			huge |= (i < a.setup_count ? a.setup[i] : a.ops[i - a.setup_count]).pages ==
				SCN_PAGES_MAX;
		if (huge)
			continue;
		b = a;
		fold_scenario(&a, 4, FOLD_THP);
		fold_scenario(&b, 4, FOLD_FLAT);
		cr_assert(!memcmp(&a, &b, sizeof(a)), "seed %llu", (unsigned long long)seed);
		compared++;
	}
	cr_assert_gt(compared, 10);
}

Test(fold, the_modes_agree_when_the_focus_is_whole_pmds)
{
	static struct scenario a, b;
	for (uint32_t focus = SCN_PAGES_MAX; focus <= SCN_VA_PAGES; focus += SCN_PAGES_MAX)
		for (uint64_t seed = 1; seed <= 500; seed++) {
			scatter(&a, seed);
			b = a;
			fold_scenario(&a, focus, FOLD_THP);
			fold_scenario(&b, focus, FOLD_FLAT);
			cr_assert(!memcmp(&a, &b, sizeof(a)), "focus %u, seed %llu", focus,
				  (unsigned long long)seed);
		}
}

/* Every page a folded operation reaches lies in the PMDs the focus pages touch. */
Test(fold, folding_twice_changes_nothing_and_stays_in_range)
{
	static const uint32_t focus[] = {1, 3, 4, 8, 16, 20, 64};
	static struct scenario s, again;
	for (int m = 0; m < FOLD_COUNT; m++)
		for (size_t f = 0; f < sizeof(focus) / sizeof(focus[0]); f++)
			for (uint64_t seed = 1; seed <= 500; seed++) {
				scatter(&s, seed);
				fold_scenario(&s, focus[f], (enum fold_mode)m);
				/* the focus pages, or up to the end of the PMD they end in */
				uint32_t limit =
				    (focus[f] + SCN_PAGES_MAX - 1) / SCN_PAGES_MAX * SCN_PAGES_MAX;
				for (int i = 0; i < s.setup_count + s.ops_count; i++) {
					const struct scn_op *op = i < s.setup_count
								      ? &s.setup[i]
								      : &s.ops[i - s.setup_count];
					uint32_t end = page_of(op) + (op->pages ? op->pages : 1);
					cr_assert_leq(end, limit, "%s, focus %u, seed %llu, op %d",
						      fold_mode_names[m], focus[f],
						      (unsigned long long)seed, i);
				}
				again = s;
				fold_scenario(&again, focus[f], (enum fold_mode)m);
				cr_assert(!memcmp(&s, &again, sizeof(s)), "%s, focus %u, seed %llu",
					  fold_mode_names[m], focus[f], (unsigned long long)seed);
			}
}

static void search(const struct scenario *s, uint64_t knobs, uint64_t seed,
		   struct explore_result *er)
{
	struct explore_config c;
	explore_config_default(&c);
	c.strategy = EXPLORE_RANDOM;
	c.runs_max = 5000;
	c.seed = seed;
	c.exec.knobs = knobs;
	explore(s, &c, er);
}

/*
 * The folded family holds split-pmd-populate-no-wmb; the schedule found, encoded
 * as a campaign saves it, decodes and folds to the same scenario and replays to
 * the same finding.  The flat fold lost the race (the reason for FOLD_THP).
 */
Test(fold, folded_thp_family_holds_the_split_race_and_replays)
{
	static struct scenario s, flat, back;
	static struct explore_result er;
	static struct exec_result r;
	static struct sched_directed d;
	static uint8_t bin[SCN_ENCODED_MAX], again[SCN_ENCODED_MAX];
	const char *name = "split-pmd-populate-no-wmb";
	int knob = mm_knob_by_name(name, (unsigned)strlen(name));
	cr_assert_geq(knob, 0);
	load(&s, "corpus/weak-thp-split.sched");
	flat = s;
	fold_scenario(&s, 4, FOLD_THP);
	fold_scenario(&flat, 4, FOLD_FLAT);
	for (uint64_t seed = 1; seed <= 3; seed++) {
		search(&s, KNOB_BIT(knob), seed, &er);
		cr_assert(er.found, "seed %llu: the THP-folded family lost the race",
			  (unsigned long long)seed);
		cr_assert(er.schedule_complete);
		er.schedule.knobs = KNOB_BIT(knob);
		size_t n = scn_encode(&er.schedule, bin, sizeof(bin));
		cr_assert_gt(n, 0);
		scn_decode(&back, bin, n);
		fold_scenario(&back, 4, FOLD_THP);
		cr_assert_eq(scn_encode(&back, again, sizeof(again)), n);
		cr_assert(!memcmp(bin, again, n), "the fold changed a folded scenario");
		struct exec_options o;
		exec_options_default(&o);
		o.knobs = KNOB_BIT(knob);
		cr_assert(exec_directed(&back, &d, NULL, 0));
		exec_run(&back, &d.base, &o, &r);
		cr_assert(r.finding, "seed %llu: the saved schedule replays clean",
			  (unsigned long long)seed);
		cr_assert_eq(r.f.signature, er.first.f.signature);

		search(&flat, KNOB_BIT(knob), seed, &er);
		cr_assert(!er.found, "seed %llu: the flat fold found %s (%s): update the README",
			  (unsigned long long)seed, er.first.f.oracle, er.first.f.msg);
		search(&s, 0, seed, &er);
		cr_assert(!er.found, "seed %llu, knobs off: %s", (unsigned long long)seed,
			  er.first.f.msg);
	}
}
