/* SPDX-License-Identifier: MIT */
/*
 * Scenarios and schedules (DESIGN §5): the in-memory form, the text form (.sched,
 * format v1) and the binary form (fuzzer input).  One operation table drives the
 * text parser, the printer, the binary codec and the fuzz dictionary.
 *
 * Text form, v1:
 *
 *   # comment (anywhere after '#')
 *   mmfuzz-sched 1
 *   knobs   zap-rmap-before-flush          (zero or more names, spaces or commas)
 *   arch    arm64                          (x86, the default, or arm64: contpte, mTHP)
 *   expect  lost-write [SITE]              (an oracle name, or "clean")
 *   tlb     broadcast                      (TLB flushes by broadcast invalidation,
 *                                           no IPIs; default: ipi)
 *   memory  arm64                          (store buffers, core/sbuf.h; default: sc)
 *
 *   setup                                   (run in order, one CPU at a time)
 *     CPU2 P0 mmap 0x0 pages=1 file=F0 shared rw
 *     CPU2 P0 store 0x0 = 1
 *
 *   agents                                  (each agent runs its lines in order)
 *     CPU0 P0 madvise 0x0 pages=1 dontneed
 *     CPU1    writeback F0
 *     CPU2 P0 store 0x0 = 2
 *
 *   schedule                                (preemptions)
 *     CPU0 at zap_pte_range:rmap_removed -> CPU1     # anchored, first occurrence
 *     CPU0 at zap_pte_range:ptep_get#3 -> CPU1       # anchored, third occurrence
 *     CPU1 at done -> CPU2                           # after CPU1 finished
 *     at 57 -> CPU2                                  # by step number
 *     CPU0 at hw_access:store -> SB0b                # memory arm64: a drain agent
 *
 * Operation syntax: AGENT [Pn] NAME [ADDR] [pages=N] [anon|file=Fn] [shared|private]
 * [r|rw] [ADVICE] [= VALUE] [Fn], the fields an operation takes given by its table
 * entry, always in this order.  Numbers are decimal or 0x-hex.  '#' starts a comment
 * at the start of a line or after a blank; inside a word it is the occurrence (SITE#3).
 */
#ifndef MMFUZZ_SCENARIO_H
#define MMFUZZ_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SCN_FORMAT_VERSION 1
#define SCN_AGENTS_MAX	   4 /* CPU0..CPU3: the agents of operations */
/* Agents a preemption may name: the CPUs, then (memory arm64) the store-buffer
 * drain agents SB0a..SB3c and the load agents LD0a..LD3b of core/sbuf.h */
#define SCN_SCHED_AGENTS   24
#define SCN_PROCS_MAX	   2 /* P0, P1 */
#define SCN_FILES_MAX	   2 /* F0, F1 */
#define SCN_SETUP_MAX	   16
#define SCN_OPS_MAX	   32 /* agent operations, all agents together */
#define SCN_PREEMPT_MAX	   48
#define SCN_NAME_BYTES	   64 /* site names in anchors and expect */
#define SCN_VA_PAGES	   64 /* addresses: page-aligned, below SCN_VA_PAGES pages */
#define SCN_PAGES_MAX	   16 /* pages= (a PMD: a THP) */
#define SCN_PAGE_SIZE	   4096u
#define SCN_WORDS_PER_PAGE 4	/* store/load: ADDR may point at word 0..3 of a page */
#define SCN_ENCODED_MAX	   8192 /* scn_encode never needs more (header included) */

/* Fields an operation takes, in text order. */
enum scn_field {
	SCN_F_PROC = 1u << 0,	 /* Pn */
	SCN_F_ADDR = 1u << 1,	 /* ADDR */
	SCN_F_PAGES = 1u << 2,	 /* pages=N */
	SCN_F_BACKING = 1u << 3, /* anon | file=Fn */
	SCN_F_SHARING = 1u << 4, /* shared | private */
	SCN_F_PROT = 1u << 5,	 /* r | rw */
	SCN_F_ADVICE = 1u << 6,	 /* dontneed ... */
	SCN_F_VALUE = 1u << 7,	 /* = VALUE */
	SCN_F_FILE = 1u << 8,	 /* Fn (operations on a file, not a mapping) */
};

#define SCN_OPS(X)                                                                                 \
	X(SCN_OP_MMAP, "mmap",                                                                     \
	  SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES | SCN_F_BACKING | SCN_F_SHARING | SCN_F_PROT)      \
	X(SCN_OP_LOAD, "load", SCN_F_PROC | SCN_F_ADDR)                                            \
	X(SCN_OP_STORE, "store", SCN_F_PROC | SCN_F_ADDR | SCN_F_VALUE)                            \
	X(SCN_OP_MADVISE, "madvise", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES | SCN_F_ADVICE)         \
	X(SCN_OP_WRITEBACK, "writeback", SCN_F_FILE)                                               \
	X(SCN_OP_MUNMAP, "munmap", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES)                          \
	X(SCN_OP_MMAP_FIXED, "mmap-fixed",                                                         \
	  SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES | SCN_F_BACKING | SCN_F_SHARING | SCN_F_PROT)      \
	X(SCN_OP_RECLAIM, "reclaim", 0)                                                            \
	X(SCN_OP_MMAP_STACK, "mmap-stack", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES)                  \
	X(SCN_OP_MPROTECT, "mprotect", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES | SCN_F_PROT)         \
	X(SCN_OP_MREMAP, "mremap", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES | SCN_F_VALUE)            \
	X(SCN_OP_MMAP_HINT, "mmap-hint",                                                           \
	  SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES | SCN_F_BACKING | SCN_F_SHARING | SCN_F_PROT)      \
	X(SCN_OP_QUERY, "query", SCN_F_PROC | SCN_F_ADDR)                                          \
	X(SCN_OP_MIGRATE, "migrate", SCN_F_PROC | SCN_F_ADDR)                                      \
	X(SCN_OP_GUP, "gup", SCN_F_PROC | SCN_F_ADDR | SCN_F_PROT)                                 \
	X(SCN_OP_FORK, "fork", SCN_F_PROC)                                                         \
	X(SCN_OP_GUP_GET, "gup-get", SCN_F_PROC | SCN_F_ADDR | SCN_F_PROT)                         \
	X(SCN_OP_PIN, "pin", SCN_F_PROC | SCN_F_ADDR | SCN_F_PROT)                                 \
	X(SCN_OP_DMA_READ, "dma-read", 0)                                                          \
	X(SCN_OP_DMA_WRITE, "dma-write", SCN_F_VALUE)                                              \
	X(SCN_OP_UNPIN, "unpin", 0)                                                                \
	X(SCN_OP_EXIT, "exit", SCN_F_PROC)                                                         \
	X(SCN_OP_MEM_WRITE, "mem-write", SCN_F_PROC | SCN_F_ADDR | SCN_F_VALUE)                    \
	X(SCN_OP_KHUGEPAGED, "khugepaged", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES)                  \
	X(SCN_OP_MAPS, "maps", SCN_F_PROC)                                                         \
	X(SCN_OP_PIN_SLOW, "pin-slow", SCN_F_PROC | SCN_F_ADDR | SCN_F_PROT)                       \
	X(SCN_OP_SMP_MB, "mb", 0)                                                                  \
	X(SCN_OP_SMP_WMB, "wmb", 0)                                                                \
	X(SCN_OP_SMP_RMB, "rmb", 0)                                                                \
	X(SCN_OP_STORE_RELEASE, "store-rel", SCN_F_PROC | SCN_F_ADDR | SCN_F_VALUE)                \
	X(SCN_OP_LOAD_ACQUIRE, "load-acq", SCN_F_PROC | SCN_F_ADDR)                                \
	X(SCN_OP_NUMA_SCAN, "numa-scan", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES)                    \
	X(SCN_OP_KSM_SCAN, "ksm-scan", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES)                      \
	X(SCN_OP_MIGRATE_DEVICE, "migrate-device", SCN_F_PROC | SCN_F_ADDR | SCN_F_PAGES)          \
	X(SCN_OP_DEV_READ, "dev-read", SCN_F_PROC | SCN_F_ADDR)

/* clang-format off */
enum scn_op_kind {
#define SCN_OP_ENUM(e, n, f) e,
	SCN_OPS(SCN_OP_ENUM)
#undef SCN_OP_ENUM
	SCN_OP_COUNT
};
/* clang-format on */

struct scn_op_info {
	const char *name;
	uint32_t fields;
};
extern const struct scn_op_info scn_op_table[SCN_OP_COUNT];

/* Append rows at the end: the binary decoder maps advice by index. */
#define SCN_ADVICES(X)                                                                             \
	X(SCN_ADV_DONTNEED, "dontneed")                                                            \
	X(SCN_ADV_FREE, "free")                                                                    \
	X(SCN_ADV_HUGEPAGE, "hugepage")                                                            \
	X(SCN_ADV_COLLAPSE, "collapse")                                                            \
	X(SCN_ADV_DONTFORK, "dontfork")                                                            \
	X(SCN_ADV_DOFORK, "dofork")                                                                \
	X(SCN_ADV_PAGEOUT, "pageout")                                                              \
	X(SCN_ADV_MERGEABLE, "mergeable")                                                          \
	X(SCN_ADV_UNMERGEABLE, "unmergeable")
/* clang-format off */
enum scn_advice {
#define SCN_ADV_ENUM(e, n) e,
	SCN_ADVICES(SCN_ADV_ENUM)
#undef SCN_ADV_ENUM
	SCN_ADV_COUNT
};
/* clang-format on */
extern const char *const scn_advice_names[SCN_ADV_COUNT];

struct scn_op {
	uint8_t kind;  /* enum scn_op_kind */
	uint8_t agent; /* CPUn */
	uint8_t proc;  /* Pn, when SCN_F_PROC */
	uint8_t file;  /* Fn, for SCN_F_BACKING (when !anon) and SCN_F_FILE */
	bool anon;     /* SCN_F_BACKING */
	bool shared;   /* SCN_F_SHARING */
	bool write;    /* SCN_F_PROT: rw */
	bool none;     /* SCN_F_PROT: none (PROT_NONE; mprotect only, never with write) */
	uint8_t advice;
	uint32_t addr; /* bytes; page-aligned for mappings, word-aligned for load/store */
	uint32_t pages;
	uint64_t value;
};

struct scn_preempt {
	bool anchored;
	uint8_t agent; /* anchored: whose site */
	uint8_t target;
	uint32_t occurrence;	   /* anchored: >= 1 */
	uint32_t step;		   /* by step */
	char site[SCN_NAME_BYTES]; /* anchored: site name, or "done" */
};

/* The architecture flavour of the model (pgtable_contpte). */
enum scn_arch { SCN_ARCH_X86, SCN_ARCH_ARM64, SCN_ARCH_COUNT };
extern const char *const scn_arch_names[SCN_ARCH_COUNT];

/* The memory model (core/sbuf.h): sequentially consistent, or arm64's store buffers. */
enum scn_memory { SCN_MEMORY_SC, SCN_MEMORY_ARM64, SCN_MEMORY_COUNT };
extern const char *const scn_memory_names[SCN_MEMORY_COUNT];

struct scenario {
	uint32_t version;
	uint64_t knobs;			  /* bit per enum mm_knob */
	uint8_t arch;			  /* enum scn_arch */
	int expect;			  /* enum mm_oracle, or -1 for clean */
	char expect_site[SCN_NAME_BYTES]; /* optional, "" when absent */
	bool tlb_broadcast;		  /* "tlb broadcast": see core/tlb.h */
	uint8_t memory;			  /* enum scn_memory */
	int setup_count, ops_count, preempt_count;
	struct scn_op setup[SCN_SETUP_MAX];
	struct scn_op ops[SCN_OPS_MAX]; /* in text order; each agent runs its own in order */
	struct scn_preempt preempt[SCN_PREEMPT_MAX];
};

void scn_init(struct scenario *s);

/*
 * Parse the text form.  On error returns false and writes "NAME:LINE: message"
 * into err (name is what the caller passes, normally the path).
 */
bool scn_parse(struct scenario *s, const char *text, size_t len, const char *name, char *err,
	       size_t err_bytes);
/* Read and parse a file; on error err holds the message (a missing file too). */
bool scn_load(struct scenario *s, const char *path, char *err, size_t err_bytes);

/* Print the canonical text form (parses back to an equal scenario). */
void scn_print(const struct scenario *s, FILE *out);
/* One operation line ("CPU0 P0 store 0x8 = 2"), without indentation or newline. */
void scn_print_op(const struct scn_op *op, FILE *out);

/*
 * Binary form: the header SCN_MAGIC, then the body.  scn_decode is total: every
 * byte string after the header (and, for inputs of before the header, every byte
 * string without it) decodes to a valid scenario (fields clamped).  scn_encode(s)
 * writes the header and decodes back to s for every valid s.  Returns the number
 * of bytes written, or 0 if buf is too small.  The header is what tells a fuzzer
 * input from a text file with a stray control byte (or from /usr/bin/ls): the
 * command and the fuzz harness take as binary only what starts with it.
 */
#define SCN_MAGIC	"\x7fmmf"
#define SCN_MAGIC_BYTES 4
size_t scn_encode(const struct scenario *s, uint8_t *buf, size_t buf_bytes);
/*
 * The same scenario with another input hash: scn_encode's bytes with the last
 * fields written out even when they are the defaults (scn_encode leaves them out,
 * so a byte after its output would be read as one), then the 8 bytes of @salt,
 * which nothing decodes.  The harness's schedule search is a function of the
 * input's bytes: salts give one scenario independent searches (the zoo's seeds).
 */
#define SCN_SALT_BYTES 10 /* the two last fields and the salt, at most */
size_t scn_encode_salted(const struct scenario *s, uint64_t salt, uint8_t *buf, size_t buf_bytes);
void scn_decode(struct scenario *s, const uint8_t *buf, size_t len);
/* Does @buf start with SCN_MAGIC? */
bool scn_is_binary(const uint8_t *buf, size_t len);
/* One record of a section, as scn_encode writes it (dictionaries, tests). */
size_t scn_encode_op(const struct scn_op *op, uint8_t *buf, size_t buf_bytes);
size_t scn_encode_preempt(const struct scn_preempt *pr, uint8_t *buf, size_t buf_bytes);

/* Structural equality (used by tests and encode/decode round trips). */
bool scn_equal(const struct scenario *a, const struct scenario *b);

/* Can an anchor name this site in the text form (characters, length, no "->")? */
bool scn_site_writable(const char *name);

/* The name of scheduler agent @agent in the text form: "CPU1", "SB0b", "?". */
const char *scn_agent_name(int agent);

/* Does @agent appear in any setup line, operation or preemption? */
bool scn_agent_used(const struct scenario *s, int agent);

#endif
