/* SPDX-License-Identifier: MIT */
/*
 * The fuzz target (libFuzzer; AFL++ through fuzz/afl_driver.c or libAFLDriver.a):
 * the input is a binary scenario+schedule: the header SCN_MAGIC, then any byte
 * string (scn_decode is total, so every such input runs).  An input without the
 * header is rejected (-1: libFuzzer never keeps it; AFL++ sees a clean run) rather
 * than decoded as it is: then every corpus entry and every crash file is a file
 * `mmfuzz replay`, `decode` and `minimize` recognise as a scenario, and the mutator
 * (and its byte mutation, on the body only) never produces one without it.  Knobs come from the
 * environment (MMFUZZ_KNOBS=a,b), not from the input, so one corpus serves every knob.  A finding
 * prints the oracle, the finding and the scenario as a .sched text, then aborts so that libFuzzer
 * keeps the input as a crash.
 *
 * Feedback besides SanCov edge coverage: the interleaving features of
 * scheduler/feedback.h (context-switch pairs, reads-from pairs on objects, oracle
 * precursors the model reports), folded into EXTRA_COUNTERS counters.  Two
 * executions that cover the same code but interleave it differently then look
 * different to the fuzzer, which is what lets it walk towards a race.  Only the
 * features of the input's own schedule count, not those of the searched schedules:
 * those change with every byte of the input, so nearly every mutant would look new
 * and the corpus would fill with lottery tickets (the search keeps its own record
 * of novelty, and hands a schedule that found something to the mutator instead).
 * A feature counts once per input.
 * MMFUZZ_FEEDBACK=switch,rf,precursor (default all; "none": code coverage only)
 * picks them, for comparison.  libFuzzer reads the counters from its
 * extra-counters section; under AFL++ (built with afl-cc) they are guards
 * registered with the coverage runtime.
 *
 * Races need collisions: the decoder spreads addresses over 64 pages, so the
 * harness folds every address into the first focus_pages pages (MMFUZZ_PAGES,
 * default 4) before running (fuzz/fold.h; an mremap target off its own source;
 * an operation on a whole aligned PMD onto the first PMD, whole; a page in a PMD
 * that such an operation covers keeps its offset in the PMD, so a THP family's
 * subpages stay apart); the scenario it reports is the folded one, and folding it
 * again changes nothing.  MMFUZZ_FOLD=flat folds every page but a whole-PMD
 * operation's into the focus pages, as before (for comparison).
 *
 * Each input runs its own directed schedule first, then a search of its scenario's
 * schedules (fuzz/schedule_search.h): a budget of 2-16 schedules that follows
 * novelty (a scenario never seen gets 16, each search of it without a new
 * interleaving feature halves the next), aimed at the reads-from pairs of the own
 * run (RFF-style) every other schedule, PCT d=2-3 and random in between, all
 * seeded from the input's hash; a schedule that brought a new feature goes to the
 * mutator, which makes it an input's own schedule (under AFL++, whose mutator
 * runs in afl-fuzz's process, through the file MMFUZZ_HINTS_FILE names: see
 * search_hints_share()).  Inputs of a family that has
 * long brought nothing new while others do are run only now and then (rejected
 * otherwise, before any model run).  MMFUZZ_SCHEDULES=fixed (or MMFUZZ_RANDOM_RUNS
 * without MMFUZZ_SCHEDULES) runs instead MMFUZZ_RANDOM_RUNS (default 2) random
 * schedules, as before the search (for comparison).  MMFUZZ_SEARCH_TALLY=N (a
 * measurement, bench/search-kinds.sh) runs N schedules of each input's search
 * whatever the budget, reports no finding and prints for its own run and each
 * schedule "==mmfuzz== tally KIND 0|1" (search_schedule_kind(); 1: it found
 * something).  What an input runs is a function of its bytes;
 * the history of the process only decides how many of its schedules run, and a process that never
 * saw the scenario (a replay) runs the most.  A failing run is printed with the
 * schedule it actually took, and MMFUZZ_CRASH_DIR saves that scenario, so the
 * report and the file replay with `mmfuzz replay`.  MMFUZZ_RUNS_FILE=FILE counts
 * model runs across processes (the zoo's runs to a finding).  A run whose setup is
 * the last one seen restores the state after it instead of running it again
 * (exec_options' snapshot: the same execution; MMFUZZ_SNAPSHOT=0 turns it off,
 * for comparison).
 *
 * Mutation: the structure-aware mutator of fuzz/mutator.c (preemptions moved,
 * retargeted, added, removed; operations changed, inserted, deleted, swapped;
 * crossover), with libFuzzer's own byte mutation mixed in now and then.
 * MMFUZZ_FAMILIES=DIR (campaigns pass their seed corpus): one mutation in
 * MMFUZZ_FAMILY_SHARE (default 4) starts from a seed family's own scenario, so
 * no family starves however the corpus grows (fuzz/mutator.h).
 * MMFUZZ_MUTATOR=bytes leaves mutation to libFuzzer alone (for comparison).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/knobs.h"
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "../scheduler/feedback.h"
#include "exec.h"
#include "fold.h"
#include "mutator.h"
#include "scenario.h"
#include "schedule_search.h"

/*
 * One counter per feature hash modulo EXTRA_COUNTERS.  4096 counters filled up:
 * a 30 s run from one scenario kept inputs with 5,303 distinct features, which
 * landed on 3,046 counters, so later features mostly collided with earlier ones
 * and stopped counting as new.  libFuzzer clears and scans the section on every
 * input, 64 KiB of it costs it about a microsecond.  AFL++ maps the counters after
 * the code's ~13k edges and pays for the whole map on every input (the target
 * clears it, afl-fuzz classifies and compares it, and keeps a copy per queue
 * entry): with 16,384 counters it ran 1.4-1.5x the model runs per CPU second of
 * 65,536 (15 s runs from corpus/, three pairs), and the zoo from corpus/ found
 * every knob in the same median runs (the medians' times summing to 81 s, not 93),
 * and the stripped table the same but for one knob's median
 * (bench/zoo-*-afl-counters*.txt).
 */
#if defined(__AFL_COMPILER)
#define EXTRA_COUNTERS 16384
/*
 * AFL++ ignores libFuzzer's extra counters: register our own guards with its
 * coverage runtime before it sets up the map, and bump them after each input,
 * only those an input set (the list of them is bounded: a feature beyond it is
 * dropped, never left set for the next input).
 */
#define TOUCHED_MAX 4096
static uint8_t extra_counters[EXTRA_COUNTERS];
static uint32_t afl_guards[EXTRA_COUNTERS];
static uint32_t touched[TOUCHED_MAX];
static int touched_count;
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
__attribute__((constructor(2))) static void afl_guards_register(void)
{
	__sanitizer_cov_trace_pc_guard_init(afl_guards, afl_guards + EXTRA_COUNTERS);
}
static void counter_set(uint32_t i)
{
	if (extra_counters[i] || touched_count == TOUCHED_MAX)
		return;
	extra_counters[i] = 1;
	touched[touched_count++] = i;
}
static void counters_flush(void)
{
	for (int t = 0; t < touched_count; t++) {
		__sanitizer_cov_trace_pc_guard(&afl_guards[touched[t]]);
		extra_counters[touched[t]] = 0;
	}
	touched_count = 0;
}
#else
#define EXTRA_COUNTERS 65536
__attribute__((
    used, section("__libfuzzer_extra_counters"))) static uint8_t extra_counters[EXTRA_COUNTERS];
static void counter_set(uint32_t i)
{
	extra_counters[i] = 1;
}
static void counters_flush(void)
{
	/* libFuzzer reads (and clears) the section itself */
}
#endif

static uint64_t knobs;
static const char *crash_dir; /* MMFUZZ_CRASH_DIR, see crash_save() */
static uint32_t focus_pages = 4;
static int random_runs = 2;		 /* MMFUZZ_RANDOM_RUNS, with MMFUZZ_SCHEDULES=fixed */
static bool fixed_schedules;		 /* MMFUZZ_SCHEDULES=fixed */
static bool setup_snapshot = true;	 /* MMFUZZ_SNAPSHOT */
static bool bytes_only;			 /* MMFUZZ_MUTATOR=bytes */
static uint32_t feedback = SCHED_FB_ALL; /* MMFUZZ_FEEDBACK */
static int tally;			 /* MMFUZZ_SEARCH_TALLY: schedules to run and count */

static enum fold_mode fold_mode = FOLD_THP; /* MMFUZZ_FOLD */

int LLVMFuzzerInitialize(int *argc, char ***argv);
static void runs_file_open(const char *path);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* libFuzzer's; weak so the harness also links without an engine (bench, replays) */
__attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size,
				 unsigned int seed);

/*
 * libFuzzer's options for this harness, measured side by side (bench/fuzzing.sh for
 * throughput, executions and CPU seconds to a finding from the stripped regression
 * scenarios as bench/feedback.sh runs them; numbers in the README):
 *
 *   -entropic_feature_frequency_threshold=8 (default 255)
 *        entropic power scheduling keeps a per-input frequency for every feature
 *        seen fewer than this many times.  With the 15-20k features of the
 *        interleaving counters nearly every one stays under 255, and that
 *        bookkeeping (UpdateFeatureFrequency, AddRareFeature) took 55% of the
 *        process: the engine ran at 0.11-0.13x of the harness alone.  At 8 it runs
 *        3x faster and still favours inputs with the rarest features.
 *   -use_counters=0 (default 1)
 *        a code edge is a feature once, not once per hit-count bucket.  An input
 *        runs 2-16 schedules, so the model's edges are hit a varying number of
 *        times that says nothing about the interleaving: code coverage made 33k
 *        of the 46k features of 20,000 inputs from corpus/ (from 5.5k edges),
 *        and each new feature costs entropic a pass over the corpus
 *        (AddRareFeature).  Without the buckets: 1.4x model runs per CPU second,
 *        and from corpus/ at 60 s (3 seeds, every knob) the whole table in 89 s
 *        of tries instead of 157 s, 40/40 knobs in every seed both ways
 *        (bench/zoo-corpus-lf-*counters.txt).
 *   Measured and not taken: -entropic=0 (as fast, but the recency-weighted
 *   schedule needed 2-3x the executions and more CPU time to the zap races),
 *   leaving the scheduler out of coverage instrumentation (see the Makefile).
 *
 * They go in front of the command line's own arguments, so an explicit flag still
 * wins (libFuzzer keeps the last occurrence).  Only under libFuzzer
 * (__libfuzzer_is_present): libAFLDriver.a would take them for input files.
 */
static const char *const libfuzzer_defaults[] = {"-entropic_feature_frequency_threshold=8",
						 "-use_counters=0"};
__attribute__((weak)) void __libfuzzer_is_present(void);

static void libfuzzer_options(int *argc, char ***argv)
{
	enum { DEFAULTS = sizeof(libfuzzer_defaults) / sizeof(libfuzzer_defaults[0]) };
	static char **args;
	if (!__libfuzzer_is_present || !argc || !argv || *argc < 1)
		return;
	args = calloc((size_t)*argc + DEFAULTS + 1, sizeof(*args));
	if (!args)
		return;
	args[0] = (*argv)[0];
	for (int i = 0; i < DEFAULTS; i++)
		args[1 + i] = (char *)libfuzzer_defaults[i];
	for (int i = 1; i < *argc; i++)
		args[DEFAULTS + i] = (*argv)[i];
	*argc += DEFAULTS;
	*argv = args; /* libFuzzer keeps it for the whole run (and its -fork children) */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	libfuzzer_options(argc, argv);
	const char *env = getenv("MMFUZZ_KNOBS");
	char err[640];
	if (env && !mm_knobs_parse(env, &knobs, err, sizeof(err))) {
		fprintf(stderr, "MMFUZZ_KNOBS: %s\n", err);
		exit(2);
	}
	const char *runs = getenv("MMFUZZ_RANDOM_RUNS");
	if (runs)
		random_runs = atoi(runs) < 0 ? 0 : atoi(runs) > 64 ? 64 : atoi(runs);
	const char *pages = getenv("MMFUZZ_PAGES");
	if (pages) {
		focus_pages = (uint32_t)strtoul(pages, NULL, 0);
		if (focus_pages < 1 || focus_pages > SCN_VA_PAGES) {
			fprintf(stderr, "MMFUZZ_PAGES: %s is not in 1..%d\n", pages, SCN_VA_PAGES);
			exit(2);
		}
	}
	const char *fold = getenv("MMFUZZ_FOLD");
	if (fold) {
		int m = 0;
		while (m < FOLD_COUNT && strcmp(fold, fold_mode_names[m]))
			m++;
		if (m == FOLD_COUNT) {
			fprintf(stderr, "MMFUZZ_FOLD: %s is not thp or flat\n", fold);
			exit(2);
		}
		fold_mode = (enum fold_mode)m;
	}
	const char *snapshot = getenv("MMFUZZ_SNAPSHOT");
	if (snapshot && strcmp(snapshot, "0") && strcmp(snapshot, "1")) {
		fprintf(stderr, "MMFUZZ_SNAPSHOT: %s is not 0 or 1\n", snapshot);
		exit(2);
	}
	setup_snapshot = !snapshot || !strcmp(snapshot, "1");
	const char *fb = getenv("MMFUZZ_FEEDBACK");
	if (fb && !sched_feedback_parse(fb, &feedback, err, sizeof(err))) {
		fprintf(stderr, "MMFUZZ_FEEDBACK: %s\n", err);
		exit(2);
	}
	mut_pages = focus_pages;
	const char *hints_file = getenv("MMFUZZ_HINTS_FILE");
	if (hints_file && *hints_file && !search_hints_share(hints_file, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	if (!mut_families_from_env(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	const char *mutator = getenv("MMFUZZ_MUTATOR");
	if (mutator && strcmp(mutator, "bytes") && strcmp(mutator, "structure")) {
		fprintf(stderr, "MMFUZZ_MUTATOR: %s is not bytes or structure\n", mutator);
		exit(2);
	}
	bytes_only = mutator && !strcmp(mutator, "bytes");
	const char *schedules = getenv("MMFUZZ_SCHEDULES");
	if (schedules && strcmp(schedules, "fixed") && strcmp(schedules, "search")) {
		fprintf(stderr, "MMFUZZ_SCHEDULES: %s is not fixed or search\n", schedules);
		exit(2);
	}
	/* MMFUZZ_RANDOM_RUNS alone keeps its old meaning: that many random schedules */
	fixed_schedules = schedules ? !strcmp(schedules, "fixed") : runs != NULL;
	mut_schedule_hints = !fixed_schedules && !bytes_only;
	const char *tally_env = getenv("MMFUZZ_SEARCH_TALLY");
	if (tally_env) {
		char *end;
		long v = strtol(tally_env, &end, 10);
		if (!*tally_env || *end || v < 1 || v > 4096) {
			fprintf(stderr, "MMFUZZ_SEARCH_TALLY: %s is not a number in 1..4096\n",
				tally_env);
			exit(2);
		}
		tally = (int)v;
	}
	const char *runs_file = getenv("MMFUZZ_RUNS_FILE");
	if (runs_file && *runs_file)
		runs_file_open(runs_file);
	crash_dir = getenv("MMFUZZ_CRASH_DIR");
	if (crash_dir && !*crash_dir)
		crash_dir = NULL;
	return 0;
}

#if !defined(__AFL_COMPILER) /* AFL++ mutates through fuzz/afl_mutator.c */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	if (!LLVMFuzzerMutate)
		return mut_mutate(data, size, max_size, seed, NULL, 0, NULL);
	if (bytes_only)
		return mut_bytes_body(data, size, max_size, LLVMFuzzerMutate);
	return mut_mutate(data, size, max_size, seed, NULL, 0, LLVMFuzzerMutate);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
	if (bytes_only) {
		/* libFuzzer's own crossover is not callable: take a prefix and a suffix */
		size_t a = size1 / 2, b = size2 - size2 / 2;
		a = a < max_out_size ? a : max_out_size;
		b = b < max_out_size - a ? b : max_out_size - a;
		memcpy(out, data1, a);
		memcpy(out + a, data2 + size2 - b, b);
		return a + b;
	}
	return mut_crossover(data1, size1, data2, size2, out, max_out_size, seed);
}
#endif

/*
 * A feature counts once per input, however often it occurs: hit counts of site
 * pairs would make nearly every input look new and drown the corpus.
 */
static void count_feature(uint32_t feature, void *arg)
{
	(void)arg;
	counter_set(feature % EXTRA_COUNTERS);
}

/*
 * The own run's features into the engine's counters and, when @search (the
 * schedule search runs after it), into the search's novelty set in the same
 * pass: true when one was new there.
 */
static bool interleaving_features(bool search)
{
	if (search)
		return search_novel_features(feedback, count_feature, NULL);
	sched_feedback(feedback, count_feature, NULL);
	return false;
}

/*
 * MMFUZZ_RUNS_FILE=FILE (the zoo): model runs counted across processes (AFL++
 * restarts its persistent target) in a shared 16-byte file: the runs so far, and
 * the runs up to and including the first finding's (0 until one).
 */
struct runs_count {
	uint64_t runs, at_first_finding;
};
static struct runs_count *runs_shared;
static uint64_t process_runs;

static void runs_file_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) ||
	    (st.st_size < (off_t)sizeof(*runs_shared) && ftruncate(fd, sizeof(*runs_shared)))) {
		fprintf(stderr, "MMFUZZ_RUNS_FILE: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	void *m = mmap(NULL, sizeof(*runs_shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "MMFUZZ_RUNS_FILE: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	runs_shared = m;
}

static void run_once(const struct scenario *s, struct sched_policy *p, const struct exec_options *o,
		     struct exec_result *r)
{
	exec_run(s, p, o, r);
	process_runs++;
	if (!runs_shared)
		return;
	runs_shared->runs++;
	if (r->finding && !runs_shared->at_first_finding)
		runs_shared->at_first_finding = runs_shared->runs;
}

/*
 * MMFUZZ_CRASH_DIR=DIR (campaigns): a finding does not abort.  The input is
 * written to DIR/finding-HASH (a temporary name, then renamed: a crash file is
 * complete) and rejected, and the worker goes on: no restart, which re-ran its
 * whole corpus.  At most CRASHES_PER_KEY files per oracle + sites and CRASHES_MAX
 * per process (a knob makes most mutants of a racing input race too).
 */
#define CRASHES_PER_KEY 8
#define CRASHES_MAX	256
static const uint8_t *input_data;
static size_t input_size;

/*
 * True when the finding was saved and the input should be rejected, not aborted on.
 * What is saved is @s, the scenario as it ran, with the schedule it took (the
 * input itself when that is its own schedule): it replays in its first run,
 * whatever the replaying process's schedule search would do.
 */
static bool crash_save(const struct scenario *s, const struct sched_finding *f)
{
	static uint64_t keys[CRASHES_MAX];
	static int count;
	int same = 0;
	if (!crash_dir)
		return false;
	for (int i = 0; i < count; i++)
		same += keys[i] == f->signature;
	if (same >= CRASHES_PER_KEY || count == CRASHES_MAX)
		return true; /* enough of this one: dropped */
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/finding-%016llx", crash_dir,
		 (unsigned long long)XXH3_64bits(input_data, input_size));
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, count);
	static uint8_t ran[SCN_ENCODED_MAX];
	const uint8_t *bytes = input_data;
	size_t n = input_size;
	if (s) {
		n = scn_encode(s, ran, sizeof(ran));
		bytes = ran;
	}
	FILE *file = fopen(tmp, "wb");
	bool ok = n && file && fwrite(bytes, 1, n, file) == n;
	if (file)
		ok &= fclose(file) == 0;
	if (!ok || rename(tmp, path)) {
		fprintf(stderr, "==mmfuzz== cannot write %s: %s\n", tmp, strerror(errno));
		unlink(tmp);
		return false; /* abort: the engine keeps it */
	}
	keys[count++] = f->signature;
	return true;
}

/*
 * @run: which of the input's @of executions found it (1: its own schedule, then
 * the schedule search's).
 */
static void report(struct scenario *s, const struct exec_result *r, int run, int of)
{
	fprintf(stderr, "\n==mmfuzz== FINDING %s at %s: %s\n", r->f.oracle,
		r->f.site ? r->f.site->name : "-", r->f.msg);
	fprintf(stderr, "==mmfuzz== found by run %d of %d of this input\n", run, of);
	fprintf(stderr, "==mmfuzz== model runs of this process: %llu\n",
		(unsigned long long)process_runs);
	fprintf(stderr, "==mmfuzz== scenario (save as .sched and `mmfuzz replay` it):\n");
	s->expect = -1;
	scn_print(s, stderr);
	fprintf(stderr, "==mmfuzz== end of scenario\n");
	counters_flush();
	abort();
}

/*
 * A schedule that found something but took more preemptions than a scenario holds
 * (SCN_PREEMPT_MAX) cannot be written down as it ran.  The finding is never
 * dropped: schedules of the same scenario that fit look for it, and the first that
 * reaches the same finding (its signature) is reported as usual — first the
 * recorded prefixes of the schedule itself (its first SCN_PREEMPT_MAX preemptions,
 * then fewer: the race is often early, and the rest only adds switches), then up to
 * RESCUE_RUNS random and PCT schedules with few switch points, seeded from the
 * input.  When none does, the
 * finding is reported all the same, with the scenario and without the schedule:
 * this harness reproduces it from the input (the search is a function of the input's
 * bytes), `mmfuzz replay` cannot, and a campaign says so and fails.  Returns true
 * when the finding was saved (MMFUZZ_CRASH_DIR) and the input is to be rejected.
 */
#define RESCUE_RUNS 256
static bool overflowed_finding(struct scenario *s, const struct exec_options *o,
			       struct exec_result *r, const struct exec_recorder *over,
			       uint32_t steps, int run, int of)
{
	static struct exec_recorder rec;
	static struct sched_directed prefix;
	static struct scn_preempt took[SCN_PREEMPT_MAX];
	const struct sched_finding want = r->f;
	const uint64_t seed = XXH3_64bits(input_data, input_size);
	memcpy(took, over->preempt, sizeof(took));
	for (int i = 0; i < SCN_PREEMPT_MAX + RESCUE_RUNS; i++) {
		if (i < SCN_PREEMPT_MAX) {
			s->preempt_count = SCN_PREEMPT_MAX - i;
			memcpy(s->preempt, took, sizeof(took));
			exec_directed_lenient(s, &prefix);
			exec_recorder_init(&rec, &prefix.base);
		} else {
			exec_recorder_init(&rec,
					   search_rescue_policy(steps, seed, i - SCN_PREEMPT_MAX));
		}
		run_once(s, &rec.base, o, r);
		rec.base.ops->end(&rec.base);
		if (rec.overflow || !r->finding || r->f.signature != want.signature)
			continue;
		s->preempt_count = rec.count;
		memcpy(s->preempt, rec.preempt, sizeof(rec.preempt));
		if (crash_save(s, &r->f))
			return true;
		fprintf(stderr,
			"==mmfuzz== run %d of %d of this input took more than %d "
			"preemptions; %s reached the same finding\n",
			run, of, SCN_PREEMPT_MAX,
			i < SCN_PREEMPT_MAX ? "a prefix of its schedule" : "a shorter schedule");
		report(s, r, run, of);
	}
	r->finding = true;
	r->f = want;
	if (crash_save(NULL, &want)) {
		fprintf(stderr,
			"==mmfuzz== FINDING %s at %s: %s; its schedule took more than %d "
			"preemptions and no schedule of at most %d reached it again in %d "
			"runs: the input is saved, this harness reproduces it\n",
			want.oracle, want.site ? want.site->name : "-", want.msg, SCN_PREEMPT_MAX,
			SCN_PREEMPT_MAX, SCN_PREEMPT_MAX + RESCUE_RUNS);
		return true;
	}
	fprintf(stderr,
		"==mmfuzz== run %d of %d of this input took more than %d preemptions and "
		"no schedule of at most %d reached the finding again in %d runs: the "
		"scenario below carries no schedule; this harness reproduces the finding "
		"from the input, `mmfuzz replay` cannot\n",
		run, of, SCN_PREEMPT_MAX, SCN_PREEMPT_MAX, SCN_PREEMPT_MAX + RESCUE_RUNS);
	s->preempt_count = 0;
	report(s, r, run, of);
	return false; /* not reached: report() aborts */
}

/* Today's fixed search (MMFUZZ_SCHEDULES=fixed): random_runs random schedules. */
static int search_fixed(struct scenario *s, const struct exec_options *o, struct exec_result *r,
			const uint8_t *data, size_t size, uint32_t steps)
{
	static struct sched_random rnd;
	static struct exec_recorder rec;
	sched_random_init(&rnd, XXH3_64bits(data, size), 8);
	exec_recorder_init(&rec, &rnd.base);
	for (int i = 0; i < random_runs; i++) {
		run_once(s, &rec.base, o, r);
		rec.base.ops->end(&rec.base);
		if (r->finding && rec.overflow) {
			if (overflowed_finding(s, o, r, &rec, steps, 2 + i, 1 + random_runs))
				return -1;
		} else if (r->finding) {
			/* the schedule the random policy took, as directed preemptions */
			s->preempt_count = rec.count;
			memcpy(s->preempt, rec.preempt, sizeof(rec.preempt));
			if (crash_save(s, &r->f))
				return -1;
			report(s, r, 2 + i, 1 + random_runs);
		}
	}
	counters_flush();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scenario s;
	static struct sched_directed d;
	static struct exec_result r;
	static struct exec_recorder rec, own;
	static struct search_aim aims[SEARCH_AIMS_MAX];
	if (!scn_is_binary(data, size))
		return -1; /* not a scenario file (see the top): never kept, never a crash */
	scn_decode(&s, data, size);
	uint64_t input_hash = XXH3_64bits(data, size);
	/* before the fold: the mutator (search_hint_take) sees the input unfolded */
	uint64_t scenario = search_scenario_hash(&s), family = search_family_hash(&s);
	if (!fixed_schedules && !search_family_admits(family, input_hash))
		return -1; /* a stale family's input this time left out (see above) */
	fold_scenario(&s, focus_pages, fold_mode);
	s.knobs = knobs;
	/* the schedule as it runs is the one reported: replay accepts it as it is */
	exec_drop_inapplicable(&s);
	if (!exec_directed(&s, &d, NULL, 0))
		SCHED_ASSERT(!"a preemption left that does not apply");
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = knobs;
	o.snapshot = setup_snapshot;
	o.no_fingerprint = true; /* the features, not the trace's hash, are the feedback */
	int budget = search_budget(scenario);
	exec_recorder_init(&own, &d.base);
	run_once(&s, &own.base, &o, &r);
	uint32_t own_steps = r.steps;
	mut_steps_hint = (mut_steps_hint * 15 + r.steps) / 16; /* where new preemptions land */
	bool novel = interleaving_features(!fixed_schedules);
	input_data = data;
	input_size = size;
	if (tally)
		fprintf(stderr, "==mmfuzz== tally own %d\n", r.finding);
	if (r.finding && !tally) {
		if (crash_save(NULL, &r.f))
			return -1;
		report(&s, &r, 1, 1 + (fixed_schedules ? random_runs : budget));
	}
	if (fixed_schedules)
		return search_fixed(&s, &o, &r, data, size, own_steps);
	/*
	 * The same input again at once (AFL++'s calibration runs a new queue entry 3-8
	 * times; a mutation that changed nothing): its schedules are what they were, so
	 * its search would only repeat itself, and it is no news for the scenario's
	 * budget either.  Only its own schedule runs.
	 */
	static uint64_t last_input_hash;
	bool repeat = input_hash == last_input_hash;
	last_input_hash = input_hash;
	if (repeat) {
		counters_flush();
		return 0;
	}
	int aims_count = own.overflow ? 0 : search_aims(aims, input_hash);
	if (tally)
		budget = tally;
	for (int i = 0; i < budget; i++) {
		struct sched_policy *p = search_policy(&s, own.preempt, own.count, own_steps, aims,
						       aims_count, input_hash, i);
		exec_recorder_init(&rec, p);
		run_once(&s, &rec.base, &o, &r);
		rec.base.ops->end(&rec.base);
		if (tally) {
			fprintf(stderr, "==mmfuzz== tally %s %d\n",
				search_schedule_kind(aims, aims_count, i), r.finding);
			continue;
		}
		if (rec.overflow) {
			if (r.finding &&
			    overflowed_finding(&s, &o, &r, &rec, own_steps, 2 + i, 1 + budget))
				return -1;
			continue;
		}
		if (search_novel_features(feedback, NULL, NULL)) {
			novel = true;
			search_hint_put(scenario, rec.preempt, rec.count);
		}
		if (r.finding) {
			/* the schedule the search took, as directed preemptions */
			s.preempt_count = rec.count;
			memcpy(s.preempt, rec.preempt, sizeof(rec.preempt));
			if (crash_save(&s, &r.f))
				return -1;
			report(&s, &r, 2 + i, 1 + budget);
		}
	}
	search_record(scenario, family, novel);
	counters_flush();
	return 0;
}
