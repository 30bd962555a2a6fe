/* SPDX-License-Identifier: MIT */
/*
 * mmfuzz zoo: for every knob and every strategy, found in k of N seeds, median
 * runs and seconds to the first finding; then every scenario family of corpus/
 * with every knob off, for the same budget per try, which must find nothing.
 *
 * Starting points (README, "The zoo"): in-process strategies (random, PCT, DFS)
 * search the schedules of the knob's regression scenario with its preemptions
 * stripped; the engines (libFuzzer, AFL++; "-fixed": with the harness's two
 * random schedules per input instead of its schedule search) are seeded with that
 * same scenario without its schedule, in binary form, salted by the try's seed
 * (scn_encode_salted: each seed its own input hash, so its own first schedule
 * search), and search scenarios and schedules; with
 * --fuzz-seeds corpus, or for a knob without a regression, with every family of
 * corpus/.  A knob's regression is regressions/KNOB.sched, else the first file
 * (in name order) whose knobs line is exactly that knob.  DFS is deterministic:
 * one try per knob whatever --seeds says; the clean part runs seed 1 only.
 *
 * Every try is a child process (zoo_try.c) with its own process group; --jobs
 * run at once; one that overruns its budget by a minute is killed.  The work
 * directory (engine corpora and logs) is removed unless --keep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "explore.h"
#include "zoo.h"

#define ZOO_JOBS_MAX	       8
#define ZOO_KILL_SECONDS       60.0 /* past its budget, a try is killed */
#define ZOO_PROGRESS_SECONDS   30.0 /* a progress line this often when not on a tty */
#define ZOO_DEFAULT_STRATEGIES "libfuzzer,afl,pct1,pct2,pct3,random,dfs2"

static struct zoo_plan P;
static volatile sig_atomic_t interrupted;

static const char *const status_names[ZOO_STATUS_COUNT] = {
    [ZOO_NONE] = "none",	 [ZOO_FOUND] = "found",	    [ZOO_EXHAUSTED] = "exhausted",
    [ZOO_SPURIOUS] = "spurious", [ZOO_NOREPRO] = "norepro", [ZOO_NO_SCENARIO] = "no-scenario",
    [ZOO_ERROR] = "error",
};

const char *zoo_status_name(enum zoo_status s)
{
	return s < ZOO_STATUS_COUNT ? status_names[s] : "?";
}

const char *zoo_subject_name(const struct zoo_plan *p, enum zoo_part part, int subject)
{
	return part == ZOO_PART_KNOB ? mm_knob_table[p->knobs[subject]].name
				     : p->family[subject].name;
}

bool zoo_try_went_wrong(const struct zoo_try *t)
{
	int s = t->r.status;
	return !t->done || s == ZOO_SPURIOUS || s == ZOO_NOREPRO || s == ZOO_ERROR ||
	       (t->part == ZOO_PART_CLEAN && s == ZOO_FOUND);
}

bool zoo_strategy_is_engine(const struct zoo_strategy *st)
{
	return st->engine == ZOO_LIBFUZZER || st->engine == ZOO_AFL;
}

/* "pct" "3" -> 3; @dflt when there are no digits; -1 when anything else follows. */
static int suffix_number(const char *s, int dflt, int min, int max)
{
	if (!*s)
		return dflt;
	char *end;
	long v = strtol(s, &end, 10);
	return *end || s[0] < '0' || s[0] > '9' || v < min || v > max ? -1 : (int)v;
}

bool zoo_strategy_parse(const char *name, struct zoo_strategy *st)
{
	memset(st, 0, sizeof(*st));
	if (!strcmp(name, "libfuzzer") || !strcmp(name, "afl") || !strcmp(name, "random") ||
	    !strcmp(name, "libfuzzer-fixed") || !strcmp(name, "afl-fixed")) {
		st->engine = name[0] == 'l' ? ZOO_LIBFUZZER : name[0] == 'a' ? ZOO_AFL : ZOO_RANDOM;
		st->param = strstr(name, "-fixed") != NULL;
		snprintf(st->name, sizeof(st->name), "%s", name);
		return true;
	}
	if (!strncmp(name, "pct", 3))
		st->param = suffix_number(name + 3, 3, 1, SCHED_PCT_DEPTH_MAX),
		st->engine = ZOO_PCT;
	else if (!strncmp(name, "dfs", 3))
		st->param = suffix_number(name + 3, 2, 0, 8), st->engine = ZOO_DFS;
	else
		return false;
	snprintf(st->name, sizeof(st->name), "%s%d", st->engine == ZOO_PCT ? "pct" : "dfs",
		 st->param);
	return st->param >= 0;
}

static _Noreturn void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "mmfuzz zoo: error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

/* ---- the plan --------------------------------------------------------------------- */

static int sched_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 6 && !strcmp(e->d_name + n - 6, ".sched");
}

/* Every DIR/ *.sched in name order, through @fn(name, scenario). */
static void scan_scenarios(const char *dir, void (*fn)(const char *name, struct scenario *s))
{
	struct dirent **list;
	int n = scandir(dir, &list, sched_file, alphasort);
	if (n < 0)
		die("cannot read %s", dir);
	for (int i = 0; i < n; i++) {
		static struct scenario s;
		char path[ZOO_PATH_BYTES], err[512], name[ZOO_NAME_BYTES];
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (!scn_load(&s, path, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			exit(2);
		}
		snprintf(name, sizeof(name), "%.*s", (int)strlen(list[i]->d_name) - 6,
			 list[i]->d_name);
		fn(name, &s);
		free(list[i]);
	}
	free(list);
}

/*
 * A knob's scenario: a regression of that knob alone, the one named after it
 * first; or the one named after it when its race also needs other knobs (their
 * tries turn those on too: gupfast-no-pmd-recheck needs collapse-no-ipi-sync).
 */
static void add_regression(const char *name, struct scenario *s)
{
	for (int i = 0; i < P.knobs_count; i++) {
		int k = P.knobs[i];
		struct zoo_scenario *z = &P.regression[i];
		bool named = !strcmp(name, mm_knob_table[k].name);
		bool alone = s->knobs == KNOB_BIT(k);
		if (!(alone || (named && (s->knobs >> k & 1u))) || (z->name[0] && !named))
			continue;
		snprintf(z->name, sizeof(z->name), "%s", name);
		z->s = *s;
		z->s.preempt_count = 0; /* the strategies make their own schedules */
		z->s.expect = -1;
		z->s.expect_site[0] = 0;
	}
}

static void add_family(const char *name, struct scenario *s)
{
	if (P.families_count == ZOO_FAMILIES_MAX)
		die("more than %s families in corpus/", "64");
	struct zoo_scenario *z = &P.family[P.families_count++];
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->s = *s;
	z->s.knobs = 0;
}

/* "--families=a,b": indexes into P.family; NULL: all. */
static void select_families(const char *list)
{
	P.clean_count = 0;
	for (int i = 0; !list && i < P.families_count; i++)
		P.clean[P.clean_count++] = i;
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		int i = 0;
		while (i < P.families_count &&
		       (strlen(P.family[i].name) != len || strncmp(P.family[i].name, p, len)))
			i++;
		if (len && i == P.families_count) {
			char name[ZOO_NAME_BYTES];
			snprintf(name, sizeof(name), "%.*s", (int)len, p);
			die("unknown family '%s' (the .sched files of the corpus directory)", name);
		}
		if (len && P.clean_count == ZOO_FAMILIES_MAX)
			die("more than %s families in --families", "64");
		if (len)
			P.clean[P.clean_count++] = i;
		p += len + (p[len] == ',');
	}
}

static void select_strategies(const char *list)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", list);
	P.strategies_count = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (P.strategies_count == ZOO_STRATEGIES_MAX)
			die("more than %s strategies", "16");
		if (!zoo_strategy_parse(tok, &P.strategies[P.strategies_count++]))
			die("unknown strategy '%s' (libfuzzer[-fixed], afl[-fixed], random, pctD, "
			    "dfsB)",
			    tok);
	}
	if (!P.strategies_count)
		die("no strategy given%s", "");
}

static void add_try(enum zoo_part part, int subject, int strategy, uint64_t seed)
{
	struct zoo_try *t = &P.tries[P.tries_count++];
	memset(t, 0, sizeof(*t));
	t->part = part;
	t->subject = subject;
	t->strategy = strategy;
	t->seed = seed;
}

static void plan_tries(void)
{
	size_t max = (size_t)(P.knobs_count * P.seeds + P.clean_count) * P.strategies_count;
	P.tries = calloc(max ? max : 1, sizeof(*P.tries));
	if (!P.tries)
		die("out of memory for %s tries", "the");
	for (int k = 0; k < P.knobs_count; k++)
		for (int st = 0; st < P.strategies_count; st++) {
			int seeds = P.strategies[st].engine == ZOO_DFS ? 1 : P.seeds;
			for (int seed = 1; seed <= seeds; seed++)
				add_try(ZOO_PART_KNOB, k, st, (uint64_t)seed);
		}
	for (int f = 0; f < P.clean_count; f++)
		for (int st = 0; st < P.strategies_count; st++)
			add_try(ZOO_PART_CLEAN, P.clean[f], st, 1);
}

/* The engines' binaries live next to this executable (build/fuzz, build/afl). */
static void check_engines(const char *self)
{
	ssize_t n = readlink("/proc/self/exe", P.bindir, sizeof(P.bindir) - 1);
	if (n <= 0)
		n = (ssize_t)strlen(strncpy(P.bindir, self, sizeof(P.bindir) - 1));
	P.bindir[n] = 0;
	char *slash = strrchr(P.bindir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(P.bindir, sizeof(P.bindir), ".");
	static const char *const needs[][3] = {
	    {"libfuzzer", "fuzz/mm_fuzzer", "fuzz"}, {"libfuzzer", "fuzz/mm_fuzzer.dict", "fuzz"},
	    {"afl", "afl/mm_fuzzer_afl", "afl"},     {"afl", "afl/mmfuzz_mutator.so", "afl"},
	    {"afl", "afl/mm_fuzzer.dict", "afl"},
	};
	for (int st = 0; st < P.strategies_count; st++)
		for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
			char path[ZOO_PATH_BYTES];
			snprintf(path, sizeof(path), "%s/%s", P.bindir, needs[i][1]);
			if (!strcmp(P.strategies[st].name, needs[i][0]) && access(path, R_OK)) {
				fprintf(stderr,
					"mmfuzz zoo: error: %s is missing: run make %s (or leave "
					"%s out of --strategies)\n",
					path, needs[i][2], needs[i][0]);
				exit(2);
			}
		}
}

/* ---- running the tries ---------------------------------------------------------------- */

struct slot {
	pid_t pid; /* 0: free */
	int fd;	   /* the try's result, through a pipe */
	int index;
	double started;
};

static struct slot slots[ZOO_JOBS_MAX];

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void start_try(struct slot *sl, int index)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(fds[0]);
		struct zoo_result r;
		zoo_try_run(&P, &P.tries[index], index, &r);
		_exit(write(fds[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
	}
	setpgid(pid, pid);
	close(fds[1]);
	*sl = (struct slot){.pid = pid, .fd = fds[0], .index = index, .started = explore_now()};
}

static void finish_try(struct slot *sl, const char *why)
{
	struct zoo_result r;
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(r) && (n = read(sl->fd, (char *)&r + got, sizeof(r) - got)) > 0)
		got += (size_t)n;
	close(sl->fd);
	kill(-sl->pid, SIGKILL); /* whatever the try left behind (an engine's target) */
	int status = 0;
	waitpid(sl->pid, &status, 0);
	if (got != sizeof(r)) {
		memset(&r, 0, sizeof(r));
		r.status = ZOO_ERROR;
		if (why)
			snprintf(r.note, sizeof(r.note), "%s", why);
		else if (WIFSIGNALED(status))
			snprintf(r.note, sizeof(r.note), "the try died of signal %d",
				 WTERMSIG(status));
		else
			snprintf(r.note, sizeof(r.note), "the try exited %d without a result",
				 WEXITSTATUS(status));
	}
	P.tries[sl->index].r = r;
	P.tries[sl->index].done = true;
	sl->pid = 0;
}

static int knobs_found(void)
{
	int n = 0;
	for (int k = 0; k < P.knobs_count; k++) {
		bool found = false;
		for (int i = 0; i < P.tries_count && !found; i++)
			found = P.tries[i].part == ZOO_PART_KNOB && P.tries[i].subject == k &&
				P.tries[i].done && P.tries[i].r.status == ZOO_FOUND;
		n += found;
	}
	return n;
}

static void progress(double t0, bool tty)
{
	static double last;
	double now = explore_now();
	if (!tty && now - last < ZOO_PROGRESS_SECONDS)
		return;
	last = now;
	int done = 0, dirty = 0;
	for (int i = 0; i < P.tries_count; i++) {
		done += P.tries[i].done;
		dirty += P.tries[i].done && P.tries[i].part == ZOO_PART_CLEAN &&
			 P.tries[i].r.status != ZOO_NONE && P.tries[i].r.status != ZOO_EXHAUSTED;
	}
	char line[512];
	int n = snprintf(line, sizeof(line),
			 "[%d/%d tries, %.0f s] knobs found %d/%d, clean-part findings %d;", done,
			 P.tries_count, now - t0, knobs_found(), P.knobs_count, dirty);
	for (int j = 0; j < P.jobs && n < (int)sizeof(line); j++) {
		const struct zoo_try *t = &P.tries[slots[j].index];
		if (slots[j].pid)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %s#%llu",
				      zoo_subject_name(&P, t->part, t->subject),
				      P.strategies[t->strategy].name, (unsigned long long)t->seed);
	}
	if (!tty) {
		fprintf(stderr, "%s\n", line);
		return;
	}
	struct winsize ws;
	int cols = ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col - 1 : 120;
	fprintf(stderr, "\r\033[K%.*s", cols, line);
}

static void run_all(void)
{
	bool tty = isatty(2);
	double t0 = explore_now();
	int next = 0, active = 0;
	while ((next < P.tries_count || active) && !interrupted) {
		while (active < P.jobs && next < P.tries_count) {
			int j = 0;
			while (slots[j].pid)
				j++;
			start_try(&slots[j], next++);
			active++;
		}
		struct pollfd pfd[ZOO_JOBS_MAX];
		int map[ZOO_JOBS_MAX], n = 0;
		for (int j = 0; j < P.jobs; j++)
			if (slots[j].pid) {
				pfd[n] = (struct pollfd){.fd = slots[j].fd, .events = POLLIN};
				map[n++] = j;
			}
		poll(pfd, (nfds_t)n, tty ? 200 : 1000);
		for (int i = 0; i < n; i++) {
			struct slot *sl = &slots[map[i]];
			if (pfd[i].revents) {
				finish_try(sl, NULL);
				active--;
			} else if (explore_now() - sl->started > P.seconds + ZOO_KILL_SECONDS) {
				finish_try(sl, "killed: over its budget by a minute");
				active--;
			}
		}
		progress(t0, tty);
	}
	for (int j = 0; j < P.jobs; j++)
		if (slots[j].pid)
			finish_try(&slots[j], "interrupted");
	if (tty)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "%d tries in %.0f s%s\n", P.tries_count, explore_now() - t0,
		interrupted ? " (interrupted: the rest did not run)" : "");
}

/* ---- the command -------------------------------------------------------------------- */

static _Noreturn void usage(void)
{
	fprintf(
	    stderr,
	    "usage: mmfuzz zoo [--strategies S,...] [--seconds-per-knob S] [--seeds N] [--tsv]\n"
	    "                  [--knobs=a,b] [--families=a,b] [--jobs N]\n"
	    "                  [--fuzz-seeds regression|corpus] [--pages N] [--regressions DIR]\n"
	    "                  [--corpus DIR] [--work DIR] [--keep] [--table FILE]\n"
	    "strategies: libfuzzer, afl, libfuzzer-fixed, afl-fixed (the harness's fixed two "
	    "random\n"
	    "schedules per input instead of its schedule search), random, pctD (PCT depth D),\n"
	    "dfsB (bounded DFS)\n"
	    "default: --strategies " ZOO_DEFAULT_STRATEGIES " --seconds-per-knob 10 --seeds 3\n");
	exit(2);
}

static double parse_number(const char *opt, const char *v, double min, double max)
{
	char *end;
	double x = strtod(v, &end);
	if (!*v || *end || !(x >= min && x <= max)) {
		fprintf(stderr, "mmfuzz zoo: error: %s %s: not a number in %g..%g\n", opt, v, min,
			max);
		exit(2);
	}
	return x;
}

int cmd_zoo(int argc, char **argv, const char *self)
{
	const char *strategies = ZOO_DEFAULT_STRATEGIES, *knobs = NULL, *families = NULL;
	const char *regdir = "regressions", *corpus = "corpus", *work = NULL, *table = NULL;
	bool tsv = false;
	P.seconds = 10;
	P.seeds = 3;
	P.jobs = 1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		if (!strcmp(a, "--strategies") && v)
			strategies = v;
		else if (!strcmp(a, "--seconds-per-knob") && v)
			P.seconds = parse_number(a, v, 0.001, 86400);
		else if (!strcmp(a, "--seeds") && v)
			P.seeds = (int)parse_number(a, v, 1, ZOO_SEEDS_MAX);
		else if (!strcmp(a, "--jobs") && v)
			P.jobs = (int)parse_number(a, v, 1, ZOO_JOBS_MAX);
		else if (!strcmp(a, "--fuzz-seeds") && v &&
			 (!strcmp(v, "regression") || !strcmp(v, "corpus")))
			P.fuzz_from_corpus = !strcmp(v, "corpus");
		else if (!strcmp(a, "--pages") && v)
			P.pages = (int)parse_number(a, v, 1, SCN_VA_PAGES);
		else if (!strcmp(a, "--regressions") && v)
			regdir = v;
		else if (!strcmp(a, "--corpus") && v)
			corpus = v;
		else if (!strcmp(a, "--work") && v)
			work = v;
		else if (!strcmp(a, "--table") && v)
			table = v;
		else if ((takes = false), !strcmp(a, "--tsv"))
			tsv = true;
		else if (!strcmp(a, "--keep"))
			P.keep = true;
		else if (!strncmp(a, "--knobs=", 8))
			knobs = a + 8;
		else if (!strncmp(a, "--families=", 11))
			families = a + 11;
		else
			usage();
		i += takes;
	}
	select_strategies(strategies);
	uint64_t mask = KNOB_BIT(KNOB_COUNT) - 1; /* default: every knob */
	char err[128];
	if (knobs && !mm_knobs_parse(knobs, &mask, err, sizeof(err)))
		die("%s (see: mmfuzz knobs)", err);
	for (int k = 0; k < KNOB_COUNT; k++)
		if (mask >> k & 1u)
			P.knobs[P.knobs_count++] = k;
	scan_scenarios(regdir, add_regression);
	scan_scenarios(corpus, add_family);
	select_families(families);
	check_engines(self);
	plan_tries();
	if (work) {
		if (mkdir(work, 0777) && errno != EEXIST)
			die("cannot create %s", work);
		snprintf(P.workdir, sizeof(P.workdir), "%s", work);
	} else {
		snprintf(P.workdir, sizeof(P.workdir), "/tmp/mmfuzz-zoo.XXXXXX");
		if (!mkdtemp(P.workdir))
			die("cannot create a work directory in %s", "/tmp");
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr,
		"mmfuzz zoo: %d knobs, %d families, %d strategies, %d seeds, %g s per try, %d "
		"job(s): %d tries%s%s\n",
		P.knobs_count, P.clean_count, P.strategies_count, P.seeds, P.seconds, P.jobs,
		P.tries_count, P.keep ? ", work directory kept: " : "", P.keep ? P.workdir : "");
	run_all();
	bool wrong = false;
	for (int i = 0; i < P.tries_count; i++)
		wrong |= zoo_try_went_wrong(&P.tries[i]);
	if (P.keep || wrong)
		fprintf(stderr, "work directory kept: %s\n", P.workdir);
	else if (!work)
		zoo_remove_tree(P.workdir);
	if (tsv)
		zoo_report_tsv(&P, stdout);
	FILE *copy = table ? fopen(table, "w") : NULL;
	if (table && !copy)
		fprintf(stderr, "mmfuzz zoo: cannot write %s: %s\n", table, strerror(errno));
	bool pass = !interrupted;
	for (int i = 0; i < 2; i++) {
		FILE *out = i == 0 ? (tsv ? stderr : stdout) : copy;
		if (!out)
			continue;
		zoo_report_table(&P, out);
		pass &= zoo_report_summary(&P, out);
	}
	if (copy)
		fclose(copy);
	return pass ? 0 : 1;
}
