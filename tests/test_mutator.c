/* SPDX-License-Identifier: MIT */
/*
 * The structure-aware mutator (fuzz/mutator.c): each mutation kind makes the one
 * change it promises and nothing else; mut_mutate always returns an input that fits,
 * decodes to a valid scenario and is a function of (input, seed); chains of
 * mutations from the empty input grow real scenarios and schedules; family
 * restarts share the mutations between the seed families of a directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/sbuf.h"
#include "../fuzz/mutator.h"
#include "../tools/exec.h"
#include "../tools/scenario.h"

static const char zap[] = "mmfuzz-sched 1\n"
			  "setup\n"
			  "  CPU2 P0 mmap 0x0 pages=1 file=F0 shared rw\n"
			  "  CPU2 P0 store 0x0 = 1\n"
			  "agents\n"
			  "  CPU0 P0 madvise 0x0 pages=1 dontneed\n"
			  "  CPU0 P0 store 0x8 = 3\n"
			  "  CPU1    writeback F0\n"
			  "  CPU2 P0 store 0x0 = 2\n"
			  "schedule\n"
			  "  at 40 -> CPU1\n"
			  "  at 90 -> CPU2\n"
			  "  CPU1 at done -> CPU2\n";

static void load(struct scenario *s, const char *text)
{
	char err[256];
	cr_assert(scn_parse(s, text, strlen(text), "t", err, sizeof(err)), "%s", err);
}

/* Apply @kind until it applies (some kinds may pick a case that does not). */
static void apply(struct scenario *s, enum mut_kind kind, const struct scenario *other,
		  uint64_t *rng)
{
	for (int i = 0; i < 100; i++)
		if (mut_apply(s, kind, other, rng))
			return;
	cr_assert_fail("%s never applied", mut_kind_names[kind]);
}

static bool ops_equal(const struct scn_op *a, const struct scn_op *b, int n)
{
	return !memcmp(a, b, (size_t)n * sizeof(*a));
}

Test(mutator, preempt_move_moves_one_preemption_a_little)
{
	struct scenario s, m;
	load(&s, zap);
	for (uint64_t seed = 1; seed < 200; seed++) {
		uint64_t rng = seed;
		m = s;
		apply(&m, MUT_PREEMPT_MOVE, NULL, &rng);
		cr_assert_eq(m.preempt_count, s.preempt_count);
		cr_assert(ops_equal(m.ops, s.ops, s.ops_count) &&
			  ops_equal(m.setup, s.setup, s.setup_count));
		int changed = 0;
		for (int i = 0; i < s.preempt_count; i++) {
			int64_t d = (int64_t)m.preempt[i].step - s.preempt[i].step;
			changed += d != 0;
			cr_assert(d >= -64 && d <= 64);
			cr_assert_eq(m.preempt[i].target, s.preempt[i].target);
		}
		cr_assert_eq(changed, 1, "seed %llu", (unsigned long long)seed);
	}
}

Test(mutator, preempt_target_add_remove)
{
	struct scenario s, m;
	uint64_t rng = 7;
	load(&s, zap);
	for (int n = 0; n < 100; n++) {
		m = s;
		apply(&m, MUT_PREEMPT_TARGET, NULL, &rng);
		int changed = 0;
		for (int i = 0; i < s.preempt_count; i++) {
			changed += m.preempt[i].target != s.preempt[i].target;
			cr_assert_eq(m.preempt[i].step, s.preempt[i].step);
			cr_assert(!m.preempt[i].anchored ||
				  m.preempt[i].target != m.preempt[i].agent);
		}
		/* an anchored preemption may draw its old target again; a by-step one never */
		cr_assert_leq(changed, 1);
		m = s;
		apply(&m, MUT_PREEMPT_ADD, NULL, &rng);
		cr_assert_eq(m.preempt_count, s.preempt_count + 1);
		cr_assert(!memcmp(m.preempt, s.preempt, sizeof(s.preempt[0]) * 3));
		cr_assert(m.preempt[3].anchored ? !strcmp(m.preempt[3].site, "done")
						: m.preempt[3].step <= 2 * mut_steps_hint);
		m = s;
		apply(&m, MUT_PREEMPT_REMOVE, NULL, &rng);
		cr_assert_eq(m.preempt_count, s.preempt_count - 1);
	}
}

/*
 * memory arm64: a preemption may name a store-buffer drain agent (one of a CPU
 * that stores), which is how a fuzzer decides when a buffered store becomes
 * visible; never the drain agent of a CPU that stores nothing.  Likewise the load
 * agents of a CPU's deferred loads (when a deferred load is performed).
 */
Test(mutator, preempt_targets_drain_agents_under_memory_arm64)
{
	static const char weak[] = "mmfuzz-sched 1\n"
				   "memory arm64\n"
				   "setup\n"
				   "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
				   "agents\n"
				   "  CPU0 P0 store 0x0 = 1\n"
				   "  CPU0 P0 store 0x8 = 2\n"
				   "  CPU1 P0 load 0x8\n"
				   "  CPU1 P0 load 0x0\n";
	struct scenario s, m;
	uint64_t rng = 11;
	load(&s, weak);
	uint32_t targets = 0;
	for (int n = 0; n < 400; n++) {
		m = s;
		apply(&m, MUT_PREEMPT_ADD, NULL, &rng);
		targets |= 1u << m.preempt[m.preempt_count - 1].target;
	}
	uint32_t drains = targets & ~((1u << SCN_AGENTS_MAX) - 1);
	cr_assert(drains, "no preemption named a drain agent (targets %#x)", targets);
	for (int a = SCN_AGENTS_MAX; a < SCN_SCHED_AGENTS; a++)
		cr_assert(!(drains >> a & 1) || exec_agent_has_ops(&s, a),
			  "agent %d drains a CPU that stores nothing", a);
	/* and the load agent of CPU1's deferred load (its first: a load follows),
	 * never one of CPU0, which loads nothing, nor a second one of CPU1 */
	cr_assert(targets >> LD_AGENT(1, 0) & 1, "no preemption named LD1a (targets %#x)", targets);
	cr_assert(!(targets >> LD_AGENT(0, 0) & 1) && !(targets >> LD_AGENT(0, 1) & 1) &&
		      !(targets >> LD_AGENT(1, 1) & 1),
		  "a load agent without loads (targets %#x)", targets);
	load(&s, zap); /* memory sc: CPUs only */
	for (int n = 0; n < 400; n++) {
		m = s;
		apply(&m, MUT_PREEMPT_ADD, NULL, &rng);
		cr_assert_lt(m.preempt[m.preempt_count - 1].target, SCN_AGENTS_MAX);
	}
}

Test(mutator, operations)
{
	struct scenario s, m;
	uint64_t rng = 11;
	load(&s, zap);
	for (int n = 0; n < 100; n++) {
		m = s;
		apply(&m, MUT_OP_INSERT, NULL, &rng);
		cr_assert_eq(m.setup_count + m.ops_count, s.setup_count + s.ops_count + 1);
		m = s;
		apply(&m, MUT_OP_DELETE, NULL, &rng);
		cr_assert_eq(m.setup_count + m.ops_count, s.setup_count + s.ops_count - 1);
		m = s;
		apply(&m, MUT_OP_ARG, NULL, &rng);
		cr_assert_eq(m.setup_count, s.setup_count);
		cr_assert_eq(m.ops_count, s.ops_count);
		cr_assert(!ops_equal(m.ops, s.ops, s.ops_count) ||
			  !ops_equal(m.setup, s.setup, s.setup_count));
		cr_assert(!memcmp(m.preempt, s.preempt, sizeof(s.preempt)));
		/* the only agent with two operations is CPU0: a swap reorders them */
		m = s;
		apply(&m, MUT_OP_SWAP, NULL, &rng);
		cr_assert_eq(m.ops[0].kind, SCN_OP_STORE);
		cr_assert_eq(m.ops[1].kind, SCN_OP_MADVISE);
	}
}

/* An observer reads what another agent's operation changed, after all its own work. */
Test(mutator, op_observe_adds_a_reader_of_an_effect)
{
	struct scenario s, m;
	load(&s, "mmfuzz-sched 1\n"
		 "setup\n"
		 "  CPU0 P0 mmap 0x1000 pages=2 anon private rw\n"
		 "agents\n"
		 "  CPU0 P0 store 0x1008 = 3\n"
		 "  CPU1 P0 munmap 0x1000 pages=2\n"
		 "  CPU2 P0 fork\n");
	int loads = 0, queries = 0, child = 0, other = 0, twice = 0, neighbours = 0;
	for (uint64_t seed = 1; seed < 300; seed++) {
		uint64_t rng = seed;
		m = s;
		apply(&m, MUT_OP_OBSERVE, NULL, &rng);
		cr_assert(m.ops_count == s.ops_count + 1 || m.ops_count == s.ops_count + 2);
		cr_assert(ops_equal(m.ops, s.ops, s.ops_count) &&
			  ops_equal(m.setup, s.setup, s.setup_count));
		const struct scn_op *o = &m.ops[m.ops_count - 1];
		if (m.ops_count == s.ops_count + 2) {
			/* a TLB observer of the munmap: two loads of one agent, of
			 * one page of the range or of two neighbours in it */
			const struct scn_op *first = &m.ops[s.ops_count];
			cr_assert(first->kind == SCN_OP_LOAD && o->kind == SCN_OP_LOAD);
			cr_assert_eq(first->agent, o->agent);
			cr_assert(first->addr >= 0x1000 && first->addr < 0x3000, "addr 0x%x",
				  first->addr);
			twice += first->addr == o->addr;
			neighbours += first->addr != o->addr;
		}
		cr_assert(o->kind == SCN_OP_LOAD || o->kind == SCN_OP_QUERY, "kind %d", o->kind);
		/* every effect here is on 0x1000-0x2fff of P0, the fork's on P1 */
		cr_assert(o->addr >= 0x1000 && o->addr < 0x3000, "addr 0x%x", o->addr);
		loads += o->kind == SCN_OP_LOAD;
		queries += o->kind == SCN_OP_QUERY;
		child += o->proc == 1 && o->addr == 0x1008;
		other += o->agent != 0 && o->agent != 1 && o->agent != 2;
	}
	cr_expect(loads > 50 && queries > 20, "loads %d, queries %d", loads, queries);
	cr_expect(child > 20, "the fork child's load of the stored address: %d", child);
	cr_expect(other > 0, "observers on agents without operations too: %d", other);
	cr_expect(twice > 5 && neighbours > 5, "load pairs: one page %d, two pages %d", twice,
		  neighbours);
}

Test(mutator, tlb_mode_flips_and_nothing_else)
{
	struct scenario s, m;
	uint64_t rng = 5;
	load(&s, zap);
	m = s;
	apply(&m, MUT_TLB_MODE, NULL, &rng);
	cr_assert(m.tlb_broadcast != s.tlb_broadcast);
	m.tlb_broadcast = s.tlb_broadcast;
	cr_assert(scn_equal(&m, &s));
}

Test(mutator, crossover_takes_the_other_schedule_or_operations)
{
	struct scenario s, o, m;
	uint64_t rng = 3;
	bool schedule = false, ops = false;
	load(&s, zap);
	scn_init(&o);
	o.ops_count = 1;
	o.ops[0] = (struct scn_op){.kind = SCN_OP_RECLAIM, .agent = 1};
	o.preempt_count = 1;
	o.preempt[0] = (struct scn_preempt){.step = 5, .target = 1};
	for (int n = 0; n < 100; n++) {
		m = s;
		apply(&m, MUT_CROSSOVER, &o, &rng);
		schedule |= m.preempt_count == 1 && m.preempt[0].step == 5;
		for (int i = 0; i < m.ops_count; i++)
			ops |= m.ops[i].kind == SCN_OP_RECLAIM;
	}
	cr_expect(schedule && ops);
	m = s;
	cr_expect(!mut_apply(&m, MUT_CROSSOVER, NULL, &rng), "no other input, no crossover");
}

/*
 * Chains of mut_mutate from the empty input: every output fits, decodes to a
 * scenario that prints and parses back, is a function of (input, seed), and the
 * chains build operations and schedules.
 */
Test(mutator, chains_from_empty_input)
{
	static uint8_t buf[SCN_ENCODED_MAX], again[SCN_ENCODED_MAX];
	static struct scenario s, back;
	char err[256];
	int max_ops = 0, max_preempts = 0;
	for (uint64_t chain = 0; chain < 40; chain++) {
		size_t n = 0;
		for (int step = 0; step < 200; step++) {
			uint64_t seed = chain * 1000 + (uint64_t)step;
			size_t max = step % 50 == 49 ? 64 : sizeof(buf);
			memcpy(again, buf, n);
			size_t m = mut_mutate(buf, n, max, seed, NULL, 0, NULL);
			size_t m2 = mut_mutate(again, n, max, seed, NULL, 0, NULL);
			cr_assert(m == m2 && !memcmp(buf, again, m), "not deterministic");
			cr_assert_leq(m, max);
			n = m;
			scn_decode(&s, buf, n);
			FILE *f = tmpfile();
			scn_print(&s, f);
			long len = ftell(f);
			char *text = malloc((size_t)len + 1);
			rewind(f);
			cr_assert_eq(fread(text, 1, (size_t)len, f), (size_t)len);
			fclose(f);
			cr_assert(scn_parse(&back, text, (size_t)len, "m", err, sizeof(err)), "%s",
				  err);
			cr_assert(scn_equal(&s, &back));
			free(text);
			max_ops = s.ops_count > max_ops ? s.ops_count : max_ops;
			max_preempts =
			    s.preempt_count > max_preempts ? s.preempt_count : max_preempts;
		}
	}
	cr_expect_geq(max_ops, 8);
	cr_expect_geq(max_preempts, 4);
}

/*
 * Family restarts: one mutation in mut_family_share starts from a seed family
 * instead of the input.  Two families, each with a marker value no mutation of
 * the input can produce, in a directory that also holds what is no seed (a text
 * that does not parse, a file without SCN_MAGIC, a subdirectory).
 */
static const char family_a[] = "mmfuzz-sched 1\n"
			       "setup\n"
			       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
			       "  CPU0 P0 store 0x0 = 0x5eed1\n"
			       "agents\n"
			       "  CPU0 P0 load 0x0\n";
static const char family_b[] = "mmfuzz-sched 1\n"
			       "setup\n"
			       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
			       "  CPU0 P0 store 0x1000 = 0x5eed2\n"
			       "agents\n"
			       "  CPU1 P0 madvise 0x0 pages=2 dontneed\n";

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* Which family's marker the scenario in @buf holds: 1, 2, or 0 for neither. */
static int marker(const uint8_t *buf, size_t n)
{
	static struct scenario s;
	int found = 0;
	scn_decode(&s, buf, n);
	for (int i = 0; i < s.setup_count + s.ops_count; i++) {
		const struct scn_op *op =
		    i < s.setup_count ? &s.setup[i] : &s.ops[i - s.setup_count];
		if (op->value == 0x5eed1 || op->value == 0x5eed2)
			found |= op->value == 0x5eed1 ? 1 : 2;
	}
	return found;
}

Test(mutator, family_restarts_share_the_mutations_between_seed_families)
{
	char dir[] = "/tmp/mmfuzz-families-XXXXXX", err[640], sub[600];
	cr_assert(mkdtemp(dir));
	static struct scenario s;
	static uint8_t bin[SCN_ENCODED_MAX], buf[SCN_ENCODED_MAX], input[SCN_ENCODED_MAX];
	write_file(dir, "a.sched", family_a, strlen(family_a));
	load(&s, family_b);
	size_t n = scn_encode(&s, bin, sizeof(bin));
	write_file(dir, "b.bin", bin, n);
	write_file(dir, "broken.sched", "mmfuzz-sched 1\nsetup\n  CPU0 P0 bogus\n", 36);
	write_file(dir, "notes.txt", "not a scenario\n", 15);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	cr_assert_eq(mkdir(sub, 0777), 0);
	cr_assert_eq(mut_families_load(dir, err, sizeof(err)), 2, "a.sched and b.bin only");

	load(&s, zap);
	size_t in = scn_encode(&s, input, sizeof(input));
	int counts[4] = {0}, restarts = 0;
	for (uint32_t share = 0; share <= 4; share += 4) {
		mut_family_share = share;
		memset(counts, 0, sizeof(counts));
		for (uint64_t seed = 0; seed < 400; seed++) {
			memcpy(buf, input, in);
			size_t m = mut_mutate(buf, in, sizeof(buf), seed, NULL, 0, NULL);
			counts[marker(buf, m)]++;
			/* a function of (input, seed, families) */
			memcpy(bin, input, in);
			size_t m2 = mut_mutate(bin, in, sizeof(bin), seed, NULL, 0, NULL);
			cr_assert(m == m2 && !memcmp(buf, bin, m));
		}
		cr_expect_eq(counts[3], 0, "never both families at once");
		if (share == 0) {
			cr_expect_eq(counts[1] + counts[2], 0, "share 0: no restart");
			continue;
		}
		restarts = counts[1] + counts[2];
		/* 1 in 4 of 400 is 100; a mutation may change a marker now and then */
		cr_expect(restarts >= 70 && restarts <= 130, "%d restarts of 400 at share 4",
			  restarts);
		cr_expect(counts[1] >= 30 && counts[2] >= 30, "a: %d, b: %d", counts[1], counts[2]);
	}

	/* without families, the output is what it was before them, whatever the share */
	mut_families_clear();
	mut_family_share = 1;
	for (uint64_t seed = 0; seed < 50; seed++) {
		memcpy(buf, input, in);
		size_t m = mut_mutate(buf, in, sizeof(buf), seed, NULL, 0, NULL);
		mut_family_share = 0;
		memcpy(bin, input, in);
		size_t m2 = mut_mutate(bin, in, sizeof(bin), seed, NULL, 0, NULL);
		mut_family_share = 1;
		cr_assert(m == m2 && !memcmp(buf, bin, m));
	}

	/* errors: a directory that is not there, a share that is not a number */
	cr_expect_eq(mut_families_load("/nonexistent/mmfuzz", err, sizeof(err)), -1);
	cr_expect(strstr(err, "/nonexistent/mmfuzz: No such file or directory"), "%s", err);
	setenv("MMFUZZ_FAMILY_SHARE", "8x", 1);
	cr_expect(!mut_families_from_env(err, sizeof(err)));
	cr_expect(strstr(err, "MMFUZZ_FAMILY_SHARE: 8x"), "%s", err);
	setenv("MMFUZZ_FAMILY_SHARE", "8", 1);
	setenv("MMFUZZ_FAMILIES", dir, 1);
	cr_expect(mut_families_from_env(err, sizeof(err)), "%s", err);
	cr_expect_eq(mut_family_share, 8);
	cr_expect_eq(mut_families_count(), 2);
	mut_families_clear();

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}
