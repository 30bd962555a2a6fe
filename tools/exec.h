/* SPDX-License-Identifier: MIT */
/*
 * Executing a scenario: reset the model, run the setup lines one at a time (or,
 * with exec_options.snapshot, restore the state a previous run of the same setup
 * saved after them), run the agents concurrently under a policy, then the
 * quiescence checks.  Also the
 * bridge between a scenario's schedule and the directed policy, and a recorder
 * that turns any policy's decisions back into a schedule (so that a run found by
 * random, PCT or DFS can be written out and replayed by the directed policy).
 */
#ifndef MMFUZZ_EXEC_H
#define MMFUZZ_EXEC_H

#include "../scheduler/policy.h"
#include "scenario.h"

struct exec_options {
	uint64_t knobs;
	uint32_t steps_max;
	bool keep_state;     /* tests: no quiescence, the model stays as the agents left it */
	bool time_phases;    /* benchmarks: clock the concurrent phase (exec_result.agents_ns) */
	bool no_fingerprint; /* exec_result.fingerprint left 0: the trace is not hashed */
	/*
	 * Reuse the state after the setup: the first run of a setup (its lines, the
	 * knobs, arch, TLB mode and whether a fork makes P1) snapshots the model
	 * (mm_snapshot_save), the next runs of the same setup restore it instead of
	 * running the setup again.  Same executions, same fingerprints.
	 */
	bool snapshot;
	/* tests: after each restore, run the setup afresh too and compare the two
	 * states byte for byte; a difference is a simulator assertion */
	bool snapshot_check;
};

struct exec_op_result {
	int err;	/* 0 or -errno */
	uint64_t value; /* load: the value read (memory arm64: written when a deferred
			 * load is performed, which may be after done) */
	bool done;
};

struct exec_result {
	bool finding;
	struct sched_finding f;
	uint64_t fingerprint;
	uint32_t steps;
	uint64_t agents_ns; /* with time_phases: wall-clock ns of sched_run(), else 0 */
	struct exec_op_result setup[SCN_SETUP_MAX];
	struct exec_op_result ops[SCN_OPS_MAX];
};

void exec_options_default(struct exec_options *o);

/* How many runs restored the setup's snapshot, and how many ran the setup. */
struct exec_snapshot_stats {
	uint64_t restores, setups;
};
extern struct exec_snapshot_stats exec_snapshot_stats;

/* Run @s once under @policy. */
void exec_run(const struct scenario *s, struct sched_policy *policy, const struct exec_options *o,
	      struct exec_result *r);

/*
 * Build the directed policy of @s's schedule.  Returns false (with a message in
 * err) if a preemption names an agent that has no operations: the schedule does
 * not apply to this scenario (exit 125).
 */
bool exec_directed(const struct scenario *s, struct sched_directed *d, char *err, size_t err_bytes);

/* The same, dropping the preemptions that do not apply (fuzzer inputs). */
void exec_directed_lenient(const struct scenario *s, struct sched_directed *d);

/*
 * Remove from @s the preemptions that do not apply (those exec_directed_lenient
 * skips): the same execution, and a schedule exec_directed accepts.  Returns how
 * many were removed.
 */
int exec_drop_inapplicable(struct scenario *s);

/*
 * Parse @text (named "t.sched" in messages) into *@s and run it once under its own
 * schedule.  False, with the message in err, if it does not parse or apply.
 */
bool exec_text(const char *text, const struct exec_options *o, struct scenario *s,
	       struct exec_result *r, char *err, size_t err_bytes);

/* Wraps a policy and records the decisions that differ from the directed default. */
struct exec_recorder {
	struct sched_policy base;
	struct sched_policy *inner;
	int count;
	bool overflow;
	struct scn_preempt preempt[SCN_PREEMPT_MAX];
};
void exec_recorder_init(struct exec_recorder *rec, struct sched_policy *inner);

const char *exec_agent_name(int agent);
/* Does @agent run operations in the concurrent phase? */
bool exec_agent_has_ops(const struct scenario *s, int agent);

#endif
