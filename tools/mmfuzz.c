/* SPDX-License-Identifier: MIT */
/*
 * The mmfuzz command: replay, explore, demo, knobs, encode, decode.
 *
 * Exit status: 0 no finding, 1 finding, 2 bad input or usage, 125 the schedule
 * does not apply to this model (so that `git bisect run mmfuzz replay F` works).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/knobs.h"
#include "../core/oracle.h"
#include "bisect.h"
#include "campaign.h"
#include "exec.h"
#include "explore.h"
#include "minimize.h"
#include "scenario.h"
#include "show.h"
#include "trace_print.h"
#include "zoo.h"

#define EXIT_CLEAN	    0
#define EXIT_FINDING	    1
#define EXIT_BAD_INPUT	    2
#define EXIT_NOT_APPLICABLE 125

static _Noreturn void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "mmfuzz: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see: mmfuzz help)\n");
	exit(EXIT_BAD_INPUT);
}

/* One row per command: its name and its usage (mmfuzz CMD --help prints it). */
static const struct command_usage {
	const char *name, *usage;
} commands[] = {
    {"replay", "replay FILE [--knobs=a,b|--knobs=] [--trace] [--strict]\n"
	       "    run one scenario+schedule (text, or binary with its header); exit 0 clean,\n"
	       "    1 finding, 2 bad input, 125 the schedule does not apply (--strict: also a\n"
	       "    preemption that never occurs)\n"},
    {"explore",
     "explore FILE --strategy random|pct|dfs [--runs N] [--seed S] [--depth D]\n"
     "        [--bound B] [--knobs=...] [--timing] [--digest] [--no-snapshot]\n"
     "        [--snapshot-check] [--same-schedule] [-o OUT]\n"
     "    search schedules for FILE's scenario; write the first failing one to OUT\n"
     "    (--timing: also ns per step of the concurrent phase, for benchmarks;\n"
     "    --digest: a hash of every run's fingerprint; --no-snapshot: run the setup\n"
     "    for every run instead of restoring its state; --snapshot-check: compare\n"
     "    each restored state with a fresh setup's, abort on a difference;\n"
     "    --same-schedule: every run repeats the first (random, pct), for benchmarks)\n"},
    {"minimize", "minimize IN -o OUT [--knobs=a,b|--knobs=]\n"
		 "    fewest preemptions, operations, setup lines and agents with the same\n"
		 "    finding signature (IN: text or binary); exit 0 done, 1 IN replays clean\n"},
    {"show", "show FILE [--svg OUT] [--html OUT] [--knobs=...]\n"
	     "    the interleaving as a story (what races, locks, IPIs, the verdict),\n"
	     "    as SVG swimlanes and as a self-contained HTML page\n"},
    {"bisect", "bisect FILE [--good G] [--bad B] [-o OUT] [--knobs=a,b|--knobs=]\n"
	       "    the race window: the two conflicting events whose order decides the\n"
	       "    outcome (searched between steps G and B); OUT: the swapped, clean schedule\n"},
    {"demo", "demo [--strategy S] [--seed S]\n"
	     "    the built-in zap vs writeback scenario: find the race and show it\n"},
    {"knobs", "knobs\n    list the knobs: name, oracle, description\n"},
    {"encode", "encode FILE -o OUT [--salt N]\n"
	       "    text (.sched) to binary (fuzzer input, with its header); --salt: the\n"
	       "    same scenario with another input hash (N: 1..2^64-1)\n"},
    {"decode", "decode FILE\n    binary (fuzzer input, with its header) to text, on stdout\n"},
    {"dict", "dict\n    a fuzzer dictionary of operation and preemption records\n"},
    {"campaign", "campaign --engine libfuzzer|afl --jobs N --seconds S --out DIR [--knobs=a,b]\n"
		 "         [--corpus DIR] [--corpus-max N] [--sync-dir SYNC\n"
		 "         --role main|secondary [--name NAME]]\n"
		 "    parallel fuzzing seeded from --corpus (default: the corpus/ next to the\n"
		 "    build); distinct findings in DIR/findings/, DIR/summary.txt; --sync-dir:\n"
		 "    AFL++ instances of several campaigns (or machines) share their queues;\n"
		 "    --corpus-max (default 4096): libFuzzer's corpus is reduced past it\n"},
    {"zoo", "zoo [--strategies S,...] [--seconds-per-knob S] [--seeds N] [--tsv]\n"
	    "    [--knobs=a,b] [--families=a,b] [--jobs N] [--fuzz-seeds regression|corpus]\n"
	    "    [--pages N] [--regressions DIR] [--corpus DIR] [--work DIR] [--keep]\n"
	    "    [--table FILE]\n"
	    "    every knob x every strategy: found in k of N seeds, median runs and\n"
	    "    seconds; every family clean with every knob off\n"},
    {"zoo-chart", "zoo-chart TSV -o SVG\n"
		  "    the zoo's seconds to find, per knob and strategy (log scale)\n"},
    {"help", "help [COMMAND]\n    this list, or one command's usage\n"},
};
#define COMMANDS_COUNT ((int)(sizeof(commands) / sizeof(commands[0])))

static void usage(FILE *out)
{
	fprintf(out, "usage: mmfuzz COMMAND ...   (mmfuzz COMMAND --help: one command)\n");
	for (int i = 0; i < COMMANDS_COUNT; i++)
		fprintf(out, "  %s", commands[i].usage);
}

static const struct command_usage *command_find(const char *name)
{
	for (int i = 0; i < COMMANDS_COUNT; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* A whole number in min..max for option @opt of @cmd, else the message and exit 2. */
static unsigned long long parse_number(const char *cmd, const char *opt, const char *v,
				       unsigned long long min, unsigned long long max)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 0);
	if (!*v || *end || errno || v[0] == '-' || x < min || x > max) {
		fprintf(stderr, "mmfuzz %s: %s %s: not a whole number in %llu..%llu\n", cmd, opt, v,
			min, max);
		exit(EXIT_BAD_INPUT);
	}
	return x;
}

/* "--knobs=a,b" -> mask; exits 2 on an unknown name. */
static uint64_t parse_knobs(const char *list)
{
	uint64_t mask;
	char err[128];
	if (!mm_knobs_parse(list, &mask, err, sizeof(err))) {
		fprintf(stderr, "mmfuzz: %s (see: mmfuzz knobs)\n", err);
		exit(EXIT_BAD_INPUT);
	}
	return mask;
}

static void load_or_die(struct scenario *s, const char *path)
{
	char err[512];
	if (!scn_load(s, path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(EXIT_BAD_INPUT);
	}
}

/*
 * Text (.sched) or binary (fuzzer input: starts with SCN_MAGIC) scenario; anything
 * else is text, so a stray control byte or a file that is no scenario at all gets
 * file:line and exit 2.
 */
static void load_any_or_die(struct scenario *s, const char *path)
{
	FILE *in = fopen(path, "rb");
	if (!in) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		exit(EXIT_BAD_INPUT);
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	if (!scn_is_binary(buf, n)) {
		load_or_die(s, path);
		return;
	}
	scn_decode(s, buf, n);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * The finding of @r (a run of @s under @o) and its signature (bisect.h: oracle,
 * site and the race window, or the violated object's history).
 */
static void print_finding(const struct scenario *s, const struct exec_options *o,
			  const struct exec_result *r, FILE *out)
{
	const struct sched_finding *f = &r->f;
	static struct race_signature sig;
	char err[256], cause[sizeof(sig.history) + 16];
	bool have_sig = race_signature(s, o, &sig, err, sizeof(err));
	fprintf(out, "FINDING %s\n", f->oracle);
	fprintf(out, "  site:      %s", f->site ? f->site->name : "-");
	if (f->site2)
		fprintf(out, "  (other party: %s)", f->site2->name);
	fprintf(out, "\n  agents:   ");
	for (int a = 0; a < SCHED_AGENTS_MAX; a++)
		if (f->agents_mask >> a & 1u)
			fprintf(out, " %s", exec_agent_name(a));
	fprintf(out, "\n  step:      %u\n", f->step);
	if (have_sig) {
		race_signature_cause(&sig, cause, sizeof(cause));
		fprintf(out, "  signature: %016llx  (%s)\n", (unsigned long long)sig.value, cause);
	} else {
		fprintf(out, "  signature: - (%s)\n", err);
	}
	fprintf(out, "  %s\n", f->msg);
}

static int cmd_knobs(void)
{
	for (int k = 0; k < KNOB_COUNT; k++)
		printf("%-28s %-14s %s\n", mm_knob_table[k].name, mm_knob_table[k].oracle,
		       mm_knob_table[k].description);
	return EXIT_CLEAN;
}

/* Load, build the directed policy and replay FILE; exits 2 or 125 when it cannot. */
static void replay_or_die(struct scenario *s, const char *path, const char *knobs,
			  struct sched_directed *d, struct exec_result *r, struct exec_options *o)
{
	load_any_or_die(s, path);
	exec_options_default(o);
	o->knobs = knobs ? parse_knobs(knobs) : s->knobs;
	s->knobs = o->knobs;
	char err[256];
	if (!exec_directed(s, d, err, sizeof(err))) {
		fprintf(stderr, "%s: schedule does not apply: %s\n", path, err);
		exit(EXIT_NOT_APPLICABLE);
	}
	exec_run(s, &d->base, o, r);
}

static int cmd_replay(int argc, char **argv)
{
	const char *path = NULL, *knobs = NULL;
	bool trace = false, strict = false;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "--knobs=", 8))
			knobs = argv[i] + 8;
		else if (!strcmp(argv[i], "--trace"))
			trace = true;
		else if (!strcmp(argv[i], "--strict"))
			strict = true;
		else if (argv[i][0] == '-' || path)
			die_usage("replay: unexpected argument '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		die_usage("replay: missing %s", "FILE");
	static struct scenario s;
	static struct sched_directed d;
	static struct exec_result r;
	struct exec_options o;
	replay_or_die(&s, path, knobs, &d, &r, &o);
	int unapplied = 0;
	for (int i = 0; i < d.count; i++) {
		if (d.status[i] == SCHED_PREEMPT_FIRED)
			continue;
		unapplied++;
		fprintf(stderr, "%s: warning: preemption %d (", path, i + 1);
		trace_print_preempt(&s.preempt[i], stderr);
		fprintf(stderr, ") %s\n",
			d.status[i] == SCHED_PREEMPT_SKIPPED
			    ? "could not be applied (target not runnable)"
			    : "never occurred");
	}
	if (trace)
		trace_print(&s, &r, false, stdout);
	if (strict && unapplied) {
		fprintf(stderr, "%s: --strict: %d preemption(s) did not apply\n", path, unapplied);
		return EXIT_NOT_APPLICABLE;
	}
	if (!r.finding) {
		printf("clean: %u steps, fingerprint %016llx\n", r.steps,
		       (unsigned long long)r.fingerprint);
		return EXIT_CLEAN;
	}
	uint64_t fingerprint = r.fingerprint;
	uint32_t steps = r.steps;
	print_finding(&s, &o, &r, stdout);
	printf("  fingerprint %016llx, %u steps\n", (unsigned long long)fingerprint, steps);
	return EXIT_FINDING;
}

static void write_schedule(const struct scenario *s, const char *path)
{
	FILE *out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "mmfuzz: cannot write %s: %s\n", path, strerror(errno));
		exit(EXIT_BAD_INPUT);
	}
	scn_print(s, out);
	fclose(out);
}

static void print_stats(const char *what, const struct minimize_stats *st)
{
	printf("%-7s %2d preemptions, %2d operations, %2d setup lines, %d agents, %5u steps\n",
	       what, st->preempts, st->ops, st->setup, st->agents, st->steps);
}

static int cmd_minimize(int argc, char **argv)
{
	const char *in = NULL, *out_path = NULL, *knobs = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out_path = argv[++i];
		else if (!strncmp(argv[i], "--knobs=", 8))
			knobs = argv[i] + 8;
		else if (argv[i][0] == '-' || in)
			die_usage("minimize: unexpected argument '%s'", argv[i]);
		else
			in = argv[i];
	}
	if (!in || !out_path)
		die_usage("usage: mmfuzz minimize IN -o OUT [--knobs=a,b]%s", "");
	static struct scenario s;
	load_any_or_die(&s, in);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = knobs ? parse_knobs(knobs) : s.knobs;
	s.knobs = o.knobs;
	static struct minimize_result r;
	char err[256];
	double t0 = now_seconds();
	if (!minimize(&s, &o, &r, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", in, err);
		return strstr(err, "clean") ? EXIT_FINDING : EXIT_NOT_APPLICABLE;
	}
	double secs = now_seconds() - t0;
	printf("finding: %s at %s", r.finding.oracle, r.finding.site ? r.finding.site->name : "-");
	if (r.finding.site2)
		printf(" (other party: %s)", r.finding.site2->name);
	static struct race_signature before, after;
	char cause[sizeof(before.history) + 16];
	if (race_signature(&s, &o, &before, err, sizeof(err)) &&
	    race_signature(&r.out, &o, &after, err, sizeof(err))) {
		race_signature_cause(&after, cause, sizeof(cause));
		printf(", signature %016llx (%s)\n", (unsigned long long)after.value, cause);
		if (before.value != after.value)
			printf("warning: the input's signature was %016llx: minimizing changed the "
			       "race window\n",
			       (unsigned long long)before.value);
	} else {
		printf("\n");
	}
	print_stats("before:", &r.before);
	print_stats("after:", &r.after);
	printf("%llu replays, %d rounds, %.3f s\n", (unsigned long long)r.runs, r.rounds, secs);
	if (!r.all_fired)
		printf(
		    "warning: a preemption of the result does not fire (replay --strict fails)\n");
	write_schedule(&r.out, out_path);
	printf("written to %s (replay: mmfuzz replay %s)\n", out_path, out_path);
	return EXIT_CLEAN;
}

static FILE *open_out(const char *path)
{
	FILE *out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "mmfuzz: cannot write %s: %s\n", path, strerror(errno));
		exit(EXIT_BAD_INPUT);
	}
	return out;
}

/*
 * The leading comment of a text scenario (a regression's story), without the "# ",
 * into @buf; empty for a binary file or one without it.
 */
static void show_header(const char *path, char *buf, size_t buf_bytes)
{
	char line[512];
	size_t len = 0;
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && line[0] == '#') {
		const char *text = line[1] == ' ' ? line + 2 : line + 1;
		int n = snprintf(buf + len, buf_bytes - len, "%s", text);
		if (n < 0 || (size_t)n >= buf_bytes - len)
			break;
		len += (size_t)n;
	}
	fclose(f);
}

static int cmd_show(int argc, char **argv)
{
	const char *path = NULL, *svg = NULL, *html = NULL, *knobs = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--svg") && i + 1 < argc)
			svg = argv[++i];
		else if (!strcmp(argv[i], "--html") && i + 1 < argc)
			html = argv[++i];
		else if (!strncmp(argv[i], "--knobs=", 8))
			knobs = argv[i] + 8;
		else if (argv[i][0] == '-' || path)
			die_usage("show: unexpected argument '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		die_usage("show: missing %s", "FILE");
	static struct scenario s;
	static struct sched_directed d;
	static struct exec_result r;
	struct exec_options o;
	replay_or_die(&s, path, knobs, &d, &r, &o);
	static struct show sh;
	show_analyze(&sh, &s, &r);
	show_capture(&sh, &d.base, &o);
	char title[512];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	snprintf(title, sizeof(title), "%s: %s", base, r.finding ? r.f.oracle : "clean");
	show_story(&sh, title, stdout);
	if (svg) {
		FILE *out = open_out(svg);
		fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
		show_svg(&sh, title, out);
		fclose(out);
		printf("SVG written to %s\n", svg);
	}
	if (html) {
		FILE *out = open_out(html);
		static char header[1 << 14];
		show_header(path, header, sizeof(header));
		show_html(&sh, title, header, out);
		fclose(out);
		printf("HTML written to %s\n", html);
	}
	return EXIT_CLEAN;
}

static void print_event(const char *what, const struct bisect_event *ev)
{
	printf("  %s step %5u  %s at %s#%u: %s %s:%u\n", what, ev->step, exec_agent_name(ev->agent),
	       ev->site, ev->occurrence, trace_op_name(ev->op), trace_obj_kind(ev->obj),
	       SCHED_OBJ_INDEX(ev->obj));
}

static uint32_t parse_step(const char *opt, const char *v)
{
	return (uint32_t)parse_number("bisect", opt, v, 0, SCHED_TRACE_MAX);
}

static int cmd_bisect(int argc, char **argv)
{
	const char *path = NULL, *out_path = NULL, *knobs = NULL;
	uint32_t good = 0, bad = 0;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "--knobs=", 8))
			knobs = argv[i] + 8;
		else if (!strcmp(argv[i], "--good") && i + 1 < argc)
			good = parse_step("--good", argv[++i]);
		else if (!strcmp(argv[i], "--bad") && i + 1 < argc)
			bad = parse_step("--bad", argv[++i]);
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out_path = argv[++i];
		else if (argv[i][0] == '-' || path)
			die_usage("bisect: unexpected argument '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		die_usage("bisect: missing %s", "FILE");
	static struct scenario s;
	load_any_or_die(&s, path);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = knobs ? parse_knobs(knobs) : s.knobs;
	s.knobs = o.knobs;
	static struct bisect_result r;
	char err[256];
	if (!race_bisect(&s, &o, good, bad, &r, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, err);
		return strstr(err, "apply") ? EXIT_NOT_APPLICABLE : EXIT_FINDING;
	}
	printf("finding: %s at %s (%u steps)\n", r.finding.oracle,
	       r.finding.site ? r.finding.site->name : "-", r.steps);
	printf("race window (%llu candidate pairs replayed):\n", (unsigned long long)r.tried);
	print_event("first ", &r.first);
	print_event("second", &r.second);
	printf("in this order: %s; the second first: clean\n", r.finding.oracle);
	if (out_path) {
		write_schedule(&r.swapped, out_path);
		printf("swapped schedule written to %s (replay: mmfuzz replay %s)\n", out_path,
		       out_path);
	}
	return EXIT_CLEAN;
}

static bool explore_digest; /* --digest */

/* Search, report, write the schedule; returns the exit status. */
static int run_explore(const struct scenario *s, struct explore_config *c, const char *out_path,
		       bool show)
{
	static struct explore_result r;
	/* explore and demo share the options: bad input is exit 2 for both */
	if (c->same_schedule && c->strategy == EXPLORE_DFS)
		die_usage("--same-schedule repeats a random or pct schedule, %s",
			  "dfs never repeats one");
	c->exec.no_fingerprint = !explore_digest; /* nobody reads the digest */
	double t0 = now_seconds();
	explore(s, c, &r);
	double secs = now_seconds() - t0;
	printf("%s: %llu runs in %.4f s (%.0f runs/s, %.1f steps/run",
	       explore_strategy_name(c->strategy), (unsigned long long)r.runs, secs,
	       secs > 0 ? (double)r.runs / secs : 0.0,
	       r.runs ? (double)r.steps / (double)r.runs : 0.0);
	if (c->exec.time_phases)
		printf(", %.1f ns/step in the concurrent phase",
		       r.steps ? (double)r.agents_ns / (double)r.steps : 0.0);
	printf(")");
	if (explore_digest)
		printf(", digest %016llx, %llu setups restored", (unsigned long long)r.digest,
		       (unsigned long long)exec_snapshot_stats.restores);
	if (!r.found) {
		printf(r.exhausted ? ", exhausted: no finding\n" : ", no finding\n");
		return EXIT_CLEAN;
	}
	printf(", first finding at run %llu (%.4f s)\n", (unsigned long long)r.runs, secs);
	print_finding(&r.schedule, &c->exec, &r.first, stdout);
	r.schedule.expect = mm_oracle_by_name(r.first.f.oracle);
	if (!r.schedule_complete)
		printf("warning: more than %d preemptions; the written schedule is truncated\n",
		       SCN_PREEMPT_MAX);
	if (out_path) {
		write_schedule(&r.schedule, out_path);
		printf("schedule written to %s (replay: mmfuzz replay %s)\n", out_path, out_path);
	}
	if (show) {
		/* replay the written schedule: proves it reproduces, and gives the trace */
		static struct sched_directed d;
		static struct exec_result rr;
		char err[256];
		if (exec_directed(&r.schedule, &d, err, sizeof(err))) {
			exec_run(&r.schedule, &d.base, &c->exec, &rr);
			printf("\nreplayed from the schedule: %s\n\n",
			       rr.finding && rr.f.signature == r.first.f.signature
				   ? "same finding, same signature"
				   : "DID NOT REPRODUCE");
			trace_print(&r.schedule, &rr, true, stdout);
		}
	}
	return EXIT_FINDING;
}

static void parse_explore_opt(struct explore_config *c, int argc, char **argv, int *i,
			      const char **out_path)
{
	const char *a = argv[*i];
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (!strcmp(a, "--strategy") && v) {
		int st = explore_strategy_parse(v);
		if (st < 0)
			die_usage("unknown strategy '%s' (random, pct, dfs)", v);
		c->strategy = (enum explore_strategy)st;
	} else if (!strcmp(a, "--runs") && v) {
		c->runs_max = parse_number("explore", a, v, 1, UINT64_MAX);
	} else if (!strcmp(a, "--seed") && v) {
		c->seed = parse_number("explore", a, v, 0, UINT64_MAX);
	} else if (!strcmp(a, "--depth") && v) {
		c->pct_depth = (int)parse_number("explore", a, v, 1, SCHED_PCT_DEPTH_MAX);
	} else if (!strcmp(a, "--bound") && v) {
		c->dfs_bound = (int)parse_number("explore", a, v, 0, SCN_PREEMPT_MAX);
	} else if (!strcmp(a, "-o") && v) {
		*out_path = v;
	} else if (!strcmp(a, "--timing")) {
		c->exec.time_phases = true;
		return;
	} else if (!strcmp(a, "--digest")) {
		explore_digest = true;
		return;
	} else if (!strcmp(a, "--no-snapshot")) {
		c->exec.snapshot = false;
		return;
	} else if (!strcmp(a, "--snapshot-check")) {
		c->exec.snapshot_check = true;
		return;
	} else if (!strcmp(a, "--same-schedule")) {
		c->same_schedule = true;
		return;
	} else if (!strncmp(a, "--knobs=", 8)) {
		c->exec.knobs = parse_knobs(a + 8);
		return;
	} else {
		die_usage("unexpected argument '%s'", a);
	}
	(*i)++;
}

static int cmd_explore(int argc, char **argv)
{
	struct explore_config c;
	explore_config_default(&c);
	const char *path = NULL, *out_path = "mmfuzz-found.sched";
	bool knobs_given = false;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] != '-') {
			if (path)
				die_usage("explore: unexpected argument '%s'", argv[i]);
			path = argv[i];
			continue;
		}
		knobs_given |= !strncmp(argv[i], "--knobs=", 8);
		parse_explore_opt(&c, argc, argv, &i, &out_path);
	}
	if (!path)
		die_usage("explore: missing %s", "FILE");
	static struct scenario s;
	load_or_die(&s, path);
	if (!knobs_given)
		c.exec.knobs = s.knobs;
	s.preempt_count = 0; /* the search makes its own schedule */
	return run_explore(&s, &c, out_path, false);
}

/* The built-in scenario of the README's first command. */
static const char demo_text[] = "mmfuzz-sched 1\n"
				"knobs zap-rmap-before-flush\n"
				"setup\n"
				"  CPU2 P0 mmap 0x0 pages=1 file=F0 shared rw\n"
				"  CPU2 P0 store 0x0 = 1\n"
				"agents\n"
				"  CPU0 P0 madvise 0x0 pages=1 dontneed\n"
				"  CPU1 writeback F0\n"
				"  CPU2 P0 store 0x0 = 2\n";

static int cmd_demo(int argc, char **argv)
{
	struct explore_config c;
	explore_config_default(&c);
	const char *out_path = "mmfuzz-demo.sched";
	for (int i = 0; i < argc; i++)
		parse_explore_opt(&c, argc, argv, &i, &out_path);
	static struct scenario s;
	char err[256];
	if (!scn_parse(&s, demo_text, sizeof(demo_text) - 1, "demo", err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return EXIT_BAD_INPUT;
	}
	c.exec.knobs = s.knobs;
	printf("mmfuzz demo: CPU0 zaps a dirty shared file page (MADV_DONTNEED) while CPU1\n"
	       "writes the file back and CPU2 keeps storing through its TLB.\n"
	       "knob: zap-rmap-before-flush (the pre-5df397dec7c4 zap), strategy %s, seed %llu\n"
	       "command to reproduce: mmfuzz demo --strategy %s --seed %llu\n\n",
	       explore_strategy_name(c.strategy), (unsigned long long)c.seed,
	       explore_strategy_name(c.strategy), (unsigned long long)c.seed);
	int rc = run_explore(&s, &c, out_path, true);
	if (rc != EXIT_FINDING)
		return rc == EXIT_CLEAN ? EXIT_FINDING : rc; /* the demo failed to find it */
	/* the same scenario on today's kernel: no knob, the same search */
	struct explore_config clean = c;
	clean.exec.knobs = 0;
	printf("\nthe same search with every knob off (today's kernel):\n");
	rc = run_explore(&s, &clean, NULL, false);
	/* the demo worked: found with the knob, clean without it */
	return rc == EXIT_CLEAN ? EXIT_CLEAN : EXIT_FINDING;
}

/* One dictionary line: the bytes of one record. */
static void dict_line(FILE *out, const char *name, const uint8_t *buf, size_t n)
{
	SCHED_ASSERT(n > 0);
	fprintf(out, "%s=\"", name);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "\\x%02x", buf[i]);
	fprintf(out, "\"\n");
}

/*
 * A libFuzzer/AFL++ dictionary derived from the operation table: the binary
 * record of every operation (on page 0, the common flag combinations) and of step
 * preemptions, written by the codec itself so it can never drift from it.
 */
static int cmd_dict(void)
{
	static struct scenario s;
	uint8_t buf[SCN_ENCODED_MAX];
	char name[64];
	for (int k = 0; k < SCN_OP_COUNT; k++)
		for (int variant = 0; variant < 3; variant++) {
			scn_init(&s);
			s.ops_count = 1;
			struct scn_op *op = &s.ops[0];
			uint32_t f = scn_op_table[k].fields;
			/* variant 1 of mprotect: PROT_NONE */
			if (variant && !(f & (SCN_F_BACKING | SCN_F_ADVICE)) &&
			    (k != SCN_OP_MPROTECT || variant > 1))
				continue;
			op->none = k == SCN_OP_MPROTECT && variant == 1;
			op->kind = (uint8_t)k;
			op->pages = f & SCN_F_PAGES ? 1 : 0;
			op->value = f & SCN_F_VALUE ? 1 : 0;
			if (f & SCN_F_BACKING) {
				op->anon = variant == 1;
				op->shared = variant != 1;
				op->write = true;
			}
			if (f & SCN_F_ADVICE)
				op->advice = (uint8_t)(variant % SCN_ADV_COUNT);
			snprintf(name, sizeof(name), "op_%s_%d", scn_op_table[k].name, variant);
			for (char *c = name; *c; c++)
				*c = *c == '-' ? '_' : *c;
			dict_line(stdout, name, buf, scn_encode_op(op, buf, sizeof(buf)));
		}
	for (int target = 0; target < 3; target++)
		for (uint32_t step = 8; step <= 48; step += 8) {
			struct scn_preempt pr = {.target = (uint8_t)target, .step = step};
			snprintf(name, sizeof(name), "preempt_%u_cpu%d", step, target);
			dict_line(stdout, name, buf, scn_encode_preempt(&pr, buf, sizeof(buf)));
		}
	return EXIT_CLEAN;
}

static int cmd_encode(int argc, char **argv)
{
	bool salted = argc == 5 && !strcmp(argv[3], "--salt");
	if ((argc != 3 && !salted) || strcmp(argv[1], "-o"))
		die_usage("usage: mmfuzz encode FILE -o OUT [--salt N]%s", "");
	unsigned long long salt =
	    salted ? parse_number("encode", "--salt", argv[4], 1, ULLONG_MAX) : 0;
	static struct scenario s;
	load_or_die(&s, argv[0]);
	static uint8_t buf[1 << 16];
	size_t n =
	    salt ? scn_encode_salted(&s, salt, buf, sizeof(buf)) : scn_encode(&s, buf, sizeof(buf));
	SCHED_ASSERT(n > 0);
	FILE *out = fopen(argv[2], "wb");
	bool ok = out && fwrite(buf, 1, n, out) == n;
	if (out)
		ok &= fclose(out) == 0;
	if (!ok) {
		fprintf(stderr, "mmfuzz: cannot write %s: %s\n", argv[2], strerror(errno));
		return EXIT_BAD_INPUT;
	}
	return EXIT_CLEAN;
}

static int cmd_decode(int argc, char **argv)
{
	if (argc != 1)
		die_usage("usage: mmfuzz decode FILE%s", "");
	FILE *in = fopen(argv[0], "rb");
	if (!in) {
		fprintf(stderr, "%s: cannot open: %s\n", argv[0], strerror(errno));
		return EXIT_BAD_INPUT;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	if (!scn_is_binary(buf, n)) {
		fprintf(stderr,
			"%s:1: not a binary scenario (no \\x7fmmf header; a .sched text needs no "
			"decoding)\n",
			argv[0]);
		return EXIT_BAD_INPUT;
	}
	static struct scenario s;
	scn_decode(&s, buf, n);
	scn_print(&s, stdout);
	return EXIT_CLEAN;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	const char *cmd = argv[1], *self = argv[0];
	argc -= 2;
	argv += 2;
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		const char *which = argc ? argv[0] : NULL;
		if (which && (!strcmp(which, "--help") || !strcmp(which, "-h")))
			which = "help";
		const struct command_usage *c = which ? command_find(which) : NULL;
		if (argc && !c)
			die_usage("help: unknown command '%s'", argv[0]);
		if (c)
			printf("usage: mmfuzz %s", c->usage);
		else
			usage(stdout);
		return EXIT_CLEAN;
	}
	const struct command_usage *c = command_find(cmd);
	if (!c)
		die_usage("unknown command '%s'", cmd);
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: mmfuzz %s", c->usage);
			return EXIT_CLEAN;
		}
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc, argv);
	if (!strcmp(cmd, "explore"))
		return cmd_explore(argc, argv);
	if (!strcmp(cmd, "minimize"))
		return cmd_minimize(argc, argv);
	if (!strcmp(cmd, "show"))
		return cmd_show(argc, argv);
	if (!strcmp(cmd, "bisect"))
		return cmd_bisect(argc, argv);
	if (!strcmp(cmd, "demo"))
		return cmd_demo(argc, argv);
	if (!strcmp(cmd, "knobs") || !strcmp(cmd, "dict")) {
		if (argc)
			die_usage("unexpected argument '%s'", argv[0]);
		return !strcmp(cmd, "knobs") ? cmd_knobs() : cmd_dict();
	}
	if (!strcmp(cmd, "encode"))
		return cmd_encode(argc, argv);
	if (!strcmp(cmd, "decode"))
		return cmd_decode(argc, argv);
	if (!strcmp(cmd, "campaign"))
		return cmd_campaign(argc, argv, self);
	if (!strcmp(cmd, "zoo"))
		return cmd_zoo(argc, argv, self);
	if (!strcmp(cmd, "zoo-chart"))
		return cmd_zoo_chart(argc, argv);
	die_usage("unknown command '%s'", cmd);
}
