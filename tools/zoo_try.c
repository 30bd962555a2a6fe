/* SPDX-License-Identifier: MIT */
/*
 * One try of the zoo: one strategy, one knob (or a family with every knob off),
 * one seed, one time budget.  Runs in a child process of the zoo, so that a
 * simulator assertion or a stuck engine costs one try, not the benchmark.
 *
 * In-process strategies (random, PCT, DFS) call explore() with the budget; the
 * failing run's schedule is replayed with every knob off, which must be clean.
 *
 * Engines run their real binaries (build/fuzz/mm_fuzzer, afl-fuzz over
 * build/afl/mm_fuzzer_afl with the structure-aware mutator), one process each,
 * seeded with the scenario(s) in binary form (a knob's one scenario salted by
 * the try's seed: each seed its own first search), knobs through MMFUZZ_KNOBS:
 *   libFuzzer  stops at its first crash; runs = stat::number_of_executed_units
 *              (-print_final_stats), seconds = start to exit (crash stack traces
 *              are not symbolized: that took ~70 ms, more than many finds).
 *   AFL++      AFL_BENCH_UNTIL_CRASH; runs = execs: in the first crash's file name,
 *              seconds = start until the zoo saw that file (polled every 20 ms).
 *              A seed that crashes in the dry run is a finding there: runs = the
 *              dry-run attempts up to it (a lower bound: calibration repeats).
 * Runs are model runs, counted by the harness itself across the engine's processes
 * in WORK/tNNNN/runs (MMFUZZ_RUNS_FILE): up to and including the run that found
 * the finding, or all of them.  An engine execution is the input's own schedule and
 * then the harness's schedule search (a budget that follows novelty), or, for the
 * "-fixed" strategies (MMFUZZ_SCHEDULES=fixed), MMFUZZ_RANDOM_RUNS=2 random
 * schedules: then, without the counter file, runs are ZOO_ENGINE_RUNS per
 * execution, the finding's counted up to the run that found it (the harness says
 * which).  MMFUZZ_PAGES covers the seeds (set_pages()).  Seeded from the corpus,
 * MMFUZZ_FAMILIES points at the seeds, as a campaign does (family restarts,
 * fuzz/mutator.h); from one scenario, it is unset.
 * The harness's report (the scenario as it ran) is replayed in-process: with the
 * knob it must find, without it (every knob off) it must be clean.
 *
 * Leaves out: CPU pinning (AFL_NO_AFFINITY; the machine is shared).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/oracle.h"
#include "exec.h"
#include "explore.h"
#include "engine.h"
#include "zoo.h"

#define ENGINE_GRACE_SECONDS 10.0 /* engine start and stop on top of the budget */
#define POLL_US		     20000

__attribute__((format(printf, 2, 3))) static void note(struct zoo_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

/* printf into a ZOO_PATH_BYTES buffer; a path that does not fit is cut (and fails). */
__attribute__((format(printf, 2, 3))) static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, ZOO_PATH_BYTES, fmt, ap);
	va_end(ap);
}

/* ---- replaying a finding --------------------------------------------------------- */

/* Replay @s under its own schedule with @knobs; true on a finding (oracle in @r). */
static bool replay_finds(const struct scenario *s, uint64_t knobs, struct zoo_result *r)
{
	static struct sched_directed d;
	static struct exec_result res;
	char err[256];
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = knobs;
	if (!exec_directed(s, &d, err, sizeof(err)))
		exec_directed_lenient(s, &d);
	exec_run(s, &d.base, &o, &res);
	if (res.finding && r)
		snprintf(r->oracle, sizeof(r->oracle), "%s", res.f.oracle);
	return res.finding;
}

/*
 * A finding @s (its schedule as it ran) with @knobs: with the knob on it must not
 * replay with every knob off (else SPURIOUS: a model bug).  A finding that went
 * wrong that way, or any finding of the clean part, is kept as DIR/finding.sched.
 */
static void judge_finding(const char *dir, struct scenario *s, uint64_t knobs, struct zoo_result *r)
{
	struct zoo_result off = {0};
	if (knobs && replay_finds(s, 0, &off)) {
		r->status = ZOO_SPURIOUS;
		note(r, "finds %s with every knob off too", off.oracle);
	}
	if (knobs && r->status != ZOO_SPURIOUS)
		return;
	char path[ZOO_PATH_BYTES];
	pathf(path, "%s/finding.sched", dir);
	s->expect = mm_oracle_by_name(r->oracle);
	s->expect_site[0] = 0;
	FILE *f = (mkdir(dir, 0777) == 0 || errno == EEXIST) ? fopen(path, "w") : NULL;
	if (f) {
		scn_print(s, f);
		fclose(f);
	}
	size_t n = strlen(r->note);
	snprintf(r->note + n, sizeof(r->note) - n, "%s%s %s", n ? "; " : "",
		 f ? "saved:" : "could not save", path);
}

/* ---- in-process strategies ----------------------------------------------------------- */

static void run_in_process(const struct zoo_plan *p, const struct zoo_strategy *st,
			   const struct zoo_try *t, const struct scenario *s, uint64_t knobs,
			   const char *dir, struct zoo_result *r)
{
	struct explore_config c;
	explore_config_default(&c);
	c.strategy = st->engine == ZOO_PCT   ? EXPLORE_PCT
		     : st->engine == ZOO_DFS ? EXPLORE_DFS
					     : EXPLORE_RANDOM;
	c.pct_depth = st->param;
	c.dfs_bound = st->param;
	c.seed = t->seed;
	c.runs_max = UINT64_MAX;
	c.exec.no_fingerprint = true; /* runs to a finding: no digest */
	c.seconds_max = p->seconds;
	c.exec.knobs = knobs;
	static struct explore_result er;
	double t0 = explore_now();
	explore(s, &c, &er);
	r->seconds = explore_now() - t0;
	r->runs = er.runs;
	if (!er.found) {
		r->status = er.exhausted ? ZOO_EXHAUSTED : ZOO_NONE;
		return;
	}
	r->status = ZOO_FOUND;
	snprintf(r->oracle, sizeof(r->oracle), "%s", er.first.f.oracle);
	if (!er.schedule_complete) {
		note(r, "over %d preemptions: not replayed with the knob off", SCN_PREEMPT_MAX);
		return;
	}
	judge_finding(dir, &er.schedule, knobs, r);
}

/* ---- engines ----------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void zoo_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * @z in binary form as DIR/NAME.bin; with @salt, salted (scn_encode_salted: the
 * same scenario, another input hash).
 */
static bool write_seed(const char *dir, const struct zoo_scenario *z, uint64_t salt)
{
	static uint8_t buf[SCN_ENCODED_MAX + SCN_SALT_BYTES];
	char path[ZOO_PATH_BYTES];
	pathf(path, "%s/%s.bin", dir, z->name);
	size_t n = salt ? scn_encode_salted(&z->s, salt, buf, sizeof(buf))
			: scn_encode(&z->s, buf, sizeof(buf));
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = n && fwrite(buf, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

/* Start @argv with stdout and stderr to @log, in this try's process group. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = freopen(log, "w", stdout);
		if (!f || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Stop an engine: SIGINT (it writes its stats), SIGKILL if it lingers. */
static void stop(pid_t pid)
{
	kill(pid, SIGINT);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(POLL_US);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The first line of @path that contains @needle, into @line; false if none. */
static bool log_line(const char *path, const char *needle, char *line, size_t line_bytes)
{
	FILE *f = fopen(path, "r");
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(line, (int)line_bytes, f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	if (found)
		line[strcspn(line, "\r\n")] = 0;
	return found;
}

/* The number after the last occurrence of @key in @path, or 0. */
static uint64_t log_number(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	uint64_t v = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *k = strstr(line, key);
		if (k)
			v = strtoull(k + strlen(key), NULL, 10);
	}
	fclose(f);
	return v;
}

/*
 * Model runs up to the finding: the engine's @execs (the finding's included) less
 * the runs the finding's own input did not get to, when the report says which of
 * its ZOO_ENGINE_RUNS runs found it.
 */
static uint64_t engine_runs(uint64_t execs, const char *log)
{
	uint64_t run = log_number(log, "==mmfuzz== found by run ");
	if (!execs || !run || run > ZOO_ENGINE_RUNS)
		return ZOO_ENGINE_RUNS * execs;
	return ZOO_ENGINE_RUNS * (execs - 1) + run;
}

/*
 * The harness's count of model runs in @dir/runs (MMFUZZ_RUNS_FILE): up to the
 * first finding when there was one, else all; false when there is no count.
 */
static bool runs_counted(const char *dir, uint64_t *runs)
{
	char path[ZOO_PATH_BYTES];
	uint64_t c[2] = {0, 0};
	pathf(path, "%s/runs", dir);
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool ok = fread(c, sizeof(c), 1, f) == 1;
	fclose(f);
	if (ok)
		*runs = c[1] ? c[1] : c[0];
	return ok;
}

/* The harness's report in @log: replay it (knob on: must find; off: must be clean). */
static void judge_report(const char *dir, const char *log, uint64_t knobs, struct zoo_result *r)
{
	static struct scenario s;
	char err[256];
	if (!engine_report_scenario(log, &s, err, sizeof(err))) {
		r->status = ZOO_NOREPRO;
		char line[200];
		if (log_line(log, "simulator assertion", line, sizeof(line)) ||
		    log_line(log, "ERROR", line, sizeof(line)))
			note(r, "%s", line);
		else
			note(r, "%s", err);
		return;
	}
	if (!replay_finds(&s, knobs, r)) {
		r->status = ZOO_NOREPRO;
		note(r, "the reported scenario replays clean");
		return;
	}
	r->status = ZOO_FOUND;
	judge_finding(dir, &s, knobs, r);
}

static void run_libfuzzer(const struct zoo_plan *p, const char *dir, const char *seeds,
			  uint64_t seed, uint64_t knobs, struct zoo_result *r)
{
	char bin[ZOO_PATH_BYTES], corpus[ZOO_PATH_BYTES], log[ZOO_PATH_BYTES];
	char a[4][ZOO_PATH_BYTES];
	pathf(bin, "%s/fuzz/mm_fuzzer", p->bindir);
	pathf(corpus, "%s/corpus", dir);
	pathf(log, "%s/log", dir);
	mkdir(corpus, 0777);
	pathf(a[0], "-seed=%llu", (unsigned long long)seed);
	pathf(a[1], "-max_total_time=%d", (int)ceil(p->seconds));
	pathf(a[2], "-dict=%s/fuzz/mm_fuzzer.dict", p->bindir);
	pathf(a[3], "-artifact_prefix=%s/", dir);
	char *argv[] = {bin,	a[0],	       a[1], a[2], a[3], "-print_final_stats=1",
			corpus, (char *)seeds, NULL};
	/* its crash stack trace is symbolized in ~70 ms: not fuzzing, and not needed */
	setenv("UBSAN_OPTIONS", "symbolize=0", 1);
	double t0 = explore_now(), deadline = t0 + p->seconds + ENGINE_GRACE_SECONDS;
	pid_t pid = spawn(argv, log);
	while (waitpid(pid, NULL, WNOHANG) != pid) {
		if (explore_now() > deadline) {
			stop(pid);
			break;
		}
		usleep(POLL_US);
	}
	r->seconds = explore_now() - t0;
	if (!runs_counted(dir, &r->runs))
		r->runs = engine_runs(log_number(log, "stat::number_of_executed_units:"), log);
	char line[200];
	if (log_line(log, "==mmfuzz== FINDING", line, sizeof(line)))
		judge_report(dir, log, knobs, r);
	else if (log_line(log, "deadly signal", line, sizeof(line)) ||
		 log_line(log, "ERROR: libFuzzer", line, sizeof(line)))
		judge_report(dir, log, knobs, r); /* no report: NOREPRO with the engine's words */
	else if (!log_line(log, "Done ", line, sizeof(line)) && !r->runs) {
		r->status = ZOO_ERROR;
		if (!log_line(log, "cannot", r->note, sizeof(r->note)))
			note(r, "libFuzzer did not run (see %s)", log);
	}
}

/* AFL++ state while it runs: the first crash file, or a seed crashing in the dry run. */
struct afl_watch {
	char crash[ZOO_PATH_BYTES]; /* the input that crashed, "" while none */
	uint64_t execs;
};

static void afl_first_crash(const char *out, struct afl_watch *w)
{
	char dir[ZOO_PATH_BYTES];
	pathf(dir, "%s/default/crashes", out);
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (strncmp(e->d_name, "id:000000", 9))
			continue;
		pathf(w->crash, "%s/%s", dir, e->d_name);
		const char *x = strstr(e->d_name, "execs:");
		w->execs = x ? strtoull(x + 6, NULL, 10) : 0;
	}
	closedir(d);
}

/* "Test case 'NAME' results in a crash": NAME is in the queue. */
static void afl_dry_run_crash(const char *out, const char *log, struct afl_watch *w)
{
	char line[ZOO_PATH_BYTES / 2];
	if (!log_line(log, "results in a crash", line, sizeof(line)))
		return;
	char *q = strchr(line, '\''), *end = q ? strchr(q + 1, '\'') : NULL;
	if (!end)
		return;
	*end = 0;
	pathf(w->crash, "%s/default/queue/%s", out, q + 1);
	/* the attempts up to the crashing one */
	FILE *f = fopen(log, "r");
	char l[1024];
	while (f && fgets(l, sizeof(l), f) && !strstr(l, "results in a crash"))
		w->execs += strstr(l, "Attempting dry run") != NULL;
	if (f)
		fclose(f);
}

static void run_afl(const struct zoo_plan *p, const char *dir, const char *seeds, uint64_t seed,
		    uint64_t knobs, struct zoo_result *r)
{
	char bin[ZOO_PATH_BYTES], out[ZOO_PATH_BYTES], log[ZOO_PATH_BYTES], mut[ZOO_PATH_BYTES];
	char dict[ZOO_PATH_BYTES], s[32], v[32];
	pathf(bin, "%s/afl/mm_fuzzer_afl", p->bindir);
	pathf(mut, "%s/afl/mmfuzz_mutator.so", p->bindir);
	pathf(dict, "%s/afl/mm_fuzzer.dict", p->bindir);
	pathf(out, "%s/afl", dir);
	pathf(log, "%s/log", dir);
	snprintf(s, sizeof(s), "%llu", (unsigned long long)seed);
	snprintf(v, sizeof(v), "%d", (int)ceil(p->seconds));
	char hints[ZOO_PATH_BYTES];
	pathf(hints, "%s/hints", dir);
	engine_afl_environment(mut, hints);
	setenv("AFL_BENCH_UNTIL_CRASH", "1", 1); /* stop at the first crash */
	/* -Z: sequential queue selection, as `mmfuzz campaign` (see README) */
	char *argv[] = {"afl-fuzz", "-Z", "-s",		 s,    "-V", v,	   "-t", "2000", "-x",
			dict,	    "-i", (char *)seeds, "-o", out,  "--", bin,	 NULL};
	double t0 = explore_now(), deadline = t0 + p->seconds + ENGINE_GRACE_SECONDS;
	struct afl_watch w = {0};
	pid_t pid = spawn(argv, log);
	bool exited = false;
	while (!w.crash[0] && !exited && explore_now() < deadline) {
		usleep(POLL_US);
		exited = waitpid(pid, NULL, WNOHANG) == pid;
		afl_first_crash(out, &w);
		if (!w.crash[0])
			afl_dry_run_crash(out, log, &w);
	}
	r->seconds = explore_now() - t0;
	if (!exited)
		stop(pid);
	if (!w.crash[0]) {
		char stats[ZOO_PATH_BYTES];
		pathf(stats, "%s/default/fuzzer_stats", out);
		if (!runs_counted(dir, &r->runs))
			r->runs = ZOO_ENGINE_RUNS * log_number(stats, "execs_done        : ");
		char line[200];
		if (!r->runs && log_line(log, "PROGRAM ABORT", line, sizeof(line))) {
			r->status = ZOO_ERROR;
			note(r, "afl-fuzz: %s", line);
		}
		return;
	}
	bool counted = runs_counted(dir, &r->runs); /* before the replay adds to it */
	unsetenv("MMFUZZ_RUNS_FILE");
	/* the harness outside afl-fuzz runs the input once and prints its report */
	char replay[ZOO_PATH_BYTES];
	pathf(replay, "%s/replay.log", dir);
	char *rargv[] = {bin, w.crash, NULL};
	pid = spawn(rargv, replay);
	waitpid(pid, NULL, 0);
	if (!counted)
		r->runs = engine_runs(w.execs, replay);
	judge_report(dir, replay, knobs, r);
}

/* ---- one try ----------------------------------------------------------------------- */

/* One past the highest page @s touches (mappings, their pages, mremap targets). */
static uint32_t pages_used(const struct scenario *s)
{
	uint32_t end = 0;
	for (int i = 0; i < s->setup_count + s->ops_count; i++) {
		const struct scn_op *op =
		    i < s->setup_count ? &s->setup[i] : &s->ops[i - s->setup_count];
		uint32_t pages = op->pages ? op->pages : 1, first = op->addr / SCN_PAGE_SIZE;
		if (op->kind == SCN_OP_MREMAP && op->value / SCN_PAGE_SIZE + pages > end)
			end = (uint32_t)(op->value / SCN_PAGE_SIZE) + pages;
		end = first + pages > end ? first + pages : end;
	}
	return end;
}

/*
 * The engines' harness folds every address into its first MMFUZZ_PAGES pages
 * (default 4: races need collisions).  A seed that needs more (a PMD range for a
 * THP or a collapse, an mremap target) would be folded out of shape before its
 * first run, so the pages cover every seed: at least the default, at most the
 * whole address space.  --pages N overrides it.
 */
static void set_pages(const struct zoo_plan *p, const struct zoo_scenario *seeds, int count)
{
	uint32_t pages = p->pages ? (uint32_t)p->pages : 4;
	char v[16];
	for (int i = 0; i < count && !p->pages; i++)
		pages = pages_used(&seeds[i].s) > pages ? pages_used(&seeds[i].s) : pages;
	snprintf(v, sizeof(v), "%u", pages < SCN_VA_PAGES ? pages : SCN_VA_PAGES);
	setenv("MMFUZZ_PAGES", v, 1);
}

void zoo_try_run(const struct zoo_plan *p, const struct zoo_try *t, int index, struct zoo_result *r)
{
	const struct zoo_strategy *st = &p->strategies[t->strategy];
	const struct zoo_scenario *z =
	    t->part == ZOO_PART_KNOB ? &p->regression[t->subject] : &p->family[t->subject];
	/* the knob, and the others its regression's race needs (see add_regression) */
	uint64_t knobs = t->part == ZOO_PART_KNOB ? KNOB_BIT(p->knobs[t->subject]) | z->s.knobs : 0;
	char dir[ZOO_PATH_BYTES], seeds[ZOO_PATH_BYTES], kn[4 * ZOO_NAME_BYTES];
	pathf(dir, "%s/t%04d", p->workdir, index);
	memset(r, 0, sizeof(*r));
	if (!zoo_strategy_is_engine(st)) {
		if (!z->name[0]) {
			r->status = ZOO_NO_SCENARIO;
			return;
		}
		run_in_process(p, st, t, &z->s, knobs, dir, r);
		return;
	}
	pathf(seeds, "%s/seeds", dir);
	if (mkdir(dir, 0777) || mkdir(seeds, 0777)) {
		r->status = ZOO_ERROR;
		note(r, "cannot create %s: %s", seeds, strerror(errno));
		return;
	}
	bool ok = true;
	if (t->part == ZOO_PART_KNOB && (p->fuzz_from_corpus || !z->name[0])) {
		for (int i = 0; i < p->families_count; i++)
			ok &= write_seed(seeds, &p->family[i], 0);
		set_pages(p, p->family, p->families_count);
		setenv("MMFUZZ_FAMILIES", seeds, 1); /* as a campaign: family restarts */
	} else {
		/*
		 * Salted by the seed: the harness's search of an input is a function
		 * of its bytes, so one file would give every seed the same first
		 * search and the median would be one sample, not N.
		 */
		ok = write_seed(seeds, z, t->seed);
		set_pages(p, z, 1);
		unsetenv("MMFUZZ_FAMILIES"); /* one scenario: nothing to share out */
	}
	if (!ok) {
		r->status = ZOO_ERROR;
		note(r, "cannot write the seeds in %s", seeds);
		return;
	}
	size_t n = 0;
	kn[0] = 0;
	for (int k = 0; k < KNOB_COUNT; k++)
		if (knobs >> k & 1u)
			n += (size_t)snprintf(kn + n, n < sizeof(kn) ? sizeof(kn) - n : 0, "%s%s",
					      n ? "," : "", mm_knob_table[k].name);
	SCHED_ASSERT(n < sizeof(kn));
	setenv("MMFUZZ_KNOBS", kn, 1);
	setenv("MMFUZZ_RANDOM_RUNS", "2", 1); /* ZOO_ENGINE_RUNS - 1, when fixed */
	setenv("MMFUZZ_SCHEDULES", st->param ? "fixed" : "search", 1);
	char runs_file[ZOO_PATH_BYTES];
	pathf(runs_file, "%s/runs", dir);
	setenv("MMFUZZ_RUNS_FILE", runs_file, 1);
	if (st->engine == ZOO_LIBFUZZER)
		run_libfuzzer(p, dir, seeds, t->seed, knobs, r);
	else
		run_afl(p, dir, seeds, t->seed, knobs, r);
	struct zoo_try done = *t;
	done.r = *r;
	done.done = true;
	if (!p->keep && !zoo_try_went_wrong(&done))
		zoo_remove_tree(dir); /* else its logs and the finding stay for a look */
}
