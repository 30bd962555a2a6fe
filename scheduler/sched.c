/* SPDX-License-Identifier: MIT */
/*
 * The scheduler proper: agents on pre-allocated stacks, the yield slow path with
 * its policy decisions, blocking and waking, IPIs, lockdep-lite bookkeeping,
 * deadlock and hang detection, findings, the trace and its fingerprint.
 *
 * Everything is a fixed-capacity array allocated once; an execution is reset by
 * sched_reset.  Nothing depends on time, addresses or threads.  An execution that
 * ends in a finding simply abandons the coroutines of the other agents: their
 * stacks are re-initialised by the next execution and no agent owns heap memory.
 */
#include "sched.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "feedback.h"
#include "policy.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCHED_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SCHED_ASAN 1
#endif
#ifdef SCHED_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

struct held_lock {
	uint32_t obj;
	int rank;
	const char *name;
};

struct ipi_msg {
	sched_ipi_fn fn;
	void *arg;
	int from;
};

/* A target's queue of IPIs: at most one per sender (a sender waits for its acks
 * before it sends again), and only the operations' agents send them. */
#define SCHED_IPIQ_MAX SCHED_OP_AGENTS_MAX

struct agent {
	enum sched_agent_state state;
	const char *name;
	sched_fn fn;
	void *arg;
	struct sched_ctx ctx;
	bool fresh; /* dispatched for the first time: its first yield records, no decision */
	bool start_blocked; /* sched_agent_start_blocked(): blocked until woken */
	bool irqs_off;
	int atomic;
	struct sched_wait wait;
	const struct sched_site *wait_site;
	int held_count;
	struct sched_agent_rcu rcu;
	uint32_t ipi_wait_mask; /* targets that have not yet run our IPI */
	int ipiq_count;
	uint32_t done_at; /* the step it finished at in this execution; UINT32_MAX: not yet */
	/* ---- sched_reset() clears the fields above; these two are read only below
	 * held_count and ipiq_count, and an entry is written whole before it counts ---- */
	struct held_lock held[SCHED_LOCKS_HELD_MAX];
	struct ipi_msg ipiq[SCHED_IPIQ_MAX];
};

/* The bytes of an agent sched_reset() clears. */
#define AGENT_RESET_BYTES offsetof(struct agent, held)

#define SCHED_SITES_MAX 4096

static struct {
	struct sched_config cfg;
	struct agent agents[SCHED_AGENTS_MAX];
	int count;
	struct sched_ctx main_ctx;
	struct sched_policy *policy;
	uint32_t policy_at;
	bool in_ipi;
	uint32_t ipi_pending; /* agents with queued IPIs */
	int agents_dirty;     /* agents [0, agents_dirty) may differ from zero: sched_reset */
	/* agents in SCHED_RUNNABLE and in SCHED_BLOCKED, kept by agent_set_state(): a
	 * decision and a wake read them instead of walking every agent */
	uint32_t runnable;
	uint32_t blocked;
	bool have_finding;
	struct sched_finding finding;
	uint64_t fingerprint;
	bool fingerprint_due; /* sched_run() ended; sched_fingerprint() hashes on demand */
	uint32_t steps_final;
	const struct sched_site *sites[SCHED_SITES_MAX];
	int sites_count;
	sched_step_hook step_hook; /* sched_set_step_hook(): kept across executions */
	void *step_hook_arg;
#ifdef SCHED_ASAN
	const void *main_stack_bottom;
	size_t main_stack_size;
	void *fake_stack;
#endif
} S;

static uint8_t sched_stacks[SCHED_AGENTS_MAX][SCHED_STACK_BYTES] __attribute__((aligned(64)));

struct sched_state_fast sched_fast = {.current = SCHED_NO_AGENT};
struct sched_trace_entry sched_trace_buf[SCHED_TRACE_MAX];

void sched_rcu_reset(void); /* sync.c */
int sched_rcu_waiting(void);

_Noreturn void sched_assert_fail(const char *cond, const char *file, int line, const char *func)
{
	fprintf(stderr, "mmfuzz: simulator assertion failed: %s at %s:%d (%s)\n", cond, file, line,
		func);
	abort();
}

/* ---- sites ---------------------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

uint32_t sched_name_hash(const char *name)
{
	return (uint32_t)XXH3_64bits(name, strlen(name)) | 1u;
}

void sched_site_init(struct sched_site *site)
{
	char key[128];
	int n = snprintf(key, sizeof(key), "%s#%d", base_name(site->file), site->ordinal);
	SCHED_ASSERT(n > 0 && n < (int)sizeof(key));
	if (site->label)
		snprintf(site->name, sizeof(site->name), "%s:%s", site->func, site->label);
	else
		snprintf(site->name, sizeof(site->name), "%s", site->func);
	site->name_hash = sched_name_hash(site->name);
	if (S.sites_count < SCHED_SITES_MAX)
		S.sites[S.sites_count++] = site;
	/* 0 means "not yet initialised" */
	site->id = (uint32_t)XXH3_64bits(key, (size_t)n) | 1u;
}

const struct sched_site *sched_site_by_id(uint32_t id)
{
	for (int i = 0; i < S.sites_count; i++)
		if (S.sites[i]->id == id)
			return S.sites[i];
	return NULL;
}

/* ---- small helpers ---------------------------------------------------------------- */

static struct agent *cur_agent(void)
{
	SCHED_ASSERT(sched_fast.current >= 0 && sched_fast.current < SCHED_AGENTS_MAX);
	return &S.agents[sched_fast.current];
}

/* Every change of an agent's state goes through here, so S.runnable and S.blocked
 * are always the agents in those states. */
static void agent_set_state(int agent, enum sched_agent_state state)
{
	uint32_t bit = 1u << agent;
	S.agents[agent].state = state;
	S.runnable = state == SCHED_RUNNABLE ? S.runnable | bit : S.runnable & ~bit;
	S.blocked = state == SCHED_BLOCKED ? S.blocked | bit : S.blocked & ~bit;
}

static uint32_t runnable_mask(void)
{
	return S.runnable;
}

/*
 * Recompute sched_fast.decide_at after anything the fast path depends on changed:
 * the running agent, the policy's next decision, the running agent's IPI queue or
 * its interrupt state.  Only the *running* agent's pending IPIs matter: a queued
 * IPI is acked at its target's next yield point with interrupts on, and the
 * target's yield points only run while it is current (switch_to() recomputes
 * this for the agent switched to).  An agent with interrupts off keeps the fast
 * path too: local_irq_enable() recomputes before its yield point, where the ack
 * happens.  Taking the slow path when the fast one would do is always correct
 * (it records the same step), so a stale 0 is only slower.  A switch's trace flag
 * (flags_next) is written by the slow path's record: the fast path writes none
 * (sched_record_fast), so it is off until that record.  Called after the record, as
 * the slow paths do, this costs nothing: flags_next is 0 again by then.
 */
static void fast_update(void)
{
	int cur = sched_fast.current;
	/* a freshly dispatched agent's first yield must take the slow path: it records
	 * the step its dispatch decided, without a decision of its own */
	if (!sched_fast.in_run || sched_fast.flags_next || S.in_ipi || S.policy->every_site ||
	    S.step_hook ||
	    (cur >= 0 &&
	     (S.agents[cur].fresh || (S.agents[cur].ipiq_count && !S.agents[cur].irqs_off))))
		sched_fast.decide_at = 0;
	else
		sched_fast.decide_at =
		    S.policy_at < S.cfg.steps_max ? S.policy_at : S.cfg.steps_max;
}

void sched_set_step_hook(sched_step_hook fn, void *arg)
{
	S.step_hook = fn;
	S.step_hook_arg = arg;
}

/* The state between steps: everything before step sched_fast.step took effect. */
static void step_hook_call(void)
{
	if (S.step_hook && sched_fast.in_run)
		S.step_hook(sched_fast.step, S.step_hook_arg);
}

const char *sched_agent_name(int agent)
{
	if (agent < 0 || agent >= SCHED_AGENTS_MAX)
		return "none";
	return S.agents[agent].name ? S.agents[agent].name : "?";
}

int sched_agents_count(void)
{
	return S.count;
}

struct sched_agent_rcu *sched_agent_rcu(int agent)
{
	SCHED_ASSERT(agent >= 0 && agent < SCHED_AGENTS_MAX);
	return &S.agents[agent].rcu;
}

/* ---- context switching -------------------------------------------------------------- */

static struct sched_ctx *ctx_of(int agent)
{
	return agent == SCHED_NO_AGENT ? &S.main_ctx : &S.agents[agent].ctx;
}

static void ctx_switch(int from, int to, bool from_exits)
{
#ifdef SCHED_ASAN
	const void *bottom;
	size_t size;
	if (to == SCHED_NO_AGENT) {
		bottom = S.main_stack_bottom;
		size = S.main_stack_size;
	} else {
		bottom = sched_stacks[to];
		size = SCHED_STACK_BYTES;
	}
	void *fake = NULL;
	__sanitizer_start_switch_fiber(from_exits ? NULL : &fake, bottom, size);
	sched_ctx_switch(ctx_of(from), ctx_of(to));
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
	(void)from_exits;
	sched_ctx_switch(ctx_of(from), ctx_of(to));
#endif
}

/* Make @next the running agent; returns when the caller is scheduled again. */
static void switch_to(int next)
{
	int prev = sched_fast.current;
	SCHED_ASSERT(next != prev);
	sched_fast.current = next;
	sched_fast.flags_next = SCHED_TRACE_SWITCH;
	fast_update();
	ctx_switch(prev, next, false);
}

/* Leave the concurrent phase from inside an agent; never returns. */
static _Noreturn void stop_to_main(void)
{
	int prev = sched_fast.current;
	sched_fast.current = SCHED_NO_AGENT;
	ctx_switch(prev, SCHED_NO_AGENT, true);
	SCHED_ASSERT(!"an abandoned agent was resumed");
	abort();
}

/* ---- findings ----------------------------------------------------------------------- */

static uint64_t finding_signature(const struct sched_finding *f)
{
	char key[256];
	int n = snprintf(key, sizeof(key), "%s|%s|%s", f->oracle, f->site ? f->site->name : "",
			 f->site2 ? f->site2->name : "");
	return XXH3_64bits(key, (size_t)(n < (int)sizeof(key) ? n : (int)sizeof(key) - 1));
}

void sched_finding(const char *oracle, const struct sched_site *site,
		   const struct sched_site *site2, uint32_t agents_mask, const char *fmt, ...)
{
	if (S.have_finding)
		goto out;
	/* sites are static and mutable; a finding may be the first use of one */
	if (site && !site->id)
		sched_site_init((struct sched_site *)site);
	if (site2 && !site2->id)
		sched_site_init((struct sched_site *)site2);
	struct sched_finding *f = &S.finding;
	memset(f, 0, sizeof(*f));
	f->oracle = oracle;
	f->site = site;
	f->site2 = site2;
	f->agent = sched_fast.current;
	f->agents_mask = agents_mask;
	if (f->agent >= 0)
		f->agents_mask |= 1u << f->agent;
	f->step = sched_fast.step;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	f->signature = finding_signature(f);
	S.have_finding = true;
out:
	if (sched_fast.in_run && sched_fast.current != SCHED_NO_AGENT)
		stop_to_main();
}

const struct sched_finding *sched_get_finding(void)
{
	return S.have_finding ? &S.finding : NULL;
}

bool sched_stopped(void)
{
	return S.have_finding;
}

/* ---- IPIs ----------------------------------------------------------------------------- */

SCHED_SITE_GLOBAL(site_ipi_ack, "smp_call_function", "ipi_ack");
SCHED_SITE_GLOBAL(site_ipi_send, "smp_call_function", "ipi_send");
SCHED_SITE_GLOBAL(site_ipi_wait, "smp_call_function", "ipi_wait");

/* Run the queued IPI handlers of @target in its interrupt context and ack them. */
static void ipi_handle(int target)
{
	struct agent *t = &S.agents[target];
	int saved_current = sched_fast.current;
	bool saved_in_ipi = S.in_ipi;
	S.in_ipi = true;
	t->atomic++;
	bool saved_irqs_off = t->irqs_off;
	t->irqs_off = true; /* hardirq context */
	for (int i = 0; i < t->ipiq_count; i++) {
		struct ipi_msg m = t->ipiq[i];
		step_hook_call();	     /* before the handler: its effect is the ack's step */
		sched_fast.current = target; /* the handler runs on the target CPU */
		m.fn(target, m.arg);
		sched_fast.current = saved_current;
		struct agent *from = &S.agents[m.from];
		from->ipi_wait_mask &= ~(1u << target);
		if (!from->ipi_wait_mask && from->state == SCHED_BLOCKED)
			agent_set_state(m.from, SCHED_RUNNABLE);
		if (sched_fast.in_run) {
			/* an event of the target's, not a decision point */
			sched_fast.current = target;
			if (!site_ipi_ack.id)
				sched_site_init(&site_ipi_ack);
			sched_record(&site_ipi_ack, SCHED_OBJ(SCHED_OBJ_IPI, m.from), SCHED_OP_IRQ);
			sched_fast.current = saved_current;
		}
	}
	t->ipiq_count = 0;
	t->irqs_off = saved_irqs_off;
	t->atomic--;
	S.ipi_pending &= ~(1u << target);
	S.in_ipi = saved_in_ipi;
	fast_update();
}

static bool ipi_can_take_now(int t)
{
	const struct agent *a = &S.agents[t];
	if (!sched_fast.in_run)
		return true; /* solo phase: every other CPU is idle */
	if (a->state == SCHED_UNUSED || a->state == SCHED_DONE)
		return true;
	return a->state == SCHED_BLOCKED && !a->irqs_off;
}

static uint32_t ipi_owners(const void *lock)
{
	return *(const uint32_t *)lock; /* the sender's ipi_wait_mask */
}

void sched_ipi_send_wait(uint32_t targets, sched_ipi_fn fn, void *arg, const char *what)
{
	int me = sched_fast.current;
	struct agent *a = cur_agent();
	sched_yield(&site_ipi_send, SCHED_OBJ(SCHED_OBJ_IPI, me), SCHED_OP_IRQ);
	if (a->irqs_off)
		sched_finding(SCHED_ORACLE_LOCKDEP, &site_ipi_send, NULL, 0,
			      "%s: %s sends an IPI and waits with irqs disabled", what, a->name);
	SCHED_ASSERT(a->ipi_wait_mask == 0);
	targets &= ~(1u << me) & ((1u << SCHED_OP_AGENTS_MAX) - 1); /* CPUs take IPIs */
	for (uint32_t rest = targets; rest; rest &= rest - 1) {
		int t = __builtin_ctz(rest);
		struct agent *ta = &S.agents[t];
		if (t + 1 > S.agents_dirty)
			S.agents_dirty = t + 1;
		SCHED_ASSERT(ta->ipiq_count < SCHED_IPIQ_MAX);
		ta->ipiq[ta->ipiq_count++] = (struct ipi_msg){fn, arg, me};
		a->ipi_wait_mask |= 1u << t;
		if (ipi_can_take_now(t)) {
			ipi_handle(t);
		} else {
			S.ipi_pending |= 1u << t;
		}
	}
	fast_update();
	while (a->ipi_wait_mask) {
		struct sched_wait w = {.what = "ipi-ack",
				       .name = what,
				       .obj = SCHED_OBJ(SCHED_OBJ_IPI, me),
				       .owners_fn = ipi_owners,
				       .lock = &a->ipi_wait_mask};
		sched_block(&site_ipi_wait, &w, false);
	}
}

/* ---- interrupts and atomic context ------------------------------------------------------ */

SCHED_SITE_GLOBAL(site_irq_disable, "local_irq_disable", NULL);
SCHED_SITE_GLOBAL(site_irq_enable, "local_irq_enable", NULL);

void local_irq_disable(void)
{
	struct agent *a = cur_agent();
	sched_yield(&site_irq_disable, SCHED_OBJ(SCHED_OBJ_AGENT, sched_fast.current),
		    SCHED_OP_IRQ);
	a->irqs_off = true;
}

void local_irq_enable(void)
{
	struct agent *a = cur_agent();
	a->irqs_off = false;
	fast_update(); /* pending IPIs are taken at this yield point */
	sched_yield(&site_irq_enable, SCHED_OBJ(SCHED_OBJ_AGENT, sched_fast.current), SCHED_OP_IRQ);
}

bool irqs_disabled(void)
{
	return cur_agent()->irqs_off;
}

unsigned long local_irq_save(void)
{
	bool was_off = cur_agent()->irqs_off;
	if (!was_off)
		local_irq_disable();
	return was_off;
}

void local_irq_restore(unsigned long flags)
{
	if (!flags)
		local_irq_enable();
}

void sched_atomic_inc(void)
{
	cur_agent()->atomic++;
}

void sched_atomic_dec(void)
{
	struct agent *a = cur_agent();
	SCHED_ASSERT(a->atomic > 0);
	a->atomic--;
}

bool sched_in_atomic(void)
{
	const struct agent *a = cur_agent();
	return a->atomic > 0 || a->irqs_off || a->rcu.depth > 0;
}

void might_sleep_site(struct sched_site *site)
{
	struct agent *a = cur_agent();
	if (!site->id)
		sched_site_init(site); /* the finding names it, and its signature hashes the name */
	if (a->atomic > 0 || a->irqs_off || a->rcu.depth > 0)
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "sleeping function called from invalid context by %s "
			      "(locks held %d, irqs %s, rcu depth %d)",
			      a->name, a->held_count, a->irqs_off ? "off" : "on", a->rcu.depth);
}

/* ---- lockdep-lite --------------------------------------------------------------------------- */

void sched_lock_check(uint32_t obj, const char *name, int rank, const struct sched_site *site)
{
	struct agent *a = cur_agent();
	for (int i = 0; i < a->held_count; i++) {
		const struct held_lock *h = &a->held[i];
		if (h->obj == obj)
			sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
				      "recursive locking: %s acquires %s it already holds", a->name,
				      name);
		if (rank && h->rank && h->rank > rank)
			sched_finding(
			    SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			    "lock order inversion: %s acquires %s (order %d) while holding "
			    "%s (order %d)",
			    a->name, name, rank, h->name, h->rank);
	}
}

void sched_lock_acquired(uint32_t obj, const char *name, int rank)
{
	struct agent *a = cur_agent();
	SCHED_ASSERT(a->held_count < SCHED_LOCKS_HELD_MAX);
	a->held[a->held_count++] = (struct held_lock){obj, rank, name};
}

void sched_lock_released(uint32_t obj, const char *name, const struct sched_site *site)
{
	struct agent *a = cur_agent();
	int last = a->held_count - 1;
	if (last >= 0 && a->held[last].obj == obj) { /* the usual order: the last one taken */
		a->held_count = last;
		return;
	}
	for (int i = last - 1; i >= 0; i--) {
		if (a->held[i].obj != obj)
			continue;
		memmove(&a->held[i], &a->held[i + 1],
			(size_t)(a->held_count - i - 1) * sizeof(a->held[0]));
		a->held_count--;
		return;
	}
	sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0, "%s releases %s which it does not hold",
		      a->name, name);
}

bool sched_lock_held_by_current(uint32_t obj)
{
	if (sched_fast.current < 0)
		return false;
	const struct agent *a = cur_agent();
	for (int i = 0; i < a->held_count; i++)
		if (a->held[i].obj == obj)
			return true;
	return false;
}

/* ---- deadlock ----------------------------------------------------------------------------------
 */

static uint32_t wait_owners(const struct agent *a)
{
	return a->wait.owners_fn ? a->wait.owners_fn(a->wait.lock) : a->wait.owners_mask;
}

/* No agent can run but some are blocked: report the wait-for cycle, or the chain. */
static _Noreturn void deadlock_report(void)
{
	int path[SCHED_AGENTS_MAX + 1];
	int len = 0, start = -1;
	uint32_t blocked = 0;
	for (int i = 0; i < S.count; i++)
		if (S.agents[i].state == SCHED_BLOCKED)
			blocked |= 1u << i;
	/* walk wait-for edges from each blocked agent until one repeats */
	for (int first = 0; first < S.count && start < 0; first++) {
		if (!(blocked >> first & 1u))
			continue;
		len = 0;
		uint32_t seen = 0;
		int at = first;
		while (at >= 0 && !(seen >> at & 1u)) {
			seen |= 1u << at;
			path[len++] = at;
			uint32_t next = wait_owners(&S.agents[at]) & blocked;
			at = next ? sched_lowest(next) : -1;
		}
		if (at >= 0)
			start = at;
	}
	char msg[SCHED_MSG_BYTES];
	size_t off = 0;
	uint32_t mask = 0;
	const struct sched_site *s1 = NULL, *s2 = NULL;
	if (start >= 0) {
		/* rotate the cycle so that it starts at its lowest agent: a stable signature */
		int from = 0;
		while (path[from] != start)
			from++;
		int cyc[SCHED_AGENTS_MAX] = {0}, n = 0, low = 0;
		for (int i = from; i < len; i++)
			cyc[n++] = path[i];
		for (int i = 1; i < n; i++)
			if (cyc[i] < cyc[low])
				low = i;
		off += (size_t)snprintf(msg, sizeof(msg), "wait-for cycle:");
		for (int k = 0; k <= n && off < sizeof(msg); k++) {
			const struct agent *a = &S.agents[cyc[(low + k) % n]];
			mask |= 1u << cyc[(low + k) % n];
			if (k == n) {
				off +=
				    (size_t)snprintf(msg + off, sizeof(msg) - off, " %s", a->name);
				break;
			}
			if (k == 0)
				s1 = a->wait_site;
			if (k == 1)
				s2 = a->wait_site;
			off += (size_t)snprintf(msg + off, sizeof(msg) - off, " %s -[%s %s]->",
						a->name, a->wait.what, a->wait.name);
		}
	} else {
		off += (size_t)snprintf(msg, sizeof(msg), "no runnable agent:");
		for (int i = 0; i < S.count && off < sizeof(msg); i++) {
			const struct agent *a = &S.agents[i];
			if (a->state != SCHED_BLOCKED)
				continue;
			mask |= 1u << i;
			if (!s1)
				s1 = a->wait_site;
			off += (size_t)snprintf(msg + off, sizeof(msg) - off, " %s waits (%s %s);",
						a->name, a->wait.what, a->wait.name);
		}
	}
	sched_finding(SCHED_ORACLE_DEADLOCK, s1, s2, mask, "%s", msg);
	stop_to_main();
}

/* ---- decisions
 * ------------------------------------------------------------------------------------ */

static int policy_decide(const struct sched_choice *c)
{
	uint32_t next_at = UINT32_MAX;
	int next = S.policy->ops->decide(S.policy, c, &next_at);
	SCHED_ASSERT(next >= 0 && next < SCHED_AGENTS_MAX);
	SCHED_ASSERT(c->runnable_mask >> next & 1u);
	SCHED_ASSERT(next_at > c->step);
	S.policy_at = next_at;
	return next;
}

/* The current agent cannot continue (blocked or done): pick another one. */
static void schedule_forced(void)
{
	int me = sched_fast.current;
	if (S.agents[me].state == SCHED_RUNNABLE)
		return; /* woken while handling its own IPIs */
	uint32_t mask = runnable_mask();
	if (!mask) {
		if (S.blocked)
			deadlock_report();
		stop_to_main(); /* everybody is done */
	}
	struct sched_choice c = {.step = sched_fast.step,
				 .current = me,
				 .forced = true,
				 .current_done = S.agents[me].state == SCHED_DONE,
				 .runnable_mask = mask,
				 .site = NULL};
	switch_to(policy_decide(&c));
}

static _Noreturn void hang_report(const struct sched_site *site)
{
	sched_finding(SCHED_ORACLE_HANG, site, NULL, 0, "step budget of %u steps exhausted",
		      S.cfg.steps_max);
	stop_to_main();
}

void sched_yield_slow(struct sched_site *site, uint32_t obj, enum sched_op op)
{
	if (!sched_fast.in_run)
		return;		 /* solo phase: nothing to decide, nothing recorded */
	SCHED_ASSERT(!S.in_ipi); /* IPI handlers must not yield */
	if (!site->id)
		sched_site_init(site); /* recorded below (sched_yield() leaves it to us) */
	int me = sched_fast.current;
	struct agent *a = &S.agents[me];
	bool acked = a->ipiq_count && !a->irqs_off;
	if (acked)
		ipi_handle(me);
	/* an agent's first yield is no decision point (the choice that started it was
	 * one), unless it just took interrupts: an acked IPI may wake the sender */
	if (a->fresh && !acked && !(S.policy->every_site && S.policy->first_yields)) {
		a->fresh = false;
	} else {
		a->fresh = false;
		if (sched_fast.step >= S.cfg.steps_max)
			hang_report(site);
		if (sched_fast.step >= S.policy_at || S.policy->every_site) {
			struct sched_choice c = {.step = sched_fast.step,
						 .current = me,
						 .forced = false,
						 .runnable_mask = runnable_mask(),
						 .site = site};
			int next = policy_decide(&c);
			if (next != me) {
				switch_to(next);
				if (a->ipiq_count && !a->irqs_off)
					ipi_handle(me);
			}
		}
	}
	step_hook_call();
	sched_record(site, obj, op);
	fast_update();
}

/* ---- blocking ----------------------------------------------------------------------------------
 */

void sched_block(struct sched_site *site, const struct sched_wait *wait, bool sleeping)
{
	SCHED_ASSERT(sched_fast.in_run); /* in a solo phase nobody could ever wake us */
	if (!site->id)
		sched_site_init(site);
	int me = sched_fast.current;
	struct agent *a = &S.agents[me];
	if (sleeping && (a->atomic > 0 || a->irqs_off || a->rcu.depth > 0))
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "%s sleeps in %s %s in atomic context (locks held %d, irqs %s, rcu "
			      "depth %d)",
			      a->name, wait->what, wait->name, a->held_count,
			      a->irqs_off ? "off" : "on", a->rcu.depth);
	agent_set_state(me, SCHED_BLOCKED);
	a->wait = *wait;
	a->wait_site = site;
	if (a->ipiq_count && !a->irqs_off)
		ipi_handle(me); /* a CPU waiting with irqs on takes its interrupts */
	schedule_forced();
	agent_set_state(me, SCHED_RUNNABLE);
	if (a->ipiq_count && !a->irqs_off)
		ipi_handle(me);
	step_hook_call();
	sched_record(site, wait->obj, SCHED_OP_RETRY);
	fast_update();
}

void sched_wake(int agent)
{
	if (S.agents[agent].state == SCHED_BLOCKED)
		agent_set_state(agent, SCHED_RUNNABLE);
}

void sched_wake_obj(uint32_t obj)
{
	/* called at every unlock: most find nobody blocked */
	for (uint32_t rest = S.blocked; rest; rest &= rest - 1) {
		int i = __builtin_ctz(rest);
		if (S.agents[i].wait.obj == obj)
			agent_set_state(i, SCHED_RUNNABLE);
	}
}

/* ---- agents and executions ----------------------------------------------------------------------
 */

void sched_reset(const struct sched_config *cfg)
{
	S.cfg = *cfg;
	if (!S.cfg.steps_max || S.cfg.steps_max > SCHED_TRACE_MAX)
		S.cfg.steps_max = SCHED_TRACE_MAX;
	/* an agent is touched only through an index that raised agents_dirty */
	for (int i = 0; i < S.agents_dirty; i++)
		memset(&S.agents[i], 0, AGENT_RESET_BYTES);
	S.agents_dirty = 0;
	S.count = 0;
	S.policy = NULL;
	sched_fast.in_run = false;
	S.in_ipi = false;
	S.ipi_pending = 0;
	S.runnable = 0;
	S.blocked = 0;
	S.have_finding = false;
	S.fingerprint = 0;
	S.fingerprint_due = false;
	sched_precursors_reset();
	S.steps_final = 0;
	sched_fast.step = 0;
	sched_fast.decide_at = 0;
	sched_fast.current = SCHED_NO_AGENT;
	sched_fast.flags_next = 0;
	sched_rcu_reset();
}

void sched_agent_add(int agent, const char *name, sched_fn fn, void *arg)
{
	SCHED_ASSERT(agent >= 0 && agent < SCHED_AGENTS_MAX);
	struct agent *a = &S.agents[agent];
	a->name = name;
	a->fn = fn;
	a->arg = arg;
	a->start_blocked = false;
	if (fn)
		agent_set_state(agent, SCHED_DONE); /* becomes runnable in sched_run */
	if (agent + 1 > S.count)
		S.count = agent + 1;
	if (S.count > S.agents_dirty)
		S.agents_dirty = S.count;
}

bool sched_agent_cancel(int agent)
{
	SCHED_ASSERT(agent >= 0 && agent < S.count);
	struct agent *a = &S.agents[agent];
	if (a->state != SCHED_BLOCKED || agent == sched_fast.current)
		return false;
	SCHED_ASSERT(!a->held_count && !a->irqs_off && !a->atomic && !a->rcu.depth);
	agent_set_state(agent, SCHED_DONE);
	a->done_at = sched_fast.step;
	return true;
}

void sched_agent_start_blocked(int agent, const struct sched_wait *wait,
			       const struct sched_site *site)
{
	SCHED_ASSERT(agent >= 0 && agent < S.count && S.agents[agent].fn);
	struct agent *a = &S.agents[agent];
	a->start_blocked = true;
	a->wait = *wait;
	a->wait_site = site;
}

void sched_run_solo(int agent, sched_fn fn, void *arg)
{
	SCHED_ASSERT(!sched_fast.in_run);
	SCHED_ASSERT(agent >= 0 && agent < SCHED_AGENTS_MAX);
	if (S.have_finding)
		return;
	struct agent *a = &S.agents[agent];
	if (agent + 1 > S.count)
		S.count = agent + 1;
	if (S.count > S.agents_dirty)
		S.agents_dirty = S.count;
	sched_fast.current = agent;
	fn(agent, arg);
	if (!S.have_finding && (a->held_count || a->irqs_off || a->atomic || a->rcu.depth))
		sched_finding(SCHED_ORACLE_LOCKDEP, NULL, NULL, 0,
			      "%s returns with locks held (%d), irqs %s, rcu depth %d", a->name,
			      a->held_count, a->irqs_off ? "off" : "on", a->rcu.depth);
	sched_fast.current = SCHED_NO_AGENT;
}

bool sched_solo_settled(void)
{
	return !sched_fast.in_run && !S.have_finding && !sched_rcu_waiting() &&
	       !sched_precursors_count();
}

static void agent_entry(void)
{
#ifdef SCHED_ASAN
	const void *from_bottom;
	size_t from_size;
	__sanitizer_finish_switch_fiber(NULL, &from_bottom, &from_size);
	if (!S.main_stack_bottom) {
		/* the very first agent is always started from the main context */
		S.main_stack_bottom = from_bottom;
		S.main_stack_size = from_size;
	}
#endif
	int me = sched_fast.current;
	struct agent *a = &S.agents[me];
	a->fn(me, a->arg);
	if (a->held_count || a->irqs_off || a->atomic || a->rcu.depth)
		sched_finding(SCHED_ORACLE_LOCKDEP, NULL, NULL, 0,
			      "%s returns with locks held (%d), irqs %s, rcu depth %d", a->name,
			      a->held_count, a->irqs_off ? "off" : "on", a->rcu.depth);
	agent_set_state(me, SCHED_DONE);
	a->done_at = sched_fast.step;
	if (a->ipiq_count)
		ipi_handle(me); /* an idle CPU acks at once */
	schedule_forced();
	SCHED_ASSERT(!"a finished agent was resumed");
}

bool sched_run(struct sched_policy *policy)
{
	SCHED_ASSERT(!sched_fast.in_run);
	S.policy = policy;
	policy->ops->begin(policy);
	if (S.have_finding)
		return true; /* the setup phase already failed */
	sched_fast.step = 0;
	uint32_t mask = 0;
	for (int i = 0; i < S.count; i++) {
		struct agent *a = &S.agents[i];
		a->irqs_off = false;
		a->atomic = 0;
		a->held_count = 0;
		a->rcu.depth = 0;
		a->ipiq_count = 0;
		a->ipi_wait_mask = 0;
		a->done_at = UINT32_MAX;
		if (!a->fn) {
			agent_set_state(i, SCHED_UNUSED);
			continue;
		}
#ifdef SCHED_ASAN
		ASAN_UNPOISON_MEMORY_REGION(sched_stacks[i], SCHED_STACK_BYTES);
#endif
		sched_ctx_init(&a->ctx, sched_stacks[i], SCHED_STACK_BYTES, agent_entry);
		agent_set_state(i, a->start_blocked ? SCHED_BLOCKED : SCHED_RUNNABLE);
		a->fresh = true;
		if (!a->start_blocked)
			mask |= 1u << i;
	}
	if (mask) {
		sched_fast.in_run = true;
		struct sched_choice c = {.step = 0,
					 .current = SCHED_NO_AGENT,
					 .forced = true,
					 .runnable_mask = mask,
					 .site = NULL};
		int first = policy_decide(&c);
		sched_fast.current = first;
		sched_fast.flags_next = SCHED_TRACE_SWITCH;
		fast_update();
#ifdef SCHED_ASAN
		void *fake = NULL;
		__sanitizer_start_switch_fiber(&fake, sched_stacks[first], SCHED_STACK_BYTES);
		sched_ctx_switch(&S.main_ctx, &S.agents[first].ctx);
		__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
		sched_ctx_switch(&S.main_ctx, &S.agents[first].ctx);
#endif
		step_hook_call(); /* the state the agents left */
		sched_fast.in_run = false;
	}
	sched_fast.current = SCHED_NO_AGENT;
	fast_update();
	S.steps_final = sched_fast.step;
	S.fingerprint_due = true;
	return S.have_finding;
}

/* The hash of the trace, taken when first asked for: the trace stays as sched_run()
 * left it until the next sched_reset() (the solo phase records nothing). */
uint64_t sched_fingerprint(void)
{
	if (S.fingerprint_due) {
		uint32_t n = S.steps_final < SCHED_TRACE_MAX ? S.steps_final : SCHED_TRACE_MAX;
		S.fingerprint = XXH3_64bits(sched_trace_buf, n * sizeof(sched_trace_buf[0]));
		S.fingerprint_due = false;
	}
	return S.fingerprint;
}

uint32_t sched_steps(void)
{
	return S.steps_final;
}

uint32_t sched_agent_done_at(int agent)
{
	SCHED_ASSERT(agent >= 0 && agent < SCHED_AGENTS_MAX);
	return agent < S.count ? S.agents[agent].done_at : UINT32_MAX;
}

const struct sched_trace_entry *sched_trace(uint32_t *count)
{
	*count = S.steps_final < SCHED_TRACE_MAX ? S.steps_final : SCHED_TRACE_MAX;
	return sched_trace_buf;
}
