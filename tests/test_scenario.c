/* SPDX-License-Identifier: MIT */
/*
 * Criterion tests of tools/scenario.c: the text form (good files, every kind of error
 * with its line), the printer (canonical text, round trips) and the binary codec
 * (lossless on hand-written scenarios, total on pseudo-random bytes).  Validity is
 * checked by an independent helper here, not only by re-parsing, so a bug shared by
 * the parser and the printer still fails a test.
 *
 * Leaves out: what a scenario does when replayed (tests of the replay tool).
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/knobs.h"
#include "../core/oracle.h"
#include "../core/sbuf.h"
#include "../tools/scenario.h"

#define ERR_BYTES 256

/* ---- helpers ------------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* scn_print into a malloc'ed string; the caller frees it. */
static char *print_to_string(const struct scenario *s, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	cr_assert_not_null(f);
	scn_print(s, f);
	cr_assert_eq(fclose(f), 0);
	if (len)
		*len = n;
	return buf;
}

static void parse_ok(struct scenario *s, const char *text)
{
	char err[ERR_BYTES] = "";

	cr_assert(scn_parse(s, text, strlen(text), "ok.sched", err, sizeof(err)),
		  "should parse, got: %s\n--- text ---\n%s", err, text);
}

/* text must fail with "x.sched:LINE: ..." containing @what. */
static void expect_error_len(const char *text, size_t len, unsigned line, const char *what)
{
	struct scenario s;
	char err[ERR_BYTES] = "";
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "x.sched:%u: ", line);
	cr_expect(!scn_parse(&s, text, len, "x.sched", err, sizeof(err)), "should fail (%s):\n%s",
		  what, text);
	cr_expect(!strncmp(err, prefix, strlen(prefix)), "want prefix '%s', got '%s'", prefix, err);
	cr_expect(strstr(err, what) != NULL, "want '%s' in '%s'", what, err);
}

static void expect_error(const char *text, unsigned line, const char *what)
{
	expect_error_len(text, strlen(text), line, what);
}

/* Print, parse back, compare. */
static void check_print_roundtrip(const struct scenario *s)
{
	struct scenario back;
	char err[ERR_BYTES] = "";
	size_t len;
	char *text = print_to_string(s, &len);

	cr_assert(scn_parse(&back, text, len, "printed", err, sizeof(err)),
		  "printed text does not parse: %s\n%s", err, text);
	cr_assert(scn_equal(s, &back), "print/parse changed the scenario:\n%s", text);
	free(text);
}

static void check_codec_roundtrip(const struct scenario *s)
{
	uint8_t buf[SCN_ENCODED_MAX];
	struct scenario back;
	size_t n = scn_encode(s, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	scn_decode(&back, buf, n);
	cr_assert(scn_equal(s, &back), "encode/decode changed the scenario");
}

/* Independent statement of validity (see the top of scenario.c). */
static void check_op_valid(const struct scn_op *op)
{
	uint32_t f;

	cr_assert_lt(op->kind, SCN_OP_COUNT);
	cr_assert_lt(op->agent, SCN_AGENTS_MAX);
	f = scn_op_table[op->kind].fields;
	cr_assert(f & SCN_F_PROC ? op->proc < SCN_PROCS_MAX : op->proc == 0);
	if (!(f & SCN_F_ADDR))
		cr_assert_eq(op->addr, 0);
	else if (f & SCN_F_PAGES)
		cr_assert(op->addr % SCN_PAGE_SIZE == 0 &&
			  op->addr / SCN_PAGE_SIZE + op->pages <= SCN_VA_PAGES);
	else
		cr_assert(op->addr % 8 == 0 && op->addr / SCN_PAGE_SIZE < SCN_VA_PAGES &&
			  op->addr % SCN_PAGE_SIZE / 8 < SCN_WORDS_PER_PAGE);
	cr_assert(f & SCN_F_PAGES ? op->pages >= 1 && op->pages <= SCN_PAGES_MAX : op->pages == 0);
	if (!(f & SCN_F_BACKING))
		cr_assert(!op->anon);
	if (f & (SCN_F_FILE | SCN_F_BACKING))
		cr_assert(op->file < SCN_FILES_MAX && !(op->anon && op->file));
	else
		cr_assert_eq(op->file, 0);
	if (!(f & SCN_F_SHARING))
		cr_assert(!op->shared);
	if (!(f & SCN_F_PROT))
		cr_assert(!op->write);
	cr_assert(f & SCN_F_ADVICE ? op->advice < SCN_ADV_COUNT : op->advice == 0);
	if (!(f & SCN_F_VALUE))
		cr_assert_eq(op->value, 0);
}

static void check_valid(const struct scenario *s)
{
	cr_assert_eq(s->version, SCN_FORMAT_VERSION);
	cr_assert_eq(s->knobs & ~(KNOB_BIT(KNOB_COUNT) - 1), 0);
	cr_assert(s->expect >= -1 && s->expect < ORACLE_COUNT);
	if (s->expect < 0)
		cr_assert_eq(s->expect_site[0], '\0');
	cr_assert(s->setup_count >= 0 && s->setup_count <= SCN_SETUP_MAX);
	cr_assert(s->ops_count >= 0 && s->ops_count <= SCN_OPS_MAX);
	cr_assert(s->preempt_count >= 0 && s->preempt_count <= SCN_PREEMPT_MAX);
	for (int i = 0; i < s->setup_count; i++)
		check_op_valid(&s->setup[i]);
	for (int i = 0; i < s->ops_count; i++)
		check_op_valid(&s->ops[i]);
	for (int i = 0; i < s->preempt_count; i++) {
		const struct scn_preempt *pr = &s->preempt[i];

		/* the CPUs, and with memory arm64 the store-buffer drain agents */
		const int agents =
		    s->memory == SCN_MEMORY_ARM64 ? SCN_SCHED_AGENTS : SCN_AGENTS_MAX;
		cr_assert_lt(pr->target, agents);
		if (!pr->anchored) {
			cr_assert(pr->agent == 0 && pr->occurrence == 0 && pr->site[0] == '\0');
			continue;
		}
		cr_assert(pr->agent < agents && pr->agent != pr->target);
		cr_assert(pr->step == 0 && pr->occurrence >= 1);
		cr_assert(strlen(pr->site) >= 1 && strlen(pr->site) < SCN_NAME_BYTES);
		cr_assert_null(strstr(pr->site, "->"));
		cr_assert_eq(strspn(pr->site, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789_:.()>-"),
			     strlen(pr->site));
		if (!strcmp(pr->site, "done"))
			cr_assert_eq(pr->occurrence, 1);
	}
}

/* ---- good files ----------------------------------------------------------------- */

/* The example of scenario.h, its explanations turned into comments. */
static const char header_example[] =
    "# comment (anywhere after '#')\n"
    "mmfuzz-sched 1\n"
    "knobs   zap-rmap-before-flush          # (zero or more names, spaces or commas)\n"
    "expect  lost-write                     # (an oracle name, or \"clean\")\n"
    "\n"
    "setup                                   # (run in order, one CPU at a time)\n"
    "  CPU2 P0 mmap 0x0 pages=1 file=F0 shared rw\n"
    "  CPU2 P0 store 0x0 = 1\n"
    "\n"
    "agents                                  # (each agent runs its lines in order)\n"
    "  CPU0 P0 madvise 0x0 pages=1 dontneed\n"
    "  CPU1    writeback F0\n"
    "  CPU2 P0 store 0x0 = 2\n"
    "\n"
    "schedule                                # (preemptions)\n"
    "  CPU0 at zap_pte_range:rmap_removed -> CPU1     # anchored, first occurrence\n"
    "  CPU0 at zap_pte_range:ptep_get#3 -> CPU1       # anchored, third occurrence\n"
    "  CPU1 at done -> CPU2                           # after CPU1 finished\n"
    "  at 57 -> CPU2                                  # by step number\n";

Test(scenario_parse, header_example)
{
	struct scenario s;

	parse_ok(&s, header_example);
	cr_expect_eq(s.version, 1);
	cr_expect_eq(s.knobs, KNOB_BIT(KNOB_ZAP_RMAP_BEFORE_FLUSH));
	cr_expect_eq(s.expect, ORACLE_LOST_WRITE);
	cr_expect_str_empty(s.expect_site);
	cr_assert_eq(s.setup_count, 2);
	cr_assert_eq(s.ops_count, 3);
	cr_assert_eq(s.preempt_count, 4);

	const struct scn_op *m = &s.setup[0];
	cr_expect(m->kind == SCN_OP_MMAP && m->agent == 2 && m->proc == 0 && m->addr == 0 &&
		  m->pages == 1 && !m->anon && m->file == 0 && m->shared && m->write);
	cr_expect(s.setup[1].kind == SCN_OP_STORE && s.setup[1].value == 1);
	cr_expect(s.ops[0].kind == SCN_OP_MADVISE && s.ops[0].agent == 0 &&
		  s.ops[0].advice == SCN_ADV_DONTNEED && s.ops[0].pages == 1);
	cr_expect(s.ops[1].kind == SCN_OP_WRITEBACK && s.ops[1].agent == 1 && s.ops[1].file == 0 &&
		  s.ops[1].proc == 0);
	cr_expect(s.ops[2].kind == SCN_OP_STORE && s.ops[2].agent == 2 && s.ops[2].value == 2);

	const struct scn_preempt *p = s.preempt;
	cr_expect(p[0].anchored && p[0].agent == 0 && p[0].target == 1 && p[0].occurrence == 1);
	cr_expect_str_eq(p[0].site, "zap_pte_range:rmap_removed");
	cr_expect(p[1].anchored && p[1].occurrence == 3);
	cr_expect_str_eq(p[1].site, "zap_pte_range:ptep_get");
	cr_expect(p[2].anchored && p[2].agent == 1 && p[2].target == 2);
	cr_expect_str_eq(p[2].site, "done");
	cr_expect(!p[3].anchored && p[3].step == 57 && p[3].target == 2 && p[3].agent == 0 &&
		  p[3].occurrence == 0 && p[3].site[0] == '\0');
	check_valid(&s);
}

Test(scenario_parse, variants_ok)
{
	struct scenario s;

	parse_ok(&s, "mmfuzz-sched 0x1\r\n"
		     "knobs zap-flush-after-unlock,zap-rmap-before-flush\r\n"
		     "knobs ,, zap-flush-after-unlock ,\r\n"
		     "expect\ttlb-coherence\tflush_tlb_range:ipi(ack)\r\n"
		     "agents\r\n"
		     "\tCPU3\tP1\tstore\t4104\t=18446744073709551615\r\n"
		     "CPU0 P0 load 0x3f018 # last word of the last page\n"
		     "CPU1 P1 mmap 0x3c000 pages=4 anon private r\n"
		     "CPU1 P1 mmap 0x0 pages=8 file=F1 shared rw\n"
		     "CPU0 P1 store 0X3E010 = 0XfF\n"
		     "#\n"
		     "schedule\n"
		     "CPU3 at f.c:x>y-z#0x10 -> CPU0\n"
		     "at 0 -> CPU3\n"
		     "at 4294967295 -> CPU1");
	cr_expect_eq(s.knobs, (KNOB_BIT(KNOB_ZAP_FLUSH_AFTER_UNLOCK)) |
				  (KNOB_BIT(KNOB_ZAP_RMAP_BEFORE_FLUSH)));
	cr_expect_eq(s.expect, ORACLE_TLB_COHERENCE);
	cr_expect_str_eq(s.expect_site, "flush_tlb_range:ipi(ack)");
	cr_assert_eq(s.ops_count, 5);
	cr_expect(s.ops[4].addr == 0x3e010 && s.ops[4].value == 255);
	cr_expect(s.ops[0].agent == 3 && s.ops[0].proc == 1 && s.ops[0].addr == 4104 &&
		  s.ops[0].value == UINT64_MAX);
	cr_expect(s.ops[1].kind == SCN_OP_LOAD && s.ops[1].addr == 0x3f018);
	cr_expect(s.ops[2].anon && !s.ops[2].shared && !s.ops[2].write && s.ops[2].pages == 4 &&
		  s.ops[2].file == 0);
	cr_expect(!s.ops[3].anon && s.ops[3].file == 1 && s.ops[3].pages == 8);
	cr_assert_eq(s.preempt_count, 3);
	cr_expect_str_eq(s.preempt[0].site, "f.c:x>y-z");
	cr_expect_eq(s.preempt[0].occurrence, 16);
	cr_expect(!s.preempt[1].anchored && s.preempt[1].step == 0);
	cr_expect_eq(s.preempt[2].step, UINT32_MAX);
	check_valid(&s);
	check_print_roundtrip(&s);
	check_codec_roundtrip(&s);
}

/* ---- errors --------------------------------------------------------------------- */

#define H "mmfuzz-sched 1\n"

Test(scenario_errors, header)
{
	expect_error("", 1, "missing 'mmfuzz-sched 1' header");
	expect_error("# only\n# comments\n", 2, "missing 'mmfuzz-sched 1' header");
	expect_error("# c\n\nsetup\n", 3, "missing 'mmfuzz-sched 1' header");
	expect_error("mmfuzz-sched 2\n", 1, "unsupported format version 2");
	expect_error("mmfuzz-sched 99999999999999999999999\n", 1, "unsupported format version");
	expect_error("mmfuzz-sched\n", 1, "missing format version");
	expect_error("mmfuzz-sched one\n", 1, "bad format version 'one'");
	expect_error("mmfuzz-sched 1#x\n", 1, "bad format version '1#x'");
	expect_error("mmfuzz-sched 1 2\n", 1, "unexpected '2' after the header");
}

Test(scenario_errors, preamble)
{
	expect_error(H "knobs zap-rmap-before-flush, nope\n", 2, "unknown knob 'nope'");
	expect_error(H "expect lost-writes\n", 2, "unknown oracle 'lost-writes'");
	expect_error(H "expect\n", 2, "needs an oracle name or 'clean'");
	expect_error(H "expect clean\nexpect clean\n", 3, "duplicate 'expect'");
	expect_error(H "expect clean foo\n", 2, "'expect clean' takes no site");
	expect_error(H "expect lost-write foo bar\n", 2, "unexpected 'bar'");
	expect_error(H "expect lost-write foo#2\n", 2, "character '#' not allowed");
	expect_error(H "frobnicate\n", 2,
		     "expected 'knobs', 'arch', 'expect', 'tlb', 'memory' or a section");
	expect_error(H "arch\n", 2, "'arch' needs a name (x86 or arm64)");
	expect_error(H "arch riscv\n", 2, "unknown arch 'riscv' (x86 or arm64)");
	expect_error(H "arch arm64 x86\n", 2, "unexpected 'x86' after the arch");
	expect_error(H "setup\narch arm64\n", 3, "'arch' must come before the sections");
	expect_error(H "tlb\n", 2, "'tlb' needs 'ipi' or 'broadcast'");
	expect_error(H "tlb invlpgb\n", 2, "'tlb' needs 'ipi' or 'broadcast'");
	expect_error(H "tlb ipi\ntlb broadcast\n", 3, "duplicate 'tlb' line");
	expect_error(H "tlb broadcast now\n", 2, "unexpected 'now' after the TLB flush mode");
	expect_error(H "agents\ntlb ipi\n", 3, "'tlb' must come before the sections");
	expect_error(H "memory\n", 2, "'memory' needs a model (sc or arm64)");
	expect_error(H "memory tso\n", 2, "unknown memory model 'tso' (sc or arm64)");
	expect_error(H "memory sc arm64\n", 2, "unexpected 'arm64' after the memory model");
	expect_error(H "memory sc\nmemory sc\n", 3, "duplicate 'memory' line");
	expect_error(H "agents\nmemory sc\n", 3, "'memory' must come before the sections");
	expect_error(H "agents\nsetup\n", 3, "section 'setup' must come before 'agents'");
	expect_error(H "setup\n\nsetup\n", 4, "duplicate section 'setup'");
	expect_error(H "setup now\n", 2, "unexpected 'now' after 'setup'");
	expect_error(H "setup\nknobs\n", 3, "'knobs' must come before the sections");
	expect_error(H "schedule\nexpect clean\n", 3, "'expect' must come before the sections");
}

Test(scenario_errors, operations)
{
	expect_error(H "setup\nCPU0 P0 mmapp 0x0\n", 3, "unknown operation 'mmapp'");
	expect_error(H "setup\nP0 mmap 0x0 pages=1 anon shared rw\n", 3,
		     "expected an agent (CPU0..CPU3), got 'P0'");
	expect_error(H "agents\nCPU4 P0 load 0x0\n", 3, "out of range CPU0..CPU3");
	expect_error(H "agents\nCPU0 P2 load 0x0\n", 3, "out of range P0..P1");
	expect_error(H "agents\nCPU0\n", 3, "missing operation after CPU0");
	expect_error(H "agents\nCPU0 P1\n", 3, "missing operation after P1");
	expect_error(H "agents\nCPU0 store 0x0 = 1\n", 3, "'store' needs a process");
	expect_error(H "agents\nCPU0 P0 writeback F0\n", 3, "'writeback' takes no process");
	expect_error(H "agents\nCPU1 writeback F2\n", 3, "out of range F0..F1");
	expect_error(H "agents\nCPU1 writeback 0x0\n", 3, "expected a file (F0..F1), got '0x0'");
	expect_error(H "agents\nCPU1 writeback F0 F1\n", 3,
		     "unexpected 'F1' after the fields of 'writeback'");
	expect_error(H "agents\nCPU1 writeback\n", 3, "'writeback' is missing Fn");
	expect_error(H "setup\nCPU0 P0 mmap 0x0 pages=0 anon shared rw\n", 3,
		     "pages=0 out of range 1..16");
	expect_error(H "setup\nCPU0 P0 mmap 0x0 pages=17 anon shared rw\n", 3,
		     "pages=17 out of range 1..16");
	expect_error(H "setup\nCPU0 P0 mmap 0x0 pages=x anon shared rw\n", 3,
		     "pages=x is not a number");
	expect_error(H "setup\nCPU0 P0 mmap 0x0 1 anon shared rw\n", 3,
		     "'mmap' expects pages=N, got '1'");
	expect_error(H "setup\nCPU0 P0 mmap 0x0 pages=1 anon shared\n", 3,
		     "'mmap' is missing r|rw");
	expect_error(H "setup\nCPU0 P0 mmap 0x0 pages=1 anon rw shared\n", 3,
		     "'mmap' expects shared|private, got 'rw'");
	expect_error(H "setup\nCPU0 P0 mmap 0x0 pages=1 anonymous shared rw\n", 3,
		     "'mmap' expects anon|file=Fn, got 'anonymous'");
	expect_error(H "setup\nCPU0 P0 mmap 0x0 pages=1 file=F9 shared rw\n", 3,
		     "out of range F0..F1");
	expect_error(H "setup\nCPU0 P0 mmap 0x10 pages=1 anon shared rw\n", 3,
		     "address 0x10 is not page-aligned");
	expect_error(H "setup\nCPU0 P0 mmap 0x40000 pages=1 anon shared rw\n", 3,
		     "beyond the 64-page address space");
	expect_error(H "setup\nCPU0 P0 mmap 0x3f000 pages=2 anon shared rw\n", 3,
		     "pages=2 ends beyond the 64-page address space");
	expect_error(H "setup\nCPU0 P0 mmap 0xfffffffffffff000 pages=1 anon shared rw\n", 3,
		     "beyond the 64-page address space");
	expect_error(H "setup\nCPU0 P0 mmap 0x10000000000000000 pages=1 anon shared rw\n", 3,
		     "address 0x10000000000000000 is too large");
	expect_error(H "agents\nCPU0 P0 load 0x4\n", 3, "address 0x4 is not 8-byte aligned");
	expect_error(H "agents\nCPU0 P0 load 0x1020\n", 3, "not in the first 4 words");
	expect_error(H "agents\nCPU0 P0 load 0x40000\n", 3, "beyond the 64-page address space");
	expect_error(H "agents\nCPU0 P0 load zero\n", 3, "address zero is not a number");
	expect_error(H "agents\nCPU0 P0 load 0x\n", 3, "address 0x is not a number");
	expect_error(H "agents\nCPU0 P0 store 0x0 = 18446744073709551616\n", 3,
		     "value 18446744073709551616 is too large");
	expect_error(H "agents\nCPU0 P0 store 0x0 =\n", 3, "'store' is missing a value after '='");
	expect_error(H "agents\nCPU0 P0 store 0x0 2\n", 3, "'store' expects = VALUE, got '2'");
	expect_error(H "agents\nCPU0 P0 store 0x0\n", 3, "'store' is missing = VALUE");
	expect_error(H "setup\nCPU1 P1 mmap 0x0 pages=8 file=F1 shared rw#glued\n", 3,
		     "'mmap' expects r|rw, got 'rw#glued'");
	expect_error(H "agents\nCPU0 P0 madvise 0x0 pages=1 willneed\n", 3,
		     "unknown advice 'willneed' for 'madvise'");
}

Test(scenario_errors, schedule)
{
	expect_error(H "schedule\nCPU0 zap -> CPU1\n", 3, "expected 'at' after CPU0, got 'zap'");
	expect_error(H "schedule\nCPU0\n", 3, "expected 'at' after CPU0, got end of line");
	expect_error(H "schedule\nCPU0 at\n", 3, "missing site after 'at'");
	expect_error(H "schedule\nCPU0 at foo CPU1\n", 3, "expected '->' before the target");
	expect_error(H "schedule\nCPU0 at foo #3 -> CPU1\n", 3, "expected '->'");
	expect_error(H "schedule\nCPU0 at foo ->\n", 3, "missing target agent after '->'");
	expect_error(H "schedule\nCPU0 at foo -> CPU9\n", 3, "out of range CPU0..CPU3");
	expect_error(H "schedule\nCPU0 at foo -> CPU0\n", 3, "CPU0 cannot preempt itself");
	expect_error(H "schedule\nCPU0 at foo -> CPU1 now\n", 3, "unexpected 'now'");
	expect_error(H "schedule\nCPU0 at foo#0 -> CPU1\n", 3, "occurrence #0 out of range 1..");
	expect_error(H "schedule\nCPU0 at foo# -> CPU1\n", 3, "occurrence # is not a number");
	expect_error(H "schedule\nCPU0 at foo#4294967296 -> CPU1\n", 3,
		     "occurrence #4294967296 out of range");
	expect_error(H "schedule\nCPU0 at #3 -> CPU1\n", 3, "missing site after 'at'");
	expect_error(H "schedule\nCPU0 at a#b#3 -> CPU1\n", 3, "character '#' not allowed");
	expect_error(H "schedule\nCPU0 at done#2 -> CPU1\n", 3, "'done' happens once");
	expect_error(H "schedule\nCPU0 at foo->bar -> CPU1\n", 3, "contains '->'");
	expect_error(H "schedule\nCPU0 at fo$o -> CPU1\n", 3, "character '$' not allowed");
	expect_error(H "schedule\nCPU0 at "
		       "a123456789b123456789c123456789d123456789e123456789f123456789abcd -> CPU1\n",
		     3, "longer than 63 characters");
	expect_error(H "schedule\nat 4294967296 -> CPU1\n", 3, "step 4294967296 out of range");
	expect_error(H "schedule\nat x -> CPU1\n", 3, "step x is not a number");
	expect_error(H "schedule\nat\n", 3, "missing step after 'at'");
	expect_error(H "schedule\nat 5 CPU1\n", 3, "expected '->'");
	expect_error(H "agents\nCPU0 P0 load 0x0\nschedule\nat 1 -> SB0a\n", 5,
		     "'SB0a' is a store-buffer agent: only with 'memory arm64'");
	expect_error(H "memory arm64\nschedule\nat 1 -> SB4a\n", 4,
		     "expected a store-buffer agent (SB0a..SB3c), got 'SB4a'");
	expect_error(H "agents\nCPU0 P0 load 0x0\nschedule\nat 1 -> LD0a\n", 5,
		     "'LD0a' is a load agent: only with 'memory arm64'");
	expect_error(H "memory arm64\nschedule\nat 1 -> LD0c\n", 4,
		     "expected a load agent (LD0a..LD3b), got 'LD0c'");
	expect_error(H "memory arm64\nschedule\nSB0a at done -> SB0a\n", 4,
		     "SB0a cannot preempt itself");
	expect_error(H "agents\nSB0a P0 load 0x0\n", 3, "expected an agent (CPU0..CPU3)");
}

Test(scenario_errors, limits)
{
	char text[8192];
	int n;

	n = snprintf(text, sizeof(text), H "setup\n");
	for (int i = 0; i <= SCN_SETUP_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "CPU0 P0 load 0x0\n");
	expect_error(text, 3 + SCN_SETUP_MAX, "too many setup lines (at most 16)");

	n = snprintf(text, sizeof(text), H "agents\n");
	for (int i = 0; i <= SCN_OPS_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "CPU1 writeback F1\n");
	expect_error(text, 3 + SCN_OPS_MAX, "too many agent operations (at most 32)");

	n = snprintf(text, sizeof(text), H "schedule\n");
	for (int i = 0; i <= SCN_PREEMPT_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "at %d -> CPU1\n", i);
	expect_error(text, 3 + SCN_PREEMPT_MAX, "too many preemptions (at most 48)");

	/* Exactly at the limits is fine. */
	struct scenario s;
	n = snprintf(text, sizeof(text), H "schedule\n");
	for (int i = 0; i < SCN_PREEMPT_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "at %d -> CPU1\n", i);
	parse_ok(&s, text);
	cr_expect_eq(s.preempt_count, SCN_PREEMPT_MAX);
}

Test(scenario_errors, bytes_and_sizes)
{
	static const char nul[] = H "ag\0ents\n";
	static char big[200000];
	struct scenario s;
	char err[ERR_BYTES];

	expect_error_len(nul, sizeof(nul) - 1, 2, "unexpected byte 0x00 in column 3");
	expect_error(H "agents\xc3\xa9\n", 2, "unexpected byte 0xc3 in column 7");
	expect_error(H "agents\rfoo\n", 2, "unexpected byte 0x0d in column 7");
	/* Bytes in comments are free, NUL included. */
	static const char comment[] = H "# caf\xc3\xa9 \0 \x01\nagents\n";
	cr_expect(scn_parse(&s, comment, sizeof(comment) - 1, "c", err, sizeof(err)), "%s", err);

	/* A very long line: the message quotes a cut word and stays in its buffer. */
	const size_t head = strlen(H "agents\nCPU0 P0 ");
	memcpy(big, H "agents\nCPU0 P0 ", head);
	memset(big + head, 'x', sizeof(big) - head);
	expect_error_len(big, sizeof(big), 3, "unknown operation 'xxxx");
	cr_expect(!scn_parse(&s, big, sizeof(big), "x.sched", err, sizeof(err)));
	cr_expect_lt(strlen(err), 120);

	/* Not NUL-terminated: len rules. */
	const char *t = H "agents\nCPU1 writeback F0 trailing";
	cr_expect(scn_parse(&s, t, strlen(t) - strlen(" trailing"), "t", err, sizeof(err)), "%s",
		  err);
	cr_expect_eq(s.ops_count, 1);

	/* A small error buffer is cut and terminated; a zero-sized one is not touched. */
	char tiny[12];
	memset(tiny, '@', sizeof(tiny));
	cr_expect(!scn_parse(&s, "", 0, "x.sched", tiny, sizeof(tiny)));
	cr_expect_str_eq(tiny, "x.sched:1: ");
	cr_expect(!scn_parse(&s, "", 0, "a-very-long-name.sched", tiny, 5));
	cr_expect_str_eq(tiny, "a-ve");
	cr_expect(!scn_parse(&s, "", 0, "x", NULL, 0));
}

/* ---- printer and round trips ---------------------------------------------------- */

Test(scenario_print, canonical)
{
	struct scenario s;
	char *text;

	parse_ok(&s, header_example);
	s.knobs |= KNOB_BIT(KNOB_ZAP_FLUSH_AFTER_UNLOCK);
	strcpy(s.expect_site, "folio_mkclean");
	text = print_to_string(&s, NULL);
	cr_expect_str_eq(text, "mmfuzz-sched 1\n"
			       "knobs   zap-rmap-before-flush zap-flush-after-unlock\n"
			       "expect  lost-write folio_mkclean\n"
			       "\n"
			       "setup\n"
			       "  CPU2 P0 mmap       0x0 pages=1 file=F0 shared rw\n"
			       "  CPU2 P0 store      0x0 = 1\n"
			       "\n"
			       "agents\n"
			       "  CPU0 P0 madvise    0x0 pages=1 dontneed\n"
			       "  CPU1    writeback  F0\n"
			       "  CPU2 P0 store      0x0 = 2\n"
			       "\n"
			       "schedule\n"
			       "  CPU0 at zap_pte_range:rmap_removed -> CPU1\n"
			       "  CPU0 at zap_pte_range:ptep_get#3 -> CPU1\n"
			       "  CPU1 at done -> CPU2\n"
			       "       at 57 -> CPU2\n");
	free(text);

	scn_init(&s);
	text = print_to_string(&s, NULL);
	cr_expect_str_eq(text, "mmfuzz-sched 1\nexpect  clean\n");
	free(text);
}

Test(scenario_print, print_op)
{
	struct scn_op op = {
	    .kind = SCN_OP_STORE, .agent = 3, .proc = 1, .addr = 0x1018, .value = 42};
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	scn_print_op(&op, f);
	fclose(f);
	cr_expect_str_eq(buf, "CPU3 P1 store      0x1018 = 42");
	free(buf);
}

static const char *const good_files[] = {
    header_example,
    H,
    H "expect mm-bug\n",
    H "expect hang done\nschedule\nCPU3 at done -> CPU0\nCPU2 at x#4294967295 -> CPU3\n",
    H "knobs zap-flush-after-unlock\nsetup\nCPU3 P1 mmap 0x3f000 pages=1 anon private r\n",
    H "agents\nCPU0 P0 madvise 0x38000 pages=8 dontneed\nCPU0 P1 load 0x18\n"
      "CPU2 P1 store 0x3f000 = 0xffffffffffffffff\nCPU3 writeback F1\n",
    H "setup\nCPU1 P0 mmap 0x0 pages=8 file=F1 shared r\n"
      "schedule\nat 0 -> CPU0\nCPU0 at a:b(c).d>e-f_G9 -> CPU1\n",
    H "arch arm64\nsetup\nCPU0 P0 mmap 0x0 pages=4 anon private rw\n",
    H "tlb broadcast\nagents\nCPU1 P0 khugepaged 0x14000 pages=4\n",
    H "expect clean\ntlb ipi\nagents\nCPU1 P0 khugepaged 0x10000 pages=16\n",
    H "arch arm64\ntlb broadcast\nagents\nCPU1 P0 khugepaged 0x10000 pages=4\n",
};

/* `tlb broadcast` is printed and encoded; the default (ipi) is neither. */
Test(scenario_print, tlb_mode)
{
	struct scenario s;
	char *text;
	uint8_t buf[SCN_ENCODED_MAX], ipi[SCN_ENCODED_MAX];

	parse_ok(&s, H "tlb broadcast\n");
	cr_expect(s.tlb_broadcast);
	text = print_to_string(&s, NULL);
	cr_expect_str_eq(text, "mmfuzz-sched 1\nexpect  clean\ntlb     broadcast\n");
	free(text);
	size_t n = scn_encode(&s, buf, sizeof(buf));
	s.tlb_broadcast = false;
	size_t m = scn_encode(&s, ipi, sizeof(ipi));
	cr_expect_eq(n, m + 1, "one trailing byte");
	cr_expect(!memcmp(buf, ipi, m) && buf[m] == 1);
	parse_ok(&s, H "tlb ipi\n");
	cr_expect(!s.tlb_broadcast);
}

/*
 * memory arm64: a directive of its own; the drain agents SB0a.. in preemptions;
 * fences and release/acquire; text and binary round trips; the binary form of a
 * memory sc scenario is what it was before the directive existed.
 */
Test(scenario_print, memory_model)
{
	struct scenario s;
	uint8_t buf[SCN_ENCODED_MAX], sc[SCN_ENCODED_MAX];
	const char *text = "mmfuzz-sched 1\n"
			   "expect  clean\n"
			   "memory  arm64\n"
			   "\n"
			   "agents\n"
			   "  CPU0 P0 store      0x0 = 1\n"
			   "  CPU0    wmb\n"
			   "  CPU0 P0 store-rel  0x8 = 1\n"
			   "  CPU1    mb\n"
			   "  CPU1    rmb\n"
			   "  CPU1 P0 load-acq   0x8\n"
			   "\n"
			   "schedule\n"
			   "  CPU0 at hw_access:store -> SB0b\n"
			   "  SB0a at sb_drain:visible -> CPU1\n"
			   "       at 3 -> SB3c\n"
			   "  LD1b at ld_perform:read -> LD0a\n";
	parse_ok(&s, text);
	cr_expect_eq(s.memory, SCN_MEMORY_ARM64);
	cr_expect_eq(s.ops[1].kind, SCN_OP_SMP_WMB);
	cr_expect_eq(s.ops[2].kind, SCN_OP_STORE_RELEASE);
	cr_expect_eq(s.ops[5].kind, SCN_OP_LOAD_ACQUIRE);
	cr_expect_eq(s.preempt[0].target, SCN_AGENTS_MAX + 1);
	cr_expect_eq(s.preempt[1].agent, SCN_AGENTS_MAX);
	cr_expect_eq(s.preempt[2].target, SB_AGENTS_END - 1);
	cr_expect_eq(s.preempt[3].agent, LD_AGENT(1, 1));
	cr_expect_eq(s.preempt[3].target, LD_AGENT(0, 0));
	cr_expect_eq(LD_AGENT(3, 1), SCN_SCHED_AGENTS - 1);
	char *printed = print_to_string(&s, NULL);
	cr_expect_str_eq(printed, text);
	free(printed);
	check_print_roundtrip(&s);
	check_codec_roundtrip(&s);
	size_t n = scn_encode(&s, buf, sizeof(buf));
	s.memory = SCN_MEMORY_SC;
	s.preempt_count = 0;
	size_t m = scn_encode(&s, sc, sizeof(sc));
	cr_expect_gt(n, m);
	cr_expect_eq(sc[m - 1], 0, "memory sc writes no trailing bytes: the agents section ends");
	parse_ok(&s, H "memory sc\n");
	cr_expect_eq(s.memory, SCN_MEMORY_SC);
}

/*
 * A salted encoding decodes to the same scenario, defaults or not, and differs
 * from the plain one and from another salt's.  A salt appended to scn_encode's
 * bytes would not: with the defaults left out, its first byte turns the TLB mode
 * to broadcast (the zoo's odd seeds did, for an hour).
 */
Test(scenario_codec, a_salt_changes_the_bytes_and_not_the_scenario)
{
	static const char *const texts[] = {H, H "tlb broadcast\n", H "memory arm64\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct scenario s, back;
		uint8_t plain[SCN_ENCODED_MAX], a[SCN_ENCODED_MAX + SCN_SALT_BYTES],
		    b[SCN_ENCODED_MAX + SCN_SALT_BYTES];
		parse_ok(&s, texts[i]);
		size_t n = scn_encode(&s, plain, sizeof(plain));
		size_t na = scn_encode_salted(&s, 1, a, sizeof(a));
		size_t nb = scn_encode_salted(&s, 2, b, sizeof(b));
		cr_assert(na > n && na <= n + SCN_SALT_BYTES && nb == na, "text %zu", i);
		cr_assert(!memcmp(plain, a, n) && memcmp(a, b, na), "text %zu", i);
		scn_decode(&back, a, na);
		cr_assert(scn_equal(&s, &back), "text %zu: the salt changed the scenario", i);
		plain[n] = 1; /* what an appended salt 1 did */
		scn_decode(&back, plain, n + 1);
		if (!s.tlb_broadcast && s.memory == SCN_MEMORY_SC)
			cr_assert(back.tlb_broadcast, "a byte after scn_encode's is read");
	}
	cr_assert_eq(scn_encode_salted(&(struct scenario){0}, 1, (uint8_t[4]){0}, 4), 0,
		     "too small a buffer");
}

Test(scenario_print, roundtrip_and_codec)
{
	for (size_t i = 0; i < sizeof(good_files) / sizeof(good_files[0]); i++) {
		struct scenario s;

		parse_ok(&s, good_files[i]);
		check_valid(&s);
		check_print_roundtrip(&s);
		check_codec_roundtrip(&s);
	}
}

/* ---- equality, agents, load ----------------------------------------------------- */

Test(scenario_misc, equal_sees_every_field)
{
	struct scenario a, b;

	parse_ok(&a, header_example);
	b = a;
	cr_expect(scn_equal(&a, &b));
	b.preempt[1].occurrence = 4;
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.preempt[0].site[3] = 'X';
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.setup[1].value = 7;
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.setup[0].write = false;
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.ops[1].file = 1;
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.knobs = 0;
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.arch = SCN_ARCH_ARM64;
	cr_expect(!scn_equal(&a, &b));
	b = a;
	strcpy(b.expect_site, "x");
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.tlb_broadcast = true;
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.memory = SCN_MEMORY_ARM64;
	cr_expect(!scn_equal(&a, &b));
	b = a;
	b.ops_count--;
	cr_expect(!scn_equal(&a, &b));
	/* Entries past the counts do not matter. */
	b = a;
	b.ops[SCN_OPS_MAX - 1].value = 99;
	cr_expect(scn_equal(&a, &b));
}

Test(scenario_misc, agent_used)
{
	struct scenario s;

	parse_ok(&s, H "setup\nCPU2 P0 load 0x0\nagents\nCPU0 P0 load 0x0\n"
		       "schedule\nat 1 -> CPU1\n");
	cr_expect(scn_agent_used(&s, 0));
	cr_expect(scn_agent_used(&s, 1));
	cr_expect(scn_agent_used(&s, 2));
	cr_expect(!scn_agent_used(&s, 3));
	parse_ok(&s, H "schedule\nCPU3 at x -> CPU1\n");
	cr_expect(scn_agent_used(&s, 3) && scn_agent_used(&s, 1));
	cr_expect(!scn_agent_used(&s, 0) && !scn_agent_used(&s, 2));
}

Test(scenario_misc, load)
{
	char path[] = "/tmp/test_scenario_XXXXXX";
	struct scenario s;
	char err[ERR_BYTES];
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs(H "agents\nCPU1 writeback F1\nCPU0 P0 mmapp\n", f);
	fclose(f);
	cr_expect(!scn_load(&s, path, err, sizeof(err)));
	cr_expect(!strncmp(err, path, strlen(path)) && strstr(err, ":4: unknown operation 'mmapp'"),
		  "%s", err);

	f = fopen(path, "w");
	fputs(H "agents\nCPU1 writeback F1\n", f);
	fclose(f);
	cr_expect(scn_load(&s, path, err, sizeof(err)), "%s", err);
	cr_expect_eq(s.ops_count, 1);

	/* Over the size cap. */
	f = fopen(path, "w");
	fputs(H, f);
	for (int i = 0; i < (1 << 20) / 64 + 1; i++)
		fprintf(f, "%63s\n", "#");
	fclose(f);
	cr_expect(!scn_load(&s, path, err, sizeof(err)));
	cr_expect(strstr(err, "larger than") != NULL, "%s", err);
	unlink(path);

	cr_expect(!scn_load(&s, path, err, sizeof(err)));
	cr_expect(strstr(err, ": cannot open: No such file or directory") != NULL, "%s", err);
	cr_expect(!scn_load(&s, "/tmp", err, sizeof(err)));
	cr_expect(strstr(err, "/tmp: cannot read: Is a directory") != NULL, "%s", err);
}

/* ---- binary form ---------------------------------------------------------------- */

Test(scenario_codec, decode_empty)
{
	struct scenario s, init;
	char *text;

	memset(&s, 0xa5, sizeof(s));
	scn_decode(&s, NULL, 0);
	scn_init(&init);
	cr_expect(scn_equal(&s, &init));
	check_valid(&s);
	text = print_to_string(&s, NULL);
	cr_expect_str_eq(text, "mmfuzz-sched 1\nexpect  clean\n");
	free(text);
}

Test(scenario_codec, encode_small_buffer)
{
	struct scenario s;
	uint8_t buf[SCN_ENCODED_MAX];
	size_t n;

	parse_ok(&s, header_example);
	n = scn_encode(&s, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_expect_eq(scn_encode(&s, buf, n - 1), 0);
	cr_expect_eq(scn_encode(&s, buf, n), n);
}

/* The largest scenario still fits SCN_ENCODED_MAX. */
Test(scenario_codec, encode_largest)
{
	struct scenario s;
	uint8_t buf[SCN_ENCODED_MAX];

	scn_init(&s);
	s.knobs = (KNOB_BIT(KNOB_COUNT) - 1);
	s.expect = 0;
	s.tlb_broadcast = true;
	memset(s.expect_site, 'a', SCN_NAME_BYTES - 1);
	s.setup_count = SCN_SETUP_MAX;
	s.ops_count = SCN_OPS_MAX;
	s.preempt_count = SCN_PREEMPT_MAX;
	for (int i = 0; i < SCN_SETUP_MAX + SCN_OPS_MAX; i++) {
		struct scn_op *op = i < SCN_SETUP_MAX ? &s.setup[i] : &s.ops[i - SCN_SETUP_MAX];

		*op = (struct scn_op){.kind = SCN_OP_STORE,
				      .agent = 3,
				      .proc = 1,
				      .addr = 0x3f018,
				      .value = UINT64_MAX};
	}
	for (int i = 0; i < SCN_PREEMPT_MAX; i++) {
		s.preempt[i] = (struct scn_preempt){
		    .anchored = true, .agent = 1, .target = 2, .occurrence = UINT32_MAX};
		memset(s.preempt[i].site, 'z', SCN_NAME_BYTES - 1);
	}
	check_valid(&s);
	check_codec_roundtrip(&s);
	check_print_roundtrip(&s);
	cr_expect_gt(scn_encode(&s, buf, sizeof(buf)), 0);
}

/* A +1 on the last byte of a by-step preemption moves it by one step, nothing else. */
Test(scenario_codec, small_mutation_small_change)
{
	struct scenario s, m;
	uint8_t buf[SCN_ENCODED_MAX];
	size_t n;

	parse_ok(&s, header_example);
	n = scn_encode(&s, buf, sizeof(buf));
	/* Last record: mode, agent, target, step 57, occurrence-1 = 0, site length 0. */
	cr_assert_eq(buf[n - 3], 57);
	buf[n - 3]++;
	scn_decode(&m, buf, n);
	cr_expect_eq(m.preempt[3].step, 58);
	m.preempt[3].step = 57;
	cr_expect(scn_equal(&s, &m));
	/* Truncating the input drops the tail, keeps the rest. */
	scn_decode(&m, buf, n - 6);
	cr_expect_eq(m.preempt_count, 3);
	cr_expect_str_eq(m.preempt[2].site, "done");
	scn_decode(&m, buf, n - 5);
	cr_expect_eq(m.preempt_count, 4);
	cr_expect(!m.preempt[3].anchored && m.preempt[3].step == 0 && m.preempt[3].target == 0);
}

/*
 * Sections are framed: a varint in the first setup record that swallows the next
 * byte reshapes the setup, and leaves the agents and the schedule alone.
 */
Test(scenario_codec, sections_are_framed)
{
	struct scenario s, m;
	uint8_t buf[SCN_ENCODED_MAX];
	size_t n, at;

	parse_ok(&s, header_example);
	cr_assert_gt(s.setup_count, 1);
	n = scn_encode(&s, buf, sizeof(buf));
	/* header, knobs varint, expect byte, expect site (length + chars), then the setup length */
	at = SCN_MAGIC_BYTES;
	while (buf[at] & 0x80)
		at++;
	at += 2 + buf[at + 2] + 1;
	cr_assert_lt(buf[at], 0x80, "setup section shorter than 128 bytes");
	/* first setup record: 9 one-byte fields, then the value varint (0) */
	cr_assert_eq(buf[at + 1 + 9], 0);
	buf[at + 1 + 9] = 0x80;
	scn_decode(&m, buf, n);
	cr_expect(!scn_equal(&m, &s));
	cr_expect_eq(m.ops_count, s.ops_count);
	cr_expect_eq(m.preempt_count, s.preempt_count);
	for (int i = 0; i < s.ops_count; i++)
		cr_expect_eq(memcmp(&m.ops[i], &s.ops[i], sizeof(s.ops[i])), 0);
	for (int i = 0; i < s.preempt_count; i++)
		cr_expect_eq(memcmp(&m.preempt[i], &s.preempt[i], sizeof(s.preempt[i])), 0);
}

/* The binary form starts with SCN_MAGIC; a body without it decodes the same (old inputs). */
Test(scenario_codec, binary_header)
{
	struct scenario s, m;
	uint8_t buf[SCN_ENCODED_MAX];
	size_t n;

	parse_ok(&s, header_example);
	n = scn_encode(&s, buf, sizeof(buf));
	cr_assert(scn_is_binary(buf, n));
	cr_assert_eq(memcmp(buf, "\x7fmmf", 4), 0);
	scn_decode(&m, buf + SCN_MAGIC_BYTES, n - SCN_MAGIC_BYTES);
	cr_expect(scn_equal(&s, &m));
	cr_expect(!scn_is_binary((const uint8_t *)"mmfuzz-sched 1\n", 15));
	cr_expect(!scn_is_binary(buf, 3));
}

Test(scenario_codec, decode_is_total)
{
	static uint8_t buf[3000];
	uint8_t enc[SCN_ENCODED_MAX];
	uint64_t seed = 0x6d6d66757a7a; /* fixed: failures reproduce */
	int anchored = 0, ops = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = splitmix64(&seed) % (iter % 10 ? 300 : sizeof(buf));
		struct scenario s, back;
		char err[ERR_BYTES] = "";
		char *text;
		size_t text_len, n;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)splitmix64(&seed);
		scn_decode(&s, buf, len);
		check_valid(&s);
		text = print_to_string(&s, &text_len);
		cr_assert(scn_parse(&back, text, text_len, "decoded", err, sizeof(err)),
			  "iteration %d: %s\n%s", iter, err, text);
		cr_assert(scn_equal(&s, &back), "iteration %d: print/parse differs\n%s", iter,
			  text);
		free(text);
		n = scn_encode(&s, enc, sizeof(enc));
		cr_assert_gt(n, 0);
		scn_decode(&back, enc, n);
		cr_assert(scn_equal(&s, &back), "iteration %d: encode/decode differs", iter);
		for (int i = 0; i < s.preempt_count; i++)
			anchored += s.preempt[i].anchored;
		ops += s.ops_count + s.setup_count;
	}
	/* The generator reached the interesting parts. */
	cr_expect_gt(anchored, 1000);
	cr_expect_gt(ops, 10000);
}
