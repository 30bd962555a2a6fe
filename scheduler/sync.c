/* SPDX-License-Identifier: MIT */
/*
 * Primitives on the scheduler (see sync.h).  Each acquisition is: a yield point
 * (the access to the lock word), then, while the lock is unavailable, block and
 * re-check.  Fairness: a rw_semaphore lets no new reader in while a writer waits,
 * as the kernel's does, so writers cannot starve into a false `hang`.
 *
 * RCU: a reader is any agent with rcu depth > 0.  synchronize_rcu() waits for the
 * readers that were inside at the time of the call and for no others; call_rcu()
 * callbacks run when those readers have left (in the context of the last one to
 * leave, as softirq work at its rcu_read_unlock), or at once when there were none.
 * Leaves out: srcu, expedited grace periods, rcu_read_lock_bh/sched flavours.
 */
#include "sync.h"

void (*sync_release_hook)(uint32_t obj);
void (*sync_acquire_hook)(uint32_t obj);
void (*sync_mb_hook)(void);

#include <string.h>

#include "policy.h"

/* ---- owners for the deadlock report -------------------------------------------- */

static uint32_t owner_bit(int owner)
{
	return owner >= 0 ? 1u << owner : 0;
}

static uint32_t spin_owners(const void *lock)
{
	return owner_bit(((const spinlock_t *)lock)->owner);
}

static uint32_t mutex_owners(const void *lock)
{
	return owner_bit(((const struct mutex *)lock)->owner);
}

static uint32_t rwsem_owners(const void *lock)
{
	const struct rw_semaphore *s = lock;
	return owner_bit(s->writer) | s->readers | s->writers_wait;
}

/* ---- spinlock ---------------------------------------------------------------------- */

void spin_lock_init(spinlock_t *l, uint32_t obj, const char *name, int rank)
{
	*l = (spinlock_t){SCHED_NO_AGENT, obj, name, rank};
}

void spin_lock_at(spinlock_t *l, struct sched_site *site)
{
	int me = sched_current();
	sched_yield(site, l->obj, SCHED_OP_ACQUIRE);
	if (l->owner == me)
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "recursive spin_lock of %s by %s: self-deadlock", l->name,
			      sched_agent_name(me));
	sched_lock_check(l->obj, l->name, l->rank, site);
	while (l->owner != SCHED_NO_AGENT) {
		struct sched_wait w = {.what = "spin_lock",
				       .name = l->name,
				       .obj = l->obj,
				       .owners_fn = spin_owners,
				       .lock = l};
		sched_block(site, &w, false);
	}
	l->owner = me;
	sched_atomic_inc();
	sched_lock_acquired(l->obj, l->name, l->rank);
	if (sync_acquire_hook)
		sync_acquire_hook(l->obj);
}

bool spin_trylock_at(spinlock_t *l, struct sched_site *site)
{
	sched_yield(site, l->obj, SCHED_OP_ACQUIRE);
	if (l->owner != SCHED_NO_AGENT)
		return false;
	l->owner = sched_current();
	sched_atomic_inc();
	sched_lock_check(l->obj, l->name, l->rank, site);
	sched_lock_acquired(l->obj, l->name, l->rank);
	if (sync_acquire_hook)
		sync_acquire_hook(l->obj);
	return true;
}

void spin_unlock_at(spinlock_t *l, struct sched_site *site)
{
	int me = sched_current();
	sched_yield(site, l->obj, SCHED_OP_RELEASE);
	if (sync_release_hook)
		sync_release_hook(l->obj);
	if (l->owner != me)
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "spin_unlock of %s by %s, owner %s", l->name, sched_agent_name(me),
			      sched_agent_name(l->owner));
	l->owner = SCHED_NO_AGENT;
	sched_lock_released(l->obj, l->name, site);
	sched_atomic_dec();
	sched_wake_obj(l->obj);
}

bool spin_is_locked_by_me(const spinlock_t *l)
{
	return l->owner == sched_current();
}

/* ---- mutex ---------------------------------------------------------------------------- */

void mutex_init(struct mutex *m, uint32_t obj, const char *name, int rank)
{
	*m = (struct mutex){SCHED_NO_AGENT, obj, name, rank};
}

void mutex_lock_at(struct mutex *m, struct sched_site *site)
{
	int me = sched_current();
	might_sleep_site(site);
	sched_yield(site, m->obj, SCHED_OP_ACQUIRE);
	if (m->owner == me)
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "recursive mutex_lock of %s by %s", m->name, sched_agent_name(me));
	sched_lock_check(m->obj, m->name, m->rank, site);
	while (m->owner != SCHED_NO_AGENT) {
		struct sched_wait w = {.what = "mutex_lock",
				       .name = m->name,
				       .obj = m->obj,
				       .owners_fn = mutex_owners,
				       .lock = m};
		sched_block(site, &w, true);
	}
	m->owner = me;
	sched_lock_acquired(m->obj, m->name, m->rank);
	if (sync_acquire_hook)
		sync_acquire_hook(m->obj);
}

void mutex_unlock_at(struct mutex *m, struct sched_site *site)
{
	int me = sched_current();
	sched_yield(site, m->obj, SCHED_OP_RELEASE);
	if (sync_release_hook)
		sync_release_hook(m->obj);
	if (m->owner != me)
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "mutex_unlock of %s by %s, owner %s", m->name, sched_agent_name(me),
			      sched_agent_name(m->owner));
	m->owner = SCHED_NO_AGENT;
	sched_lock_released(m->obj, m->name, site);
	sched_wake_obj(m->obj);
}

/* ---- rw_semaphore ------------------------------------------------------------------------ */

void init_rwsem(struct rw_semaphore *s, uint32_t obj, const char *name, int rank)
{
	*s = (struct rw_semaphore){SCHED_NO_AGENT, 0, 0, obj, name, rank};
}

static void rwsem_check_recursion(struct rw_semaphore *s, struct sched_site *site)
{
	int me = sched_current();
	if (s->writer == me || (s->readers >> me & 1u))
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "recursive acquisition of %s by %s", s->name, sched_agent_name(me));
}

void down_read_at(struct rw_semaphore *s, struct sched_site *site)
{
	int me = sched_current();
	might_sleep_site(site);
	sched_yield(site, s->obj, SCHED_OP_ACQUIRE);
	rwsem_check_recursion(s, site);
	sched_lock_check(s->obj, s->name, s->rank, site);
	while (s->writer != SCHED_NO_AGENT || s->writers_wait) {
		struct sched_wait w = {.what = "down_read",
				       .name = s->name,
				       .obj = s->obj,
				       .owners_fn = rwsem_owners,
				       .lock = s};
		sched_block(site, &w, true);
	}
	s->readers |= 1u << me;
	sched_lock_acquired(s->obj, s->name, s->rank);
	if (sync_acquire_hook)
		sync_acquire_hook(s->obj);
}

/* Never sleeps: fails if a writer holds or waits for the semaphore. */
bool down_read_trylock_at(struct rw_semaphore *s, struct sched_site *site)
{
	int me = sched_current();
	sched_yield(site, s->obj, SCHED_OP_ACQUIRE);
	rwsem_check_recursion(s, site);
	if (s->writer != SCHED_NO_AGENT || s->writers_wait)
		return false;
	s->readers |= 1u << me;
	sched_lock_check(s->obj, s->name, s->rank, site);
	sched_lock_acquired(s->obj, s->name, s->rank);
	if (sync_acquire_hook)
		sync_acquire_hook(s->obj);
	return true;
}

void down_write_at(struct rw_semaphore *s, struct sched_site *site)
{
	int me = sched_current();
	might_sleep_site(site);
	sched_yield(site, s->obj, SCHED_OP_ACQUIRE);
	rwsem_check_recursion(s, site);
	sched_lock_check(s->obj, s->name, s->rank, site);
	while (s->writer != SCHED_NO_AGENT || s->readers) {
		s->writers_wait |= 1u << me;
		struct sched_wait w = {.what = "down_write",
				       .name = s->name,
				       .obj = s->obj,
				       .owners_fn = rwsem_owners,
				       .lock = s};
		sched_block(site, &w, true);
	}
	s->writers_wait &= ~(1u << me);
	s->writer = me;
	sched_lock_acquired(s->obj, s->name, s->rank);
	if (sync_acquire_hook)
		sync_acquire_hook(s->obj);
}

void up_read_at(struct rw_semaphore *s, struct sched_site *site)
{
	int me = sched_current();
	sched_yield(site, s->obj, SCHED_OP_RELEASE);
	if (sync_release_hook)
		sync_release_hook(s->obj);
	if (!(s->readers >> me & 1u))
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "up_read of %s by %s, not a reader", s->name, sched_agent_name(me));
	s->readers &= ~(1u << me);
	sched_lock_released(s->obj, s->name, site);
	sched_wake_obj(s->obj);
}

void up_write_at(struct rw_semaphore *s, struct sched_site *site)
{
	int me = sched_current();
	sched_yield(site, s->obj, SCHED_OP_RELEASE);
	if (sync_release_hook)
		sync_release_hook(s->obj);
	if (s->writer != me)
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0, "up_write of %s by %s, owner %s",
			      s->name, sched_agent_name(me), sched_agent_name(s->writer));
	s->writer = SCHED_NO_AGENT;
	sched_lock_released(s->obj, s->name, site);
	sched_wake_obj(s->obj);
}

void downgrade_write_at(struct rw_semaphore *s, struct sched_site *site)
{
	int me = sched_current();
	sched_yield(site, s->obj, SCHED_OP_RELEASE);
	if (sync_release_hook)
		sync_release_hook(s->obj);
	if (s->writer != me)
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "downgrade_write of %s by %s, owner %s", s->name,
			      sched_agent_name(me), sched_agent_name(s->writer));
	s->writer = SCHED_NO_AGENT;
	s->readers |= 1u << me;
	sched_wake_obj(s->obj);
}

bool rwsem_is_write_locked_by_me(const struct rw_semaphore *s)
{
	return s->writer == sched_current();
}

bool rwsem_is_locked_by_me(const struct rw_semaphore *s)
{
	int me = sched_current();
	return s->writer == me || (me >= 0 && (s->readers >> me & 1u));
}

void lockdep_assert_held_at(uint32_t obj, const char *name, bool held, struct sched_site *site)
{
	if (!site->id)
		sched_site_init(site);
	if (!held || !sched_lock_held_by_current(obj))
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0, "%s expected to hold %s",
			      sched_agent_name(sched_current()), name);
}

/* ---- seqcount ------------------------------------------------------------------------------ */

void seqcount_init(seqcount_t *s, uint32_t obj, const char *name)
{
	*s = (seqcount_t){0, obj, name};
}

void write_seqcount_begin_at(seqcount_t *s, struct sched_site *site)
{
	sched_yield(site, s->obj, SCHED_OP_WRITE);
	s->sequence++;
}

void write_seqcount_end_at(seqcount_t *s, struct sched_site *site)
{
	sched_yield(site, s->obj, SCHED_OP_WRITE);
	if (sync_mb_hook) /* smp_wmb(): the section's stores before the count's */
		sync_mb_hook();
	s->sequence++;
	sched_wake_obj(s->obj);
}

uint32_t raw_read_seqcount_at(seqcount_t *s, struct sched_site *site)
{
	sched_yield(site, s->obj, SCHED_OP_READ);
	return s->sequence;
}

uint32_t read_seqcount_begin_at(seqcount_t *s, struct sched_site *site)
{
	sched_yield(site, s->obj, SCHED_OP_READ);
	while (s->sequence & 1u) {
		struct sched_wait w = {
		    .what = "read_seqcount_begin", .name = s->name, .obj = s->obj};
		sched_block(site, &w, false);
	}
	return s->sequence;
}

bool read_seqcount_retry_at(seqcount_t *s, uint32_t start, struct sched_site *site)
{
	sched_yield(site, s->obj, SCHED_OP_READ);
	return s->sequence != start;
}

/* ---- completion ------------------------------------------------------------------------------ */

void init_completion(struct completion *c, uint32_t obj, const char *name)
{
	*c = (struct completion){0, obj, name};
}

void wait_for_completion_at(struct completion *c, struct sched_site *site)
{
	might_sleep_site(site);
	sched_yield(site, c->obj, SCHED_OP_ACQUIRE);
	while (!c->done) {
		struct sched_wait w = {
		    .what = "wait_for_completion", .name = c->name, .obj = c->obj};
		sched_block(site, &w, true);
	}
	c->done--;
}

void complete_at(struct completion *c, struct sched_site *site)
{
	sched_yield(site, c->obj, SCHED_OP_RELEASE);
	c->done++;
	sched_wake_obj(c->obj);
}

/* ---- RCU ----------------------------------------------------------------------------------------
 */

#define RCU_OBJ SCHED_OBJ(SCHED_OBJ_RCU, 0)

static struct {
	struct {
		sched_rcu_fn fn;
		void *arg;
		uint32_t readers; /* pre-existing readers still inside */
	} cbs[SCHED_RCU_CBS_MAX];
	int count;
	/* agents whose synchronize_rcu() may still wait for readers (a superset of
	 * those with a sync_mask): an unlock looks at these, not at every agent */
	uint32_t syncing;
} rcu;

void sched_rcu_reset(void)
{
	rcu.count = 0;
	rcu.syncing = 0;
}

int sched_rcu_waiting(void)
{
	return rcu.count;
}

static uint32_t rcu_readers(void)
{
	uint32_t m = 0;
	/* agents beyond the registered ones are never current: never in a section */
	for (int i = 0, n = sched_agents_count(); i < n; i++)
		if (sched_agent_rcu(i)->depth > 0)
			m |= 1u << i;
	return m;
}

static uint32_t rcu_sync_owners(const void *lock)
{
	return *(const uint32_t *)lock;
}

/* Run callbacks whose grace period is over, in order, as softirq work. */
static void rcu_run_ready(void)
{
	int kept = 0;
	for (int i = 0; i < rcu.count; i++) {
		if (rcu.cbs[i].readers) {
			rcu.cbs[kept++] = rcu.cbs[i];
			continue;
		}
		sched_atomic_inc();
		rcu.cbs[i].fn(rcu.cbs[i].arg);
		sched_atomic_dec();
	}
	rcu.count = kept;
}

void rcu_read_lock_at(struct sched_site *site)
{
	sched_yield(site, RCU_OBJ, SCHED_OP_ACQUIRE);
	sched_agent_rcu(sched_current())->depth++;
}

void rcu_read_unlock_at(struct sched_site *site)
{
	int me = sched_current();
	struct sched_agent_rcu *r = sched_agent_rcu(me);
	sched_yield(site, RCU_OBJ, SCHED_OP_RELEASE);
	if (r->depth <= 0) {
		sched_finding(SCHED_ORACLE_LOCKDEP, site, NULL, 0,
			      "rcu_read_unlock by %s outside a read section", sched_agent_name(me));
		return;
	}
	if (--r->depth)
		return;
	/* end of an outermost read section: a quiescent state for grace periods */
	for (uint32_t rest = rcu.syncing; rest; rest &= rest - 1u) {
		int i = __builtin_ctz(rest);
		struct sched_agent_rcu *w = sched_agent_rcu(i);
		if (w->sync_mask >> me & 1u) {
			w->sync_mask &= ~(1u << me);
			if (!w->sync_mask) {
				rcu.syncing &= ~(1u << i);
				sched_wake(i);
			}
		}
	}
	bool ready = false;
	for (int i = 0; i < rcu.count; i++) {
		rcu.cbs[i].readers &= ~(1u << me);
		ready |= !rcu.cbs[i].readers;
	}
	if (ready)
		rcu_run_ready();
}

void synchronize_rcu_at(struct sched_site *site)
{
	int me = sched_current();
	struct sched_agent_rcu *r = sched_agent_rcu(me);
	might_sleep_site(site);
	sched_yield(site, RCU_OBJ, SCHED_OP_ACQUIRE);
	r->sync_mask = rcu_readers() & ~(1u << me);
	if (r->sync_mask)
		rcu.syncing |= 1u << me;
	while (r->sync_mask) {
		struct sched_wait w = {.what = "synchronize_rcu",
				       .name = "rcu",
				       .obj = RCU_OBJ,
				       .owners_fn = rcu_sync_owners,
				       .lock = &r->sync_mask};
		sched_block(site, &w, true);
	}
}

void call_rcu_at(sched_rcu_fn fn, void *arg, struct sched_site *site)
{
	sched_yield(site, RCU_OBJ, SCHED_OP_WRITE);
	SCHED_ASSERT(rcu.count < SCHED_RCU_CBS_MAX);
	rcu.cbs[rcu.count].fn = fn;
	rcu.cbs[rcu.count].arg = arg;
	rcu.cbs[rcu.count].readers = rcu_readers();
	rcu.count++;
	if (!rcu.cbs[rcu.count - 1].readers)
		rcu_run_ready();
}

void rcu_barrier(void)
{
	for (int i = 0; i < rcu.count; i++)
		rcu.cbs[i].readers = 0;
	rcu_run_ready();
}

bool rcu_read_lock_held(void)
{
	int me = sched_current();
	return me >= 0 && sched_agent_rcu(me)->depth > 0;
}
