/* SPDX-License-Identifier: MIT */
/* The race window of a failing schedule (see bisect.h). */
#include "bisect.h"

#include <stdio.h>
#include <string.h>

#include "minimize.h"
#include "trace_print.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

/* The failing run, kept: every candidate replay overwrites the scheduler's trace. */
static struct sched_trace_entry failing[SCHED_TRACE_MAX];
static uint32_t occurrence[SCHED_TRACE_MAX];

static bool is_access(uint8_t op)
{
	return op == SCHED_OP_READ || op == SCHED_OP_WRITE || op == SCHED_OP_RMW;
}

/* Recorded without a decision of the recording agent: an IPI ack, a retry. */
static bool is_decision(const struct sched_trace_entry *e)
{
	if (e->op == SCHED_OP_RETRY)
		return false;
	return !(e->op == SCHED_OP_IRQ && SCHED_OBJ_KIND(e->obj) == SCHED_OBJ_IPI &&
		 SCHED_OBJ_INDEX(e->obj) != e->agent);
}

/*
 * occurrence[k]: how many times e[k]'s agent has reached e[k]'s site, e[k]
 * included; 0 for steps that are not decision points.  O(steps * sites).
 */
static void count_occurrences(const struct sched_trace_entry *e, uint32_t n, uint32_t *occ)
{
	enum { KEYS_MAX = 2048 };
	static uint32_t key_site[KEYS_MAX], key_count[KEYS_MAX];
	static uint8_t key_agent[KEYS_MAX];
	int keys = 0;
	for (uint32_t k = 0; k < n; k++) {
		occ[k] = 0;
		if (!is_decision(&e[k]))
			continue;
		int i = 0;
		while (i < keys && (key_site[i] != e[k].site || key_agent[i] != e[k].agent))
			i++;
		if (i == keys) {
			if (keys == KEYS_MAX)
				continue; /* never named: such a step is no candidate */
			key_site[keys] = e[k].site;
			key_agent[keys] = e[k].agent;
			key_count[keys++] = 0;
		}
		occ[k] = ++key_count[i];
	}
}

static void event_of(uint32_t k, struct bisect_event *ev)
{
	const struct sched_trace_entry *e = &failing[k];
	memset(ev, 0, sizeof(*ev));
	ev->step = k;
	ev->agent = e->agent;
	ev->occurrence = occurrence[k];
	ev->obj = e->obj;
	ev->op = e->op;
	snprintf(ev->site, sizeof(ev->site), "%s", trace_site_name(e->site));
}

static bool anchor(struct scenario *s, int agent, const char *site, uint32_t occ, int target)
{
	if (s->preempt_count == SCN_PREEMPT_MAX || !scn_site_writable(site))
		return false;
	memmove(&s->preempt[1], &s->preempt[0], sizeof(s->preempt[0]) * (size_t)s->preempt_count);
	s->preempt_count++;
	struct scn_preempt *p = &s->preempt[0];
	memset(p, 0, sizeof(*p));
	p->anchored = true;
	p->agent = (uint8_t)agent;
	p->target = (uint8_t)target;
	p->occurrence = occ;
	snprintf(p->site, sizeof(p->site), "%s", site);
	return true;
}

/* The step at which @ev's agent reaches @ev's site for the @ev->occurrence-th time. */
static uint32_t find_event(const struct sched_trace_entry *t, uint32_t n, const uint32_t *occ,
			   const struct bisect_event *ev)
{
	for (uint32_t k = 0; k < n; k++)
		if (t[k].agent == ev->agent && occ[k] == ev->occurrence &&
		    !strcmp(trace_site_name(t[k].site), ev->site))
			return k;
	return UINT32_MAX;
}

/*
 * Where a's agent can be preempted so that b's event can run first: right before
 * i, or, when a holds locks there (b may need them), before each acquisition of a
 * lock still held at i, innermost first.  Returns how many points, at most max.
 */
static int preempt_points(uint32_t i, uint32_t *points, int max)
{
	enum { HELD_MAX = 16 };
	uint32_t released[HELD_MAX];
	int nreleased = 0, n = 0;
	uint8_t agent = failing[i].agent;
	points[n++] = i;
	for (uint32_t k = i; k-- > 0 && n < max;) {
		const struct sched_trace_entry *e = &failing[k];
		if (e->agent != agent)
			continue;
		if (e->op == SCHED_OP_RELEASE && nreleased < HELD_MAX)
			released[nreleased++] = e->obj;
		if (e->op != SCHED_OP_ACQUIRE || !occurrence[k])
			continue;
		bool held = true;
		for (int r = 0; r < nreleased; r++)
			if (released[r] == e->obj) {
				released[r] = released[--nreleased]; /* that release matched */
				held = false;
				break;
			}
		if (held)
			points[n++] = k;
	}
	return n;
}

/* Build the swapped schedule into @out: a preempted at step p for b's event j. */
static bool swap_schedule(const struct scenario *s, uint32_t p, uint32_t j, uint32_t n,
			  struct scenario *out)
{
	uint32_t i = p;
	*out = *s;
	out->expect = -1;
	out->expect_site[0] = 0;
	int a = failing[i].agent, b = failing[j].agent;
	/* b gives the CPU back at its next decision after j */
	for (uint32_t k = j + 1; k < n; k++)
		if (failing[k].agent == b && occurrence[k]) {
			if (!anchor(out, b, trace_site_name(failing[k].site), occurrence[k], a))
				return false;
			break;
		}
	if (anchor(out, a, trace_site_name(failing[i].site), occurrence[i], b))
		return true;
	/* a site the text form cannot name: by step, exact since the run is the same so far */
	if (out->preempt_count == SCN_PREEMPT_MAX)
		return false;
	memmove(&out->preempt[1], &out->preempt[0],
		sizeof(out->preempt[0]) * (size_t)out->preempt_count);
	out->preempt_count++;
	out->preempt[0] = (struct scn_preempt){.step = i, .target = (uint8_t)b};
	return true;
}

static struct sched_directed d;

/* Replay @cand: clean, and b's event ran before a's? */
static bool swap_passes(const struct scenario *cand, const struct exec_options *o,
			const struct bisect_event *first, const struct bisect_event *second)
{
	static struct exec_result r;
	static uint32_t occ[SCHED_TRACE_MAX];
	char err[256];
	if (!exec_directed(cand, &d, err, sizeof(err)))
		return false;
	exec_run(cand, &d.base, o, &r);
	if (r.finding)
		return false;
	uint32_t n;
	const struct sched_trace_entry *t = sched_trace(&n);
	count_occurrences(t, n, occ);
	uint32_t a = find_event(t, n, occ, first), b = find_event(t, n, occ, second);
	return b != UINT32_MAX && (a == UINT32_MAX || b < a);
}

/* Drop the preemptions of @cand that do not fire, as long as the swap still passes. */
static void drop_unfired(struct scenario *cand, const struct exec_options *o,
			 const struct bisect_event *first, const struct bisect_event *second)
{
	static struct scenario less;
	for (int i = cand->preempt_count - 1; i >= 0; i--) {
		if (!swap_passes(cand, o, first, second) || d.status[i] == SCHED_PREEMPT_FIRED)
			continue;
		less = *cand;
		memmove(&less.preempt[i], &less.preempt[i + 1],
			sizeof(less.preempt[0]) * (size_t)(less.preempt_count - i - 1));
		less.preempt_count--;
		if (swap_passes(&less, o, first, second))
			*cand = less;
	}
}

bool race_bisect(const struct scenario *s, const struct exec_options *o, uint32_t good,
		 uint32_t bad, struct bisect_result *r, char *err, size_t err_bytes)
{
	memset(r, 0, sizeof(*r));
	static struct exec_result run;
	if (!exec_directed(s, &d, err, err_bytes))
		return false;
	exec_run(s, &d.base, o, &run);
	if (!run.finding) {
		snprintf(err, err_bytes, "replays clean: no race to bisect");
		return false;
	}
	r->finding = run.f;
	uint32_t n;
	const struct sched_trace_entry *t = sched_trace(&n);
	n = n < SCHED_TRACE_MAX ? n : SCHED_TRACE_MAX;
	memcpy(failing, t, sizeof(failing[0]) * n);
	count_occurrences(failing, n, occurrence);
	r->steps = n;
	if (!bad || bad > n)
		bad = n;
	static struct scenario cand;
	for (uint32_t j = good; j < bad; j++) {
		if (!is_access(failing[j].op) || !occurrence[j])
			continue;
		for (uint32_t i = j; i-- > good;) {
			const struct sched_trace_entry *x = &failing[i], *y = &failing[j];
			if (x->obj != y->obj || x->agent == y->agent || !is_access(x->op) ||
			    !occurrence[i] || (x->op == SCHED_OP_READ && y->op == SCHED_OP_READ))
				continue;
			struct bisect_event first, second;
			event_of(i, &first);
			event_of(j, &second);
			uint32_t points[4];
			int np = preempt_points(i, points, 4);
			for (int p = 0; p < np; p++) {
				if (r->tried == BISECT_TRIES_MAX) {
					snprintf(err, err_bytes, "no window within %d replays",
						 BISECT_TRIES_MAX);
					return false;
				}
				if (!swap_schedule(s, points[p], j, n, &cand))
					continue;
				r->tried++;
				if (!swap_passes(&cand, o, &first, &second))
					continue;
				r->first = first;
				r->second = second;
				drop_unfired(&cand, o, &first, &second);
				r->swapped = cand;
				return true;
			}
		}
	}
	snprintf(err, err_bytes,
		 "no pair of conflicting events whose swap makes the run clean "
		 "(%llu tried)",
		 (unsigned long long)r->tried);
	return false;
}

/* ---- signatures ------------------------------------------------------------------ */

/* Add @item to the sorted set @set (at most SIGNATURE_HISTORY_MAX strings). */
static void set_add(char set[][SCN_NAME_BYTES], int *count, const char *item)
{
	int i = 0;
	while (i < *count && strcmp(set[i], item) < 0)
		i++;
	if ((i < *count && !strcmp(set[i], item)) || *count == SIGNATURE_HISTORY_MAX)
		return;
	memmove(&set[i + 1], &set[i], sizeof(set[0]) * (size_t)(*count - i));
	snprintf(set[i], sizeof(set[i]), "%s", item);
	(*count)++;
}

/*
 * The history of a finding without a window: the state was wrong before the agents
 * ran (fork shared a pinned page, a read-only pin did not unshare, mprotect left a
 * pinned page to be copied on write), so no swap of two events cures it.  The
 * cause is then the setup: the setup lines without which the same finding (oracle
 * and site) goes away, each as its operation and protection ("fork", "pin rw",
 * "mprotect r": no CPU, process or address, which schedule variants and the
 * harness's address folding change), as a sorted set.  One replay per setup line.
 */
static void history_of(const struct scenario *s, const struct exec_options *o,
		       const struct sched_finding *f, struct race_signature *sig)
{
	static struct scenario less;
	static struct exec_result run;
	static char set[SIGNATURE_HISTORY_MAX][SCN_NAME_BYTES];
	int count = 0;
	char err[128], item[SCN_NAME_BYTES];
	for (int i = 0; i < s->setup_count; i++) {
		less = *s;
		memmove(&less.setup[i], &less.setup[i + 1],
			sizeof(less.setup[0]) * (size_t)(less.setup_count - i - 1));
		less.setup_count--;
		if (exec_directed(&less, &d, err, sizeof(err))) {
			exec_run(&less, &d.base, o, &run);
			if (run.finding && !strcmp(run.f.oracle, f->oracle) &&
			    run.f.site == f->site)
				continue; /* not needed for this finding */
		}
		const struct scn_op *op = &s->setup[i];
		const char *prot = !(scn_op_table[op->kind].fields & SCN_F_PROT) ? ""
				   : op->none					 ? " none"
				   : op->write					 ? " rw"
										 : " r";
		snprintf(item, sizeof(item), "%s%s", scn_op_table[op->kind].name, prot);
		set_add(set, &count, item);
	}
	size_t len = 0;
	for (int i = 0; i < count; i++) {
		int w = snprintf(sig->history + len, sizeof(sig->history) - len, "%s%s",
				 i ? ", " : "", set[i]);
		if (w < 0 || (size_t)w >= sizeof(sig->history) - len)
			break;
		len += (size_t)w;
	}
}

/* Trim "function:label#3" to "function:label". */
static void site_of(const char *event_site, char *out, size_t out_bytes)
{
	snprintf(out, out_bytes, "%s", event_site);
	out[strcspn(out, "#")] = 0;
}

bool race_signature(const struct scenario *s, const struct exec_options *o,
		    struct race_signature *sig, char *err, size_t err_bytes)
{
	static struct bisect_result br;
	static struct minimize_result mr;
	char why[256];
	memset(sig, 0, sizeof(*sig));
	/*
	 * The minimized form first: schedule variants of one bug differ in where the
	 * other party had got to, so their first curing pair differs too; minimized,
	 * they come down to the same interleaving (measured: 48 random-search variants
	 * of 6 knobs, one window per knob).  minimize() is a fixpoint on its result,
	 * so a finding and its minimized form share the signature.
	 */
	if (minimize(s, o, &mr, why, sizeof(why)))
		s = &mr.out;
	if (!race_bisect(s, o, 0, 0, &br, why, sizeof(why))) {
		if (!br.finding.oracle) { /* did not apply, or clean: no finding at all */
			snprintf(err, err_bytes, "%s", why);
			return false;
		}
		history_of(s, o, &br.finding, sig);
	} else {
		/* an unordered pair: which of the two ran first is the schedule's choice */
		const struct bisect_event *a = &br.first, *b = &br.second;
		if (strcmp(a->site, b->site) > 0) {
			a = &br.second;
			b = &br.first;
		}
		sig->window = true;
		site_of(a->site, sig->first, sizeof(sig->first));
		site_of(b->site, sig->second, sizeof(sig->second));
	}
	sig->finding = br.finding;
	const struct sched_finding *f = &sig->finding;
	char key[sizeof(sig->history) + 4 * SCN_NAME_BYTES + 64];
	int n =
	    snprintf(key, sizeof(key), "%s|%s|%s|%s|%s|%s", f->oracle, f->site ? f->site->name : "",
		     f->site2 ? f->site2->name : "", sig->window ? "window" : "history",
		     sig->window ? sig->first : sig->history, sig->window ? sig->second : "");
	sig->value = XXH3_64bits(key, n < (int)sizeof(key) ? (size_t)n : sizeof(key) - 1);
	return true;
}

void race_signature_cause(const struct race_signature *sig, char *buf, size_t buf_bytes)
{
	if (sig->window)
		snprintf(buf, buf_bytes, "window %s <-> %s", sig->first, sig->second);
	else
		snprintf(buf, buf_bytes, "history %s", *sig->history ? sig->history : "-");
}
