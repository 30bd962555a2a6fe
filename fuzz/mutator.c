/* SPDX-License-Identifier: MIT */
/*
 * The structure-aware mutator (see mutator.h).  Works on the decoded scenario and
 * re-encodes it, so every change is one the scenario language can express; fields
 * an operation's kind does not take are kept in the record (the encoder writes them,
 * the decoder ignores them), so a later kind change can bring them back to life.
 *
 * Choice of mutation: the schedule first (it is what finds races once a scenario
 * sets the stage), operations second, crossover and engine bytes now and then.  A
 * kind that does not apply (nothing to delete, list full) falls through to the next
 * one, so every call changes something.  With seed families loaded, one call in
 * mut_family_share starts from a family's seed instead (mutator.h).  One static
 * scenario pair and one family pool: not reentrant,
 * as neither engine calls a mutator from two threads of one process.
 */
#include "mutator.h"
#include "schedule_search.h"

#include "../tools/exec.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const mut_kind_names[MUT_KIND_COUNT] = {
#define MUT_KIND_NAME(e, n) [e] = n,
    MUT_KINDS(MUT_KIND_NAME)
#undef MUT_KIND_NAME
};

uint32_t mut_steps_hint = 200;
uint32_t mut_pages = 4;
bool mut_schedule_hints;
uint32_t mut_family_share = 4;

/* splitmix64, as the scheduler's policies use */
static uint64_t next(uint64_t *rng)
{
	uint64_t z = (*rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *rng, uint32_t n)
{
	return n ? (uint32_t)(next(rng) % n) : 0;
}

/* ---- helpers on the decoded scenario ---------------------------------------------- */

static uint32_t agents_with_ops(const struct scenario *s)
{
	uint32_t mask = 0;
	for (int i = 0; i < s->ops_count; i++)
		mask |= 1u << s->ops[i].agent;
	/* memory arm64: the drain agents of the CPUs that store, so that a
	 * preemption may make a buffered store visible (or keep it buffered), and
	 * the load agents of the CPUs that load (perform a deferred load now) */
	for (int a = SCN_AGENTS_MAX; s->memory == SCN_MEMORY_ARM64 && a < SCN_SCHED_AGENTS; a++)
		if (exec_agent_has_ops(s, a))
			mask |= 1u << a;
	return mask;
}

/* An agent other than @not, preferring agents that have operations. */
static uint8_t pick_agent(const struct scenario *s, int not, uint64_t *rng)
{
	uint32_t mask = agents_with_ops(s) & ~(not >= 0 ? 1u << not : 0);
	if (!mask || below(rng, 8) == 0)
		mask = ((1u << SCN_AGENTS_MAX) - 1) & ~(not >= 0 ? 1u << not : 0);
	uint32_t k = below(rng, (uint32_t)__builtin_popcount(mask));
	while (k--)
		mask &= mask - 1;
	return (uint8_t)__builtin_ctz(mask);
}

/*
 * A fresh operation.  Races need collisions: half the time it works on what an
 * existing operation works on (its process, page and file), and new mappings are
 * mostly shared, writable file mappings (the state most races need).
 */
static void random_op(const struct scenario *s, struct scn_op *op, uint64_t *rng)
{
	memset(op, 0, sizeof(*op));
	op->kind = (uint8_t)below(rng, SCN_OP_COUNT);
	op->agent = (uint8_t)below(rng, SCN_AGENTS_MAX);
	op->proc = below(rng, 4) == 0;
	op->file = below(rng, 4) == 0;
	op->anon = below(rng, 4) == 0;
	op->shared = below(rng, 4) != 0;
	op->write = below(rng, 4) != 0;
	op->advice = (uint8_t)below(rng, SCN_ADV_COUNT);
	op->addr = below(rng, mut_pages) * SCN_PAGE_SIZE + below(rng, SCN_WORDS_PER_PAGE) * 8;
	op->pages = 1 + (below(rng, 4) == 0 ? below(rng, 3) : 0);
	op->value = 1 + below(rng, 8);
	/* mprotect has no backing: its anon draw picks PROT_NONE (no extra draw, so
	 * the stream of every other operation stays as it was) */
	op->none = op->kind == SCN_OP_MPROTECT && !op->write && op->anon;
	int total = s->setup_count + s->ops_count;
	if (total && below(rng, 2)) {
		uint32_t k = below(rng, (uint32_t)total);
		const struct scn_op *like =
		    k < (uint32_t)s->setup_count ? &s->setup[k] : &s->ops[k - s->setup_count];
		op->proc = like->proc;
		op->file = like->file;
		if (below(rng, 2))
			op->agent = like->agent;
		op->addr = like->addr / SCN_PAGE_SIZE * SCN_PAGE_SIZE + op->addr % SCN_PAGE_SIZE;
	}
}

/* Change one field of @op. */
static void tweak_op(struct scn_op *op, uint64_t *rng)
{
	uint32_t page = op->addr / SCN_PAGE_SIZE, word = op->addr % SCN_PAGE_SIZE / 8;
	switch (below(rng, 10)) {
	case 0:
		op->agent =
		    (uint8_t)((op->agent + 1 + below(rng, SCN_AGENTS_MAX - 1)) % SCN_AGENTS_MAX);
		break;
	case 1:
		op->proc ^= 1;
		break;
	case 2:
		page = below(rng, 2) ? (page + 1) % mut_pages : (page + mut_pages - 1) % mut_pages;
		break;
	case 3:
		word = (word + 1 + below(rng, SCN_WORDS_PER_PAGE - 1)) % SCN_WORDS_PER_PAGE;
		break;
	case 4:
		op->pages = 1 + below(rng, 3);
		break;
	case 5:
		op->file ^= 1;
		break;
	case 6: {
		/* mprotect: also none <-> r (rw -> none) */
		uint32_t bit = below(rng, op->kind == SCN_OP_MPROTECT ? 4 : 3);
		op->anon ^= bit == 0;
		op->shared ^= bit == 1;
		op->write ^= bit == 2;
		if (bit == 3) {
			op->none = !op->none;
			op->write = false;
		}
		break;
	}
	case 7:
		op->advice = (uint8_t)((op->advice + 1) % SCN_ADV_COUNT);
		break;
	case 8:
		op->value = below(rng, 2) ? op->value + 1 : 1 + below(rng, 8);
		break;
	default:
		op->kind = (uint8_t)((op->kind + 1 + below(rng, SCN_OP_COUNT - 1)) % SCN_OP_COUNT);
		if (!op->pages)
			op->pages = 1;
		break;
	}
	/* PROT_NONE is mprotect's alone, and never with rw (as the decoder has it) */
	if (op->kind != SCN_OP_MPROTECT || op->write)
		op->none = false;
	op->addr = (page % SCN_VA_PAGES) * SCN_PAGE_SIZE + word * 8;
}

/* The setup or the agents' list, for an operation mutation. */
struct op_list {
	struct scn_op *ops;
	int *count;
	int max;
};

static struct op_list pick_list(struct scenario *s, uint64_t *rng)
{
	if (below(rng, 10) < 3)
		return (struct op_list){s->setup, &s->setup_count, SCN_SETUP_MAX};
	return (struct op_list){s->ops, &s->ops_count, SCN_OPS_MAX};
}

static void list_insert(struct op_list l, int at, const struct scn_op *op)
{
	memmove(&l.ops[at + 1], &l.ops[at], (size_t)(*l.count - at) * sizeof(*op));
	l.ops[at] = *op;
	(*l.count)++;
}

static void list_delete(struct op_list l, int at)
{
	memmove(&l.ops[at], &l.ops[at + 1], (size_t)(*l.count - at - 1) * sizeof(l.ops[0]));
	(*l.count)--;
}

/* ---- the mutations ------------------------------------------------------------------ */

static bool preempt_move(struct scenario *s, uint64_t *rng)
{
	if (!s->preempt_count)
		return false;
	struct scn_preempt *p = &s->preempt[below(rng, (uint32_t)s->preempt_count)];
	if (p->anchored) {
		if (!strcmp(p->site, "done"))
			return false;
		if (p->occurrence > 1 && below(rng, 2))
			p->occurrence--;
		else
			p->occurrence++;
		return true;
	}
	int32_t delta = (int32_t)(1 + below(rng, below(rng, 4) ? 8 : 64));
	if (below(rng, 2))
		delta = -delta;
	p->step = (int64_t)p->step + delta < 0 ? 0 : (uint32_t)((int64_t)p->step + delta);
	return true;
}

static bool preempt_target(struct scenario *s, uint64_t *rng)
{
	if (!s->preempt_count)
		return false;
	struct scn_preempt *p = &s->preempt[below(rng, (uint32_t)s->preempt_count)];
	p->target = pick_agent(s, p->anchored ? p->agent : p->target, rng);
	return true;
}

static bool preempt_add(struct scenario *s, uint64_t *rng)
{
	if (s->preempt_count == SCN_PREEMPT_MAX)
		return false;
	struct scn_preempt *p = &s->preempt[s->preempt_count++];
	memset(p, 0, sizeof(*p));
	if (below(rng, 4) == 0) {
		p->anchored = true;
		p->agent = pick_agent(s, -1, rng);
		p->occurrence = 1;
		strcpy(p->site, "done");
		p->target = pick_agent(s, p->agent, rng);
		return true;
	}
	p->step = below(rng, mut_steps_hint + mut_steps_hint / 4 + 1);
	p->target = pick_agent(s, -1, rng);
	return true;
}

static bool preempt_remove(struct scenario *s, uint64_t *rng)
{
	if (!s->preempt_count)
		return false;
	int at = (int)below(rng, (uint32_t)s->preempt_count);
	memmove(&s->preempt[at], &s->preempt[at + 1],
		(size_t)(s->preempt_count - at - 1) * sizeof(s->preempt[0]));
	s->preempt_count--;
	return true;
}

static bool op_arg(struct scenario *s, uint64_t *rng)
{
	struct op_list l = pick_list(s, rng);
	if (!*l.count)
		l = l.ops == s->ops ? (struct op_list){s->setup, &s->setup_count, SCN_SETUP_MAX}
				    : (struct op_list){s->ops, &s->ops_count, SCN_OPS_MAX};
	if (!*l.count)
		return false;
	tweak_op(&l.ops[below(rng, (uint32_t)*l.count)], rng);
	return true;
}

static bool op_insert(struct scenario *s, uint64_t *rng)
{
	struct op_list l = pick_list(s, rng);
	if (*l.count == l.max)
		return false;
	struct scn_op op;
	int total = s->setup_count + s->ops_count;
	if (total && below(rng, 3) == 0) {
		uint32_t k = below(rng, (uint32_t)total);
		op = k < (uint32_t)s->setup_count ? s->setup[k] : s->ops[k - s->setup_count];
		tweak_op(&op, rng);
	} else {
		random_op(s, &op, rng);
	}
	list_insert(l, (int)below(rng, (uint32_t)*l.count + 1), &op);
	return true;
}

static bool op_delete(struct scenario *s, uint64_t *rng)
{
	struct op_list l = pick_list(s, rng);
	if (!*l.count)
		return false;
	list_delete(l, (int)below(rng, (uint32_t)*l.count));
	return true;
}

/* Swap an agent operation with the next one of the same agent (its order changes). */
static bool op_swap(struct scenario *s, uint64_t *rng)
{
	if (s->ops_count < 2)
		return false;
	int i = (int)below(rng, (uint32_t)s->ops_count);
	for (int n = 0; n < s->ops_count; n++, i = (i + 1) % s->ops_count)
		for (int j = i + 1; j < s->ops_count; j++)
			if (s->ops[j].agent == s->ops[i].agent) {
				struct scn_op t = s->ops[i];
				s->ops[i] = s->ops[j];
				s->ops[j] = t;
				return true;
			}
	return false;
}

/* The address of an operation of @s of kind @kind by process @proc, or @dflt. */
static uint32_t address_of(const struct scenario *s, uint8_t kind, uint8_t proc, uint32_t dflt)
{
	for (int i = 0; i < s->setup_count + s->ops_count; i++) {
		const struct scn_op *op =
		    i < s->setup_count ? &s->setup[i] : &s->ops[i - s->setup_count];
		if (op->kind == kind && op->proc == proc)
			return op->addr;
	}
	return dflt;
}

/*
 * Add an observer of an agent operation's effect: a race that only corrupts
 * state is missed until someone reads it (the RFF / SegFuzz view: a race is a
 * write and the read that sees it).  A store is observed by a load of its
 * address from another agent, now and then from the other process (isolation)
 * or by a device through the pin; a device's store through the pin by a load of
 * the pinned address; a range change (munmap, madvise, mremap, mprotect,
 * migrate, MAP_FIXED, collapse) by a load or a PROCMAP_QUERY of a page of the
 * range (mremap: of either range); a move to device memory by a load (which
 * faults the page back) or the device's read of a page of the range; a fork by
 * the child's load of an address the parent stores to; a pin by a device read.
 * A range change is now and then observed by two loads of one agent, the same
 * page twice or two pages of the range: the first may fill a TLB entry before
 * the change and the second walk or hit after it (a stale entry; on arm64 a
 * single-page entry beside a contiguous one filled after a fold).
 * The observer goes last in its agent's list, after everything that agent does.
 */
static bool op_observe(struct scenario *s, uint64_t *rng)
{
	if (!s->ops_count || s->ops_count == SCN_OPS_MAX)
		return false;
	const struct scn_op *e = &s->ops[below(rng, (uint32_t)s->ops_count)];
	struct scn_op o = {.kind = SCN_OP_LOAD,
			   .agent = pick_agent(s, e->agent, rng),
			   .proc = e->proc,
			   .addr = e->addr,
			   .pages = 1};
	switch ((enum scn_op_kind)e->kind) {
	case SCN_OP_STORE:
	case SCN_OP_MEM_WRITE:
		if (below(rng, 4) == 0)
			o.proc ^= 1;
		else if (below(rng, 4) == 0 && address_of(s, SCN_OP_PIN, e->proc, UINT32_MAX) ==
						   e->addr / SCN_PAGE_SIZE * SCN_PAGE_SIZE)
			o.kind = SCN_OP_DMA_READ;
		break;
	case SCN_OP_DMA_WRITE:
		o.addr = address_of(s, SCN_OP_PIN, 0, 0);
		o.proc = 0;
		break;
	case SCN_OP_MREMAP:
		if (below(rng, 2))
			o.addr = (uint32_t)e->value / SCN_PAGE_SIZE * SCN_PAGE_SIZE;
		/* fall through */
	case SCN_OP_MUNMAP:
	case SCN_OP_MADVISE:
	case SCN_OP_MPROTECT:
	case SCN_OP_MIGRATE:
	case SCN_OP_MMAP_FIXED:
	case SCN_OP_KHUGEPAGED:
	case SCN_OP_NUMA_SCAN:
	case SCN_OP_KSM_SCAN: {
		uint32_t pages = e->pages ? e->pages : 1;
		uint32_t first = below(rng, pages);
		o.addr = (o.addr / SCN_PAGE_SIZE + first) * SCN_PAGE_SIZE;
		if (below(rng, 3) == 0 && s->ops_count + 2 <= SCN_OPS_MAX) {
			struct scn_op before = o;
			before.addr %= SCN_VA_PAGES * SCN_PAGE_SIZE;
			s->ops[s->ops_count++] = before;
			/* the same page, or the next one of the range (the one before
			 * if the first is its last) */
			if (pages > 1 && below(rng, 2))
				o.addr = first + 1 < pages ? o.addr + SCN_PAGE_SIZE
							   : o.addr - SCN_PAGE_SIZE;
		} else if (below(rng, 2)) {
			o.kind = SCN_OP_QUERY;
		}
		break;
	}
	case SCN_OP_MIGRATE_DEVICE:
		/* a page moved to the device: the CPU faults it back, or the device
		 * reads its copy */
		o.addr =
		    (o.addr / SCN_PAGE_SIZE + below(rng, e->pages ? e->pages : 1)) * SCN_PAGE_SIZE;
		if (below(rng, 3) == 0)
			o.kind = SCN_OP_DEV_READ;
		break;
	case SCN_OP_FORK:
		o.proc = 1;
		o.addr = address_of(s, SCN_OP_STORE, 0, e->addr);
		break;
	case SCN_OP_PIN:
	case SCN_OP_GUP_GET:
		o.kind = SCN_OP_DMA_READ;
		break;
	default:
		break;
	}
	o.addr %= SCN_VA_PAGES * SCN_PAGE_SIZE;
	s->ops[s->ops_count++] = o;
	return true;
}

static bool crossover(struct scenario *s, const struct scenario *o, uint64_t *rng)
{
	if (!o)
		return false;
	switch (below(rng, 3)) {
	case 0: /* the other schedule on our scenario */
		if (!o->preempt_count)
			return false;
		s->preempt_count = o->preempt_count;
		memcpy(s->preempt, o->preempt, sizeof(s->preempt));
		return true;
	case 1: { /* one agent's operations from the other input */
		uint8_t a = (uint8_t)below(rng, SCN_AGENTS_MAX);
		struct op_list l = {s->ops, &s->ops_count, SCN_OPS_MAX};
		for (int i = s->ops_count - 1; i >= 0; i--)
			if (s->ops[i].agent == a)
				list_delete(l, i);
		for (int i = 0; i < o->ops_count && s->ops_count < SCN_OPS_MAX; i++)
			if (o->ops[i].agent == a)
				s->ops[s->ops_count++] = o->ops[i];
		return true;
	}
	default: { /* our setup and first operations, then the other's last ones */
		int keep = (int)below(rng, (uint32_t)s->ops_count + 1);
		int from = (int)below(rng, (uint32_t)o->ops_count + 1);
		s->ops_count = keep;
		for (int i = from; i < o->ops_count && s->ops_count < SCN_OPS_MAX; i++)
			s->ops[s->ops_count++] = o->ops[i];
		return true;
	}
	}
}

bool mut_apply(struct scenario *s, enum mut_kind kind, const struct scenario *other, uint64_t *rng)
{
	switch (kind) {
	case MUT_PREEMPT_MOVE:
		return preempt_move(s, rng);
	case MUT_PREEMPT_TARGET:
		return preempt_target(s, rng);
	case MUT_PREEMPT_ADD:
		return preempt_add(s, rng);
	case MUT_PREEMPT_REMOVE:
		return preempt_remove(s, rng);
	case MUT_OP_ARG:
		return op_arg(s, rng);
	case MUT_OP_INSERT:
		return op_insert(s, rng);
	case MUT_OP_DELETE:
		return op_delete(s, rng);
	case MUT_OP_SWAP:
		return op_swap(s, rng);
	case MUT_CROSSOVER:
		return crossover(s, other, rng);
	case MUT_TLB_MODE:
		s->tlb_broadcast = !s->tlb_broadcast;
		return true;
	case MUT_OP_OBSERVE:
		return op_observe(s, rng);
	case MUT_BYTES:
	case MUT_KIND_COUNT:
		break;
	}
	return false;
}

/* Weights of the structural kinds, in enum order (MUT_BYTES is decided apart). */
static const uint8_t weights[MUT_BYTES] = {
    [MUT_PREEMPT_MOVE] = 6,   [MUT_PREEMPT_TARGET] = 3, [MUT_PREEMPT_ADD] = 4,
    [MUT_PREEMPT_REMOVE] = 2, [MUT_OP_ARG] = 6,		[MUT_OP_INSERT] = 4,
    [MUT_OP_DELETE] = 2,      [MUT_OP_SWAP] = 1,	[MUT_CROSSOVER] = 2,
    [MUT_TLB_MODE] = 1,	      [MUT_OP_OBSERVE] = 3,
};

/*
 * Small scenarios run faster and leave fewer interleavings to search: past
 * OPS_COMFORTABLE operations, inserting gets rarer and deleting more likely.
 */
#define OPS_COMFORTABLE 8

static enum mut_kind pick_kind(const struct scenario *s, uint64_t *rng)
{
	uint8_t w[MUT_BYTES];
	uint32_t total = 0;
	memcpy(w, weights, sizeof(w));
	if (s->setup_count + s->ops_count > OPS_COMFORTABLE) {
		w[MUT_OP_INSERT] = 1;
		w[MUT_OP_OBSERVE] = 1;
		w[MUT_OP_DELETE] = 4;
	}
	for (int k = 0; k < MUT_BYTES; k++)
		total += w[k];
	uint32_t x = below(rng, total);
	int k = 0;
	while (x >= w[k])
		x -= w[k++];
	return (enum mut_kind)k;
}

static size_t encode_or_keep(const struct scenario *s, uint8_t *data, size_t size, size_t max_size)
{
	uint8_t buf[SCN_ENCODED_MAX];
	size_t n = scn_encode(s, buf, sizeof(buf));
	if (!n || n > max_size) /* does not fit: keep the input (a prefix is an input too) */
		return size < max_size ? size : max_size;
	memcpy(data, buf, n);
	return n;
}

size_t mut_bytes_body(uint8_t *data, size_t size, size_t max_size, mut_bytes_fn bytes)
{
	if (!scn_is_binary(data, size) || max_size <= SCN_MAGIC_BYTES)
		return bytes(data, size, max_size);
	return SCN_MAGIC_BYTES +
	       bytes(data + SCN_MAGIC_BYTES, size - SCN_MAGIC_BYTES, max_size - SCN_MAGIC_BYTES);
}

/* ---- family restarts (see mutator.h) ------------------------------------------------ */

static struct {
	int count;
	size_t size[MUT_FAMILIES_MAX];
	uint8_t *seed[MUT_FAMILIES_MAX]; /* binary form */
} fam;

void mut_families_clear(void)
{
	for (int i = 0; i < fam.count; i++)
		free(fam.seed[i]);
	fam.count = 0;
}

int mut_families_count(void)
{
	return fam.count;
}

static int not_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* @path's seed in binary form into @buf; 0 when it is no seed (or is left out). */
static size_t family_read(const char *path, uint8_t *buf, size_t buf_bytes)
{
	static struct scenario s;
	size_t n = strlen(path);
	if (n > 6 && !strcmp(path + n - 6, ".sched")) {
		char err[512];
		if (scn_load(&s, path, err, sizeof(err)))
			return scn_encode(&s, buf, buf_bytes);
		fprintf(stderr, "%s (seed family left out)\n", err);
		return 0;
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t len = fread(buf, 1, buf_bytes, f);
	fclose(f);
	return scn_is_binary(buf, len) ? len : 0;
}

int mut_families_load(const char *dir, char *err, size_t err_bytes)
{
	static uint8_t buf[SCN_ENCODED_MAX];
	struct dirent **list;
	int skipped = 0;
	mut_families_clear();
	int n = scandir(dir, &list, not_hidden, alphasort); /* name order, not the fs's */
	if (n < 0) {
		snprintf(err, err_bytes, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		free(list[i]);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (fam.count == MUT_FAMILIES_MAX) {
			skipped++;
			continue;
		}
		size_t len = family_read(path, buf, sizeof(buf));
		uint8_t *copy = len ? malloc(len) : NULL;
		if (!copy)
			continue;
		memcpy(copy, buf, len);
		fam.seed[fam.count] = copy;
		fam.size[fam.count++] = len;
	}
	free(list);
	if (skipped)
		fprintf(stderr, "%s: %d files past the first %d seed families left out\n", dir,
			skipped, MUT_FAMILIES_MAX);
	return fam.count;
}

bool mut_families_from_env(char *err, size_t err_bytes)
{
	const char *share = getenv("MMFUZZ_FAMILY_SHARE"), *dir = getenv("MMFUZZ_FAMILIES");
	if (share) {
		char *end;
		unsigned long v = strtoul(share, &end, 10);
		if (!*share || *end || v > 1000000) {
			snprintf(err, err_bytes,
				 "MMFUZZ_FAMILY_SHARE: %s is not a number in 0..1000000", share);
			return false;
		}
		mut_family_share = (uint32_t)v;
	}
	char why[512];
	if (dir && *dir && mut_families_load(dir, why, sizeof(why)) < 0) {
		snprintf(err, err_bytes, "MMFUZZ_FAMILIES: %s", why);
		return false;
	}
	return true;
}

/* ---- one mutation ------------------------------------------------------------------- */

size_t mut_mutate(uint8_t *data, size_t size, size_t max_size, uint64_t seed, const uint8_t *other,
		  size_t other_size, mut_bytes_fn bytes)
{
	static struct scenario s, o;
	uint64_t rng = seed;
	/* without families, not a draw: the output stays what it was before them */
	bool restart = fam.count && mut_family_share && below(&rng, mut_family_share) == 0;
	if (restart) {
		int k = (int)below(&rng, (uint32_t)fam.count);
		scn_decode(&s, fam.seed[k], fam.size[k]);
		other = NULL; /* the family's own scenario, changed as any input is */
	} else {
		if (bytes && below(&rng, 8) == 0)
			return mut_bytes_body(data, size, max_size, bytes);
		scn_decode(&s, data, size);
		/* half the time, the schedule the harness's search found for this scenario */
		if (mut_schedule_hints && below(&rng, 2) == 0 &&
		    search_hint_take(search_scenario_hash(&s), &s))
			return encode_or_keep(&s, data, size, max_size);
	}
	if (other)
		scn_decode(&o, other, other_size);
	/* mostly one change; now and then a few stacked */
	int changes = below(&rng, 4) ? 1 : 2 + (int)below(&rng, 3);
	for (int c = 0; c < changes; c++) {
		enum mut_kind k = pick_kind(&s, &rng);
		for (int tries = 0; tries < MUT_BYTES && !mut_apply(&s, k, other ? &o : NULL, &rng);
		     tries++)
			k = (enum mut_kind)((k + 1) % MUT_BYTES);
	}
	return encode_or_keep(&s, data, size, max_size);
}

size_t mut_crossover(const uint8_t *a, size_t a_size, const uint8_t *b, size_t b_size, uint8_t *out,
		     size_t max_size, uint64_t seed)
{
	static struct scenario s, o;
	uint64_t rng = seed;
	scn_decode(&s, a, a_size);
	scn_decode(&o, b, b_size);
	crossover(&s, &o, &rng);
	uint8_t buf[SCN_ENCODED_MAX];
	size_t n = scn_encode(&s, buf, sizeof(buf));
	if (!n || n > max_size) {
		n = a_size < max_size ? a_size : max_size;
		memcpy(out, a, n);
		return n;
	}
	memcpy(out, buf, n);
	return n;
}
