/* SPDX-License-Identifier: MIT */
/*
 * The table of oracles (DESIGN §4) and the modelled kernel checks.  A finding is
 * reported through the scheduler (sched_finding), which ends the execution.
 * VM_BUG_ON/VM_WARN_ON are modelled kernel checks and yield `mm-bug` findings;
 * SCHED_ASSERT is for the simulator's own consistency and aborts.
 */
#ifndef MMFUZZ_ORACLE_H
#define MMFUZZ_ORACLE_H

#include "../scheduler/sched.h"

#define MM_ORACLES(X)                                                                              \
	X(ORACLE_LOST_WRITE, "lost-write")                                                         \
	X(ORACLE_ISOLATION, "isolation")                                                           \
	X(ORACLE_PIN_COHERENCE, "pin-coherence")                                                   \
	X(ORACLE_TLB_COHERENCE, "tlb-coherence")                                                   \
	X(ORACLE_VMA_VISIBILITY, "vma-visibility")                                                 \
	X(ORACLE_USE_AFTER_FREE, "use-after-free")                                                 \
	X(ORACLE_REFCOUNT, "refcount")                                                             \
	X(ORACLE_CONTPTE, "contpte")                                                               \
	X(ORACLE_LOCKDEP, SCHED_ORACLE_LOCKDEP)                                                    \
	X(ORACLE_DEADLOCK, SCHED_ORACLE_DEADLOCK)                                                  \
	X(ORACLE_HANG, SCHED_ORACLE_HANG)                                                          \
	X(ORACLE_MM_BUG, "mm-bug")                                                                 \
	X(ORACLE_POSTCONDITION, "postcondition")

/* clang-format off */
enum mm_oracle {
#define MM_ORACLE_ENUM(e, n) e,
	MM_ORACLES(MM_ORACLE_ENUM)
#undef MM_ORACLE_ENUM
	ORACLE_COUNT
};
/* clang-format on */

extern const char *const mm_oracle_names[ORACLE_COUNT];

/* Index of an oracle by name, or -1. */
int mm_oracle_by_name(const char *name);

/*
 * Precursors (sched_precursor ids, fuzzer feedback only): states one step away
 * from a finding, reported where the model sees them.  They change nothing.
 */
enum mm_precursor {
	/* folio_mkclean() finds the folio unmapped while a CPU caches it writable */
	PRECURSOR_MKCLEAN_CACHED = 1,
	/* a TLB fill while another CPU caches another frame for the address */
	PRECURSOR_FILL_OTHER_CACHED,
	/* a lockless reader finds a contpte block mid-conversion (and retries) */
	PRECURSOR_CONTPTE_TORN,
};

#define VM_BUG_ON(cond)                                                                            \
	do {                                                                                       \
		if (__builtin_expect(!!(cond), 0)) {                                               \
			SCHED_SITE_DEFINE(vm_bug_site__, "VM_BUG_ON");                             \
			if (!vm_bug_site__.id)                                                     \
				sched_site_init(&vm_bug_site__);                                   \
			sched_finding("mm-bug", &vm_bug_site__, NULL, 0, "VM_BUG_ON(%s) in %s()",  \
				      #cond, __func__);                                            \
		}                                                                                  \
	} while (0)
#define VM_WARN_ON(cond)      VM_BUG_ON(cond)
#define VM_WARN_ON_ONCE(cond) VM_BUG_ON(cond)

#endif
