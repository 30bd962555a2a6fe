/* SPDX-License-Identifier: MIT */
/*
 * The deterministic cooperative scheduler: simulated CPUs (agents) as coroutines
 * on pre-allocated stacks, yield points with stable site and object ids, IPIs,
 * blocking, a trace with a 64-bit fingerprint, a step hook for tools that look at
 * the state between steps, and the findings the scheduler itself can make
 * (lockdep, deadlock, hang).
 *
 * It knows nothing about memory management.  The model calls sched_yield() (via
 * SCHED_YIELD) before every access to shared state; that is the only place where
 * another agent may run.  Which agent runs next is decided by a policy
 * (sched_policy.h).
 *
 * Steps.  Step k is the k-th recorded access of the concurrent phase.  Before
 * step k is recorded the scheduler makes one decision: keep running the current
 * agent, or switch.  The agent that is switched to records step k itself when it
 * resumes (it was suspended inside its own yield point, before its access), so
 * every decision maps to exactly one step and no interleaving is reachable by two
 * decision sequences.
 *
 * Leaves out: real time, priorities, real preemption inside a yield-free region
 * (there is no shared state there to race on).
 */
#ifndef MMFUZZ_SCHED_H
#define MMFUZZ_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_AGENTS_MAX 24 /* masks are uint32_t */
/*
 * The agents that run the model's operations (CPUs, devices) are the first
 * SCHED_OP_AGENTS_MAX; the others are the hardware's own (core/sbuf.h: store-
 * buffer drains, deferred loads), which send no IPIs and start no operation.  Per-agent state of
 * operations is sized by it, not by SCHED_AGENTS_MAX: it is cleared or copied
 * with every execution.
 */
#define SCHED_OP_AGENTS_MAX  8
#define SCHED_STACK_BYTES    (256u * 1024u)
#define SCHED_TRACE_MAX	     65536
#define SCHED_MSG_BYTES	     512
#define SCHED_LOCKS_HELD_MAX 16
#define SCHED_RCU_CBS_MAX    256
#define SCHED_NO_AGENT	     (-1)

/* What a yield point is about to do.  Generic: the site name says the MM meaning. */
enum sched_op {
	SCHED_OP_READ,
	SCHED_OP_WRITE,
	SCHED_OP_RMW, /* atomic read-modify-write */
	SCHED_OP_ACQUIRE,
	SCHED_OP_RELEASE,
	SCHED_OP_RETRY, /* resumed after blocking, re-checking */
	SCHED_OP_IRQ,	/* irq enable/disable, IPI send/ack */
	SCHED_OP_EVENT, /* a model event (flush, fill, ...) worth a step */
	SCHED_OP_COUNT,
};

/*
 * A yield site.  One static instance per source location, created by SCHED_YIELD.
 * id: XXH3 of "basename#ordinal", stable across builds, compilers and hosts.
 * name_hash: XXH3 of name, what schedule anchors match on.
 */
struct sched_site {
	uint32_t id;
	uint32_t name_hash;
	const char *file;
	int line;
	int ordinal; /* __COUNTER__: the site's place in its translation unit */
	const char *func;
	const char *label; /* NULL: the name is func */
	char name[64];	   /* "func" or "func:label" */
};

void sched_site_init(struct sched_site *site);

/* Object ids: a kind in the top byte, the arena index below.  Never an address. */
#define SCHED_OBJ(kind, index) (((uint32_t)(kind) << 24) | ((uint32_t)(index)&0xffffffu))
#define SCHED_OBJ_KIND(obj)    ((obj) >> 24)
#define SCHED_OBJ_INDEX(obj)   ((obj)&0xffffffu)

/* Object kinds owned by the scheduler; the model numbers its own from 16 up. */
enum { SCHED_OBJ_LOCK = 1, SCHED_OBJ_RCU, SCHED_OBJ_IPI, SCHED_OBJ_AGENT, SCHED_OBJ_MODEL = 16 };

struct sched_trace_entry {
	uint32_t step;
	uint32_t site;
	uint32_t obj;
	uint8_t agent;
	uint8_t op;
	uint16_t flags; /* SCHED_TRACE_SWITCH: a switch happened right before */
};
#define SCHED_TRACE_SWITCH 1u

/* ---- findings --------------------------------------------------------------- */

/* Oracle names the scheduler reports itself; the model adds its own. */
#define SCHED_ORACLE_LOCKDEP  "lockdep"
#define SCHED_ORACLE_DEADLOCK "deadlock"
#define SCHED_ORACLE_HANG     "hang"

struct sched_finding {
	const char *oracle;
	const struct sched_site *site;	/* where it was detected, may be NULL */
	const struct sched_site *site2; /* the other party's site, may be NULL */
	int agent;
	uint32_t agents_mask; /* every agent involved */
	uint32_t step;
	uint64_t signature; /* oracle + site names, hashed: dedup key */
	char msg[SCHED_MSG_BYTES];
};

/*
 * Report a finding and end the execution (does not return when called from an
 * agent; returns when called outside one, e.g. at quiescence).  Only the first
 * finding of an execution is kept.
 */
void sched_finding(const char *oracle, const struct sched_site *site,
		   const struct sched_site *site2, uint32_t agents_mask, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A simulator assertion: mmfuzz itself is wrong.  Prints and aborts, loudly. */
#define SCHED_ASSERT(cond)                                                                         \
	do {                                                                                       \
		if (__builtin_expect(!(cond), 0))                                                  \
			sched_assert_fail(#cond, __FILE__, __LINE__, __func__);                    \
	} while (0)
_Noreturn void sched_assert_fail(const char *cond, const char *file, int line, const char *func);

/*
 * A precursor of a finding happened: the model's own small, stable id for a state
 * one step away from an oracle's violation.  Fuzzer feedback only (feedback.h):
 * changes nothing in the execution.  Cheap: appends to a bounded list.
 */
void sched_precursor(uint32_t id);

/* ---- agents and executions -------------------------------------------------- */

enum sched_agent_state {
	SCHED_UNUSED,
	SCHED_RUNNABLE,
	SCHED_BLOCKED,
	SCHED_DONE,
};

typedef void (*sched_fn)(int agent, void *arg);
typedef void (*sched_ipi_fn)(int target, void *arg);
typedef void (*sched_rcu_fn)(void *arg);

struct sched_policy;
struct sched_wait;

struct sched_config {
	uint32_t steps_max; /* hang budget for the concurrent phase */
};

/* Reset everything; agents are added with sched_agent_add before sched_run. */
void sched_reset(const struct sched_config *cfg);

/* Register agent number @agent (0..SCHED_AGENTS_MAX-1) with a name for messages. */
void sched_agent_add(int agent, const char *name, sched_fn fn, void *arg);
/*
 * Start the agent just added blocked on @wait: it is not runnable (and not a
 * choice of the policy) until sched_wake(); then it starts from the top of its
 * function.  For agents that have nothing to do until the others give them work
 * (a CPU's store-buffer drain, core/sbuf.h).
 */
/*
 * An agent blocked for good (nothing will ever wake it, and it would only return)
 * leaves the run now, without a step or a decision: true if it was blocked.
 */
bool sched_agent_cancel(int agent);
void sched_agent_start_blocked(int agent, const struct sched_wait *wait,
			       const struct sched_site *site);
const char *sched_agent_name(int agent);
int sched_agents_count(void); /* highest registered index + 1 */

/*
 * Run @fn on behalf of @agent on the caller's stack with no concurrency (setup and
 * quiescence).  Yield points record nothing and never switch; blocking is a
 * simulator assertion because nothing else could run.
 */
void sched_run_solo(int agent, sched_fn fn, void *arg);

/*
 * The solo phases so far left nothing in the scheduler but the agents they ran
 * as: no finding, no RCU callback waiting, no precursor.  Then sched_reset() and
 * the same sched_agent_add() calls give the scheduler the state they left, and
 * the caller may snapshot the model's state instead of running them again.
 */
bool sched_solo_settled(void);

/*
 * The concurrent phase: run every registered agent under @policy until all are
 * done, one is stuck (deadlock), the step budget is spent (hang) or a finding is
 * reported.  Returns true if a finding was reported.
 */
bool sched_run(struct sched_policy *policy);

const struct sched_finding *sched_get_finding(void); /* NULL when clean */
bool sched_stopped(void);			     /* a finding ended this execution */
uint64_t sched_fingerprint(void);
uint32_t sched_steps(void);
const struct sched_trace_entry *sched_trace(uint32_t *count);
/*
 * The step at which @agent finished in the last execution (returned, or was
 * cancelled): it has no trace entry at or after it.  UINT32_MAX when it did not
 * finish (or is no agent of the execution).
 */
uint32_t sched_agent_done_at(int agent);
const struct sched_site *sched_site_by_id(uint32_t id); /* for printing traces */

/*
 * Tools that show an execution (mmfuzz show): @fn(step, arg) is called in the
 * concurrent phase whenever step @step is about to be recorded, with everything
 * before it done (an IPI handler's effect counts as its ack's step), and once more
 * when the phase ends (step = the number of steps).  It may be called more than
 * once for one step: the last call sees the state before that step.  @fn must
 * only read: no yield point, no lock, no finding.  It records nothing and changes
 * no decision, so the trace and its fingerprint are those of a run without it.
 * Kept across executions until set to NULL; while set, every step takes the slow
 * path.
 */
typedef void (*sched_step_hook)(uint32_t step, void *arg);
void sched_set_step_hook(sched_step_hook fn, void *arg);

/* ---- yield points --------------------------------------------------------------- */

extern struct sched_state_fast {
	uint32_t step;	    /* next step number */
	uint32_t decide_at; /* first step that needs the slow path: a policy decision,
			       an anchor check, a pending IPI, the hang budget; 0 outside
			       sched_run and while flags_next is not 0 */
	int current;
	uint16_t flags_next; /* trace flags for the next entry */
	bool in_run;	     /* in sched_run(); else a solo phase or between executions */
} sched_fast;

extern struct sched_trace_entry sched_trace_buf[SCHED_TRACE_MAX];

void sched_yield_slow(struct sched_site *site, uint32_t obj, enum sched_op op);

/* The agent executing now, or SCHED_NO_AGENT outside any agent (inline: the model
 * asks at nearly every access). */
static inline int sched_current(void)
{
	return sched_fast.current;
}

/* Trace entry @n: step @n of the current agent, at @site on @obj. */
static inline void sched_trace_put(uint32_t n, const struct sched_site *site, uint32_t obj,
				   enum sched_op op, uint16_t flags)
{
	struct sched_trace_entry *e = &sched_trace_buf[n];
	e->step = n;
	e->site = site->id;
	e->obj = obj;
	e->agent = (uint8_t)sched_fast.current;
	e->op = (uint8_t)op;
	e->flags = flags;
}

/* Record one step of the current agent. */
static inline void sched_record(const struct sched_site *site, uint32_t obj, enum sched_op op)
{
	uint32_t n = sched_fast.step;
	if (__builtin_expect(n < SCHED_TRACE_MAX, 1))
		sched_trace_put(n, site, obj, op, sched_fast.flags_next);
	sched_fast.flags_next = 0;
	sched_fast.step = n + 1;
}

/*
 * The fast path's record of a step.  It needs no bound check and no flags: the fast
 * path runs only while step < decide_at <= steps_max <= SCHED_TRACE_MAX, and
 * decide_at stays 0 while a switch's flag waits in flags_next for its entry (the
 * scheduler's fast_update()), so the flags it writes are flags_next's 0.
 */
static inline void sched_record_fast(const struct sched_site *site, uint32_t obj, enum sched_op op)
{
	uint32_t n = sched_fast.step;
	sched_trace_put(n, site, obj, op, 0);
	sched_fast.step = n + 1;
}

/*
 * The yield point.  The fast path is one compare and one trace store; decisions,
 * IPI acks, switches and anchors live in sched_yield_slow; a solo phase (decide_at
 * is 0 there) returns after the compare and a flag, without a call.  A site gets
 * its id where it is recorded (or named by a finding: sched_finding()), so a
 * solo phase, which records nothing, does not look at it.
 */
static inline void sched_yield(struct sched_site *site, uint32_t obj, enum sched_op op)
{
	if (__builtin_expect(sched_fast.step >= sched_fast.decide_at, 0)) {
		if (sched_fast.in_run) /* a solo phase decides and records nothing */
			sched_yield_slow(site, obj, op);
		return;
	}
	if (__builtin_expect(site->id == 0, 0))
		sched_site_init(site);
	sched_record_fast(site, obj, op);
}

/*
 * __LINE__ alone is not stable across compilers: for a macro call spanning lines
 * gcc and clang report different lines.  The id hashes the file and the site's
 * ordinal in its translation unit (__COUNTER__), which every compiler expands in
 * the same order; the line is kept for people.
 */
#define SCHED_SITE_DEFINE(var, lbl)                                                                \
	static struct sched_site var = {.file = __FILE__,                                          \
					.line = __LINE__,                                          \
					.ordinal = __COUNTER__,                                    \
					.func = __func__,                                          \
					.label = (lbl)}

/* A site at file scope, for the scheduler's and the model's shared helpers. */
#define SCHED_SITE_GLOBAL(var, fn, lbl)                                                            \
	static struct sched_site var = {.file = __FILE__,                                          \
					.line = __LINE__,                                          \
					.ordinal = __COUNTER__,                                    \
					.func = (fn),                                              \
					.label = (lbl)}

/* Yield before an access: SCHED_YIELD("rmap_removed", obj, SCHED_OP_WRITE). */
#define SCHED_YIELD(lbl, obj, op)                                                                  \
	do {                                                                                       \
		SCHED_SITE_DEFINE(sched_site__, lbl);                                              \
		sched_yield(&sched_site__, (obj), (op));                                           \
	} while (0)

/* ---- blocking, interrupts, IPIs ------------------------------------------------ */

/*
 * What a blocked agent waits for, for deadlock reports.  owners_mask: agents whose
 * progress would unblock it (the wait-for edges).
 */
struct sched_wait {
	const char *what; /* "spin_lock", "ipi-ack", "synchronize_rcu", ... */
	const char *name; /* the object's name */
	uint32_t obj;
	uint32_t owners_mask;			 /* used when owners_fn is NULL */
	uint32_t (*owners_fn)(const void *lock); /* owners computed when asked */
	const void *lock;
};

/*
 * Block the current agent until sched_wake() makes it runnable again.  The caller
 * re-checks its condition in a loop.  @sleeping: a sleeping wait (mutex, rwsem,
 * completion, synchronize_rcu) as opposed to spinning; sleeping in atomic context
 * is a lockdep finding.  Returns after recording a SCHED_OP_RETRY step.
 */
void sched_block(struct sched_site *site, const struct sched_wait *wait, bool sleeping);
/* Update the wait-for edges of a blocked agent (owners changed). */
void sched_wait_update(int agent, uint32_t owners_mask);
void sched_wake(int agent);
/* Wake every agent blocked on @obj. */
void sched_wake_obj(uint32_t obj);

/* Interrupt state of the current agent. */
void local_irq_disable(void);
void local_irq_enable(void);
bool irqs_disabled(void);
unsigned long local_irq_save(void);
void local_irq_restore(unsigned long flags);

/* preempt_count-like atomic context (spinlocks held, irq handlers). */
void sched_atomic_inc(void);
void sched_atomic_dec(void);
bool sched_in_atomic(void);

/*
 * Send an IPI to every agent in @targets (the sender excluded) and wait until all
 * have run @fn.  A target runs it at its next yield point with irqs enabled, or at
 * once when it is done, or blocked with irqs enabled.  The sender must have irqs
 * enabled (the kernel's smp_call_function_many rule).
 */
void sched_ipi_send_wait(uint32_t targets, sched_ipi_fn fn, void *arg, const char *what);

/* ---- lockdep-lite bookkeeping, used by the primitives --------------------------- */

/*
 * Judge an attempt (recursion, declared order) before waiting for the lock; a
 * trylock judges the one that succeeds.  Then _acquired() records the lock held,
 * judged already: the locks an agent holds do not change while it waits.
 */
void sched_lock_check(uint32_t obj, const char *name, int rank, const struct sched_site *site);
void sched_lock_acquired(uint32_t obj, const char *name, int rank);
void sched_lock_released(uint32_t obj, const char *name, const struct sched_site *site);
bool sched_lock_held_by_current(uint32_t obj);

/* RCU state of an agent, kept here and used by sync.c. */
struct sched_agent_rcu {
	int depth;
	uint32_t sync_mask; /* synchronize_rcu: pre-existing readers still inside */
};
struct sched_agent_rcu *sched_agent_rcu(int agent);

/* might_sleep(): sleeping here would be a bug if the current agent is atomic. */
void might_sleep_site(struct sched_site *site);
#define might_sleep()                                                                              \
	do {                                                                                       \
		SCHED_SITE_DEFINE(might_sleep_site__, "might_sleep");                              \
		if (!might_sleep_site__.id)                                                        \
			sched_site_init(&might_sleep_site__);                                      \
		might_sleep_site(&might_sleep_site__);                                             \
	} while (0)

#endif
