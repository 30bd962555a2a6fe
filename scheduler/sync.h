/* SPDX-License-Identifier: MIT */
/*
 * Synchronisation primitives with kernel names and semantics, built on the
 * scheduler: spinlock (+irqsave), mutex, rw_semaphore (with downgrade), seqcount,
 * completion, RCU.  Every operation is a yield point whose site is the *caller's*
 * (the macros pass it in), so schedules can be anchored at "zap_pte_range:
 * spin_lock(ptl)".  Ownership is checked per simulated CPU: unlock by a non-owner,
 * recursion, sleeping in atomic context and inversion of a declared order (rank:
 * an inner lock has a higher rank; 0 = undeclared) are lockdep findings.
 *
 * Waiting is blocking, never busy spinning: a spinning CPU is an agent blocked
 * with its interrupts as they were, which is what IPI delivery and deadlock
 * detection need to know.
 */
#ifndef MMFUZZ_SYNC_H
#define MMFUZZ_SYNC_H

#include "sched.h"

struct lock_class {
	const char *name;
	int rank;
};

typedef struct spinlock {
	int owner; /* agent, or SCHED_NO_AGENT */
	uint32_t obj;
	const char *name;
	int rank;
} spinlock_t;

struct mutex {
	int owner;
	uint32_t obj;
	const char *name;
	int rank;
};

struct rw_semaphore {
	int writer;	       /* agent holding it for write, or SCHED_NO_AGENT */
	uint32_t readers;      /* bit per agent holding it for read */
	uint32_t writers_wait; /* bit per agent waiting to write */
	uint32_t obj;
	const char *name;
	int rank;
};

typedef struct seqcount {
	uint32_t sequence;
	uint32_t obj;
	const char *name;
} seqcount_t;

struct completion {
	uint32_t done;
	uint32_t obj;
	const char *name;
};

/* obj: SCHED_OBJ(kind, index) of the object, as in traces. */
void spin_lock_init(spinlock_t *l, uint32_t obj, const char *name, int rank);
void mutex_init(struct mutex *m, uint32_t obj, const char *name, int rank);
void init_rwsem(struct rw_semaphore *s, uint32_t obj, const char *name, int rank);
void seqcount_init(seqcount_t *s, uint32_t obj, const char *name);
void init_completion(struct completion *c, uint32_t obj, const char *name);

void spin_lock_at(spinlock_t *l, struct sched_site *site);
bool spin_trylock_at(spinlock_t *l, struct sched_site *site);
void spin_unlock_at(spinlock_t *l, struct sched_site *site);
/*
 * The memory model's hooks, NULL unless a weak one is in use (core/sbuf.c).
 * Every unlock (spin, mutex, rwsem) of lock @obj calls sync_release_hook before
 * the lock is free, every lock taken calls sync_acquire_hook once it is held:
 * what the releaser stored before its release is visible to the acquirer.
 * sync_mb_hook: write_seqcount_end()'s smp_wmb() before the count's store.
 */
extern void (*sync_release_hook)(uint32_t obj);
extern void (*sync_acquire_hook)(uint32_t obj);
extern void (*sync_mb_hook)(void);
void mutex_lock_at(struct mutex *m, struct sched_site *site);
void mutex_unlock_at(struct mutex *m, struct sched_site *site);
void down_read_at(struct rw_semaphore *s, struct sched_site *site);
void down_write_at(struct rw_semaphore *s, struct sched_site *site);
bool down_read_trylock_at(struct rw_semaphore *s, struct sched_site *site);
void up_read_at(struct rw_semaphore *s, struct sched_site *site);
void up_write_at(struct rw_semaphore *s, struct sched_site *site);
void downgrade_write_at(struct rw_semaphore *s, struct sched_site *site);
void write_seqcount_begin_at(seqcount_t *s, struct sched_site *site);
void write_seqcount_end_at(seqcount_t *s, struct sched_site *site);
uint32_t read_seqcount_begin_at(seqcount_t *s, struct sched_site *site);
uint32_t raw_read_seqcount_at(seqcount_t *s, struct sched_site *site);
bool read_seqcount_retry_at(seqcount_t *s, uint32_t start, struct sched_site *site);
void wait_for_completion_at(struct completion *c, struct sched_site *site);
void complete_at(struct completion *c, struct sched_site *site);
void rcu_read_lock_at(struct sched_site *site);
void rcu_read_unlock_at(struct sched_site *site);
void synchronize_rcu_at(struct sched_site *site);
void call_rcu_at(sched_rcu_fn fn, void *arg, struct sched_site *site);
/* Run every queued RCU callback now (quiescence: no reader can be left). */
void rcu_barrier(void);

/* Assertions of the modelled kernel (lockdep_assert_held & co): lockdep findings. */
void lockdep_assert_held_at(uint32_t obj, const char *name, bool held, struct sched_site *site);
bool spin_is_locked_by_me(const spinlock_t *l);
bool rwsem_is_write_locked_by_me(const struct rw_semaphore *s);
bool rwsem_is_locked_by_me(const struct rw_semaphore *s);
/* Is the current agent inside an RCU read-side section?  No yield. */
bool rcu_read_lock_held(void);

#define SYNC_CALL(fn, lbl, ...)                                                                    \
	({                                                                                         \
		SCHED_SITE_DEFINE(sync_site__, lbl);                                               \
		fn(__VA_ARGS__, &sync_site__);                                                     \
	})

#define spin_lock(l)	SYNC_CALL(spin_lock_at, "spin_lock(" #l ")", (l))
#define spin_trylock(l) SYNC_CALL(spin_trylock_at, "spin_trylock(" #l ")", (l))
#define spin_unlock(l)	SYNC_CALL(spin_unlock_at, "spin_unlock(" #l ")", (l))
#define spin_lock_irqsave(l, flags)                                                                \
	do {                                                                                       \
		(flags) = local_irq_save();                                                        \
		spin_lock(l);                                                                      \
	} while (0)
#define spin_unlock_irqrestore(l, flags)                                                           \
	do {                                                                                       \
		spin_unlock(l);                                                                    \
		local_irq_restore(flags);                                                          \
	} while (0)
#define mutex_lock(m)		SYNC_CALL(mutex_lock_at, "mutex_lock(" #m ")", (m))
#define mutex_unlock(m)		SYNC_CALL(mutex_unlock_at, "mutex_unlock(" #m ")", (m))
#define down_read(s)		SYNC_CALL(down_read_at, "down_read(" #s ")", (s))
#define down_write(s)		SYNC_CALL(down_write_at, "down_write(" #s ")", (s))
#define down_read_trylock(s)	SYNC_CALL(down_read_trylock_at, "down_read_trylock(" #s ")", (s))
#define up_read(s)		SYNC_CALL(up_read_at, "up_read(" #s ")", (s))
#define up_write(s)		SYNC_CALL(up_write_at, "up_write(" #s ")", (s))
#define downgrade_write(s)	SYNC_CALL(downgrade_write_at, "downgrade_write(" #s ")", (s))
#define write_seqcount_begin(s) SYNC_CALL(write_seqcount_begin_at, "write_seqcount_begin", (s))
#define write_seqcount_end(s)	SYNC_CALL(write_seqcount_end_at, "write_seqcount_end", (s))
#define read_seqcount_begin(s)	SYNC_CALL(read_seqcount_begin_at, "read_seqcount_begin", (s))
#define raw_read_seqcount(s)	SYNC_CALL(raw_read_seqcount_at, "raw_read_seqcount", (s))
#define read_seqcount_retry(s, start)                                                              \
	SYNC_CALL(read_seqcount_retry_at, "read_seqcount_retry", (s), (start))
#define wait_for_completion(c) SYNC_CALL(wait_for_completion_at, "wait_for_completion", (c))
#define complete(c)	       SYNC_CALL(complete_at, "complete", (c))

#define SYNC_CALL0(fn, lbl)                                                                        \
	({                                                                                         \
		SCHED_SITE_DEFINE(sync_site__, lbl);                                               \
		fn(&sync_site__);                                                                  \
	})
#define rcu_read_lock()	  SYNC_CALL0(rcu_read_lock_at, "rcu_read_lock")
#define rcu_read_unlock() SYNC_CALL0(rcu_read_unlock_at, "rcu_read_unlock")
#define synchronize_rcu() SYNC_CALL0(synchronize_rcu_at, "synchronize_rcu")
#define call_rcu(fn, arg) SYNC_CALL(call_rcu_at, "call_rcu", (fn), (arg))

#define lockdep_assert_held(l)                                                                     \
	SYNC_CALL(lockdep_assert_held_at, "lockdep_assert_held", (l)->obj, (l)->name, true)
#define assert_spin_locked(l)                                                                      \
	SYNC_CALL(lockdep_assert_held_at, "assert_spin_locked", (l)->obj, (l)->name,               \
		  spin_is_locked_by_me(l))

#endif
