/* SPDX-License-Identifier: MIT */
/*
 * Scenarios and schedules (see scenario.h): the operation table, the text parser and
 * printer (.sched, format v1) and the binary codec the fuzzers mutate.  Everything an
 * operation takes is described by one bit set in scn_op_table; the parser, the printer
 * and the codec walk those bits in the same order instead of knowing operations by
 * name, so a new operation is one X() line plus, for a new kind of field, one case in
 * parse_field(), print_field() and the op record.
 *
 * Validity, one definition shared by the parser and the decoder:
 *   - an operation with pages= is a mapping: ADDR page-aligned, the range inside the
 *     SCN_VA_PAGES-page address space; any other ADDR is a word access: 8-byte
 *     aligned, one of the first SCN_WORDS_PER_PAGE words of a page below SCN_VA_PAGES;
 *   - fields an operation does not take are zero, so equality is plain comparison;
 *   - an anchored preemption names a site ([A-Za-z0-9_:.()>-]{1,63}, never "->"),
 *     occurrence >= 1 (exactly 1 for "done") and a target other than its own agent;
 *   - "expect clean" has no site.
 * '#' starts a comment at the start of a line or after a blank; inside a word it is
 * the occurrence separator (site#3).
 *
 * Leaves out: meaning.  Whether the setup maps what the agents touch, whether an
 * anchor names a site that exists or a step is ever reached, is for the replay to
 * find out; a scenario that does nothing is still a valid input.
 */
#include "scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../core/knobs.h"
#include "../core/sbuf.h"
#include "../core/oracle.h"
#include "../scheduler/policy.h"

const struct scn_op_info scn_op_table[SCN_OP_COUNT] = {
#define SCN_OP_INFO(e, n, f) [e] = {n, f},
    SCN_OPS(SCN_OP_INFO)
#undef SCN_OP_INFO
};

const char *const scn_advice_names[SCN_ADV_COUNT] = {
#define SCN_ADV_NAME(e, n) [e] = n,
    SCN_ADVICES(SCN_ADV_NAME)
#undef SCN_ADV_NAME
};

/* Field bits in text order, with the syntax that error messages show. */
#define SCN_F_BITS 9
static const char *const field_syntax[SCN_F_BITS] = {
    "Pn", "ADDR", "pages=N", "anon|file=Fn", "shared|private", "r|rw", "ADVICE", "= VALUE", "Fn",
};
_Static_assert(SCN_F_FILE == 1u << (SCN_F_BITS - 1), "field_syntax[] covers every field");

#define WORD_BYTES 8u
#define SITE_MAX   (SCN_NAME_BYTES - 1)
/* Site-name characters; lower case first so that the decoder favours real names. */
static const char site_chars[] = "abcdefghijklmnopqrstuvwxyz_:0123456789().->"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
#define SITE_CHARS (sizeof(site_chars) - 1)

_Static_assert(KNOB_COUNT < 64, "knobs are a 64-bit mask");
_Static_assert(ORACLE_COUNT + 1 <= 256, "expect is one byte");
_Static_assert(SCN_OP_COUNT <= 256 && SCN_ADV_COUNT <= 256, "kinds are one byte");
_Static_assert(SCN_AGENTS_MAX <= SCHED_AGENTS_MAX, "agents are scheduler agents");
_Static_assert(SCN_AGENTS_MAX == NR_CPUS && SCN_SCHED_AGENTS == LD_AGENTS_END &&
		   SCN_SCHED_AGENTS <= SCHED_AGENTS_MAX && SCN_SCHED_AGENTS % SCN_AGENTS_MAX == 0,
	       "CPUs, then the drain and load agents (a preemption byte modulo either: the same "
	       "CPU)");
_Static_assert(SCN_PREEMPT_MAX <= SCHED_PREEMPT_MAX, "preemptions fit the directed policy");
_Static_assert(SCN_VA_PAGES <= 256 && SCN_PAGES_MAX <= SCN_VA_PAGES, "page is one byte");
_Static_assert(SCN_WORDS_PER_PAGE *WORD_BYTES <= SCN_PAGE_SIZE, "words fit a page");
_Static_assert(SCN_SETUP_MAX < 256 && SCN_OPS_MAX < 256 && SCN_PREEMPT_MAX < 256,
	       "counts are one byte");
_Static_assert(SITE_MAX < 256, "site length is one byte");

static uint64_t knobs_mask(void)
{
	return KNOB_BIT(KNOB_COUNT) - 1;
}

static bool site_is_done(const char *site)
{
	return !strcmp(site, SCHED_SITE_DONE);
}

const char *const scn_arch_names[SCN_ARCH_COUNT] = {"x86", "arm64"};
const char *const scn_memory_names[SCN_MEMORY_COUNT] = {"sc", "arm64"};

const char *scn_agent_name(int agent)
{
	static const char *const cpus[SCN_AGENTS_MAX] = {"CPU0", "CPU1", "CPU2", "CPU3"};
	if (agent >= 0 && agent < SCN_AGENTS_MAX)
		return cpus[agent];
	const char *sb = sb_agent_name(agent);
	return sb ? sb : "?";
}

void scn_init(struct scenario *s)
{
	memset(s, 0, sizeof(*s));
	s->version = SCN_FORMAT_VERSION;
	s->expect = -1;
}

/* ---- text: words and numbers ---------------------------------------------------- */

struct word {
	const char *p;
	size_t len;
};

/* The rest of a line, comment stripped, every byte printable ASCII or a blank. */
struct line {
	const char *p, *end;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool next_word(struct line *l, struct word *w)
{
	while (l->p < l->end && is_blank(*l->p))
		l->p++;
	w->p = l->p;
	while (l->p < l->end && !is_blank(*l->p))
		l->p++;
	w->len = (size_t)(l->p - w->p);
	return w->len > 0;
}

static bool word_is(struct word w, const char *s)
{
	return strlen(s) == w.len && !memcmp(w.p, s, w.len);
}

static bool word_prefix(struct word *w, const char *prefix)
{
	size_t n = strlen(prefix);

	if (w->len < n || memcmp(w->p, prefix, n))
		return false;
	w->p += n;
	w->len -= n;
	return true;
}

/* A word for a message: quoted, long ones cut, an empty one is the end of the line. */
#define QUOTE_MAX 40
struct quoted {
	char s[QUOTE_MAX + 8];
};

static struct quoted q(struct word w)
{
	struct quoted r;

	if (!w.len)
		snprintf(r.s, sizeof(r.s), "end of line");
	else if (w.len > QUOTE_MAX)
		snprintf(r.s, sizeof(r.s), "'%.*s...'", QUOTE_MAX - 3, w.p);
	else
		snprintf(r.s, sizeof(r.s), "'%.*s'", (int)w.len, w.p);
	return r;
}

enum num_status { NUM_OK, NUM_BAD, NUM_OVERFLOW };

/* Decimal or 0x-hex, nothing else. */
static enum num_status parse_u64(struct word w, uint64_t *v)
{
	const char *p = w.p;
	size_t len = w.len;
	unsigned base = 10;
	bool overflow = false;
	uint64_t x = 0;

	if (len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		len -= 2;
	}
	if (!len)
		return NUM_BAD;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (p[i] >= '0' && p[i] <= '9')
			d = (unsigned)(p[i] - '0');
		else if (base == 16 && p[i] >= 'a' && p[i] <= 'f')
			d = (unsigned)(p[i] - 'a' + 10);
		else if (base == 16 && p[i] >= 'A' && p[i] <= 'F')
			d = (unsigned)(p[i] - 'A' + 10);
		else
			return NUM_BAD;
		if (x > (UINT64_MAX - d) / base)
			overflow = true;
		else
			x = x * base + d;
	}
	*v = x;
	return overflow ? NUM_OVERFLOW : NUM_OK;
}

/* ---- text: the parser ----------------------------------------------------------- */

enum section { SEC_HEADER, SEC_PREAMBLE, SEC_SETUP, SEC_AGENTS, SEC_SCHEDULE };
static const char *const section_names[] = {
    [SEC_SETUP] = "setup", [SEC_AGENTS] = "agents", [SEC_SCHEDULE] = "schedule"};

struct parser {
	const char *name;
	unsigned line;
	char *err;
	size_t err_bytes;
	enum section where;
	bool expect_seen;
	bool tlb_seen;
	bool memory_seen;
	struct scenario *s;
};

__attribute__((format(printf, 2, 3))) static bool fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err_bytes)
		return false;
	n = snprintf(ps->err, ps->err_bytes, "%s:%u: ", ps->name, ps->line);
	if (n < 0 || (size_t)n >= ps->err_bytes)
		return false;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->err_bytes - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* A number in [min, max]; @what names it in messages ("pages=", "step "). */
static bool parse_num(struct parser *ps, struct word w, const char *what, uint64_t min,
		      uint64_t max, uint64_t *v)
{
	const int shown = (int)(w.len > QUOTE_MAX ? QUOTE_MAX : w.len);

	switch (parse_u64(w, v)) {
	case NUM_BAD:
		return fail(ps, "%s%.*s is not a number", what, shown, w.p);
	case NUM_OVERFLOW:
		return fail(ps, "%s%.*s is too large", what, shown, w.p);
	case NUM_OK:
		break;
	}
	if (*v < min || *v > max)
		return fail(ps, "%s%" PRIu64 " out of range %" PRIu64 "..%" PRIu64, what, *v, min,
			    max);
	return true;
}

/* CPUn, Pn, Fn: @prefix and a number below @count. */
static bool parse_id(struct parser *ps, struct word w, const char *prefix, unsigned count,
		     const char *what, uint8_t *out)
{
	struct word n = w;
	uint64_t v;

	if (!word_prefix(&n, prefix) || parse_u64(n, &v) == NUM_BAD)
		return fail(ps, "expected %s (%s0..%s%u), got %s", what, prefix, prefix, count - 1,
			    q(w).s);
	if (parse_u64(n, &v) == NUM_OVERFLOW || v >= count)
		return fail(ps, "%s %s out of range %s0..%s%u", what, q(w).s, prefix, prefix,
			    count - 1);
	*out = (uint8_t)v;
	return true;
}

static bool parse_agent(struct parser *ps, struct word w, uint8_t *out)
{
	return parse_id(ps, w, "CPU", SCN_AGENTS_MAX, "an agent", out);
}

/* A preemption's agent: a CPU, or with `memory arm64` a drain agent (SB0a) or a
 * load agent (LD0a). */
static bool parse_sched_agent(struct parser *ps, struct word w, uint8_t *out)
{
	for (int a = SCN_AGENTS_MAX; a < SCN_SCHED_AGENTS; a++) {
		if (!word_is(w, scn_agent_name(a)))
			continue;
		if (ps->s->memory != SCN_MEMORY_ARM64)
			return fail(ps, "%s is a %s agent: only with 'memory arm64'", q(w).s,
				    a < SB_AGENTS_END ? "store-buffer" : "load");
		*out = (uint8_t)a;
		return true;
	}
	if (w.len >= 2 && w.p[0] == 'S' && w.p[1] == 'B')
		return fail(ps, "expected a store-buffer agent (SB0a..SB%dc), got %s",
			    SCN_AGENTS_MAX - 1, q(w).s);
	if (w.len >= 2 && w.p[0] == 'L' && w.p[1] == 'D')
		return fail(ps, "expected a load agent (LD0a..LD%db), got %s", SCN_AGENTS_MAX - 1,
			    q(w).s);
	return parse_agent(ps, w, out);
}

bool scn_site_writable(const char *name)
{
	size_t len = strlen(name);
	if (!len || len > SITE_MAX || strstr(name, "->"))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!memchr(site_chars, name[i], SITE_CHARS))
			return false;
	return true;
}

static bool parse_site(struct parser *ps, struct word w, char site[SCN_NAME_BYTES])
{
	if (w.len > SITE_MAX)
		return fail(ps, "site name %s longer than %d characters", q(w).s, SITE_MAX);
	for (size_t i = 0; i < w.len; i++) {
		if (!memchr(site_chars, w.p[i], SITE_CHARS))
			return fail(ps, "character '%c' not allowed in site name %s", w.p[i],
				    q(w).s);
		if (i && w.p[i - 1] == '-' && w.p[i] == '>')
			return fail(ps, "site name %s contains '->'", q(w).s);
	}
	memset(site, 0, SCN_NAME_BYTES);
	memcpy(site, w.p, w.len);
	return true;
}

/* How field @bit of an operation of @kind is written, for messages. */
static const char *field_syntax_of(uint8_t kind, unsigned bit)
{
	if (kind == SCN_OP_MPROTECT && 1u << bit == SCN_F_PROT)
		return "none|r|rw";
	return field_syntax[bit];
}

/* One field of @op; @w is its first word, the line holds the rest. */
static bool parse_field(struct parser *ps, struct line *l, unsigned bit, struct word w,
			struct scn_op *op, uint64_t *addr)
{
	const char *opname = scn_op_table[op->kind].name;
	uint64_t v;

	switch (1u << bit) {
	case SCN_F_ADDR:
		return parse_num(ps, w, "address ", 0, UINT64_MAX, addr);
	case SCN_F_PAGES:
		if (!word_prefix(&w, "pages="))
			break;
		if (!parse_num(ps, w, "pages=", 1, SCN_PAGES_MAX, &v))
			return false;
		op->pages = (uint32_t)v;
		return true;
	case SCN_F_BACKING:
		if (word_is(w, "anon")) {
			op->anon = true;
			return true;
		}
		if (!word_prefix(&w, "file="))
			break;
		return parse_id(ps, w, "F", SCN_FILES_MAX, "a file", &op->file);
	case SCN_F_SHARING:
		if (!word_is(w, "shared") && !word_is(w, "private"))
			break;
		op->shared = word_is(w, "shared");
		return true;
	case SCN_F_PROT:
		if (word_is(w, "none")) {
			if (op->kind != SCN_OP_MPROTECT)
				return fail(ps, "'%s' takes r or rw, not none (none is mprotect's)",
					    opname);
			op->none = true;
			return true;
		}
		if (!word_is(w, "r") && !word_is(w, "rw"))
			break;
		op->write = word_is(w, "rw");
		return true;
	case SCN_F_ADVICE:
		for (int a = 0; a < SCN_ADV_COUNT; a++) {
			if (word_is(w, scn_advice_names[a])) {
				op->advice = (uint8_t)a;
				return true;
			}
		}
		return fail(ps, "unknown advice %s for '%s'", q(w).s, opname);
	case SCN_F_VALUE:
		if (!word_prefix(&w, "="))
			break;
		if (!w.len && !next_word(l, &w))
			return fail(ps, "'%s' is missing a value after '='", opname);
		if (!parse_num(ps, w, "value ", 0, UINT64_MAX, &v))
			return false;
		op->value = v;
		return true;
	case SCN_F_FILE:
		return parse_id(ps, w, "F", SCN_FILES_MAX, "a file", &op->file);
	}
	return fail(ps, "'%s' expects %s, got %s", opname, field_syntax_of(op->kind, bit), q(w).s);
}

/* Mappings: page-aligned ranges.  Word accesses: an aligned word of a page. */
static bool check_addr(struct parser *ps, struct scn_op *op, uint64_t addr)
{
	const uint32_t fields = scn_op_table[op->kind].fields;
	const uint64_t page = addr / SCN_PAGE_SIZE;

	if (!(fields & SCN_F_ADDR))
		return true;
	if (page >= SCN_VA_PAGES)
		return fail(ps, "address 0x%" PRIx64 " beyond the %d-page address space", addr,
			    SCN_VA_PAGES);
	if (fields & SCN_F_PAGES) {
		if (addr % SCN_PAGE_SIZE)
			return fail(ps, "address 0x%" PRIx64 " is not page-aligned", addr);
		if (page + op->pages > SCN_VA_PAGES)
			return fail(ps,
				    "0x%" PRIx64 " pages=%u ends beyond the %d-page address space",
				    addr, op->pages, SCN_VA_PAGES);
	} else {
		if (addr % WORD_BYTES)
			return fail(ps, "address 0x%" PRIx64 " is not %u-byte aligned", addr,
				    WORD_BYTES);
		if (addr % SCN_PAGE_SIZE / WORD_BYTES >= SCN_WORDS_PER_PAGE)
			return fail(ps, "address 0x%" PRIx64 " is not in the first %d words", addr,
				    SCN_WORDS_PER_PAGE);
	}
	op->addr = (uint32_t)addr;
	return true;
}

/* AGENT [Pn] NAME fields... */
static bool parse_op(struct parser *ps, struct line *l, struct word w, struct scn_op *op)
{
	const struct scn_op_info *info = NULL;
	bool has_proc = false;
	uint64_t addr = 0;

	memset(op, 0, sizeof(*op));
	if (!parse_agent(ps, w, &op->agent))
		return false;
	if (!next_word(l, &w))
		return fail(ps, "missing operation after CPU%u", op->agent);
	if (w.len >= 2 && w.p[0] == 'P' && w.p[1] >= '0' && w.p[1] <= '9') {
		if (!parse_id(ps, w, "P", SCN_PROCS_MAX, "a process", &op->proc))
			return false;
		has_proc = true;
		if (!next_word(l, &w))
			return fail(ps, "missing operation after P%u", op->proc);
	}
	for (int k = 0; k < SCN_OP_COUNT && !info; k++) {
		if (word_is(w, scn_op_table[k].name)) {
			op->kind = (uint8_t)k;
			info = &scn_op_table[k];
		}
	}
	if (!info)
		return fail(ps, "unknown operation %s", q(w).s);
	if ((info->fields & SCN_F_PROC) && !has_proc)
		return fail(ps, "'%s' needs a process (P0..P%d) before it", info->name,
			    SCN_PROCS_MAX - 1);
	if (!(info->fields & SCN_F_PROC) && has_proc)
		return fail(ps, "'%s' takes no process", info->name);
	for (unsigned bit = 1; bit < SCN_F_BITS; bit++) {
		if (!(info->fields & (1u << bit)))
			continue;
		if (!next_word(l, &w))
			return fail(ps, "'%s' is missing %s", info->name,
				    field_syntax_of(op->kind, bit));
		if (!parse_field(ps, l, bit, w, op, &addr))
			return false;
	}
	if (next_word(l, &w))
		return fail(ps, "unexpected %s after the fields of '%s'", q(w).s, info->name);
	return check_addr(ps, op, addr);
}

/* AGENT at SITE[#N] -> AGENT  |  at STEP -> AGENT */
static bool parse_preempt(struct parser *ps, struct line *l, struct word w, struct scn_preempt *pr)
{
	uint64_t v;

	memset(pr, 0, sizeof(*pr));
	if (!word_is(w, "at")) {
		struct word site, occ = {NULL, 0};

		pr->anchored = true;
		if (!parse_sched_agent(ps, w, &pr->agent))
			return false;
		if (!next_word(l, &w) || !word_is(w, "at"))
			return fail(ps, "expected 'at' after %s, got %s", scn_agent_name(pr->agent),
				    q(w).s);
		if (!next_word(l, &site))
			return fail(ps, "missing site after 'at'");
		for (size_t i = site.len; i-- > 0;) {
			if (site.p[i] == '#') {
				occ = (struct word){site.p + i + 1, site.len - i - 1};
				site.len = i;
				break;
			}
		}
		if (!site.len)
			return fail(ps, "missing site name before '#'");
		if (!parse_site(ps, site, pr->site))
			return false;
		pr->occurrence = 1;
		if (occ.p) {
			if (!parse_num(ps, occ, "occurrence #", 1, UINT32_MAX, &v))
				return false;
			if (site_is_done(pr->site) && v != 1)
				return fail(ps, "'%s' happens once, no occurrence #%" PRIu64,
					    SCHED_SITE_DONE, v);
			pr->occurrence = (uint32_t)v;
		}
	} else {
		if (!next_word(l, &w))
			return fail(ps, "missing step after 'at'");
		if (!parse_num(ps, w, "step ", 0, UINT32_MAX, &v))
			return false;
		pr->step = (uint32_t)v;
	}
	if (!next_word(l, &w) || !word_is(w, "->"))
		return fail(ps, "expected '->' before the target agent, got %s", q(w).s);
	if (!next_word(l, &w))
		return fail(ps, "missing target agent after '->'");
	if (!parse_sched_agent(ps, w, &pr->target))
		return false;
	if (pr->anchored && pr->target == pr->agent)
		return fail(ps, "%s cannot preempt itself", scn_agent_name(pr->agent));
	if (next_word(l, &w))
		return fail(ps, "unexpected %s after the target agent", q(w).s);
	return true;
}

/* knobs NAME[, NAME]... (blanks and commas both separate) */
static bool parse_knobs(struct parser *ps, struct line *l)
{
	while (l->p < l->end) {
		struct word w;
		int k;

		while (l->p < l->end && (is_blank(*l->p) || *l->p == ','))
			l->p++;
		w.p = l->p;
		while (l->p < l->end && !is_blank(*l->p) && *l->p != ',')
			l->p++;
		w.len = (size_t)(l->p - w.p);
		if (!w.len)
			continue;
		k = w.len < 256 ? mm_knob_by_name(w.p, (unsigned)w.len) : -1;
		if (k < 0)
			return fail(ps, "unknown knob %s", q(w).s);
		ps->s->knobs |= KNOB_BIT(k);
	}
	return true;
}

/* DIRECTIVE NAME, NAME one of @names: "arch arm64", "memory sc". */
static bool parse_named(struct parser *ps, struct line *l, const char *directive, const char *what,
			const char *need, const char *choices, const char *const *names, int count,
			uint8_t *out)
{
	struct word w;
	if (!next_word(l, &w))
		return fail(ps, "'%s' needs %s (%s)", directive, need, choices);
	int k = 0;
	while (k < count && !word_is(w, names[k]))
		k++;
	if (k == count)
		return fail(ps, "unknown %s %s (%s)", what, q(w).s, choices);
	*out = (uint8_t)k;
	if (next_word(l, &w))
		return fail(ps, "unexpected %s after the %s", q(w).s, what);
	return true;
}

/* arch x86|arm64 */
static bool parse_arch(struct parser *ps, struct line *l)
{
	return parse_named(ps, l, "arch", "arch", "a name", "x86 or arm64", scn_arch_names,
			   SCN_ARCH_COUNT, &ps->s->arch);
}

/* memory sc|arm64 */
static bool parse_memory(struct parser *ps, struct line *l)
{
	if (ps->memory_seen)
		return fail(ps, "duplicate 'memory' line");
	ps->memory_seen = true;
	return parse_named(ps, l, "memory", "memory model", "a model", "sc or arm64",
			   scn_memory_names, SCN_MEMORY_COUNT, &ps->s->memory);
}

/* expect ORACLE|clean [SITE] */
static bool parse_expect(struct parser *ps, struct line *l)
{
	struct scenario *s = ps->s;
	char name[SCN_NAME_BYTES] = "";
	struct word w;

	if (ps->expect_seen)
		return fail(ps, "duplicate 'expect' line");
	ps->expect_seen = true;
	if (!next_word(l, &w))
		return fail(ps, "'expect' needs an oracle name or 'clean'");
	if (w.len < sizeof(name))
		memcpy(name, w.p, w.len);
	s->expect = word_is(w, "clean") ? -1 : mm_oracle_by_name(name);
	if (s->expect < 0 && !word_is(w, "clean"))
		return fail(ps, "unknown oracle %s", q(w).s);
	if (!next_word(l, &w))
		return true;
	if (s->expect < 0)
		return fail(ps, "'expect clean' takes no site");
	if (!parse_site(ps, w, s->expect_site))
		return false;
	if (next_word(l, &w))
		return fail(ps, "unexpected %s after the expected site", q(w).s);
	return true;
}

/* tlb ipi|broadcast */
static bool parse_tlb(struct parser *ps, struct line *l)
{
	struct word w;

	if (ps->tlb_seen)
		return fail(ps, "duplicate 'tlb' line");
	ps->tlb_seen = true;
	if (!next_word(l, &w) || !(word_is(w, "ipi") || word_is(w, "broadcast")))
		return fail(ps, "'tlb' needs 'ipi' or 'broadcast'");
	ps->s->tlb_broadcast = word_is(w, "broadcast");
	if (next_word(l, &w))
		return fail(ps, "unexpected %s after the TLB flush mode", q(w).s);
	return true;
}

static bool parse_header(struct parser *ps, struct line *l, struct word w)
{
	uint64_t v;

	if (!word_is(w, "mmfuzz-sched"))
		return fail(ps, "missing 'mmfuzz-sched %d' header", SCN_FORMAT_VERSION);
	if (!next_word(l, &w))
		return fail(ps, "missing format version after 'mmfuzz-sched'");
	if (parse_u64(w, &v) == NUM_BAD)
		return fail(ps, "bad format version %s", q(w).s);
	if (parse_u64(w, &v) == NUM_OVERFLOW || v != SCN_FORMAT_VERSION)
		return fail(ps, "unsupported format version %.*s (this is version %d)",
			    (int)(w.len > QUOTE_MAX ? QUOTE_MAX : w.len), w.p, SCN_FORMAT_VERSION);
	if (next_word(l, &w))
		return fail(ps, "unexpected %s after the header", q(w).s);
	ps->where = SEC_PREAMBLE;
	return true;
}

static bool parse_line(struct parser *ps, struct line *l, struct word w)
{
	struct scenario *s = ps->s;

	if (ps->where == SEC_HEADER)
		return parse_header(ps, l, w);
	for (enum section sec = SEC_SETUP; sec <= SEC_SCHEDULE; sec++) {
		if (!word_is(w, section_names[sec]))
			continue;
		if (next_word(l, &w))
			return fail(ps, "unexpected %s after '%s'", q(w).s, section_names[sec]);
		if (sec == ps->where)
			return fail(ps, "duplicate section '%s'", section_names[sec]);
		if (sec < ps->where)
			return fail(ps, "section '%s' must come before '%s'", section_names[sec],
				    section_names[ps->where]);
		ps->where = sec;
		return true;
	}
	if (word_is(w, "knobs") || word_is(w, "expect") || word_is(w, "arch") ||
	    word_is(w, "tlb") || word_is(w, "memory")) {
		if (ps->where != SEC_PREAMBLE)
			return fail(ps, "'%.*s' must come before the sections", (int)w.len, w.p);
		if (word_is(w, "arch"))
			return parse_arch(ps, l);
		if (word_is(w, "memory"))
			return parse_memory(ps, l);
		if (word_is(w, "tlb"))
			return parse_tlb(ps, l);
		return word_is(w, "knobs") ? parse_knobs(ps, l) : parse_expect(ps, l);
	}
	switch (ps->where) {
	case SEC_SETUP:
		if (s->setup_count >= SCN_SETUP_MAX)
			return fail(ps, "too many setup lines (at most %d)", SCN_SETUP_MAX);
		return parse_op(ps, l, w, &s->setup[s->setup_count++]);
	case SEC_AGENTS:
		if (s->ops_count >= SCN_OPS_MAX)
			return fail(ps, "too many agent operations (at most %d)", SCN_OPS_MAX);
		return parse_op(ps, l, w, &s->ops[s->ops_count++]);
	case SEC_SCHEDULE:
		if (s->preempt_count >= SCN_PREEMPT_MAX)
			return fail(ps, "too many preemptions (at most %d)", SCN_PREEMPT_MAX);
		return parse_preempt(ps, l, w, &s->preempt[s->preempt_count++]);
	default:
		return fail(
		    ps,
		    "expected 'knobs', 'arch', 'expect', 'tlb', 'memory' or a section (setup, "
		    "agents, schedule), got %s",
		    q(w).s);
	}
}

/*
 * Cut the comment and a trailing '\r'; refuse control and non-ASCII bytes outside
 * comments (they would make words that look equal but are not).
 */
static bool line_clean(struct parser *ps, const char *p, size_t len, struct line *l)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '#' && (i == 0 || is_blank(p[i - 1])))
			break;
		if (c == '\r' && i == len - 1)
			break;
		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return fail(ps, "unexpected byte 0x%02x in column %zu", c, i + 1);
	}
	l->p = p;
	l->end = p + i;
	return true;
}

bool scn_parse(struct scenario *s, const char *text, size_t len, const char *name, char *err,
	       size_t err_bytes)
{
	struct parser ps = {
	    .name = name ? name : "<input>",
	    .err = err,
	    .err_bytes = err_bytes,
	    .where = SEC_HEADER,
	    .s = s,
	};
	size_t pos = 0;

	scn_init(s);
	if (err_bytes)
		err[0] = '\0';
	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		struct line l;
		struct word w;

		pos += n + 1;
		ps.line++;
		if (!line_clean(&ps, start, n, &l))
			return false;
		if (next_word(&l, &w) && !parse_line(&ps, &l, w))
			return false;
	}
	if (ps.where == SEC_HEADER) {
		ps.line = ps.line ? ps.line : 1;
		return fail(&ps, "missing 'mmfuzz-sched %d' header (no content)",
			    SCN_FORMAT_VERSION);
	}
	return true;
}

#define SCN_FILE_BYTES_MAX (1u << 20)

bool scn_load(struct scenario *s, const char *path, char *err, size_t err_bytes)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	bool ok;

	scn_init(s);
	if (!f) {
		snprintf(err, err_bytes, "%s: cannot open: %s", path, strerror(errno));
		return false;
	}
	/* One allocation per load, outside any hot path; +1 detects an oversized file. */
	buf = malloc(SCN_FILE_BYTES_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, err_bytes, "%s: out of memory", path);
		return false;
	}
	n = fread(buf, 1, SCN_FILE_BYTES_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, err_bytes, "%s: cannot read: %s", path, strerror(errno));
		ok = false;
	} else if (n > SCN_FILE_BYTES_MAX) {
		snprintf(err, err_bytes, "%s: larger than %u bytes, not a scenario", path,
			 SCN_FILE_BYTES_MAX);
		ok = false;
	} else {
		ok = scn_parse(s, buf, n, path, err, err_bytes);
	}
	free(buf);
	fclose(f);
	return ok;
}

/* ---- text: the printer ---------------------------------------------------------- */

/*
 * The operation-name column: as wide as the widest names it had (khugepaged,
 * mmap-stack); a longer name overflows it, so that adding one does not
 * re-indent every printed scenario and regression.
 */
static int op_name_width(void)
{
	return 10;
}

static void print_field(const struct scn_op *op, uint32_t field, FILE *out)
{
	switch (field) {
	case SCN_F_ADDR:
		fprintf(out, "0x%" PRIx32, op->addr);
		break;
	case SCN_F_PAGES:
		fprintf(out, "pages=%" PRIu32, op->pages);
		break;
	case SCN_F_BACKING:
		if (op->anon)
			fputs("anon", out);
		else
			fprintf(out, "file=F%u", op->file);
		break;
	case SCN_F_SHARING:
		fputs(op->shared ? "shared" : "private", out);
		break;
	case SCN_F_PROT:
		fputs(op->none ? "none" : op->write ? "rw" : "r", out);
		break;
	case SCN_F_ADVICE:
		fputs(op->advice < SCN_ADV_COUNT ? scn_advice_names[op->advice] : "?", out);
		break;
	case SCN_F_VALUE:
		fprintf(out, "= %" PRIu64, op->value);
		break;
	case SCN_F_FILE:
		fprintf(out, "F%u", op->file);
		break;
	}
}

void scn_print_op(const struct scn_op *op, FILE *out)
{
	const struct scn_op_info *info;

	fprintf(out, "CPU%u ", op->agent);
	if (op->kind >= SCN_OP_COUNT) {
		fprintf(out, "<bad operation %u>", op->kind);
		return;
	}
	info = &scn_op_table[op->kind];
	if (info->fields & SCN_F_PROC)
		fprintf(out, "P%u ", op->proc);
	else
		fputs("   ", out);
	if (info->fields & ~(uint32_t)SCN_F_PROC)
		fprintf(out, "%-*s", op_name_width(), info->name);
	else
		fputs(info->name, out);
	for (unsigned bit = 1; bit < SCN_F_BITS; bit++) {
		if (info->fields & (1u << bit)) {
			fputc(' ', out);
			print_field(op, 1u << bit, out);
		}
	}
}

static void print_preempt(const struct scn_preempt *pr, FILE *out)
{
	if (pr->anchored) {
		fprintf(out, "%s at %s", scn_agent_name(pr->agent), pr->site);
		if (pr->occurrence != 1)
			fprintf(out, "#%" PRIu32, pr->occurrence);
	} else {
		fprintf(out, "     at %" PRIu32, pr->step);
	}
	fprintf(out, " -> %s", scn_agent_name(pr->target));
}

void scn_print(const struct scenario *s, FILE *out)
{
	fprintf(out, "mmfuzz-sched %d\n", SCN_FORMAT_VERSION);
	if (s->knobs & knobs_mask()) {
		fputs("knobs  ", out);
		for (int k = 0; k < KNOB_COUNT; k++)
			if (s->knobs & KNOB_BIT(k))
				fprintf(out, " %s", mm_knob_table[k].name);
		fputc('\n', out);
	}
	if (s->arch != SCN_ARCH_X86 && s->arch < SCN_ARCH_COUNT)
		fprintf(out, "arch    %s\n", scn_arch_names[s->arch]);
	if (s->expect >= 0 && s->expect < ORACLE_COUNT)
		fprintf(out, "expect  %s", mm_oracle_names[s->expect]);
	else
		fputs("expect  clean", out);
	if (s->expect >= 0 && s->expect < ORACLE_COUNT && s->expect_site[0])
		fprintf(out, " %.*s", SITE_MAX, s->expect_site);
	fputc('\n', out);
	if (s->tlb_broadcast)
		fputs("tlb     broadcast\n", out);
	if (s->memory != SCN_MEMORY_SC && s->memory < SCN_MEMORY_COUNT)
		fprintf(out, "memory  %s\n", scn_memory_names[s->memory]);
	if (s->setup_count > 0)
		fputs("\nsetup\n", out);
	for (int i = 0; i < s->setup_count && i < SCN_SETUP_MAX; i++) {
		fputs("  ", out);
		scn_print_op(&s->setup[i], out);
		fputc('\n', out);
	}
	if (s->ops_count > 0)
		fputs("\nagents\n", out);
	for (int i = 0; i < s->ops_count && i < SCN_OPS_MAX; i++) {
		fputs("  ", out);
		scn_print_op(&s->ops[i], out);
		fputc('\n', out);
	}
	if (s->preempt_count > 0)
		fputs("\nschedule\n", out);
	for (int i = 0; i < s->preempt_count && i < SCN_PREEMPT_MAX; i++) {
		fputs("  ", out);
		print_preempt(&s->preempt[i], out);
		fputc('\n', out);
	}
}

/* ---- binary form ---------------------------------------------------------------- */
/*
 * Layout (varint: LEB128, at most 10 bytes, saturated to the field's range):
 *
 *   header         SCN_MAGIC, 4 bytes (skipped when present; the body alone is
 *                  decoded the same way, so inputs of before the header still decode)
 *   knobs          varint, masked to KNOB_COUNT bits
 *   arch           byte % SCN_ARCH_COUNT
 *   expect         byte % (ORACLE_COUNT + 1); 0 = clean, o + 1 = oracle o
 *   expect site    SITE (dropped when clean)
 *   setup          SECTION of OP (at most SCN_SETUP_MAX)
 *   agents         SECTION of OP (at most SCN_OPS_MAX)
 *   schedule       SECTION of PREEMPT (at most SCN_PREEMPT_MAX)
 *   hardware       byte, bit 0: tlb broadcast (written only when not 0, or when
 *                  the memory byte follows: inputs from before it decode as they did)
 *   memory         byte % SCN_MEMORY_COUNT (written only when not sc)
 *
 *   SECTION  varint byte length, then records until those bytes run out (a record
 *            cut short by the end of its section reads zeros).  Framing keeps the
 *            scenario and the schedule apart: inserting or deleting bytes inside
 *            one section, or changing one record, leaves the others as they were.
 *   OP       agent, kind, proc, page, word, pages-1, file, flags (1 anon, 2 shared,
 *            4 rw), advice: one byte each, reduced modulo their range; value varint.
 *            Every record has every field, so a mutated kind keeps the rest of the
 *            input in place; fields the kind does not take decode to zero.
 *   PREEMPT  mode (bit 0: anchored), agent, target: bytes; step varint; occurrence-1
 *            varint; SITE.  Agents modulo SCN_AGENTS_MAX (the CPUs), or with memory
 *            arm64 modulo SCN_SCHED_AGENTS (the drain and load agents too: a CPU's
 *            byte names the same CPU either way).  SCN_SCHED_AGENTS grew from 16 to
 *            24 with the load agents: what the encoder wrote decodes as before, a
 *            raw byte of 16 or more may now name another agent.  An anchored
 *            target equal to its agent becomes the next agent.
 *   SITE     length byte (0: "done" for an anchor, none for expect; else at most 63),
 *            then one byte per character, indexing site_chars.
 *
 * A missing byte reads as 0, so every prefix of an input is an input too.
 */

#define OP_RECORD_MAX	   (9 + 10)
#define PREEMPT_RECORD_MAX (3 + 5 + 5 + 1 + SITE_MAX)
_Static_assert(SCN_MAGIC_BYTES + 5 + 1 + 1 + SITE_MAX + 3 * 3 +
		       (SCN_SETUP_MAX + SCN_OPS_MAX) * OP_RECORD_MAX +
		       SCN_PREEMPT_MAX * PREEMPT_RECORD_MAX + 2 <=
		   SCN_ENCODED_MAX,
	       "SCN_ENCODED_MAX holds any scenario");

struct reader {
	const uint8_t *p;
	size_t len, pos;
};

static uint8_t rd_byte(struct reader *r)
{
	return r->pos < r->len ? r->p[r->pos++] : 0;
}

static uint64_t rd_varint(struct reader *r)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b = rd_byte(r);

		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			break;
	}
	return v;
}

static uint32_t rd_u32(struct reader *r, uint32_t max)
{
	uint64_t v = rd_varint(r);

	return v > max ? max : (uint32_t)v;
}

static void rd_site(struct reader *r, char site[SCN_NAME_BYTES], bool zero_is_done)
{
	unsigned n = rd_byte(r);

	memset(site, 0, SCN_NAME_BYTES);
	if (!n && zero_is_done)
		strcpy(site, SCHED_SITE_DONE);
	n = n < SITE_MAX ? n : SITE_MAX;
	for (unsigned i = 0; i < n; i++) {
		char c = site_chars[rd_byte(r) % SITE_CHARS];

		site[i] = (c == '>' && i && site[i - 1] == '-') ? '_' : c;
	}
}

static void rd_op(struct reader *r, struct scn_op *op)
{
	const uint8_t agent = rd_byte(r), kind = rd_byte(r), proc = rd_byte(r);
	const uint8_t page = rd_byte(r) % SCN_VA_PAGES, word = rd_byte(r), pages = rd_byte(r);
	const uint8_t file = rd_byte(r), flags = rd_byte(r), advice = rd_byte(r);
	const uint64_t value = rd_varint(r);
	uint32_t fields;

	memset(op, 0, sizeof(*op));
	op->agent = agent % SCN_AGENTS_MAX;
	op->kind = kind % SCN_OP_COUNT;
	fields = scn_op_table[op->kind].fields;
	if (fields & SCN_F_PROC)
		op->proc = proc % SCN_PROCS_MAX;
	if (fields & SCN_F_ADDR) {
		op->addr = page * SCN_PAGE_SIZE;
		if (!(fields & SCN_F_PAGES))
			op->addr += word % SCN_WORDS_PER_PAGE * WORD_BYTES;
	}
	if (fields & SCN_F_PAGES) {
		op->pages = 1u + pages % SCN_PAGES_MAX;
		if (op->pages > (uint32_t)(SCN_VA_PAGES - page))
			op->pages = (uint32_t)(SCN_VA_PAGES - page);
	}
	if (fields & SCN_F_BACKING) {
		op->anon = flags & 1;
		op->file = op->anon ? 0 : file % SCN_FILES_MAX;
	}
	if (fields & SCN_F_SHARING)
		op->shared = (flags >> 1) & 1;
	if (fields & SCN_F_PROT) {
		op->write = (flags >> 2) & 1;
		/* bit 3: PROT_NONE, for mprotect only (a later addition: older inputs
		 * with the bit set on mprotect now decode to "none") */
		op->none = op->kind == SCN_OP_MPROTECT && !op->write && ((flags >> 3) & 1);
	}
	if (fields & SCN_F_ADVICE)
		op->advice = advice % SCN_ADV_COUNT;
	if (fields & SCN_F_VALUE)
		op->value = value;
	if (fields & SCN_F_FILE)
		op->file = file % SCN_FILES_MAX;
}

static void rd_preempt(struct reader *r, struct scn_preempt *pr)
{
	const uint8_t mode = rd_byte(r), agent = rd_byte(r), target = rd_byte(r);
	const uint32_t step = rd_u32(r, UINT32_MAX);
	const uint32_t occurrence = 1 + rd_u32(r, UINT32_MAX - 1);
	char site[SCN_NAME_BYTES];

	rd_site(r, site, true);
	memset(pr, 0, sizeof(*pr));
	pr->anchored = mode & 1;
	pr->target = target; /* reduced by rd_preempt_agents() */
	if (!pr->anchored) {
		pr->step = step;
		return;
	}
	pr->agent = agent;
	memcpy(pr->site, site, sizeof(site));
	pr->occurrence = site_is_done(site) ? 1 : occurrence;
}

/* A preemption's agents, once the memory model (at the end) says which there are. */
static void rd_preempt_agents(struct scn_preempt *pr, int agents)
{
	pr->target = (uint8_t)(pr->target % agents);
	if (!pr->anchored)
		return;
	pr->agent = (uint8_t)(pr->agent % agents);
	if (pr->target == pr->agent)
		pr->target = (uint8_t)((pr->agent + 1) % agents);
}

/* A sub-reader over the next section: its length, clamped to what is left. */
static struct reader rd_section(struct reader *r)
{
	uint64_t n = rd_varint(r);
	size_t left = r->len - r->pos;
	struct reader sec = {left ? r->p + r->pos : NULL, n < left ? (size_t)n : left, 0};

	r->pos += sec.len;
	return sec;
}

bool scn_is_binary(const uint8_t *buf, size_t len)
{
	return len >= SCN_MAGIC_BYTES && !memcmp(buf, SCN_MAGIC, SCN_MAGIC_BYTES);
}

void scn_decode(struct scenario *s, const uint8_t *buf, size_t len)
{
	struct reader r = {buf, len, scn_is_binary(buf, len) ? SCN_MAGIC_BYTES : 0}, sec;
	unsigned expect;

	scn_init(s);
	s->knobs = rd_varint(&r) & knobs_mask();
	s->arch = (uint8_t)(rd_byte(&r) % SCN_ARCH_COUNT);
	expect = rd_byte(&r) % (ORACLE_COUNT + 1);
	s->expect = (int)expect - 1;
	rd_site(&r, s->expect_site, false);
	if (s->expect < 0)
		memset(s->expect_site, 0, sizeof(s->expect_site));
	sec = rd_section(&r);
	while (sec.pos < sec.len && s->setup_count < SCN_SETUP_MAX)
		rd_op(&sec, &s->setup[s->setup_count++]);
	sec = rd_section(&r);
	while (sec.pos < sec.len && s->ops_count < SCN_OPS_MAX)
		rd_op(&sec, &s->ops[s->ops_count++]);
	sec = rd_section(&r);
	while (sec.pos < sec.len && s->preempt_count < SCN_PREEMPT_MAX)
		rd_preempt(&sec, &s->preempt[s->preempt_count++]);
	s->tlb_broadcast = rd_byte(&r) & 1;
	s->memory = (uint8_t)(rd_byte(&r) % SCN_MEMORY_COUNT);
	for (int i = 0; i < s->preempt_count; i++)
		rd_preempt_agents(&s->preempt[i], s->memory == SCN_MEMORY_ARM64 ? SCN_SCHED_AGENTS
										: SCN_AGENTS_MAX);
}

struct writer {
	uint8_t *p;
	size_t cap, pos;
	bool overflow;
};

static void wr_byte(struct writer *w, unsigned b)
{
	if (w->pos < w->cap)
		w->p[w->pos++] = (uint8_t)b;
	else
		w->overflow = true;
}

static void wr_varint(struct writer *w, uint64_t v)
{
	while (v >= 0x80) {
		wr_byte(w, (unsigned)(v & 0x7f) | 0x80);
		v >>= 7;
	}
	wr_byte(w, (unsigned)v);
}

static void wr_site(struct writer *w, const char *site, bool done_is_zero)
{
	const char *nul = memchr(site, '\0', SITE_MAX);
	size_t n = nul ? (size_t)(nul - site) : SITE_MAX;

	if (done_is_zero && site_is_done(site))
		n = 0;
	wr_byte(w, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		const char *c = memchr(site_chars, site[i], SITE_CHARS);

		wr_byte(w, c ? (unsigned)(c - site_chars) : 0);
	}
}

static void wr_op(struct writer *w, const struct scn_op *op)
{
	wr_byte(w, op->agent);
	wr_byte(w, op->kind);
	wr_byte(w, op->proc);
	wr_byte(w, op->addr / SCN_PAGE_SIZE);
	wr_byte(w, op->addr % SCN_PAGE_SIZE / WORD_BYTES);
	wr_byte(w, op->pages ? op->pages - 1 : 0);
	wr_byte(w, op->file);
	wr_byte(w, (op->anon ? 1u : 0) | (op->shared ? 2u : 0) | (op->write ? 4u : 0) |
		       (op->none ? 8u : 0));
	wr_byte(w, op->advice);
	wr_varint(w, op->value);
}

static void wr_preempt(struct writer *w, const struct scn_preempt *pr)
{
	wr_byte(w, pr->anchored);
	wr_byte(w, pr->agent);
	wr_byte(w, pr->target);
	wr_varint(w, pr->step);
	wr_varint(w, pr->occurrence ? pr->occurrence - 1 : 0);
	wr_site(w, pr->anchored ? pr->site : "", true);
}

/* Write a section: its records into a scratch buffer, then length and bytes. */
static void wr_section(struct writer *w, const void *records, int count, size_t record_bytes,
		       void (*wr_record)(struct writer *, const void *))
{
	uint8_t tmp[SCN_ENCODED_MAX];
	struct writer sec = {tmp, sizeof(tmp), 0, false};

	for (int i = 0; i < count; i++)
		wr_record(&sec, (const uint8_t *)records + (size_t)i * record_bytes);
	SCHED_ASSERT(!sec.overflow);
	wr_varint(w, sec.pos);
	for (size_t i = 0; i < sec.pos; i++)
		wr_byte(w, tmp[i]);
}

static void wr_op_record(struct writer *w, const void *op)
{
	wr_op(w, op);
}

static void wr_preempt_record(struct writer *w, const void *pr)
{
	wr_preempt(w, pr);
}

static int clamp_count(int n, int max)
{
	return n < 0 ? 0 : n > max ? max : n;
}

/* @trailer: the TLB and memory bytes also when they are the defaults (a salt follows) */
static size_t encode(const struct scenario *s, uint8_t *buf, size_t buf_bytes, bool trailer,
		     uint64_t salt)
{
	struct writer w = {buf, buf_bytes, 0, false};

	for (int i = 0; i < SCN_MAGIC_BYTES; i++)
		wr_byte(&w, (uint8_t)SCN_MAGIC[i]);
	wr_varint(&w, s->knobs & knobs_mask());
	wr_byte(&w, s->arch < SCN_ARCH_COUNT ? s->arch : 0);
	wr_byte(&w, s->expect >= 0 && s->expect < ORACLE_COUNT ? (unsigned)s->expect + 1 : 0);
	wr_site(&w, s->expect >= 0 ? s->expect_site : "", false);
	wr_section(&w, s->setup, clamp_count(s->setup_count, SCN_SETUP_MAX), sizeof(s->setup[0]),
		   wr_op_record);
	wr_section(&w, s->ops, clamp_count(s->ops_count, SCN_OPS_MAX), sizeof(s->ops[0]),
		   wr_op_record);
	wr_section(&w, s->preempt, clamp_count(s->preempt_count, SCN_PREEMPT_MAX),
		   sizeof(s->preempt[0]), wr_preempt_record);
	const bool memory = s->memory != SCN_MEMORY_SC && s->memory < SCN_MEMORY_COUNT;
	if (s->tlb_broadcast || memory || trailer)
		wr_byte(&w, s->tlb_broadcast);
	if (memory || trailer)
		wr_byte(&w, memory ? s->memory : SCN_MEMORY_SC);
	for (int i = 0; trailer && i < 8; i++)
		wr_byte(&w, (unsigned)(salt >> 8 * i) & 0xff);
	return w.overflow ? 0 : w.pos;
}

size_t scn_encode(const struct scenario *s, uint8_t *buf, size_t buf_bytes)
{
	return encode(s, buf, buf_bytes, false, 0);
}

size_t scn_encode_salted(const struct scenario *s, uint64_t salt, uint8_t *buf, size_t buf_bytes)
{
	return encode(s, buf, buf_bytes, true, salt);
}

size_t scn_encode_op(const struct scn_op *op, uint8_t *buf, size_t buf_bytes)
{
	struct writer w = {buf, buf_bytes, 0, false};

	wr_op(&w, op);
	return w.overflow ? 0 : w.pos;
}

size_t scn_encode_preempt(const struct scn_preempt *pr, uint8_t *buf, size_t buf_bytes)
{
	struct writer w = {buf, buf_bytes, 0, false};

	wr_preempt(&w, pr);
	return w.overflow ? 0 : w.pos;
}

/* ---- equality and queries ------------------------------------------------------- */

static bool op_equal(const struct scn_op *a, const struct scn_op *b)
{
	return a->kind == b->kind && a->agent == b->agent && a->proc == b->proc &&
	       a->file == b->file && a->anon == b->anon && a->shared == b->shared &&
	       a->write == b->write && a->none == b->none && a->advice == b->advice &&
	       a->addr == b->addr && a->pages == b->pages && a->value == b->value;
}

static bool preempt_equal(const struct scn_preempt *a, const struct scn_preempt *b)
{
	return a->anchored == b->anchored && a->agent == b->agent && a->target == b->target &&
	       a->occurrence == b->occurrence && a->step == b->step &&
	       !strncmp(a->site, b->site, SCN_NAME_BYTES);
}

bool scn_equal(const struct scenario *a, const struct scenario *b)
{
	if (a->version != b->version || a->knobs != b->knobs || a->arch != b->arch ||
	    a->expect != b->expect || a->tlb_broadcast != b->tlb_broadcast ||
	    a->memory != b->memory || strncmp(a->expect_site, b->expect_site, SCN_NAME_BYTES) ||
	    a->setup_count != b->setup_count || a->ops_count != b->ops_count ||
	    a->preempt_count != b->preempt_count)
		return false;
	for (int i = 0; i < a->setup_count && i < SCN_SETUP_MAX; i++)
		if (!op_equal(&a->setup[i], &b->setup[i]))
			return false;
	for (int i = 0; i < a->ops_count && i < SCN_OPS_MAX; i++)
		if (!op_equal(&a->ops[i], &b->ops[i]))
			return false;
	for (int i = 0; i < a->preempt_count && i < SCN_PREEMPT_MAX; i++)
		if (!preempt_equal(&a->preempt[i], &b->preempt[i]))
			return false;
	return true;
}

bool scn_agent_used(const struct scenario *s, int agent)
{
	for (int i = 0; i < s->setup_count && i < SCN_SETUP_MAX; i++)
		if (s->setup[i].agent == agent)
			return true;
	for (int i = 0; i < s->ops_count && i < SCN_OPS_MAX; i++)
		if (s->ops[i].agent == agent)
			return true;
	for (int i = 0; i < s->preempt_count && i < SCN_PREEMPT_MAX; i++) {
		const struct scn_preempt *pr = &s->preempt[i];

		if ((pr->anchored && pr->agent == agent) || pr->target == agent)
			return true;
	}
	return false;
}
