/* SPDX-License-Identifier: MIT */
/*
 * Scenario execution (see exec.h).  Operations map one to one onto the model's
 * entry points: mmap -> do_mmap, load/store -> hw_load/hw_store (through the CPU's
 * TLB, walking and faulting as needed), madvise -> do_madvise, writeback ->
 * do_writepages.  Agents CPU0..CPU3 are the model's CPUs 0..3; with `memory
 * arm64` the drain agents of their store buffers and the agents of their deferred
 * loads (core/sbuf.h) come after them.
 */
#include "exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/filemap.h"
#include "../core/fork.h"
#include "../core/gup.h"
#include "../core/hw.h"
#include "../core/khugepaged.h"
#include "../core/knobs.h"
#include "../core/pgtable.h"
#include "../core/migrate.h"
#include "../core/migrate_device.h"
#include "../core/mm.h"
#include "../core/mmap.h"
#include "../core/ksm.h"
#include "../core/numa.h"
#include "../core/oracle/events.h"
#include "../core/quiesce.h"
#include "../core/sbuf.h"
#include "../core/tlb.h"
#include "../core/vmscan.h"

static const char *const agent_names[SCN_AGENTS_MAX] = {"CPU0", "CPU1", "CPU2", "CPU3"};

const char *exec_agent_name(int agent)
{
	return scn_agent_name(agent);
}

void exec_options_default(struct exec_options *o)
{
	memset(o, 0, sizeof(*o));
	o->steps_max = 20000;
}

static int exec_syscall(const struct scn_op *op, struct mm_struct *mm, struct exec_op_result *res);

/* What the oracle layer knows of an operation: its kind, range and argument. */
static enum oracle_syscall exec_oracle_kind(const struct scn_op *op, unsigned long *arg)
{
	*arg = 0;
	switch ((enum scn_op_kind)op->kind) {
	case SCN_OP_MMAP_FIXED:
		*arg = 1; /* it replaces what is there */
		return OSYS_MMAP;
	case SCN_OP_MMAP:
	case SCN_OP_MMAP_HINT:
	case SCN_OP_MMAP_STACK:
		return OSYS_MMAP;
	case SCN_OP_MUNMAP:
		return OSYS_MUNMAP;
	case SCN_OP_MADVISE:
		return op->advice == SCN_ADV_DONTNEED	? OSYS_MADV_DONTNEED
		       : op->advice == SCN_ADV_FREE	? OSYS_MADV_FREE
		       : op->advice == SCN_ADV_DONTFORK ? OSYS_MADV_DONTFORK
		       : op->advice == SCN_ADV_DOFORK	? OSYS_MADV_DOFORK
							: OSYS_OTHER;
	case SCN_OP_MPROTECT:
		*arg = op->none ? OSYS_MPROTECT_NONE : op->write;
		return OSYS_MPROTECT;
	case SCN_OP_MREMAP:
		*arg = (unsigned long)op->value;
		return OSYS_MREMAP;
	case SCN_OP_FORK:
		*arg = 1; /* the child is P1 */
		return OSYS_FORK;
	case SCN_OP_EXIT:
		return OSYS_EXIT;
	case SCN_OP_PIN:
	case SCN_OP_PIN_SLOW:
	case SCN_OP_GUP_GET:
	case SCN_OP_GUP:
		*arg = op->write;
		return OSYS_GUP;
	case SCN_OP_QUERY:
		return OSYS_QUERY;
	case SCN_OP_LOAD:
	case SCN_OP_LOAD_ACQUIRE:
		return OSYS_LOAD;
	case SCN_OP_STORE:
	case SCN_OP_STORE_RELEASE:
	case SCN_OP_MEM_WRITE:
		return OSYS_STORE;
	default:
		return OSYS_OTHER;
	}
}

/* Operations that are user accesses or barriers: anything else enters the kernel. */
static bool exec_op_user(const struct scn_op *op)
{
	switch ((enum scn_op_kind)op->kind) {
	case SCN_OP_LOAD:
	case SCN_OP_STORE:
	case SCN_OP_LOAD_ACQUIRE:
	case SCN_OP_STORE_RELEASE:
	case SCN_OP_SMP_MB:
	case SCN_OP_SMP_WMB:
	case SCN_OP_SMP_RMB:
		return true;
	default:
		return false;
	}
}

/* The operation between the oracle layer's entry and return events. */
static int exec_observed(const struct scn_op *op, struct mm_struct *mm, struct exec_op_result *res)
{
	unsigned long arg;
	enum oracle_syscall kind = exec_oracle_kind(op, &arg);
	oracle_syscall_enter(op->agent, kind, mm, op->addr, (unsigned long)op->pages * PAGE_SIZE,
			     arg);
	int err = op->kind == SCN_OP_EXIT ? do_exit(mm) : exec_syscall(op, mm, res);
	long ret = err;
	if (!err && (kind == OSYS_MMAP || kind == OSYS_MREMAP || kind == OSYS_QUERY))
		ret = (long)res->value;
	/* memory arm64: the call's stores are visible when it returns (a
	 * simplification, sbuf.h): the return's postconditions judge memory */
	if (sb_active && !exec_op_user(op))
		sb_flush_now(op->agent);
	oracle_syscall_exit(op->agent, ret);
	return err;
}

/*
 * One operation.  A process's operation is a system call of one of its threads:
 * none in a process not yet forked (-ESRCH), exiting or gone; the last thread
 * out of an exiting process tears its mm down (mmput()).
 */
static int exec_op(const struct scn_op *op, struct exec_op_result *res)
{
	/* barriers: instructions of the CPU, no system call */
	switch ((enum scn_op_kind)op->kind) {
	case SCN_OP_SMP_MB:
		sb_smp_mb(op->agent);
		return 0;
	case SCN_OP_SMP_WMB:
		sb_smp_wmb(op->agent);
		return 0;
	case SCN_OP_SMP_RMB:
		sb_smp_rmb(op->agent);
		return 0;
	default:
		break;
	}
	struct mm_struct *mm = mm_get(op->proc);
	if (!(scn_op_table[op->kind].fields & SCN_F_PROC) || op->kind == SCN_OP_EXIT)
		return exec_observed(op, mm, res);
	if (!mmget_not_exiting(mm))
		return -ESRCH;
	int err = exec_observed(op, mm, res);
	mmput(mm);
	return err;
}

/* The madvise() advice of each scenario advice. */
static const int exec_madvise_advice[SCN_ADV_COUNT] = {
    [SCN_ADV_DONTNEED] = MADV_DONTNEED,	      [SCN_ADV_FREE] = MADV_FREE,
    [SCN_ADV_HUGEPAGE] = MADV_HUGEPAGE,	      [SCN_ADV_COLLAPSE] = MADV_COLLAPSE,
    [SCN_ADV_DONTFORK] = MADV_DONTFORK,	      [SCN_ADV_DOFORK] = MADV_DOFORK,
    [SCN_ADV_PAGEOUT] = MADV_PAGEOUT,	      [SCN_ADV_MERGEABLE] = MADV_MERGEABLE,
    [SCN_ADV_UNMERGEABLE] = MADV_UNMERGEABLE,
};

struct run_ctx {
	const struct scenario *s;
	struct exec_result *r;
	int setup_index;
};
static struct run_ctx ctx;

/*
 * memory arm64: is agent operation @i, a plain load, deferred (sbuf.h)?  Only if
 * a later access of its CPU (a load, store or acquire load) may be performed
 * before it: when the CPU's next operations up to its end, a kernel entry, an
 * smp_mb(), smp_rmb() or release are at most smp_wmb()s, the load would be
 * performed by the time the CPU does anything else — the same outcomes as the
 * load issued that much later, and fewer schedules to explore.
 */
static bool exec_load_defers(const struct scenario *s, int i)
{
	if (s->memory != SCN_MEMORY_ARM64 || s->ops[i].kind != SCN_OP_LOAD)
		return false;
	for (int j = i + 1; j < s->ops_count; j++) {
		if (s->ops[j].agent != s->ops[i].agent)
			continue;
		switch ((enum scn_op_kind)s->ops[j].kind) {
		case SCN_OP_SMP_WMB:
			continue; /* orders stores only */
		case SCN_OP_LOAD:
		case SCN_OP_STORE:
		case SCN_OP_LOAD_ACQUIRE:
			return true;
		default:
			return false; /* performs the CPU's pending loads at once */
		}
	}
	return false;
}

static int exec_syscall(const struct scn_op *op, struct mm_struct *mm, struct exec_op_result *res)
{
	switch ((enum scn_op_kind)op->kind) {
	case SCN_OP_MMAP:
	case SCN_OP_MMAP_FIXED:
	case SCN_OP_MMAP_HINT: {
		uint32_t flags =
		    VM_READ | (op->write ? VM_WRITE : 0) | (op->shared ? VM_SHARED : 0);
		if (op->anon)
			flags &= ~VM_SHARED; /* shared anonymous memory (shmem) is not modelled */
		enum mmap_placement placement = op->kind == SCN_OP_MMAP		? MMAP_NOREPLACE
						: op->kind == SCN_OP_MMAP_FIXED ? MMAP_FIXED
										: MMAP_HINT;
		long addr = do_mmap(mm, op->addr, op->pages,
				    op->anon ? NULL : mapping_get(op->file), 0, flags, placement);
		res->value = addr < 0 ? 0 : (uint64_t)addr;
		return addr < 0 ? (int)addr : 0;
	}
	case SCN_OP_MREMAP: {
		/* "= VALUE" is the new address */
		long addr = do_mremap(mm, op->addr, op->pages, (unsigned long)op->value);
		res->value = addr < 0 ? 0 : (uint64_t)addr;
		return addr < 0 ? (int)addr : 0;
	}
	case SCN_OP_MPROTECT:
		return do_mprotect(mm, op->addr, (unsigned long)op->pages * PAGE_SIZE,
				   op->none    ? PROT_NONE
				   : op->write ? PROT_READ | PROT_WRITE
					       : PROT_READ);
	case SCN_OP_MUNMAP:
		return do_munmap(mm, op->addr, (unsigned long)op->pages * PAGE_SIZE);
	case SCN_OP_LOAD: /* memory arm64: may be performed later, by a load agent */
		if (ctx.s->memory == SCN_MEMORY_ARM64 && op >= ctx.s->ops &&
		    op < ctx.s->ops + ctx.s->ops_count &&
		    exec_load_defers(ctx.s, (int)(op - ctx.s->ops)))
			return hw_load_relaxed(op->agent, mm, op->addr, &res->value);
		return hw_load(op->agent, mm, op->addr, &res->value);
	case SCN_OP_LOAD_ACQUIRE:
		/* performed at once: later loads are issued (and deferred) after it;
		 * earlier pending loads may still be performed after it (sbuf.h) */
		return hw_load(op->agent, mm, op->addr, &res->value);
	case SCN_OP_STORE:
		return hw_store(op->agent, mm, op->addr, op->value);
	case SCN_OP_STORE_RELEASE:
		sb_release(op->agent); /* smp_wmb(), then the store */
		return hw_store(op->agent, mm, op->addr, op->value);
	case SCN_OP_MADVISE:
		return do_madvise(mm, op->addr, (unsigned long)op->pages * PAGE_SIZE,
				  exec_madvise_advice[op->advice % SCN_ADV_COUNT]);
	case SCN_OP_MMAP_STACK: {
		/* an anonymous VM_GROWSDOWN mapping: faults below it expand it */
		long addr = do_mmap(mm, op->addr, op->pages, NULL, 0,
				    VM_READ | VM_WRITE | VM_GROWSDOWN, MMAP_NOREPLACE);
		res->value = addr < 0 ? 0 : (uint64_t)addr;
		return addr < 0 ? (int)addr : 0;
	}
	case SCN_OP_QUERY:
		res->value = (uint64_t)procmap_query(mm, op->addr);
		return 0;
	case SCN_OP_GUP:
		return gup_read_once(mm, op->addr, op->write ? FOLL_WRITE : 0, &res->value);
	case SCN_OP_FORK:
		/* P0 forks; its child is P1, which must have nothing mapped yet */
		return op->proc == 0 ? do_fork(mm, mm_get(1)) : -EINVAL;
	case SCN_OP_GUP_GET:
		return gup_hold(mm, op->addr, FOLL_GET | (op->write ? FOLL_WRITE : 0), true);
	case SCN_OP_PIN:
	case SCN_OP_PIN_SLOW:
		return gup_hold(mm, op->addr,
				FOLL_PIN | FOLL_LONGTERM | (op->write ? FOLL_WRITE : 0),
				op->kind == SCN_OP_PIN);
	case SCN_OP_DMA_READ:
		return dma_access(op->agent, false, &res->value);
	case SCN_OP_DMA_WRITE: {
		uint64_t v = op->value;
		return dma_access(op->agent, true, &v);
	}
	case SCN_OP_UNPIN:
		return gup_release();
	case SCN_OP_MIGRATE:
		return do_move_page(mm, op->addr);
	case SCN_OP_RECLAIM:
		res->value = (uint64_t)shrink_lazyfree();
		return 0;
	case SCN_OP_WRITEBACK:
		do_writepages(mapping_get(op->file));
		return 0;
	case SCN_OP_MEM_WRITE:
		return access_remote_vm_write(mm, op->addr, op->value);
	case SCN_OP_KHUGEPAGED:
		return khugepaged_collapse(mm, op->addr, op->pages);
	case SCN_OP_MAPS:
		res->value = (uint64_t)proc_maps_read(mm);
		return 0;
	case SCN_OP_NUMA_SCAN:
		return task_numa_work(mm, op->addr, (unsigned long)op->pages * PAGE_SIZE);
	case SCN_OP_KSM_SCAN:
		return ksm_do_scan(mm, op->addr, (unsigned long)op->pages * PAGE_SIZE);
	case SCN_OP_MIGRATE_DEVICE: {
		/* the driver's ioctl: how many pages moved to the device */
		int moved = dmirror_migrate_to_device(mm, op->addr, op->pages);
		res->value = moved < 0 ? 0 : (uint64_t)moved;
		return moved < 0 ? moved : 0;
	}
	case SCN_OP_DEV_READ:
		return dmirror_device_read(mm, op->addr, &res->value);
	case SCN_OP_EXIT: /* handled by exec_op() */
	case SCN_OP_SMP_MB:
	case SCN_OP_SMP_WMB:
	case SCN_OP_SMP_RMB:
	case SCN_OP_COUNT:
		break;
	}
	SCHED_ASSERT(!"unknown operation kind");
	return 0;
}

static void setup_fn(int agent, void *arg)
{
	(void)agent;
	(void)arg;
	struct exec_op_result *res = &ctx.r->setup[ctx.setup_index];
	res->err = exec_op(&ctx.s->setup[ctx.setup_index], res);
	res->done = true;
}

static void agent_fn(int agent, void *arg)
{
	(void)arg;
	for (int i = 0; i < ctx.s->ops_count; i++) {
		if (ctx.s->ops[i].agent != agent)
			continue;
		struct exec_op_result *res = &ctx.r->ops[i];
		/* the kernel's accesses are not buffered: they must see the CPU's stores
		 * (memory arm64; no step when the buffer is empty or there is none) */
		if (!exec_op_user(&ctx.s->ops[i]))
			sb_drain_wait(agent);
		res->err = exec_op(&ctx.s->ops[i], res);
		/* the kernel's stores are visible when the call returns (its unlocks
		 * released them; the rest is a simplification: sbuf.h) */
		if (sb_active && !exec_op_user(&ctx.s->ops[i]))
			sb_flush_now(agent);
		res->done = true;
	}
	sb_cpu_done(agent);
}

/*
 * memory arm64: the drain agents of @cpu's store buffer, one per word its
 * stores name (Pn and address), at most SB_QUEUES_PER_CPU; 0 in memory sc.
 */
static int exec_sb_queues(const struct scenario *s, int cpu)
{
	if (s->memory != SCN_MEMORY_ARM64 || cpu < 0 || cpu >= SCN_AGENTS_MAX)
		return 0;
	int n = 0;
	/* and SB_KERNEL_QUEUES for the kernel's stores (a fault's clear and PTE)
	 * if the CPU runs anything: any user access may fault */
	for (int i = 0; i < s->ops_count; i++)
		if (s->ops[i].agent == cpu) {
			n = SB_KERNEL_QUEUES;
			break;
		}
	for (int i = 0; i < s->ops_count; i++) {
		const struct scn_op *op = &s->ops[i];
		if (op->agent != cpu ||
		    (op->kind != SCN_OP_STORE && op->kind != SCN_OP_STORE_RELEASE))
			continue;
		bool seen = false;
		for (int j = 0; j < i && !seen; j++)
			seen = s->ops[j].agent == cpu &&
			       (s->ops[j].kind == SCN_OP_STORE ||
				s->ops[j].kind == SCN_OP_STORE_RELEASE) &&
			       s->ops[j].proc == op->proc && s->ops[j].addr == op->addr;
		n += !seen;
	}
	return n < SB_QUEUES_PER_CPU ? n : SB_QUEUES_PER_CPU;
}

/*
 * memory arm64: the load agents of @cpu, one per deferred load it makes, at most
 * LD_SLOTS_PER_CPU; 0 in memory sc.
 */
static int exec_ld_slots(const struct scenario *s, int cpu)
{
	if (s->memory != SCN_MEMORY_ARM64 || cpu < 0 || cpu >= SCN_AGENTS_MAX)
		return 0;
	int n = 0;
	for (int i = 0; i < s->ops_count; i++)
		n += s->ops[i].agent == cpu && exec_load_defers(s, i);
	return n < LD_SLOTS_PER_CPU ? n : LD_SLOTS_PER_CPU;
}

/*
 * The state after a setup (exec_options.snapshot): what it depends on, the setup
 * lines' results, and the model's snapshot.
 */
static struct {
	bool valid;
	uint64_t knobs;
	uint8_t arch;
	bool tlb_broadcast, child_unborn;
	int setup_count;
	struct scn_op setup[SCN_SETUP_MAX];
	struct exec_op_result results[SCN_SETUP_MAX];
	struct mm_snapshot *mm;
	/* snapshot_check: the restored state, whole and as a snapshot, and the fresh one */
	struct mm_world *check_world;
	struct mm_snapshot *check[2];
} snap;

struct exec_snapshot_stats exec_snapshot_stats;

static bool snapshot_fits(const struct scenario *s, const struct exec_options *o, bool unborn)
{
	return snap.valid && snap.knobs == o->knobs && snap.arch == s->arch &&
	       snap.tlb_broadcast == s->tlb_broadcast && snap.child_unborn == unborn &&
	       snap.setup_count == s->setup_count &&
	       !memcmp(snap.setup, s->setup, (size_t)s->setup_count * sizeof(s->setup[0])) &&
	       mm_snapshot_fits(snap.mm);
}

static struct mm_snapshot *snapshot_alloc(void)
{
	struct mm_snapshot *m = mm_snapshot_alloc();
	if (!m) {
		fprintf(stderr, "mmfuzz: out of memory for a setup snapshot\n");
		exit(1);
	}
	return m;
}

/* Agents in their places and the setup lines run (or their state restored). */
static void exec_setup(const struct scenario *s, const struct exec_options *o, bool unborn,
		       bool restore)
{
	if (restore) {
		mm_snapshot_restore(snap.mm);
		memcpy(ctx.r->setup, snap.results,
		       (size_t)s->setup_count * sizeof(snap.results[0]));
	} else {
		mm_reset();
		/* P1 is P0's fork child if the scenario forks: it does not exist before */
		mm_get(1)->unborn = unborn;
	}
	for (int a = 0; a < SCN_AGENTS_MAX; a++)
		sched_agent_add(a, agent_names[a], NULL, NULL);
	for (int i = 0; !restore && i < s->setup_count && !sched_stopped(); i++) {
		ctx.setup_index = i;
		sched_run_solo(s->setup[i].agent, setup_fn, NULL);
	}
	if (restore || !o->snapshot)
		return;
	snap.valid = sched_solo_settled();
	if (!snap.valid)
		return;
	if (!snap.mm)
		snap.mm = snapshot_alloc();
	mm_snapshot_save(snap.mm);
	snap.knobs = o->knobs;
	snap.arch = s->arch;
	snap.tlb_broadcast = s->tlb_broadcast;
	snap.child_unborn = unborn;
	snap.setup_count = s->setup_count;
	memcpy(snap.setup, s->setup, (size_t)s->setup_count * sizeof(s->setup[0]));
	memcpy(snap.results, ctx.r->setup, (size_t)s->setup_count * sizeof(snap.results[0]));
}

/* snapshot_check: the restored state against a fresh setup's, byte for byte. */
static void exec_snapshot_check(const struct scenario *s, const struct exec_options *o, bool unborn,
				const struct sched_config *cfg)
{
	for (int i = 0; i < 2; i++)
		if (!snap.check[i])
			snap.check[i] = snapshot_alloc();
	if (!snap.check_world && !(snap.check_world = malloc(sizeof(*snap.check_world)))) {
		fprintf(stderr, "mmfuzz: out of memory for --snapshot-check\n");
		exit(1);
	}
	*snap.check_world = mm_world;
	mm_snapshot_save(snap.check[0]);
	struct exec_options fresh = *o;
	fresh.snapshot = false;
	sched_reset(cfg);
	exec_setup(s, &fresh, unborn, false);
	char what[128] = "the setup did not settle";
	bool same = sched_solo_settled();
	if (same) {
		mm_snapshot_save(snap.check[1]);
		same = mm_world_same(snap.check_world, &mm_world, what, sizeof(what)) &&
		       mm_snapshot_equal(snap.check[0], snap.check[1], what, sizeof(what));
	}
	for (int i = 0; same && i < s->setup_count; i++)
		if (snap.results[i].err != ctx.r->setup[i].err ||
		    snap.results[i].value != ctx.r->setup[i].value ||
		    snap.results[i].done != ctx.r->setup[i].done) {
			snprintf(what, sizeof(what), "setup line %d's result", i + 1);
			same = false;
		}
	if (!same) {
		fprintf(stderr, "mmfuzz: the snapshot restored differs from a fresh setup: %s\n",
			what);
		SCHED_ASSERT(!"snapshot restore == fresh setup");
	}
}

void exec_run(const struct scenario *s, struct sched_policy *policy, const struct exec_options *o,
	      struct exec_result *r)
{
	memset(r, 0, sizeof(*r));
	ctx.s = s;
	ctx.r = r;
	mm_knobs = o->knobs;
	pgtable_contpte = s->arch == SCN_ARCH_ARM64;
	tlb_flush_broadcast = s->tlb_broadcast;
	struct sched_config cfg = {.steps_max = o->steps_max};
	sched_reset(&cfg);
	bool unborn = false;
	for (int i = 0; i < s->setup_count + s->ops_count; i++) {
		const struct scn_op *op =
		    i < s->setup_count ? &s->setup[i] : &s->ops[i - s->setup_count];
		unborn |= op->kind == SCN_OP_FORK && op->proc == 0;
	}
	/* configuration, set before the setup: an agent whose operations are all DMA
	 * is a device, not a CPU (no TLB, no IPIs) */
	uint32_t with_ops = 0, dma = 0, not_dma = 0;
	for (int i = 0; i < s->ops_count; i++) {
		SCHED_ASSERT(s->ops[i].agent < SCN_AGENTS_MAX); /* scn_parse, scn_decode */
		uint32_t bit = 1u << s->ops[i].agent;
		with_ops |= bit;
		if (s->ops[i].kind == SCN_OP_DMA_READ || s->ops[i].kind == SCN_OP_DMA_WRITE)
			dma |= bit;
		else
			not_dma |= bit;
	}
	hw_device_agents = dma & ~not_dma;
	bool restore = o->snapshot && snapshot_fits(s, o, unborn);
	exec_setup(s, o, unborn, restore);
	if (restore && o->snapshot_check)
		exec_snapshot_check(s, o, unborn, &cfg);
	exec_snapshot_stats.restores += restore;
	exec_snapshot_stats.setups += !restore;
	for (uint32_t m = with_ops; m; m &= m - 1) /* by agent, lowest first */
		sched_agent_add(__builtin_ctz(m), agent_names[__builtin_ctz(m)], agent_fn, NULL);
	int queues[NR_CPUS] = {0}, loads[NR_CPUS] = {0};
	uint32_t buffered = 0;
	for (int a = 0; s->memory == SCN_MEMORY_ARM64 && a < SCN_AGENTS_MAX; a++)
		if ((queues[a] = exec_sb_queues(s, a)) > 0) {
			buffered |= 1u << a;
			loads[a] = exec_ld_slots(s, a);
		}
	if (buffered)
		sb_begin(buffered, queues, loads);
	if (o->time_phases) {
		/* a benchmark's clock, outside the model: nothing the run does depends on it */
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		sched_run(policy);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		r->agents_ns =
		    (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec));
	} else {
		sched_run(policy);
	}
	if (buffered)
		sb_end();
	if (!sched_stopped() && !o->keep_state)
		sched_run_solo(0, mm_quiesce, NULL);
	const struct sched_finding *f = sched_get_finding();
	r->finding = f != NULL;
	if (f)
		r->f = *f;
	r->fingerprint = o->no_fingerprint ? 0 : sched_fingerprint();
	r->steps = sched_steps();
}

bool exec_agent_has_ops(const struct scenario *s, int agent)
{
	if (agent >= SB_AGENT(0, 0) && agent < SB_AGENTS_END)
		return (agent - SB_AGENT(0, 0)) % SB_QUEUES_PER_CPU <
		       exec_sb_queues(s, (agent - SB_AGENT(0, 0)) / SB_QUEUES_PER_CPU);
	if (agent >= LD_AGENT(0, 0) && agent < LD_AGENTS_END)
		return (agent - LD_AGENT(0, 0)) % LD_SLOTS_PER_CPU <
		       exec_ld_slots(s, (agent - LD_AGENT(0, 0)) / LD_SLOTS_PER_CPU);
	for (int i = 0; i < s->ops_count; i++)
		if (s->ops[i].agent == agent)
			return true;
	return false;
}

static bool preempt_applies(const struct scenario *s, const struct scn_preempt *p)
{
	return exec_agent_has_ops(s, p->target) &&
	       (!p->anchored || exec_agent_has_ops(s, p->agent));
}

static void directed_add(struct sched_directed *d, const struct scn_preempt *p)
{
	struct sched_preempt sp = {.anchored = p->anchored,
				   .agent = p->agent,
				   .name_hash = p->anchored ? sched_name_hash(p->site) : 0,
				   .occurrence = p->occurrence,
				   .step = p->step,
				   .target = p->target};
	sched_directed_add(d, &sp);
}

bool exec_directed(const struct scenario *s, struct sched_directed *d, char *err, size_t err_bytes)
{
	sched_directed_init(d);
	for (int i = 0; i < s->preempt_count; i++) {
		const struct scn_preempt *p = &s->preempt[i];
		if (!preempt_applies(s, p)) {
			snprintf(err, err_bytes, "preemption %d names %s, which has no operations",
				 i + 1,
				 exec_agent_name(exec_agent_has_ops(s, p->target) ? p->agent
										  : p->target));
			return false;
		}
		directed_add(d, p);
	}
	return true;
}

void exec_directed_lenient(const struct scenario *s, struct sched_directed *d)
{
	sched_directed_init(d);
	for (int i = 0; i < s->preempt_count; i++)
		if (preempt_applies(s, &s->preempt[i]))
			directed_add(d, &s->preempt[i]);
}

int exec_drop_inapplicable(struct scenario *s)
{
	int kept = 0, dropped;
	for (int i = 0; i < s->preempt_count; i++)
		if (preempt_applies(s, &s->preempt[i]))
			s->preempt[kept++] = s->preempt[i];
	dropped = s->preempt_count - kept;
	s->preempt_count = kept;
	return dropped;
}

/* ---- recorder --------------------------------------------------------------------- */

static void recorder_begin(struct sched_policy *p)
{
	struct exec_recorder *rec = (struct exec_recorder *)p;
	rec->count = 0;
	rec->overflow = false;
	rec->inner->ops->begin(rec->inner);
	p->every_site = rec->inner->every_site;
}

static int recorder_decide(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at)
{
	struct exec_recorder *rec = (struct exec_recorder *)p;
	int chosen = rec->inner->ops->decide(rec->inner, c, next_at);
	p->every_site = rec->inner->every_site;
	int dflt = c->forced ? sched_lowest(c->runnable_mask) : c->current;
	if (chosen != dflt) {
		if (rec->count == SCN_PREEMPT_MAX) {
			rec->overflow = true;
		} else {
			struct scn_preempt *sp = &rec->preempt[rec->count++];
			memset(sp, 0, sizeof(*sp));
			sp->step = c->step;
			sp->target = (uint8_t)chosen;
		}
	}
	return chosen;
}

static bool recorder_end(struct sched_policy *p)
{
	struct exec_recorder *rec = (struct exec_recorder *)p;
	return rec->inner->ops->end(rec->inner);
}

static const struct sched_policy_ops recorder_ops = {"recorder", recorder_begin, recorder_decide,
						     recorder_end};

void exec_recorder_init(struct exec_recorder *rec, struct sched_policy *inner)
{
	memset(rec, 0, sizeof(*rec));
	rec->base.ops = &recorder_ops;
	rec->inner = inner;
	rec->base.every_site = inner->every_site;
}

bool exec_text(const char *text, const struct exec_options *o, struct scenario *s,
	       struct exec_result *r, char *err, size_t err_bytes)
{
	static struct sched_directed d;
	if (!scn_parse(s, text, strlen(text), "t.sched", err, err_bytes) ||
	    !exec_directed(s, &d, err, err_bytes))
		return false;
	exec_run(s, &d.base, o, r);
	return true;
}
