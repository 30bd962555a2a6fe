/* SPDX-License-Identifier: MIT */
/*
 * mmfuzz campaign: parallel fuzzing with a live progress line, crash replay to
 * signatures, deduplication, and one directory per distinct finding.
 *
 *   DIR/corpus/              the shared libFuzzer corpus (seeded from the .sched files of corpus/)
 *   DIR/afl/                 AFL++ output (-M main, -S secN), resumed on a rerun;
 *                            with --sync-dir SYNC, SYNC instead (see below)
 *   DIR/crashes/             libFuzzer crash inputs (AFL++ keeps its own)
 *   DIR/logs/                one log per worker
 *   DIR/findings/SIG/        input (the crashing bytes), finding.sched (the scenario
 *                            as the harness ran it, with its expect line: replays
 *                            with `mmfuzz replay`), minimized.sched (the same finding
 *                            through `mmfuzz minimize`), finding.txt (oracle, site, message)
 *   DIR/summary.txt          per signature: oracle, site, crashes, first input
 *
 * Workers are the engines' own binaries (build/fuzz/mm_fuzzer,
 * build/afl/mm_fuzzer_afl next to this executable).  A libFuzzer worker stops at its
 * first crash: the campaign starts it again with the next seed while time is left.
 * Every crash input is run once through the harness (file mode), which prints the
 * scenario it ran; that scenario is replayed here in-process to get the finding's
 * signature (oracle + sites), the deduplication key.  Ctrl-C (or SIGTERM) stops the
 * workers, then processes the crashes and writes the summary.  Rerunning with the
 * same DIR resumes: the corpus and AFL++ queues stay, findings already written are
 * kept and not rewritten.
 *
 * Several machines (--sync-dir SYNC --role main|secondary [--name NAME]): every
 * campaign runs its AFL++ instances with -o SYNC, a directory all of them see (a
 * shared filesystem, or one per machine kept in step by rsync).  Instance names
 * carry the campaign's id, the short hostname plus "-NAME": worker 0 of a main
 * campaign is -M main-ID, every other worker -S secK-ID (K the worker's index), so
 * names never collide across machines, and a lock file SYNC/.mmfuzz-ID.lock keeps
 * two campaigns on one machine from taking the same id.  AFL++ itself does the
 * syncing: a main instance imports from every instance, a secondary from the main
 * ones; AFL_IMPORT_FIRST makes an instance that joins import the fleet's queue
 * before fuzzing.  Crashes: a main campaign processes the crashes of every
 * instance under SYNC (it is the fleet's collector: its findings/ and summary
 * cover every machine it sees), a secondary campaign only those of its own
 * instances (its machine's findings, without minimizing another machine's
 * crashes again).  All campaigns of one SYNC must run the same --knobs: a crash
 * is replayed with the collector's knobs.  libFuzzer with --sync-dir: SYNC is the
 * workers' corpus directory, which libFuzzer re-reads every second (-reload).
 *
 * Leaves out: copying between machines without a shared filesystem (rsync, see
 * the README) and merging the findings of several secondary campaigns.
 */
#include "campaign.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/knobs.h"
#include "../core/oracle.h"
#include "exec.h"
#include "engine.h"
#include "minimize.h"
#include "scenario.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

#define JOBS_MAX     32
#define FINDINGS_MAX 256
#define PATH_BYTES   1024
#define SEEN_SLOTS   32768 /* crash files remembered; 3/4 of it is the bound */
#define SOURCES_MAX  64	   /* instances whose crash counts the summary lists */

/*
 * AFL++ takes instance names of at most 24 characters of [A-Za-z0-9_-]:
 * "sec31-" leaves 18 for the campaign's id, of which --name takes at most 12.
 */
#define ID_BYTES 19
/* an AFL++ instance name: "secK-" and the id */
#define INSTANCE_NAME_BYTES (ID_BYTES + 16)
#define NAME_BYTES	    13

enum engine { ENGINE_LIBFUZZER, ENGINE_AFL };
enum role { ROLE_ALONE, ROLE_MAIN, ROLE_SECONDARY };

struct finding_entry {
	uint64_t signature;
	char oracle[32];
	char site[64];
	int crashes;
	char first[PATH_BYTES];
};

static struct {
	enum engine engine;
	int jobs;
	int seconds;
	const char *out;
	const char *knobs;
	const char *sync_dir; /* --sync-dir: AFL++'s -o (or libFuzzer's corpus), shared */
	enum role role;
	char id[ID_BYTES];	     /* host[-name] in instance names; empty without --sync-dir */
	char bindir[PATH_BYTES / 2]; /* room for the suffixes in PATH_BYTES */
	pid_t pid[JOBS_MAX];
	unsigned restarts;
	struct finding_entry findings[FINDINGS_MAX];
	int findings_count;
	int crashes_seen;
	uint64_t seen[SEEN_SLOTS]; /* hashes of "instance/file" processed; 0 = free */
	int seen_count;
	int skipped; /* crashes beyond the bound of seen[]: not processed */
	struct {
		char name[40];
		int crashes;
	} sources[SOURCES_MAX]; /* crashes per instance (libFuzzer: one, "crashes") */
	int sources_count;
} C;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* printf into a PATH_BYTES buffer; a path that does not fit is a usage error. */
__attribute__((format(printf, 2, 3))) static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, PATH_BYTES, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_BYTES) {
		fprintf(stderr, "mmfuzz campaign: path too long: %.60s...\n", buf);
		exit(2);
	}
}

static void path_join(char *buf, const char *a, const char *b)
{
	pathf(buf, "%s/%s", a, b);
}

static int mkdirs(const char *dir, const char *sub)
{
	char p[PATH_BYTES];
	path_join(p, dir, sub);
	if (mkdir(p, 0777) && errno != EEXIST) {
		fprintf(stderr, "mmfuzz campaign: cannot create %s: %s\n", p, strerror(errno));
		return -1;
	}
	return 0;
}

static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.' && !strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

/* Seeds: the .sched files of corpus/ in binary form, when DIR/corpus is empty. */
static void seed_corpus(const char *corpus_dir)
{
	if (count_files(corpus_dir, ""))
		return;
	DIR *d = opendir("corpus");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n < 7 || strcmp(e->d_name + n - 6, ".sched"))
			continue;
		static struct scenario s;
		char in[PATH_BYTES], out[PATH_BYTES], err[256];
		uint8_t buf[SCN_ENCODED_MAX];
		path_join(in, "corpus", e->d_name);
		if (!scn_load(&s, in, err, sizeof(err)))
			continue;
		size_t len = scn_encode(&s, buf, sizeof(buf));
		pathf(out, "%s/%.*s.bin", corpus_dir, (int)(n - 6), e->d_name);
		FILE *f = fopen(out, "wb");
		if (f) {
			fwrite(buf, 1, len, f);
			fclose(f);
		}
	}
	closedir(d);
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0); /* Ctrl-C reaches us; we stop the workers ourselves */
		FILE *f = freopen(log, "a", stdout);
		if (!f || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		if (C.knobs)
			setenv("MMFUZZ_KNOBS", C.knobs, 1);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* AFL++ instance name of worker @k: main[-ID] or secK[-ID] (see the top). */
static void instance_name(int k, char name[INSTANCE_NAME_BYTES])
{
	if (k == 0 && C.role != ROLE_SECONDARY)
		snprintf(name, INSTANCE_NAME_BYTES, "main%s%s", *C.id ? "-" : "", C.id);
	else
		snprintf(name, INSTANCE_NAME_BYTES, "sec%d%s%s", k, *C.id ? "-" : "", C.id);
}

/* Where the AFL++ instances write: the sync directory, or DIR/afl. */
static void afl_out(char *buf)
{
	if (C.sync_dir)
		pathf(buf, "%s", C.sync_dir);
	else
		path_join(buf, C.out, "afl");
}

static pid_t start_worker(int k, int seconds_left)
{
	char bin[PATH_BYTES], corpus[PATH_BYTES], log[PATH_BYTES], a[4][PATH_BYTES];
	pathf(log, "%s/logs/w%d.log", C.out, k);
	path_join(corpus, C.out, "corpus");
	if (C.engine == ENGINE_LIBFUZZER) {
		pathf(bin, "%s/fuzz/mm_fuzzer", C.bindir);
		pathf(a[0], "-max_total_time=%d", seconds_left);
		pathf(a[1], "-seed=%u", 1 + k + 1000 * C.restarts++);
		pathf(a[2], "-artifact_prefix=%s/crashes/w%d-", C.out, k);
		pathf(a[3], "-dict=%s/fuzz/mm_fuzzer.dict", C.bindir);
		char *argv[] = {bin, a[0], a[1], a[2], a[3], corpus, NULL, NULL};
		if (C.sync_dir) {
			/* new inputs go to the first directory, which libFuzzer re-reads */
			argv[5] = (char *)C.sync_dir;
			argv[6] = corpus;
		}
		return spawn(argv, log);
	}
	char out[PATH_BYTES], name[INSTANCE_NAME_BYTES], mut[PATH_BYTES], dict[PATH_BYTES];
	pathf(bin, "%s/afl/mm_fuzzer_afl", C.bindir);
	pathf(mut, "%s/afl/mmfuzz_mutator.so", C.bindir);
	pathf(dict, "%s/afl/mm_fuzzer.dict", C.bindir);
	afl_out(out);
	pathf(a[0], "%d", seconds_left);
	instance_name(k, name);
	engine_afl_environment(mut);
	setenv("AFL_AUTORESUME", "1", 1);
	if (C.sync_dir)
		setenv("AFL_IMPORT_FIRST", "1", 1); /* a newcomer starts from the fleet's queue */
	char *mode = k == 0 && C.role != ROLE_SECONDARY ? "-M" : "-S";
	/* clang-format off */
	char *argv[] = {"/usr/bin/env", "afl-fuzz",
			mode, name, "-Z", "-V", a[0], "-t", "2000",
			"-x", dict, "-i", corpus, "-o", out,
			"--", bin, NULL};
	/* clang-format on */
	return spawn(argv, log);
}

/* ---- crashes to findings ------------------------------------------------------------ */

/* True when @path was processed before (or cannot be remembered: then counted skipped). */
static bool seen_before(const char *path)
{
	uint64_t h = XXH3_64bits(path, strlen(path));
	h += !h; /* 0 marks a free slot */
	uint32_t i = (uint32_t)(h % SEEN_SLOTS);
	while (C.seen[i]) {
		if (C.seen[i] == h)
			return true;
		i = (i + 1) % SEEN_SLOTS;
	}
	if (C.seen_count == SEEN_SLOTS / 4 * 3) {
		C.skipped++;
		return true;
	}
	C.seen[i] = h;
	C.seen_count++;
	return false;
}

/* One more crash from @source (an AFL++ instance, or libFuzzer's "crashes"). */
static void count_source(const char *source)
{
	int i = 0;
	while (i < C.sources_count && strcmp(C.sources[i].name, source))
		i++;
	if (i == SOURCES_MAX)
		return;
	if (i == C.sources_count)
		snprintf(C.sources[C.sources_count++].name, sizeof(C.sources[0].name), "%s",
			 source);
	C.sources[i].crashes++;
}

static bool copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	char buf[8192];
	size_t n;
	if (!out) {
		if (in)
			fclose(in);
		return false;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	return fclose(out) == 0;
}

/*
 * Run @crash through the harness, take the scenario it prints, replay it here.
 * Returns true with @r filled when it replays to a finding.
 */
static bool crash_finding(const char *crash, struct scenario *s, struct exec_result *r)
{
	char bin[PATH_BYTES], log[PATH_BYTES], err[256];
	if (C.engine == ENGINE_LIBFUZZER)
		pathf(bin, "%s/fuzz/mm_fuzzer", C.bindir);
	else
		pathf(bin, "%s/afl/mm_fuzzer_afl", C.bindir);
	pathf(log, "%s/logs/replay.log", C.out);
	unlink(log);
	char *argv[] = {bin, (char *)crash, NULL};
	pid_t pid = spawn(argv, log);
	int status;
	waitpid(pid, &status, 0);
	if (!engine_report_scenario(log, s, err, sizeof(err)))
		return false;
	static struct sched_directed d;
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s->knobs;
	if (!exec_directed(s, &d, err, sizeof(err)))
		return false;
	exec_run(s, &d.base, &o, r);
	return r->finding;
}

static void process_crash(const char *dir, const char *source, const char *name)
{
	char crash[PATH_BYTES], fdir[PATH_BYTES], p[PATH_BYTES], sig[32];
	static struct scenario s;
	static struct exec_result r;
	path_join(crash, dir, name);
	if (seen_before(crash))
		return;
	C.crashes_seen++;
	count_source(source);
	if (!crash_finding(crash, &s, &r)) {
		fprintf(stderr, "\nmmfuzz campaign: %s does not replay to a finding (kept)\n",
			crash);
		return;
	}
	int i = 0;
	while (i < C.findings_count && C.findings[i].signature != r.f.signature)
		i++;
	if (i == C.findings_count && i < FINDINGS_MAX) {
		struct finding_entry *e = &C.findings[C.findings_count++];
		memset(e, 0, sizeof(*e));
		e->signature = r.f.signature;
		snprintf(e->oracle, sizeof(e->oracle), "%s", r.f.oracle);
		snprintf(e->site, sizeof(e->site), "%s", r.f.site ? r.f.site->name : "-");
		snprintf(e->first, sizeof(e->first), "%s", crash);
	}
	if (i < FINDINGS_MAX)
		C.findings[i].crashes++;
	snprintf(sig, sizeof(sig), "%016llx", (unsigned long long)r.f.signature);
	pathf(fdir, "%s/findings/%s", C.out, sig);
	struct stat st;
	if (!stat(fdir, &st))
		return; /* this signature is already written (this run or a resumed one) */
	if (mkdir(fdir, 0777))
		return;
	path_join(p, fdir, "input");
	copy_file(crash, p);
	s.expect = mm_oracle_by_name(r.f.oracle);
	snprintf(s.expect_site, sizeof(s.expect_site), "%s", r.f.site ? r.f.site->name : "");
	path_join(p, fdir, "finding.sched");
	FILE *f = fopen(p, "w");
	if (f) {
		fprintf(f, "# found by mmfuzz campaign (%s), crash %s\n",
			C.engine == ENGINE_AFL ? "afl" : "libfuzzer", crash);
		scn_print(&s, f);
		fclose(f);
	}
	/* the same finding, minimized: what a human reads first */
	static struct minimize_result mr;
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s.knobs;
	char err[256];
	path_join(p, fdir, "minimized.sched");
	if (minimize(&s, &o, &mr, err, sizeof(err)) && (f = fopen(p, "w")) != NULL) {
		fprintf(
		    f,
		    "# minimized by mmfuzz campaign: %d -> %d preemptions, %d -> %d operations, "
		    "%d -> %d agents\n",
		    mr.before.preempts, mr.after.preempts, mr.before.ops, mr.after.ops,
		    mr.before.agents, mr.after.agents);
		scn_print(&mr.out, f);
		fclose(f);
	}
	path_join(p, fdir, "finding.txt");
	f = fopen(p, "w");
	if (f) {
		fprintf(f, "%s at %s: %s\nsignature %s\n", r.f.oracle,
			r.f.site ? r.f.site->name : "-", r.f.msg, sig);
		fclose(f);
	}
}

static void scan_dir(const char *dir, const char *source, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.' && !strncmp(e->d_name, prefix, strlen(prefix)) &&
		    strcmp(e->d_name, "README.txt"))
			process_crash(dir, source, e->d_name);
	closedir(d);
}

/* The crashes of one AFL++ instance directory under the output directory @out. */
static void scan_instance(const char *out, const char *name)
{
	char p[PATH_BYTES];
	pathf(p, "%s/%s/crashes", out, name);
	scan_dir(p, name, "id:");
}

/*
 * libFuzzer: DIR/crashes.  AFL++: a secondary campaign its own instances; any
 * other campaign every instance under its output directory (the fleet's, with
 * --sync-dir; without it, also instances of an earlier run with more jobs).
 */
static void scan_crashes(void)
{
	char p[PATH_BYTES], name[INSTANCE_NAME_BYTES];
	if (C.engine == ENGINE_LIBFUZZER) {
		path_join(p, C.out, "crashes");
		scan_dir(p, "crashes", "");
		return;
	}
	afl_out(p);
	if (C.role == ROLE_SECONDARY) {
		for (int k = 0; k < C.jobs; k++) {
			instance_name(k, name);
			scan_instance(p, name);
		}
		return;
	}
	DIR *d = opendir(p);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			scan_instance(p, e->d_name);
	closedir(d);
}

static void write_summary(double elapsed)
{
	char p[PATH_BYTES];
	path_join(p, C.out, "summary.txt");
	FILE *f = fopen(p, "w");
	if (!f)
		return;
	fprintf(f, "engine %s, %d jobs, %.0f s, knobs %s\n",
		C.engine == ENGINE_AFL ? "afl" : "libfuzzer", C.jobs, elapsed,
		C.knobs && *C.knobs ? C.knobs : "(none)");
	if (C.engine == ENGINE_AFL) {
		char name[INSTANCE_NAME_BYTES];
		fprintf(f, "instances");
		for (int k = 0; k < C.jobs; k++) {
			instance_name(k, name);
			fprintf(f, " %s", name);
		}
		if (C.sync_dir)
			fprintf(f, "; %s campaign syncing through %s; crashes of %s",
				C.role == ROLE_MAIN ? "main" : "secondary", C.sync_dir,
				C.role == ROLE_MAIN ? "every instance there" : "its own instances");
		fputc('\n', f);
	}
	fprintf(f, "%d crashes, %d distinct findings", C.crashes_seen, C.findings_count);
	if (C.skipped)
		fprintf(f, " (%d crash files not processed: over the bound)", C.skipped);
	fputc('\n', f);
	if (C.sources_count) {
		fprintf(f, "crashes by instance:");
		for (int i = 0; i < C.sources_count; i++)
			fprintf(f, " %s %d%s", C.sources[i].name, C.sources[i].crashes,
				i + 1 < C.sources_count ? "," : "\n");
	}
	for (int i = 0; i < C.findings_count; i++)
		fprintf(f, "%016llx  %-14s %-40s %4d crash(es)  first: %s\n",
			(unsigned long long)C.findings[i].signature, C.findings[i].oracle,
			C.findings[i].site, C.findings[i].crashes, C.findings[i].first);
	fclose(f);
}

static void usage(void)
{
	fprintf(stderr, "usage: mmfuzz campaign --engine libfuzzer|afl --jobs N --seconds S "
			"--out DIR [--knobs=a,b]\n"
			"                       [--sync-dir SYNC --role main|secondary "
			"[--name NAME]]\n");
	exit(2);
}

/* A bad value for an option: the message, exit 2. */
__attribute__((format(printf, 1, 2))) static _Noreturn void bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mmfuzz campaign: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/*
 * The campaign's id in instance names: the short hostname (up to its first dot,
 * characters AFL++ refuses turned into '-'), cut to leave room for "-NAME".
 */
static void make_id(const char *name)
{
	char host[256] = "host";
	if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "host");
	host[strcspn(host, ".")] = 0;
	for (char *c = host; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			*c = '-';
	int room = ID_BYTES - 1 - (name ? (int)strlen(name) + 1 : 0);
	snprintf(C.id, sizeof(C.id), "%.*s%s%s", room, host, name ? "-" : "", name ? name : "");
}

/*
 * Hold SYNC/.mmfuzz-ID.lock for the campaign's life (AFL++ skips dot files), so
 * that a second campaign with the same id fails here, clearly, instead of its
 * afl-fuzz instances failing on directories in use.
 */
static void lock_id(void)
{
	char p[PATH_BYTES];
	pathf(p, "%s/.mmfuzz-%s.lock", C.sync_dir, C.id);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		bad("cannot create %s: %s", p, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB))
		bad("another campaign runs as %s in %s: give this one a --name", C.id, C.sync_dir);
	/* kept open: the lock goes with the process */
}

int cmd_campaign(int argc, char **argv, const char *self)
{
	const char *name = NULL;
	memset(&C, 0, sizeof(C));
	C.jobs = 1;
	C.seconds = 60;
	for (int i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--engine") && v) {
			if (!strcmp(v, "libfuzzer"))
				C.engine = ENGINE_LIBFUZZER;
			else if (!strcmp(v, "afl"))
				C.engine = ENGINE_AFL;
			else
				usage();
			i++;
		} else if (!strcmp(argv[i], "--jobs") && v) {
			C.jobs = atoi(v);
			i++;
		} else if (!strcmp(argv[i], "--seconds") && v) {
			C.seconds = atoi(v);
			i++;
		} else if (!strcmp(argv[i], "--out") && v) {
			C.out = v;
			i++;
		} else if (!strncmp(argv[i], "--knobs=", 8)) {
			C.knobs = argv[i] + 8;
		} else if (!strcmp(argv[i], "--sync-dir") && v) {
			C.sync_dir = v;
			i++;
		} else if (!strcmp(argv[i], "--role") && v) {
			if (!strcmp(v, "main"))
				C.role = ROLE_MAIN;
			else if (!strcmp(v, "secondary"))
				C.role = ROLE_SECONDARY;
			else
				bad("--role %s: main or secondary", v);
			i++;
		} else if (!strcmp(argv[i], "--name") && v) {
			name = v;
			i++;
		} else {
			usage();
		}
	}
	if (C.sync_dir && C.engine == ENGINE_AFL && C.role == ROLE_ALONE)
		bad("--sync-dir needs --role main (one per sync directory, or one per machine "
		    "with rsync) or --role secondary");
	if ((C.role != ROLE_ALONE || name) && (!C.sync_dir || C.engine != ENGINE_AFL))
		bad("--role and --name go with --engine afl --sync-dir");
	if (name && (!*name || strlen(name) >= NAME_BYTES ||
		     strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789_-") != strlen(name)))
		bad("--name %s: 1 to %d characters of A-Z a-z 0-9 _ -", name, NAME_BYTES - 1);
	if (!C.out || C.jobs < 1 || C.jobs > JOBS_MAX || C.seconds < 1) {
		fprintf(stderr, "mmfuzz campaign: need --out DIR, --jobs 1..%d, --seconds > 0\n",
			JOBS_MAX);
		return 2;
	}
	if (C.knobs) {
		uint32_t mask;
		char err[128];
		if (!mm_knobs_parse(C.knobs, &mask, err, sizeof(err))) {
			fprintf(stderr, "mmfuzz campaign: %s (see: mmfuzz knobs)\n", err);
			return 2;
		}
	}
	/* the engines' binaries live next to this executable: build/fuzz, build/afl */
	ssize_t n = readlink("/proc/self/exe", C.bindir, sizeof(C.bindir) - 1);
	if (n <= 0 || n >= (ssize_t)sizeof(C.bindir) - 1)
		n = (ssize_t)strlen(strncpy(C.bindir, self, sizeof(C.bindir) - 1));
	C.bindir[n] = 0;
	char *slash = strrchr(C.bindir, '/');
	if (slash)
		*slash = 0;
	char bin[PATH_BYTES];
	pathf(bin, "%s/%s", C.bindir,
	      C.engine == ENGINE_AFL ? "afl/mm_fuzzer_afl" : "fuzz/mm_fuzzer");
	if (access(bin, X_OK)) {
		fprintf(stderr, "mmfuzz campaign: %s is missing: run make %s\n", bin,
			C.engine == ENGINE_AFL ? "afl" : "fuzz");
		return 2;
	}
	if ((mkdir(C.out, 0777) && errno != EEXIST) || mkdirs(C.out, "corpus") ||
	    mkdirs(C.out, "crashes") || mkdirs(C.out, "logs") || mkdirs(C.out, "findings")) {
		fprintf(stderr, "mmfuzz campaign: cannot create %s\n", C.out);
		return 2;
	}
	char corpus[PATH_BYTES];
	path_join(corpus, C.out, "corpus");
	seed_corpus(corpus);
	if (C.sync_dir) {
		if (mkdir(C.sync_dir, 0777) && errno != EEXIST)
			bad("cannot create %s: %s", C.sync_dir, strerror(errno));
		if (C.engine == ENGINE_AFL) {
			make_id(name);
			lock_id();
		}
	}

	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	double start = now_seconds(), elapsed = 0;
	for (int k = 0; k < C.jobs; k++)
		C.pid[k] = start_worker(k, C.seconds);
	while (!stop_requested) {
		int alive = 0;
		elapsed = now_seconds() - start;
		for (int k = 0; k < C.jobs; k++) {
			if (C.pid[k] > 0 && waitpid(C.pid[k], NULL, WNOHANG) == C.pid[k])
				C.pid[k] = 0;
			/* a libFuzzer worker stops at its first crash: start it again */
			if (!C.pid[k] && C.engine == ENGINE_LIBFUZZER && elapsed + 1 < C.seconds)
				C.pid[k] = start_worker(k, C.seconds - (int)elapsed);
			alive += C.pid[k] > 0;
		}
		scan_crashes();
		fprintf(stderr,
			"\r[%4.0f/%d s] %d/%d workers, corpus %d, crashes %d, findings %d   ",
			elapsed, C.seconds, alive, C.jobs, count_files(corpus, ""), C.crashes_seen,
			C.findings_count);
		if (!alive)
			break;
		sleep(1);
	}
	for (int k = 0; k < C.jobs; k++)
		if (C.pid[k] > 0) {
			kill(-C.pid[k], SIGINT);
			kill(C.pid[k], SIGINT);
		}
	for (int k = 0; k < C.jobs; k++)
		if (C.pid[k] > 0)
			waitpid(C.pid[k], NULL, 0);
	scan_crashes();
	write_summary(elapsed);
	fprintf(stderr, "\n%s: %d crashes, %d distinct findings (%s/summary.txt)\n",
		stop_requested ? "stopped" : "done", C.crashes_seen, C.findings_count, C.out);
	for (int i = 0; i < C.findings_count; i++)
		fprintf(stderr, "  %016llx %s at %s: %s/findings/%016llx/finding.sched\n",
			(unsigned long long)C.findings[i].signature, C.findings[i].oracle,
			C.findings[i].site, C.out, (unsigned long long)C.findings[i].signature);
	return C.findings_count ? 1 : 0;
}
