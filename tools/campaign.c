/* SPDX-License-Identifier: MIT */
/*
 * mmfuzz campaign: parallel fuzzing with a live progress line, crash replay to
 * signatures, deduplication, and one directory per distinct finding.
 *
 *   DIR/corpus/              the shared libFuzzer corpus (seeded from the .sched files of
 *                            --corpus, default the corpus/ of the source tree or
 *                            install next to this executable; never inside it)
 *   DIR/afl/                 AFL++ output (-M main, -S secN), resumed on a rerun;
 *                            with --sync-dir SYNC, SYNC instead (see below)
 *   DIR/crashes/             libFuzzer crash inputs (AFL++ keeps its own)
 *   DIR/logs/                one log per worker
 *   DIR/findings/SIG/        input (the scenario as the harness ran it, addresses
 *                            folded, in binary form: replays with `mmfuzz replay`,
 *                            minimizes), crash (the engine's raw bytes), finding.sched
 *                            (the same as text, with its expect line), minimized.sched
 *                            (through `mmfuzz minimize`), finding.txt (oracle, sites,
 *                            signature, first seen, the replay command).  Written
 *                            into SIG.tmp and renamed: a directory SIG is complete.
 *   DIR/summary.txt          per finding: signature, oracle, sites, cause, crashes,
 *                            first seen, the command to replay it (written to
 *                            summary.txt.tmp and renamed)
 *
 * Workers are the engines' own binaries (build/fuzz/mm_fuzzer,
 * build/afl/mm_fuzzer_afl next to this executable), with MMFUZZ_FAMILIES the seed
 * corpus (unless the environment names other families): one mutation in
 * MMFUZZ_FAMILY_SHARE (default 4) starts again from a seed family
 * (fuzz/mutator.h), so the families whose descendants fill DIR/corpus do not
 * starve the others; a bad value of either is an error before any worker starts.
 * libFuzzer workers do not stop at a finding: the harness saves the input in DIR/crashes
 * (MMFUZZ_CRASH_DIR, see fuzz/mm_fuzzer.c) and goes on, where a worker restarted after each crash
 * re-ran its whole corpus (about a third of its time).  libFuzzer's own fork mode
 * (-fork=N -ignore_crashes=1) was measured here first: 80-240 execs/s against
 * about 800 for restarted workers, and no finding in 35 s (bench/campaign.txt).
 * A worker that dies anyway (a real crash) is restarted.  A resumed campaign first
 * reduces its corpus with -set_cover_merge=1.  Every crash input is run once through the harness
 * (file mode), which prints the scenario it ran; that scenario is replayed here in-process to get
 * the finding's signature (bisect.h: oracle, site and the race window), the deduplication key.  A
 * crash is remembered by its content, not its path: AFL++ renames crashes/ to crashes.DATE on
 * resume, and those are scanned too.  SIGINT, SIGTERM and SIGHUP (the terminal closed) stop the
 * workers, then the crashes are processed and the summary written; the workers also get SIGTERM if
 * the campaign dies.  Rerunning with the same DIR resumes: the corpus and AFL++
 * queues stay, findings already written are kept, listed and not rewritten.  Any
 * failed write (a full disk) stops the campaign: the path and errno, exit 2.  Exit
 * 1 when there are findings, or crash files that do not replay to one.
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/knobs.h"
#include "../core/oracle.h"
#include "../fuzz/mutator.h"
#include "bisect.h"
#include "exec.h"
#include "engine.h"
#include "minimize.h"
#include "scenario.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

#define JOBS_MAX       32
#define FINDINGS_MAX   256
#define PATH_BYTES     1024
#define SEEN_SLOTS     32768 /* crash files remembered; 3/4 of it is the bound */
#define SOURCES_MAX    64    /* instances whose crash counts the summary lists */
#define PATH_MAX_BYTES 4096  /* realpath() results */
/* --corpus-max: 2 minutes of 2 workers grew the corpus to 19k files before */
#define CORPUS_MAX_DEFAULT 4096
/* past --seconds, workers still running are stopped after this long */
#define CAMPAIGN_GRACE_SECONDS 30

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
	char site2[64];
	char cause[256];
	int crashes;
	double first_seconds; /* into the campaign that first saw it; -1: an earlier run */
	char first[PATH_BYTES];
};

static struct {
	enum engine engine;
	int jobs;
	int seconds;
	const char *out;
	const char *knobs;
	const char *sync_dir;	/* --sync-dir: AFL++'s -o (or libFuzzer's corpus), shared */
	char seeds[PATH_BYTES]; /* --corpus, or the default (see find_seeds) */
	bool replaying;		/* spawn() runs the harness on one crash: it must abort */
	int corpus_max;		/* --corpus-max: libFuzzer's corpus is reduced past it */
	int reductions;
	double start;
	enum role role;
	char id[ID_BYTES];	     /* host[-name] in instance names; empty without --sync-dir */
	char bindir[PATH_BYTES / 2]; /* room for the suffixes in PATH_BYTES */
	pid_t pid[JOBS_MAX];
	unsigned restarts;
	struct finding_entry findings[FINDINGS_MAX];
	int findings_count;
	int crashes_seen;
	int unreplayed;		   /* crashes kept that do not replay to a finding */
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

static void stop_workers(void);

/* A write failed: say which file and why, stop the workers, exit 2. */
static _Noreturn void write_failed(const char *path, int err)
{
	fprintf(stderr, "\nmmfuzz campaign: cannot write %s: %s\n", path, strerror(err));
	stop_workers();
	exit(2);
}

/* Close @f, written at @path; any error on the way is a write failure (the file goes). */
static void close_or_die(FILE *f, const char *path)
{
	bool failed = ferror(f);
	int err = errno;
	if (fflush(f)) {
		failed = true;
		err = errno;
	}
	if (fclose(f)) {
		failed = true;
		err = errno;
	}
	if (failed) {
		unlink(path); /* never a half-written file left as if it were done */
		write_failed(path, err ? err : EIO);
	}
}

static FILE *create_or_die(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		write_failed(path, errno);
	return f;
}

static void write_or_die(const char *path, const void *buf, size_t len)
{
	FILE *f = create_or_die(path);
	if (fwrite(buf, 1, len, f) != len) {
		int err = errno ? errno : EIO;
		fclose(f);
		unlink(path);
		write_failed(path, err);
	}
	close_or_die(f, path);
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

/*
 * Seeds: the .sched files of C.seeds in binary form, when DIR/corpus is empty.
 * Returns how many seed files were written.
 */
static int seed_corpus(const char *corpus_dir)
{
	int written = 0;
	if (count_files(corpus_dir, ""))
		return 0;
	DIR *d = opendir(C.seeds);
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n < 7 || strcmp(e->d_name + n - 6, ".sched"))
			continue;
		static struct scenario s;
		char in[PATH_BYTES], out[PATH_BYTES], err[256];
		uint8_t buf[SCN_ENCODED_MAX];
		path_join(in, C.seeds, e->d_name);
		if (!scn_load(&s, in, err, sizeof(err))) {
			fprintf(stderr, "mmfuzz campaign: seed skipped: %s\n", err);
			continue;
		}
		size_t len = scn_encode(&s, buf, sizeof(buf));
		pathf(out, "%s/%.*s.bin", corpus_dir, (int)(n - 6), e->d_name);
		write_or_die(out, buf, len);
		written++;
	}
	closedir(d);
	return written;
}

/*
 * The seed corpus when --corpus is not given: the corpus/ of the source tree
 * (this executable is build/mmfuzz) or of an install (bin/mmfuzz,
 * share/mmfuzz/corpus) — never the current directory's, so a campaign finds its
 * seeds wherever it is run from.
 */
static bool find_seeds(void)
{
	const char *tries[] = {"%s/../corpus", "%s/../share/mmfuzz/corpus"};
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		char p[PATH_BYTES];
		struct stat st;
		pathf(p, tries[i], C.bindir);
		if (!stat(p, &st) && S_ISDIR(st.st_mode) && realpath(p, C.seeds))
			return true;
	}
	return false;
}

/* realpath() of @path, which need not exist yet (its parent must). */
static bool resolve(const char *path, char out[PATH_MAX_BYTES])
{
	char parent[PATH_MAX_BYTES], base[PATH_MAX_BYTES];
	if (realpath(path, out))
		return true;
	snprintf(parent, sizeof(parent), "%s", path);
	size_t n = strlen(parent);
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = 0;
	char *slash = strrchr(parent, '/');
	snprintf(base, sizeof(base), "%s", slash ? slash + 1 : parent);
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = 0;
	else
		*slash = 0;
	char p[PATH_MAX_BYTES];
	if (!realpath(parent, p))
		return false;
	return snprintf(out, PATH_MAX_BYTES, "%s/%s", p, base) < PATH_MAX_BYTES;
}

/* Is @path (existing or not) @dir or inside it? */
static bool path_within(const char *path, const char *dir)
{
	char a[PATH_MAX_BYTES], b[PATH_MAX_BYTES];
	if (!resolve(path, a) || !realpath(dir, b))
		return false;
	size_t n = strlen(b);
	return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0); /* Ctrl-C reaches us; we stop the workers ourselves */
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* and if we die, they stop too */
		if (getppid() == 1)
			_exit(127); /* the campaign died before prctl */
		FILE *f = freopen(log, "a", stdout);
		if (!f || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		if (C.knobs)
			setenv("MMFUZZ_KNOBS", C.knobs, 1);
		/* every seed family keeps a share of the mutations (fuzz/mutator.h),
		 * unless the environment names other families */
		if (*C.seeds)
			setenv("MMFUZZ_FAMILIES", C.seeds, 0);
		if (C.engine == ENGINE_LIBFUZZER && !C.replaying) {
			char dir[PATH_BYTES];
			path_join(dir, C.out, "crashes");
			setenv("MMFUZZ_CRASH_DIR", dir, 1);
		}
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
	if (seconds_left < 1)
		seconds_left = 1; /* 0 or less: libFuzzer would run without a limit */
	char bin[PATH_BYTES], corpus[PATH_BYTES], log[PATH_BYTES], a[4][PATH_BYTES];
	pathf(log, "%s/logs/w%d.log", C.out, k);
	path_join(corpus, C.out, "corpus");
	if (C.engine == ENGINE_LIBFUZZER) {
		/* findings are saved by the harness, which goes on (MMFUZZ_CRASH_DIR) */
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
	char hints[PATH_BYTES];
	pathf(hints, "%s/logs/w%d.hints", C.out, k);
	engine_afl_environment(mut, hints);
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

/*
 * The content hash of the file at @path (0: it cannot be read — e.g. AFL++ is
 * renaming its directory: it is found again at its new place).
 */
static uint64_t content_hash(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf), f);
	bool bad = ferror(f);
	fclose(f);
	if (bad)
		return 0;
	uint64_t h = XXH3_64bits(buf, n);
	return h + !h; /* 0 marks a free slot */
}

/*
 * True when a crash with @h's content was processed before (or cannot be
 * remembered: then counted skipped).  By content, not path: AFL++ moves crashes/
 * to crashes.DATE when it resumes, and the same crash must not count twice.
 */
static bool seen_before(uint64_t h)
{
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
	C.replaying = true;
	pid_t pid = spawn(argv, log);
	C.replaying = false;
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

/* Write @s as text at @path, with a first comment line @comment. */
static void write_sched(const char *path, const char *comment, const struct scenario *s)
{
	FILE *f = create_or_die(path);
	fprintf(f, "# %s\n", comment);
	scn_print(s, f);
	close_or_die(f, path);
}

/* The entry of @sig, added when new; NULL when the table is full. */
static struct finding_entry *finding_entry(uint64_t sig)
{
	int i = 0;
	while (i < C.findings_count && C.findings[i].signature != sig)
		i++;
	if (i == FINDINGS_MAX)
		return NULL;
	if (i == C.findings_count) {
		memset(&C.findings[i], 0, sizeof(C.findings[i]));
		C.findings[i].signature = sig;
		C.findings[i].first_seconds = -1;
		C.findings_count++;
	}
	return &C.findings[i];
}

static void process_crash(const char *dir, const char *source, const char *name)
{
	char crash[PATH_BYTES], fdir[PATH_BYTES], tmp[PATH_BYTES], p[PATH_BYTES], sig[32];
	static struct scenario s;
	static struct exec_result r;
	static struct race_signature rs;
	path_join(crash, dir, name);
	uint64_t h = content_hash(crash);
	if (!h || seen_before(h))
		return;
	C.crashes_seen++;
	count_source(source);
	struct stat st;
	if (!stat(crash, &st) && st.st_size == 0) {
		fprintf(stderr,
			"\nmmfuzz campaign: %s is empty: the engine could not write it "
			"(disk full?)\n",
			crash);
		return;
	}
	if (!crash_finding(crash, &s, &r)) {
		fprintf(stderr, "\nmmfuzz campaign: %s does not replay to a finding (kept)\n",
			crash);
		C.unreplayed++;
		return;
	}
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s.knobs;
	char err[256];
	if (!race_signature(&s, &o, &rs, err, sizeof(err))) {
		fprintf(stderr, "\nmmfuzz campaign: %s: %s (kept)\n", crash, err);
		return;
	}
	struct finding_entry *e = finding_entry(rs.value);
	if (!e)
		return;
	e->crashes++;
	if (e->crashes > 1 || e->first[0])
		return; /* known: this run or a resumed one */
	snprintf(e->oracle, sizeof(e->oracle), "%s", r.f.oracle);
	snprintf(e->site, sizeof(e->site), "%s", r.f.site ? r.f.site->name : "-");
	snprintf(e->site2, sizeof(e->site2), "%s", r.f.site2 ? r.f.site2->name : "-");
	race_signature_cause(&rs, e->cause, sizeof(e->cause));
	snprintf(e->first, sizeof(e->first), "%s", crash);
	e->first_seconds = now_seconds() - C.start;
	snprintf(sig, sizeof(sig), "%016llx", (unsigned long long)rs.value);
	pathf(fdir, "%s/findings/%s", C.out, sig);
	if (!stat(fdir, &st))
		return; /* written by an earlier run */
	/* everything into SIG.tmp, then one rename: a SIG directory is complete */
	pathf(tmp, "%s.tmp", fdir);
	if (!stat(tmp, &st)) {
		DIR *old = opendir(tmp);
		for (struct dirent *x; old && (x = readdir(old));)
			if (x->d_name[0] != '.') {
				path_join(p, tmp, x->d_name);
				unlink(p);
			}
		if (old)
			closedir(old);
		rmdir(tmp);
	}
	if (mkdir(tmp, 0777))
		write_failed(tmp, errno);
	/* input: the scenario as it ran (folded), binary: replays, minimizes */
	uint8_t buf[SCN_ENCODED_MAX];
	s.expect = -1;
	size_t len = scn_encode(&s, buf, sizeof(buf));
	path_join(p, tmp, "input");
	write_or_die(p, buf, len);
	/* crash: the engine's own bytes (addresses as the fuzzer wrote them) */
	static uint8_t raw[1 << 20];
	FILE *in = fopen(crash, "rb");
	size_t raw_len = in ? fread(raw, 1, sizeof(raw), in) : 0;
	if (in)
		fclose(in);
	path_join(p, tmp, "crash");
	write_or_die(p, raw, raw_len);
	s.expect = mm_oracle_by_name(r.f.oracle);
	snprintf(s.expect_site, sizeof(s.expect_site), "%s", r.f.site ? r.f.site->name : "");
	char comment[PATH_BYTES + 64];
	snprintf(comment, sizeof(comment), "found by mmfuzz campaign (%s), crash %s",
		 C.engine == ENGINE_AFL ? "afl" : "libfuzzer", crash);
	path_join(p, tmp, "finding.sched");
	write_sched(p, comment, &s);
	/* the same finding, minimized: what a human reads first */
	static struct minimize_result mr;
	if (minimize(&s, &o, &mr, err, sizeof(err))) {
		snprintf(comment, sizeof(comment),
			 "minimized by mmfuzz campaign: %d -> %d preemptions, %d -> %d operations, "
			 "%d -> %d agents",
			 mr.before.preempts, mr.after.preempts, mr.before.ops, mr.after.ops,
			 mr.before.agents, mr.after.agents);
		path_join(p, tmp, "minimized.sched");
		write_sched(p, comment, &mr.out);
	}
	path_join(p, tmp, "finding.txt");
	FILE *f = create_or_die(p);
	fprintf(f,
		"oracle %s\nsite %s\nother %s\ncause %s\nsignature %s\nfirst-seen %.0f s\n"
		"crash %s\nreplay mmfuzz replay --knobs=%s %s/finding.sched\nmessage %s\n",
		e->oracle, e->site, e->site2, e->cause, sig, e->first_seconds, crash,
		C.knobs ? C.knobs : "", fdir, r.f.msg);
	close_or_die(f, p);
	if (rename(tmp, fdir))
		write_failed(fdir, errno);
}

/* Findings of an earlier run on DIR (resume): listed in the summary, not rewritten. */
static void load_findings(void)
{
	char dir[PATH_BYTES], p[PATH_BYTES], line[PATH_BYTES + 64];
	path_join(dir, C.out, "findings");
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *x; (x = readdir(d));) {
		char *end;
		if (strlen(x->d_name) != 16)
			continue;
		uint64_t sig = strtoull(x->d_name, &end, 16);
		if (*end)
			continue;
		pathf(p, "%s/%s/finding.txt", dir, x->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		struct finding_entry *e = finding_entry(sig);
		if (!e) {
			fclose(f);
			break;
		}
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			char *v = strchr(line, ' ');
			if (!v)
				continue;
			*v++ = 0;
			if (!strcmp(line, "oracle"))
				snprintf(e->oracle, sizeof(e->oracle), "%s", v);
			else if (!strcmp(line, "site"))
				snprintf(e->site, sizeof(e->site), "%s", v);
			else if (!strcmp(line, "other"))
				snprintf(e->site2, sizeof(e->site2), "%s", v);
			else if (!strcmp(line, "cause"))
				snprintf(e->cause, sizeof(e->cause), "%s", v);
			else if (!strcmp(line, "crash"))
				snprintf(e->first, sizeof(e->first), "%s", v);
		}
		fclose(f);
		if (!e->first[0])
			snprintf(e->first, sizeof(e->first), "(earlier run)");
	}
	closedir(d);
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

/*
 * The crashes of one AFL++ instance directory under the output directory @out:
 * crashes/ and the crashes.DATE/ an AFL++ resume renamed it to.
 */
static void scan_instance(const char *out, const char *name)
{
	char p[PATH_BYTES], inst[PATH_BYTES];
	pathf(inst, "%s/%s", out, name);
	DIR *d = opendir(inst);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		if (!strncmp(e->d_name, "crashes", 7) &&
		    (e->d_name[7] == 0 || e->d_name[7] == '.')) {
			path_join(p, inst, e->d_name);
			scan_dir(p, name, "id:");
		}
	closedir(d);
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
	char p[PATH_BYTES], tmp[PATH_BYTES];
	path_join(p, C.out, "summary.txt");
	pathf(tmp, "%s.tmp", p);
	FILE *f = create_or_die(tmp);
	fprintf(f, "engine %s, %d jobs, %.0f s, knobs %s, seeds %s\n",
		C.engine == ENGINE_AFL ? "afl" : "libfuzzer", C.jobs, elapsed,
		C.knobs && *C.knobs ? C.knobs : "(none)", C.seeds);
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
	for (int i = 0; i < C.findings_count; i++) {
		const struct finding_entry *e = &C.findings[i];
		char seen[32];
		if (e->first_seconds < 0)
			snprintf(seen, sizeof(seen), "an earlier run");
		else
			snprintf(seen, sizeof(seen), "%.0f s", e->first_seconds);
		fprintf(
		    f,
		    "\n%016llx  %s at %s (other party: %s)\n  cause:      %s\n"
		    "  crashes:    %d this run, first seen %s: %s\n"
		    "  replay:     mmfuzz replay --knobs=%s %s/findings/%016llx/finding.sched\n",
		    (unsigned long long)e->signature, e->oracle, e->site, e->site2, e->cause,
		    e->crashes, seen, e->first, C.knobs ? C.knobs : "", C.out,
		    (unsigned long long)e->signature);
	}
	close_or_die(f, tmp);
	if (rename(tmp, p))
		write_failed(p, errno);
}

/* ---- progress ------------------------------------------------------------------------- */

struct progress {
	double execs_per_s;
	long features, corpus;
	bool known;
};

/*
 * libFuzzer (fork mode): the last status line of the log, "#N: cov: C ft: F corp:
 * K exec/s: E ...".  AFL++: every instance's fuzzer_stats (execs_per_sec,
 * corpus_count — the real queue — and edges_found), summed.
 */
static void read_progress(struct progress *pr)
{
	char p[PATH_BYTES], line[512];
	memset(pr, 0, sizeof(*pr));
	if (C.engine == ENGINE_LIBFUZZER) {
		for (int k = 0; k < C.jobs; k++) {
			pathf(p, "%s/logs/w%d.log", C.out, k);
			FILE *f = fopen(p, "r");
			if (!f)
				continue;
			/* the tail is enough: status lines come every few seconds */
			if (fseek(f, -8192, SEEK_END))
				rewind(f);
			long ft = 0, eps = 0;
			while (fgets(line, sizeof(line), f)) {
				long n, cov, f1, e1;
				char kind[16];
				if (sscanf(line, "#%ld %15s cov: %ld ft: %ld", &n, kind, &cov,
					   &f1) == 4)
					ft = f1;
				char *x = strstr(line, "exec/s: ");
				if (x && sscanf(x + 8, "%ld", &e1) == 1)
					eps = e1;
			}
			fclose(f);
			pr->features = ft > pr->features ? ft : pr->features; /* shared corpus */
			pr->execs_per_s += (double)eps;
			pr->known = true;
		}
		pathf(p, "%s/corpus", C.out);
		pr->corpus = count_files(p, "");
		return;
	}
	char out[PATH_BYTES], name[INSTANCE_NAME_BYTES];
	afl_out(out);
	for (int k = 0; k < C.jobs; k++) {
		instance_name(k, name);
		pathf(p, "%s/%s/fuzzer_stats", out, name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			double v;
			char key[64];
			if (sscanf(line, "%63s : %lf", key, &v) != 2)
				continue;
			if (!strcmp(key, "execs_per_sec"))
				pr->execs_per_s += v;
			else if (!strcmp(key, "corpus_count"))
				pr->corpus += (long)v;
			else if (!strcmp(key, "edges_found"))
				pr->features += (long)v;
		}
		fclose(f);
		pr->known = true;
	}
}

/* A full filesystem under DIR: the engines' corpus and crash files would be cut short. */
static void check_space(void)
{
	struct statvfs v;
	if (statvfs(C.out, &v))
		return;
	if ((unsigned long long)v.f_bavail * v.f_frsize < 64 * 1024)
		write_failed(C.out, ENOSPC);
}

struct corpus_file {
	char name[256];
	off_t bytes;
};

static int larger_first(const void *a, const void *b)
{
	const struct corpus_file *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

/*
 * Keep at most @keep files in @dir: the largest go first (a small input runs
 * faster and mutates into more).  Deterministic.  What they alone covered is lost
 * until the fuzzer finds it again: the price of a bound.
 */
static void cap_files(const char *dir, int keep)
{
	int n = count_files(dir, "");
	if (n <= keep)
		return;
	struct corpus_file *files = calloc((size_t)n, sizeof(*files));
	if (!files)
		return;
	DIR *d = opendir(dir);
	int i = 0;
	for (struct dirent *e; d && (e = readdir(d)) && i < n;) {
		char p[PATH_BYTES];
		struct stat st;
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(files[0].name))
			continue;
		path_join(p, dir, e->d_name);
		if (stat(p, &st))
			continue;
		snprintf(files[i].name, sizeof(files[i].name), "%s", e->d_name);
		files[i++].bytes = st.st_size;
	}
	if (d)
		closedir(d);
	qsort(files, (size_t)i, sizeof(files[0]), larger_first);
	for (int k = 0; k < i - keep; k++) {
		char p[PATH_BYTES];
		path_join(p, dir, files[k].name);
		unlink(p);
	}
	free(files);
}

/*
 * The libFuzzer corpus, reduced: -set_cover_merge=1 of DIR/corpus into
 * DIR/corpus.new (the inputs that keep every feature), which then replaces it;
 * then at most half of --corpus-max files.  On resume, and whenever the corpus
 * passes --corpus-max during the run (the workers are stopped for it and started
 * again on the reduced corpus): interleaving features grow the corpus without end
 * otherwise (19k files, 80 MB in 2 minutes).
 */
static void reduce_corpus(const char *corpus)
{
	char bin[PATH_BYTES], fresh[PATH_BYTES], old[PATH_BYTES], log[PATH_BYTES];
	pathf(bin, "%s/fuzz/mm_fuzzer", C.bindir);
	pathf(fresh, "%s.new", corpus);
	pathf(old, "%s.old", corpus);
	pathf(log, "%s/logs/merge.log", C.out);
	cap_files(fresh, 0); /* leftovers of an interrupted reduction */
	if (mkdir(fresh, 0777) && errno != EEXIST)
		write_failed(fresh, errno);
	int before = count_files(corpus, "");
	char *argv[] = {bin, "-set_cover_merge=1", fresh, (char *)corpus, NULL};
	int status;
	pid_t pid = spawn(argv, log);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || !count_files(fresh, "")) {
		fprintf(stderr, "mmfuzz campaign: reducing the corpus failed (%s): kept as it is\n",
			log);
		return;
	}
	int merged = count_files(fresh, "");
	cap_files(fresh, C.corpus_max / 2);
	int after = count_files(fresh, "");
	if (rename(corpus, old) || rename(fresh, corpus))
		write_failed(corpus, errno);
	DIR *d = opendir(old);
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.') {
			char p[PATH_BYTES];
			path_join(p, old, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(old);
	fprintf(stderr,
		"\nmmfuzz campaign: corpus reduced from %d to %d files (set cover merge: %d, "
		"capped at %d)\n",
		before, after, merged, C.corpus_max / 2);
	C.reductions++;
}

static void usage(void)
{
	fprintf(stderr, "usage: mmfuzz campaign --engine libfuzzer|afl --jobs N --seconds S "
			"--out DIR [--knobs=a,b]\n"
			"                       [--corpus DIR] [--corpus-max N] [--sync-dir SYNC "
			"--role main|secondary [--name NAME]]\n");
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

/* A whole number in min..max for @opt, else exit 2. */
static long whole(const char *opt, const char *v, long min, long max)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (!*v || *end || errno || x < min || x > max)
		bad("%s %s: not a whole number in %ld..%ld", opt, v, min, max);
	return x;
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
	const char *name = NULL, *corpus_arg = NULL;
	memset(&C, 0, sizeof(C));
	C.jobs = 1;
	C.seconds = 60;
	C.corpus_max = CORPUS_MAX_DEFAULT;
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
			C.jobs = (int)whole(argv[i], v, 1, JOBS_MAX);
			i++;
		} else if (!strcmp(argv[i], "--seconds") && v) {
			C.seconds = (int)whole(argv[i], v, 1, 365 * 86400);
			i++;
		} else if (!strcmp(argv[i], "--corpus") && v) {
			corpus_arg = v;
			i++;
		} else if (!strcmp(argv[i], "--corpus-max") && v) {
			C.corpus_max = (int)whole(argv[i], v, 64, 1 << 20);
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
		uint64_t mask;
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
	if (corpus_arg) {
		struct stat st;
		if (stat(corpus_arg, &st) || !S_ISDIR(st.st_mode) || !realpath(corpus_arg, C.seeds))
			bad("--corpus %s: not a directory", corpus_arg);
	} else if (!find_seeds()) {
		bad("no seed corpus next to %s (../corpus, ../share/mmfuzz/corpus): give --corpus "
		    "DIR",
		    C.bindir);
	}
	/* what every worker reads at its start: a bad value is an error here, not a
	 * campaign whose workers all exit at once */
	char ferr[640];
	if (!mut_families_from_env(ferr, sizeof(ferr)))
		bad("%s", ferr);
	mut_families_clear();
	char corpus[PATH_BYTES], out_corpus[PATH_MAX_BYTES + 8];
	path_join(corpus, C.out, "corpus");
	char out_real[PATH_MAX_BYTES];
	if (resolve(C.out, out_real)) {
		snprintf(out_corpus, sizeof(out_corpus), "%s/corpus", out_real);
		if (path_within(C.out, C.seeds) || path_within(out_corpus, C.seeds))
			bad("--out %s: its corpus would be the seed corpus %s (or inside it): "
			    "choose another --out",
			    C.out, C.seeds);
	}
	if ((mkdir(C.out, 0777) && errno != EEXIST)) {
		fprintf(stderr, "mmfuzz campaign: cannot create %s: %s\n", C.out, strerror(errno));
		return 2;
	}
	if (mkdirs(C.out, "corpus") || mkdirs(C.out, "crashes") || mkdirs(C.out, "logs") ||
	    mkdirs(C.out, "findings"))
		return 2;
	if (path_within(corpus, C.seeds))
		bad("--out %s: its corpus is the seed corpus %s", C.out, C.seeds);
	int seeded = seed_corpus(corpus);
	int resumed = seeded ? 0 : count_files(corpus, "");
	if (seeded)
		fprintf(stderr, "mmfuzz campaign: seeding from %s (%d scenarios)\n", C.seeds,
			seeded);
	else if (resumed)
		fprintf(stderr, "mmfuzz campaign: resuming %s (%d corpus files; seeds: %s)\n",
			C.out, resumed, C.seeds);
	else
		bad("no seed scenarios (.sched) in %s", C.seeds);
	load_findings();
	if (resumed && C.engine == ENGINE_LIBFUZZER)
		reduce_corpus(corpus);
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
	sigaction(SIGHUP, &sa, NULL); /* the terminal closed: stop, but finish the job */
	signal(SIGPIPE, SIG_IGN);     /* progress to a closed terminal is not fatal */

	int workers = C.jobs;
	C.start = now_seconds();
	double elapsed = 0;
	for (int k = 0; k < workers; k++)
		C.pid[k] = start_worker(k, C.seconds);
	while (!stop_requested) {
		int alive = 0;
		elapsed = now_seconds() - C.start;
		for (int k = 0; k < workers; k++) {
			if (C.pid[k] > 0 && waitpid(C.pid[k], NULL, WNOHANG) == C.pid[k])
				C.pid[k] = 0;
			/* a worker that stopped on a crash the harness did not save */
			if (!C.pid[k] && C.engine == ENGINE_LIBFUZZER && elapsed + 1 < C.seconds)
				C.pid[k] = start_worker(k, C.seconds - (int)elapsed);
			alive += C.pid[k] > 0;
		}
		check_space();
		scan_crashes();
		if (C.engine == ENGINE_LIBFUZZER && !C.sync_dir && elapsed + 10 < C.seconds &&
		    count_files(corpus, "") > C.corpus_max) {
			stop_workers();
			reduce_corpus(corpus);
			elapsed = now_seconds() - C.start;
			if (elapsed + 1 >= C.seconds)
				break; /* the merge took the rest of the budget */
			for (int k = 0; k < workers; k++)
				C.pid[k] = start_worker(k, C.seconds - (int)elapsed);
			continue;
		}
		struct progress pr;
		read_progress(&pr);
		if (pr.known)
			fprintf(stderr,
				"\r[%4.0f/%d s] %d/%d workers, %.0f execs/s, %s %ld, corpus %ld, "
				"crashes %d, findings %d   ",
				elapsed, C.seconds, alive, workers, pr.execs_per_s,
				C.engine == ENGINE_AFL ? "edges" : "features", pr.features,
				pr.corpus, C.crashes_seen, C.findings_count);
		else
			fprintf(stderr,
				"\r[%4.0f/%d s] %d/%d workers, starting, corpus %d, crashes %d, "
				"findings %d   ",
				elapsed, C.seconds, alive, workers, count_files(corpus, ""),
				C.crashes_seen, C.findings_count);
		if (!alive)
			break;
		/* the engines keep their own time; a worker that overruns it (a slow
		 * last input, an engine that ignores the limit) is stopped here */
		if (elapsed >= C.seconds + CAMPAIGN_GRACE_SECONDS)
			break;
		sleep(1);
	}
	stop_workers();
	scan_crashes();
	write_summary(elapsed);
	fprintf(stderr, "\n%s: %d crashes, %d distinct findings (%s/summary.txt)\n",
		stop_requested ? "stopped" : "done", C.crashes_seen, C.findings_count, C.out);
	for (int i = 0; i < C.findings_count; i++)
		fprintf(stderr, "  %016llx %s at %s: %s/findings/%016llx/finding.sched\n",
			(unsigned long long)C.findings[i].signature, C.findings[i].oracle,
			C.findings[i].site, C.out, (unsigned long long)C.findings[i].signature);
	if (C.unreplayed)
		fprintf(stderr, "  %d crashes kept that do not replay to a finding (see above)\n",
			C.unreplayed);
	if (stop_requested)
		signal(SIGHUP, SIG_IGN);
	return C.findings_count || C.unreplayed ? 1 : 0;
}

static void stop_workers(void)
{
	for (int k = 0; k < JOBS_MAX; k++)
		if (C.pid[k] > 0) {
			kill(-C.pid[k], SIGINT);
			kill(C.pid[k], SIGINT);
		}
	for (int k = 0; k < JOBS_MAX; k++)
		if (C.pid[k] > 0) {
			waitpid(C.pid[k], NULL, 0);
			C.pid[k] = 0;
		}
}
