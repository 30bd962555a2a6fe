/* SPDX-License-Identifier: MIT */
/*
 * Store buffers: the weak memory model of a scenario's `memory arm64` (issue 18).
 *
 * In `memory sc` (the default) nothing here runs: a user store writes memory at
 * its step.  In `memory arm64`, during the concurrent phase, a CPU's user store
 * (hw_store) goes into the CPU's store buffer after its translation, and becomes
 * visible — to every other CPU at once: arm64 is other-multi-copy-atomic — only
 * when the buffer drains it.  A CPU's load reads its own newest buffered store to
 * the same word (store forwarding), else memory.
 *
 * The buffer is a set of per-location FIFO queues (one per word it holds, at most
 * SB_QUEUES_PER_CPU, SB_QUEUE_DEPTH entries each).  Each queue is drained by a
 * scheduler agent of its own, SB<cpu><a|b|c>: runnable while its queue's oldest
 * entry may become visible, one step per entry made visible.  So *when* a store
 * becomes visible, and in which order stores to different words of one CPU do, is
 * a scheduling decision like any other: in the trace, in a .sched file's
 * preemptions ("CPU0 at hw_access:store -> SB0b"), chosen by random, PCT and DFS,
 * minimized and replayed bit for bit.  Stores to one word stay in order (per-
 * location coherence); stores to different words may pass each other, which is
 * what arm64 allows and x86-TSO (one FIFO) does not.
 *
 * Deferred loads (load buffering).  A CPU's plain user load (hw_load_relaxed(),
 * the scenario's `load`) is translated at its step and *performed* later: it
 * waits in one of the CPU's LD_SLOTS_PER_CPU slots, and the slot's agent,
 * LD<cpu><a|b>, performs it in a step of its own (`ld_perform:read`), reading
 * the CPU's own newest buffered store to the word (forwarding), else memory, at
 * that moment: the scenario's result is written and the oracle layer judges the
 * value then.  So a load may be performed after later loads of its CPU (MP with
 * smp_wmb() only, WRC, IRIW) and after its later stores became visible (LB),
 * while stores stay other-multi-copy-atomic, as on arm64.  Ordering kept:
 *   - coherence: a load waits for the CPU's older pending loads of the same
 *     word; any access of the CPU to a word first performs its pending loads of
 *     that word (sb_loads_settle()), so a later store is never forwarded to an
 *     earlier load;
 *   - smp_rmb(), smp_mb(), a release, a kernel entry (an operation or a page
 *     fault) and a TLB invalidation on the CPU perform its pending loads at once,
 *     oldest first, without a step (the latest point the agents could have
 *     chosen: one of their orders);
 *   - an acquire load is performed at its step (not deferred), so later loads
 *     come after it; earlier pending loads may still be performed after it;
 *   - all slots taken: the oldest pending load is performed at once;
 *   - the load agents finish once their CPU is done and their slot empty.
 * The scenario executor defers a load only when a later access of its CPU could
 * be performed before it (tools/exec.c, exec_load_defers()): a load followed by
 * nothing, or by a barrier or a kernel entry (smp_wmb()s aside), would be
 * performed before the CPU does anything else anyway — the same outcomes as the
 * load issued later — and deferring it would only multiply the schedules.
 *
 * Barriers (the kernel's smp_* on this model):
 *   smp_mb()    pending loads performed, then the CPU waits (blocks) until its
 *               buffer is empty;
 *   smp_wmb()   stores before it become visible before stores after it (an epoch:
 *               an entry may drain only when no entry of an older epoch is left);
 *               pending loads stay pending;
 *   smp_rmb()   pending loads performed before any later load is issued;
 *   release     pending loads performed, smp_wmb(), then the store; acquire: the
 *               load, performed at its step.
 *
 * Other drains of the store buffer, each a simplification stated where it happens:
 *   - the CPU's buffer drains (as by smp_mb()) before it enters the kernel for an
 *     operation other than a user access, and before a page fault (the kernel's
 *     loads of user data are not forwarded from the buffer); the kernel's stores
 *     of the call or fault are visible when it returns;
 *   - a TLB invalidation on a CPU makes its buffered stores visible at once (the
 *     arm64 DSB after a TLBI completes the accesses that used the old translation;
 *     so no store lands in a frame after the flush that let it be freed);
 *   - a full buffer makes its oldest entry visible at once, without a step;
 *   - the agents drain every buffer before the concurrent phase ends.
 *
 * The kernel's own stores (PTEs, the content of new frames) go through the
 * buffer too: see "The kernel's accessors" below and the README's table.
 *
 * Leaves out (not modelled yet): non-multi-copy-atomic propagation (the LKMM
 * allows R+wmb+mb and IRIW+rmb through it; arm64 forbids both), address, data
 * and control dependencies (a scenario's values are constants), deferred loads
 * of the kernel (its loads are performed at their step), buffered PMD stores
 * other than a split's pmd_populate() (sb_kernel_set_pmd()), the kernel's stores
 * to folio metadata (flags, counts: direct) other than GUP-fast's relaxed pin
 * add (sb_kernel_ref_add()).
 */
#ifndef MMFUZZ_SBUF_H
#define MMFUZZ_SBUF_H

#include "mm.h"

#define SB_QUEUES_PER_CPU 3
#define SB_QUEUE_DEPTH	  4
/* Queues a CPU that runs operations gets for the kernel's stores, besides one per
 * word its user stores name (at most SB_QUEUES_PER_CPU in all). */
#define SB_KERNEL_QUEUES 2
/* The scheduler agent that drains queue @q of @cpu's buffer. */
#define SB_AGENT(cpu, q) (NR_CPUS + (cpu)*SB_QUEUES_PER_CPU + (q))
#define SB_AGENTS_END	 SB_AGENT(NR_CPUS, 0)
/*
 * Deferred loads: at most LD_SLOTS_PER_CPU plain user loads of a CPU wait to be
 * performed, each in a slot whose agent, LD<cpu><a|b>, performs it (after the
 * drain agents in the scheduler's numbering).
 */
#define LD_SLOTS_PER_CPU 2
#define LD_AGENT(cpu, k) (SB_AGENTS_END + (cpu)*LD_SLOTS_PER_CPU + (k))
#define LD_AGENTS_END	 LD_AGENT(NR_CPUS, 0)

/* Buffers in use: set by sb_begin() for a weak execution's concurrent phase. */
extern bool sb_active;

/*
 * Before the concurrent phase of a weak execution: empty buffers, and drain
 * agents for the CPUs in @cpus, queues[cpu] of them each (1..SB_QUEUES_PER_CPU),
 * and load agents, loads[cpu] of them each (0..LD_SLOTS_PER_CPU), added to the
 * scheduler (start blocked: nothing to drain or perform yet).
 */
void sb_begin(uint32_t cpus, const int queues[NR_CPUS], const int loads[NR_CPUS]);
/* After the concurrent phase (buffers are empty unless a finding stopped it). */
void sb_end(void);

/* A name for the drain or load agent @agent ("SB0a", "LD0b"), or NULL if it is none. */
const char *sb_agent_name(int agent);

/*
 * hw_store() after translating @addr of @mm to word @word of frame @pfn (gen @gen):
 * buffer the store.  False when not buffered (sb_active off, @cpu has no drain
 * agents): the caller writes memory.
 */
bool sb_store(int cpu, struct mm_struct *mm, unsigned long addr, uint32_t pfn, uint32_t gen,
	      int word, uint64_t val, const struct sched_site *site);
/* hw_load(): the newest buffered store of @cpu to that word, if any. */
bool sb_forward(int cpu, uint32_t pfn, int word, uint64_t *val);
/*
 * hw_load_relaxed() after translating @addr of @mm to word @word of frame @pfn
 * (gen @gen): defer the load to a slot (a full set of slots performs its oldest
 * load first).  *@val is written when the load is performed, and the oracle
 * layer's oracle_user_load() is called then.  False when not deferred (sb_active
 * off, @cpu has no load agents): the caller performs it now.
 */
bool sb_load_defer(int cpu, struct mm_struct *mm, unsigned long addr, uint32_t pfn, uint32_t gen,
		   int word, uint64_t *val, const struct sched_site *site);
/*
 * Before @cpu's access to word @word of frame @pfn is performed: its pending
 * loads of that word are performed first, oldest first (coherence: a later store
 * must not be forwarded to an earlier load, nor a later load read older data).
 */
void sb_loads_settle(int cpu, uint32_t pfn, int word);
/* Perform every pending load of @cpu now, oldest first (no step). */
void sb_loads_perform(int cpu);

/* The barriers, as scenario operations (each one step). */
void sb_smp_mb(int cpu);
void sb_smp_wmb(int cpu);
void sb_smp_rmb(int cpu);
/* The smp_wmb() half of a release store, no step of its own. */
void sb_release(int cpu);
/* Wait until @cpu's buffer is empty (no step when it is): kernel entry. */
void sb_drain_wait(int cpu);
/* Make every buffered store of @cpu visible now, oldest first (TLB invalidation). */
void sb_flush_now(int cpu);
/* @cpu has run all its operations: its drain agents finish once empty. */
void sb_cpu_done(int cpu);

/*
 * The kernel's accessors under the model (issue 18, second part).  The kernel's
 * stores into a new frame (clear, copy) and its PTE stores (set_pte_at) by a CPU
 * that has a buffer go into it; the CPU's own loads of them (ptep_get, a copy's
 * read) forward from it; the hardware walker and devices read memory.  Each
 * returns false when nothing was buffered or forwarded: the caller uses memory,
 * as in `memory sc`.  No step of their own: the caller's access is the step.
 */
/* The CPU running now if its stores are buffered, else -1. */
int sb_kernel_cpu(void);
/* The words @words (a mask) of frame @page take @val[w], the oracle's @origin[w]. */
bool sb_kernel_store_words(struct folio *page, unsigned words, const uint64_t *val,
			   const uint32_t *origin, const struct sched_site *site);
bool sb_kernel_forward_word(const struct folio *page, int word, uint64_t *val, uint32_t *origin);
/* PTE @pte (its index in the table arena) takes @val. */
bool sb_kernel_set_pte(uint32_t pte, pte_t val, const struct sched_site *site);
bool sb_kernel_forward_pte(uint32_t pte, pte_t *val);
/*
 * A relaxed xchg of PTE @pte (arm64's ptep_get_and_clear(): xchg_relaxed): the
 * old value now (the CPU's own buffered store, else memory) in @old, @val into
 * the buffer.  Its later loads may pass the store: the reason for the smp_mb()
 * in __folio_try_share_anon_rmap().  Atomic all the same: a RMW by another
 * agent on the PTE makes the store visible first (sb_pte_rmw_settle()).
 */
bool sb_kernel_xchg_pte_relaxed(uint32_t pte, pte_t val, pte_t *old, const struct sched_site *site);
/*
 * The fill of a PTE table nobody can reach yet (a split's table before its
 * pmd_populate()): buffered like set_pte_at(), but no oracle event when it
 * becomes visible, as the plain store of `memory sc` makes none.
 */
bool sb_kernel_init_pte(uint32_t pte, pte_t val, const struct sched_site *site);
/*
 * A split's pmd_populate(): PMD @pmdp of @mm takes @val in the buffer; the CPU's
 * own PMD loads (pmdp_get) forward from it, other CPUs' walkers read memory.
 * Under the PMD lock: whoever takes the lock next sees it (sb_lock_acquire()).
 */
bool sb_kernel_set_pmd(struct mm_struct *mm, const pmd_t *pmdp, pmd_t val,
		       const struct sched_site *site);
bool sb_kernel_forward_pmd(const struct mm_struct *mm, const pmd_t *pmdp, pmd_t *val);
/*
 * A relaxed atomic_add() of @refs to @folio's refcount (GUP-fast's pin bias,
 * folio_ref_add() in try_grab_folio_fast()): into the buffer; it is applied to
 * the count, atomically, when it becomes visible.  Other CPUs' loads and RMWs
 * of the count meanwhile see memory — the add ordered after them, which arm64
 * allows; the adder's own reference (a fully ordered folio_try_get()) keeps the
 * count above zero throughout.
 */
bool sb_kernel_ref_add(struct folio *folio, int refs, const struct sched_site *site);
/* Before the CPU's own load or RMW of @folio's count: its pending adds to it
 * become visible first (with the rest of its buffer: fewer behaviours). */
void sb_kernel_ref_settle(const struct folio *folio);
/* Before an RMW on PTE @pte: other CPUs' buffered RMW stores to it become visible. */
void sb_pte_rmw_settle(uint32_t pte);
/* The kernel's smp_wmb(): an epoch, as sb_release(). */
void sb_kernel_wmb(void);
/*
 * The kernel's smp_mb(), a fully ordered RMW (value-returning atomics, xchg,
 * cmpxchg), and a release (unlock: sync_release_hook): the CPU's buffered
 * stores become visible now, oldest first — one of the orders the drain agents
 * could have chosen, with no step.
 */
void sb_kernel_mb(void);

#endif
