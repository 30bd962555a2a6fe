/* SPDX-License-Identifier: MIT */
/*
 * The data oracles: `lost-write`, `isolation` and `pin-coherence`, derived from the
 * events of events.h.
 *
 * Provenance.  Every word of every frame and of every file block carries the
 * *origin* of its value: the zero fill, the file's original block, or one store
 * (a CPU's, a device's through a pin, the kernel's on a process's behalf).  The
 * payload accessors report every copy, so a value read anywhere names the store
 * that made it — values themselves may repeat, origins never do.
 *
 * Views.  What a load of a process may return at an address is a small set of
 * origins per word, kept per (process, page) for private mappings and per (file,
 * block) for shared ones, and changed only by the semantics of accesses and
 * system calls:
 *   - a store makes its origin the only one (one racing a discard of the page,
 *     or an mremap moving another page onto it, adds its origin);
 *   - while MADV_DONTNEED / MADV_FREE / mmap / munmap over the page is in flight
 *     (once munmap releases the range, a stack below may grow into it), and after
 *     MADV_FREE until the next store to the page, the page may also read what its
 *     backing provides (zero for anonymous memory, the file for a private file
 *     mapping): the discard is the process's own doing, racing stores have no
 *     single answer;
 *   - when MADV_DONTNEED returns the page reads its backing (or a store made
 *     while it was in flight); munmap and mmap reset it; mremap moves it —
 *     unless another such call was in flight over the page beside it (either
 *     may have come last): then its return only widens;
 *   - fork gives the child the parent's views as fork took the mm, plus any store
 *     the parent made while fork was in flight (and the lazyfree marks, and what
 *     an mremap returning meanwhile moved); the child's copy of a pinned page
 *     holds what a device wrote through the parent's pin before the fork
 *     returned;
 *   - until reclaim's batched flush, a CPU may read a discarded lazyfree frame
 *     through a stale TLB entry: the process's own data of that page;
 *   - a private file page follows the file until the process's first store to
 *     it, which freezes its other words at the file's values.  The COW copy is
 *     made at some instant of the store (or of a GUP for write, which breaks COW
 *     as a store would, or of a pin, which may unshare the page): from the
 *     operation's entry the page may also read what the file held since, and the
 *     freeze keeps those values too; an mremap moving the page meanwhile takes
 *     the copy (the store may then fail, its address gone) or the file page.
 * A device access through a FOLL_PIN reference counts as the pinning process's
 * access at the pinned address while the pin and the mapping agree: from the pin
 * until the process itself unmaps, discards or moves that address.
 *
 * Verdicts, when a load's origin is not in its view: `isolation` if the value is a
 * store made through another process's private mapping (or through a private
 * mapping and read through a shared one, or from the file); `pin-coherence` if a
 * device is one of the parties; `lost-write` otherwise.  A store through a
 * MAP_PRIVATE mapping into a page-cache page is `isolation` at once.
 *
 * Cost: O(1) per access, O(pages) per system call; no per-path bookkeeping.
 * Left out: views are per word and bounded (VIEW_MAX origins, beyond which a
 * view accepts anything: counted in data_view_overflows); shared anonymous memory
 * is not modelled.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "../hw.h"
#include "../mm.h"
#include "../page.h"
#include "../pgtable.h"
#include "../vma.h"
#include "oracle_int.h"

#define W	    MM_WORDS_PER_PAGE
#define NPAGES	    ((int)(TASK_SIZE >> PAGE_SHIFT))
#define VIEW_MAX    6
#define STORES_MAX  512
#define ALIAS_MAX   64
#define ORIGIN_ZERO 0u
_Static_assert(ORIGIN_ZERO == ORACLE_ORIGIN_ZERO, "one zero origin");
/* the original content of file @f, block @p, word @w */
#define ORIGIN_FILE(f, p, w) (1u + ((uint32_t)(f)*FILE_PAGES + (uint32_t)(p)) * W + (uint32_t)(w))
#define ORIGIN_STORE0	     (1u + NR_FILES * FILE_PAGES * W)
/* in a view: whatever the page's backing provides (zero, or the file's views) */
#define ORIGIN_BACKING 0xffffffffu

/* STORE_KERNEL: through a GUP reference taken earlier (/proc/pid/mem) */
enum store_kind { STORE_CPU, STORE_DEVICE, STORE_KERNEL };

struct ostore {
	uint64_t value;
	const struct sched_site *site;
	uint32_t step;
	int8_t agent;
	int8_t mm;	      /* on whose behalf; -1: a device with no coherent pin */
	bool through_private; /* made through a MAP_PRIVATE mapping */
	uint8_t kind;	      /* enum store_kind */
	int8_t pin_mm;	      /* a device store through a pin: the pinning process, else -1 */
	uint32_t dev_pfn1;    /* a device store not counted as the process's: its frame + 1 */
	unsigned long addr;
};

struct view {
	uint32_t id[VIEW_MAX];
	uint8_t n;
	bool any; /* overflowed: accepts anything */
};

/* A page of a process's private memory. */
struct ppage {
	struct view w[W];
	struct view during[W];	/* stores completed while a discard was in flight */
	uint32_t last_clock[W]; /* when the last store to the word completed */
	uint8_t discarding;	/* discards (DONTNEED, FREE, mmap or munmap over it) in flight */
	bool lazy;		/* MADV_FREE returned and no store since */
	uint32_t lazy_pfn, lazy_gen; /* the frame it left lazyfree (pfn + 1, or 0) */
	uint32_t lazy_enter;	     /* when the first MADV_FREE of its lazy spell entered */
	/* operations that unmap, discard or move the page: the last one's entry or
	 * exit, and how many are in flight (a pin is coherent only if none
	 * overlapped it) */
	uint32_t range_clock;
	/* the last entry of such a call, or the last exit of one that another
	 * was in flight beside: a call that returns while a later one is in flight
	 * or done, or after one that was in flight when it entered, cannot tell
	 * which comes last, and only widens */
	uint32_t last_enter;
	uint8_t range_inflight;
	uint8_t remapping; /* of those, calls putting a new mapping there (mmap, mremap's
			      destination) */
	uint32_t gen;	   /* == data_gen: valid in this execution (see ppage_at()) */
};

/* A block of a file: the origins on its disk, and the views of shared mappings. */
struct fpage {
	uint32_t disk[W];
	struct view v[W];
	/* each word's view before its last store: a private page's COW copy may be
	 * made before the store that caused it, and miss the latest one */
	struct view prev[W];
	uint32_t gen;
};

static struct data_state {
	uint32_t clock;	    /* events so far: orders stores and system calls */
	uint32_t nr_stores; /* in data_stores[] */
	/* mremaps in flight, per agent: a store to either range shows in both */
	struct {
		bool active;
		int mm;
		unsigned long from, to, len;
	} mremap[SCHED_OP_AGENTS_MAX];
	int fork_child[NR_MMS]; /* +1: a fork of this mm is in flight */
	/* a child of fork: the stores made before its fork returned, + 1 (0: none) */
	uint32_t fork_stores[NR_MMS];
	int forks_inflight[NR_MMS];
	bool fork_op[SCHED_OP_AGENTS_MAX]; /* the agent's fork in flight may make the child */
	struct {
		bool held, bound, pin;
		int8_t mm;
		unsigned long addr;
		uint32_t pfn;
		/* what the process could read there when the reference was taken:
		 * what a reference that is not a coherent pin may still read */
		struct view snap[W];
		bool snap_valid;
	} ref;
	int nr_alias;
	uint32_t nr_alias_classes;
	bool alias_by_value; /* the table overflowed: equal values count as one */
	/* ---- by use: read only below nr_alias, and an entry of cow (gup_entry) only
	 * while active (valid), written whole before; what a snapshot keeps of them
	 * (data_snap_save()) ---- */
	/* origins found to hold one value by pages_identical() (a KSM merge may map
	 * either for the other): origins of one class count as one in a view.  Classes,
	 * closed under transitivity: a page's word may itself hold an alias of what its
	 * process stored (merged, swapped out and in, COW-broken by the other process,
	 * merged again: the second merge pairs the other store with the alias, and the
	 * process reads it) */
	struct data_alias {
		uint32_t origin;
		uint32_t cls;
	} alias[ALIAS_MAX];
	/* a store or pin in flight, per agent, on a private file page that follows
	 * the file: its COW copy may be made at any instant, so the page may read
	 * what the file held from the operation's entry on (see ppage_own()) */
	struct {
		bool active;
		int file;
		unsigned long index;
		const struct ppage *pp;
		struct view v[W];
	} cow[SCHED_OP_AGENTS_MAX];
	/* what the process could read at the page a GUP in flight is for, when the
	 * GUP entered: GUP-fast reads the PTE (and takes its reference) early, and
	 * under a broadcast TLB flush the process may COW its own copy before the
	 * GUP returns, so the page referenced still holds what was there at entry */
	struct {
		bool valid;
		int8_t mm;
		unsigned long page;
		struct view v[W];
	} gup_entry[SCHED_OP_AGENTS_MAX];
} D;

/*
 * Reset per execution in O(1): pages and blocks are valid only when their gen is
 * data_gen, and set up on first use; stores are counted, not cleared; a frame's
 * origins are set when it is allocated.
 */
static uint32_t data_gen;
static struct ostore data_stores[STORES_MAX];
static uint32_t data_frame[NR_FRAMES][W];
static struct ppage data_priv[NR_MMS][NPAGES];
static struct fpage data_file[NR_FILES][FILE_PAGES];
/* bit per block of each file: valid in this generation (the final sync's list) */
static uint32_t data_file_valid[NR_FILES];
_Static_assert(FILE_PAGES <= 32, "data_file_valid");
/* the origins of the swap device's slots, as the disk's of a file block */
static uint32_t data_swap[NR_SWAP_SLOTS][W];

uint32_t data_view_overflows;

static void view_set(struct view *v, uint32_t id)
{
	v->id[0] = id;
	v->n = 1;
	v->any = false;
}

static uint64_t origin_value(uint32_t origin);

/* The alias class of origin @x, or -1 when no merge has named it. */
static int64_t alias_class(uint32_t x)
{
	for (int i = 0; i < D.nr_alias; i++)
		if (D.alias[i].origin == x)
			return D.alias[i].cls;
	return -1;
}

/* Do origins @x and @y count as one (the same, or found identical by merges)? */
static bool origin_alias(uint32_t x, uint32_t y)
{
	int64_t cx = alias_class(x);
	if (cx >= 0 && cx == alias_class(y))
		return true;
	return D.alias_by_value && x != ORIGIN_BACKING && y != ORIGIN_BACKING &&
	       origin_value(x) == origin_value(y);
}

static bool view_has(const struct view *v, uint32_t id)
{
	for (int i = 0; i < v->n; i++)
		if (v->id[i] == id)
			return true;
	/* O(n * aliases); the table is empty unless a scenario merges pages */
	for (int i = 0; D.nr_alias && i < v->n; i++)
		if (origin_alias(v->id[i], id))
			return true;
	return false;
}

static void view_add(struct view *v, uint32_t id)
{
	if (view_has(v, id) || v->any)
		return;
	if (v->n == VIEW_MAX) {
		v->any = true;
		data_view_overflows++;
		return;
	}
	v->id[v->n++] = id;
}

static void view_union(struct view *v, const struct view *o)
{
	if (o->any)
		v->any = true;
	for (int i = 0; i < o->n; i++)
		view_add(v, o->id[i]);
}

/* A page that reads its backing; range bookkeeping kept (it is the address's). */
static void ppage_reset(struct ppage *pp)
{
	memset(pp->w, 0, sizeof(pp->w));
	memset(pp->during, 0, sizeof(pp->during));
	memset(pp->last_clock, 0, sizeof(pp->last_clock));
	pp->lazy = false;
	for (int w = 0; w < W; w++)
		view_set(&pp->w[w], ORIGIN_BACKING);
}

/*
 * ppage_reset(), but a word stored since @since (a call's entry) keeps what @from
 * (the page's own views, or those of the stores made during a discard) held: the
 * store landed once the call had made the page new, so it stays at the return.
 */
static void ppage_reset_keeping(struct ppage *pp, const struct view from[W], uint32_t since)
{
	struct view keep[W];
	bool kept[W];
	for (int w = 0; w < W; w++) {
		kept[w] = pp->last_clock[w] > since;
		keep[w] = from[w];
	}
	ppage_reset(pp);
	for (int w = 0; w < W; w++)
		if (kept[w])
			view_union(&pp->w[w], &keep[w]);
}

static struct ppage *ppage_at(int mm, unsigned long addr)
{
	struct ppage *pp = &data_priv[mm][addr / PAGE_SIZE % NPAGES];
	if (pp->gen != data_gen) {
		memset(pp, 0, sizeof(*pp));
		ppage_reset(pp);
		pp->gen = data_gen;
	}
	return pp;
}

/* The page at @addr may also read its backing now. */
static void widen(int mm, unsigned long addr)
{
	struct ppage *pp = ppage_at(mm, addr);
	for (int w = 0; w < W; w++)
		view_add(&pp->w[w], ORIGIN_BACKING);
}

/*
 * The pages the mremap() calls of @mm in flight (but @skip's) move the page at
 * @page to (@back: the pages they move onto @page, their new range to their old
 * one), into @dst; returns how many.
 */
static int mremap_inflight_dst(int mm, unsigned long page, int skip, bool back,
			       unsigned long dst[SCHED_OP_AGENTS_MAX])
{
	int n = 0;
	for (int j = 0; j < SCHED_OP_AGENTS_MAX; j++) {
		unsigned long from = back ? D.mremap[j].to : D.mremap[j].from;
		unsigned long to = back ? D.mremap[j].from : D.mremap[j].to;
		if (j != skip && D.mremap[j].active && D.mremap[j].mm == mm && page >= from &&
		    page < from + D.mremap[j].len && to + (page - from) < TASK_SIZE)
			dst[n++] = to + (page - from);
	}
	return n;
}

/* @to may be lazyfree as @from is (a move, a fork): with its MADV_FREE's entry */
static void lazy_inherit(struct ppage *to, const struct ppage *from)
{
	if (from->lazy && (!to->lazy || from->lazy_enter < to->lazy_enter))
		to->lazy_enter = from->lazy_enter;
	to->lazy |= from->lazy;
}

static struct fpage *fpage_at(int file, unsigned long index)
{
	SCHED_ASSERT(file >= 0 && file < NR_FILES && index < FILE_PAGES);
	struct fpage *fp = &data_file[file][index];
	if (fp->gen != data_gen) {
		for (int w = 0; w < W; w++) {
			fp->disk[w] = ORIGIN_FILE(file, index, w);
			view_set(&fp->v[w], ORIGIN_FILE(file, index, w));
			fp->prev[w] = fp->v[w];
		}
		fp->gen = data_gen;
		data_file_valid[file] |= 1u << index;
	}
	return fp;
}

/* A store with origin @id became the value of word @word of a file's block. */
static void fpage_store(int file, unsigned long index, int word, uint32_t id)
{
	struct fpage *fp = fpage_at(file, index);
	fp->prev[word] = fp->v[word];
	view_set(&fp->v[word], id);
	for (int a = 0; a < SCHED_OP_AGENTS_MAX; a++)
		if (D.cow[a].active && D.cow[a].file == file && D.cow[a].index == index)
			view_add(&D.cow[a].v[word], id);
}

void data_reset(void)
{
	memset(&D, 0, sizeof(D));
	memset(data_swap, 0, sizeof(data_swap)); /* 256 bytes */
	memset(data_file_valid, 0, sizeof(data_file_valid));
	data_gen++;
	data_view_overflows = 0;
}

/*
 * The state after a setup: D, the stores, the origins of the frames the setup may
 * have allocated, and the pages and blocks valid then (set up on first use, so
 * usually a few), but for private pages still as first set up.  Restoring starts
 * a new generation and validates those alone.
 */
struct data_snap {
	struct data_state d;
	uint32_t view_overflows;
	uint32_t frames;
	int npriv, nfile;
	uint32_t frame[NR_FRAMES][W];
	uint32_t swap[NR_SWAP_SLOTS][W];
	struct ostore stores[STORES_MAX];
	uint16_t priv_at[NR_MMS * NPAGES];
	struct ppage priv[NR_MMS * NPAGES];
	uint16_t file_at[NR_FILES * FILE_PAGES];
	struct fpage file[NR_FILES * FILE_PAGES];
};

size_t data_snap_bytes(void)
{
	return sizeof(struct data_snap);
}

void data_snap_save(struct data_snap *s, uint32_t frames)
{
	SCHED_ASSERT(frames <= NR_FRAMES);
	s->d = D;
	/* what no run reads, zeroed: snapshots of equal states compare equal */
	memset(&s->d.alias[D.nr_alias], 0, (size_t)(ALIAS_MAX - D.nr_alias) * sizeof(D.alias[0]));
	for (int a = 0; a < SCHED_OP_AGENTS_MAX; a++) {
		if (!D.cow[a].active)
			memset(&s->d.cow[a], 0, sizeof(s->d.cow[a]));
		if (!D.gup_entry[a].valid)
			memset(&s->d.gup_entry[a], 0, sizeof(s->d.gup_entry[a]));
	}
	s->view_overflows = data_view_overflows;
	s->frames = frames;
	memcpy(s->frame, data_frame, frames * sizeof(data_frame[0]));
	memcpy(s->swap, data_swap, sizeof(data_swap));
	memcpy(s->stores, data_stores, D.nr_stores * sizeof(data_stores[0]));
	/* a page as ppage_at() first sets it up is left out: after a restore it is
	 * set up again on first use, the same (most of a setup's pages: an mmap's
	 * range, 96% of those the corpus's setups left valid) */
	struct ppage fresh;
	memset(&fresh, 0, sizeof(fresh));
	ppage_reset(&fresh);
	const struct ppage *priv = &data_priv[0][0];
	s->npriv = 0;
	for (int i = 0; i < NR_MMS * NPAGES; i++)
		if (priv[i].gen == data_gen) {
			s->priv[s->npriv] = priv[i];
			s->priv[s->npriv].gen = 0;
			if (!memcmp(&s->priv[s->npriv], &fresh, sizeof(fresh)))
				continue;
			s->priv_at[s->npriv++] = (uint16_t)i;
		}
	const struct fpage *file = &data_file[0][0];
	s->nfile = 0;
	for (int i = 0; i < NR_FILES * FILE_PAGES; i++)
		if (file[i].gen == data_gen) {
			s->file_at[s->nfile] = (uint16_t)i;
			s->file[s->nfile] = file[i];
			s->file[s->nfile++].gen = 0;
		}
}

void data_snap_restore(const struct data_snap *s)
{
	memcpy(&D, &s->d, offsetof(struct data_state, alias));
	if (D.nr_alias) /* (mostly none: a call costs more than the test) */
		memcpy(D.alias, s->d.alias, (size_t)D.nr_alias * sizeof(D.alias[0]));
	for (int a = 0; a < SCHED_OP_AGENTS_MAX; a++) {
		if (s->d.cow[a].active)
			D.cow[a] = s->d.cow[a];
		else
			D.cow[a].active = false;
		if (s->d.gup_entry[a].valid)
			D.gup_entry[a] = s->d.gup_entry[a];
		else
			D.gup_entry[a].valid = false;
	}
	data_gen++;
	data_view_overflows = s->view_overflows;
	if (s->frames)
		memcpy(data_frame, s->frame, s->frames * sizeof(data_frame[0]));
	memcpy(data_swap, s->swap, sizeof(data_swap));
	if (D.nr_stores)
		memcpy(data_stores, s->stores, D.nr_stores * sizeof(data_stores[0]));
	struct ppage *priv = &data_priv[0][0];
	for (int i = 0; i < s->npriv; i++) {
		priv[s->priv_at[i]] = s->priv[i];
		priv[s->priv_at[i]].gen = data_gen;
	}
	struct fpage *file = &data_file[0][0];
	memset(data_file_valid, 0, sizeof(data_file_valid));
	for (int i = 0; i < s->nfile; i++) {
		file[s->file_at[i]] = s->file[i];
		file[s->file_at[i]].gen = data_gen;
		data_file_valid[s->file_at[i] / FILE_PAGES] |= 1u << (s->file_at[i] % FILE_PAGES);
	}
}

const char *data_snap_diff(const struct data_snap *a, const struct data_snap *b)
{
	if (memcmp(&a->d, &b->d, sizeof(a->d)) || a->view_overflows != b->view_overflows)
		return "data: the layer's clock, calls or references";
	if (a->frames != b->frames || memcmp(a->frame, b->frame, a->frames * sizeof(a->frame[0])))
		return "data: the frames' origins";
	if (memcmp(a->swap, b->swap, sizeof(a->swap)))
		return "data: the swap slots' origins";
	if (memcmp(a->stores, b->stores, a->d.nr_stores * sizeof(a->stores[0])))
		return "data: the stores";
	if (a->npriv != b->npriv ||
	    memcmp(a->priv_at, b->priv_at, a->npriv * sizeof(a->priv_at[0])) ||
	    memcmp(a->priv, b->priv, a->npriv * sizeof(a->priv[0])))
		return "data: the processes' pages";
	if (a->nfile != b->nfile ||
	    memcmp(a->file_at, b->file_at, a->nfile * sizeof(a->file_at[0])) ||
	    memcmp(a->file, b->file, a->nfile * sizeof(a->file[0])))
		return "data: the files' blocks";
	return NULL;
}

uint32_t oracle_clock(void)
{
	return ++D.clock;
}

static const struct ostore *store_of(uint32_t origin)
{
	if (origin < ORIGIN_STORE0 || origin == ORIGIN_BACKING)
		return NULL;
	SCHED_ASSERT(origin - ORIGIN_STORE0 < D.nr_stores);
	return &data_stores[origin - ORIGIN_STORE0];
}

/* The value an origin stands for: a check of the layer against the payload. */
static uint64_t origin_value(uint32_t origin)
{
	if (origin == ORIGIN_ZERO)
		return 0;
	if (origin < ORIGIN_STORE0) {
		uint32_t i = origin - 1, w = i % W, p = i / W % FILE_PAGES, f = i / W / FILE_PAGES;
		return 0x1000000ull * (f + 1) + 0x100ull * p + w;
	}
	return store_of(origin)->value;
}

/* ---- provenance ----------------------------------------------------------------- */

void oracle_frame_alloc(uint32_t pfn, int nr)
{
	for (int i = 0; i < nr; i++)
		for (int w = 0; w < W; w++)
			data_frame[pfn + (uint32_t)i][w] = ORIGIN_ZERO;
}

uint32_t oracle_data_origin(uint32_t pfn, int word)
{
	return data_frame[pfn][word];
}

void oracle_data_set(uint32_t pfn, int word, uint32_t origin)
{
	data_frame[pfn][word] = origin;
}

uint32_t oracle_disk_origin(int file, unsigned long index, int word)
{
	return fpage_at(file, index)->disk[word];
}

void oracle_disk_set(int file, unsigned long index, int word, uint32_t origin)
{
	fpage_at(file, index)->disk[word] = origin;
}

uint32_t oracle_swap_origin(uint32_t slot, int word)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	return data_swap[slot][word];
}

void oracle_swap_set(uint32_t slot, int word, uint32_t origin)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	data_swap[slot][word] = origin;
}

void oracle_data_identical(uint32_t a, uint32_t b)
{
	if (a == b || origin_alias(a, b))
		return;
	int64_t ca = alias_class(a), cb = alias_class(b);
	if (D.nr_alias + (ca < 0) + (cb < 0) > ALIAS_MAX) {
		D.alias_by_value = true; /* coarser from here on, never wrong */
		data_view_overflows++;
		return;
	}
	if (ca < 0 && cb < 0)
		ca = cb = D.nr_alias_classes++;
	for (int i = 0; cb >= 0 && ca >= 0 && i < D.nr_alias; i++)
		if (D.alias[i].cls == (uint32_t)cb)
			D.alias[i].cls = (uint32_t)ca; /* two classes become one */
	const uint32_t cls = (uint32_t)(ca >= 0 ? ca : cb);
	if (alias_class(a) < 0)
		D.alias[D.nr_alias++] = (struct data_alias){.origin = a, .cls = cls};
	if (alias_class(b) < 0)
		D.alias[D.nr_alias++] = (struct data_alias){.origin = b, .cls = cls};
}

/* ---- views ------------------------------------------------------------------------- */

/* Where the view of @addr in @mm lives: a file block (shared mappings) or the
 * process's page.  false: nothing is mapped there. */
struct where {
	struct view *v;	  /* the word's view */
	struct ppage *pp; /* private: its page */
	int file;	  /* the file behind it, or -1 (anonymous) */
	unsigned long index;
	bool shared;
};

static bool where_of(const struct mm_struct *mm, unsigned long addr, struct where *at)
{
	const struct vm_area_struct *vma = vma_lookup_oracle(mm, addr);
	if (!vma)
		return false;
	int word = (int)(addr % PAGE_SIZE / sizeof(uint64_t));
	at->file = vma->vm_file ? vma->vm_file->id : -1;
	at->index = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	at->shared = vma->vm_file && (vma->vm_flags & VM_SHARED);
	at->pp = at->shared ? NULL : ppage_at(mm->id, addr);
	at->v = at->shared ? &fpage_at(at->file, at->index)->v[word] : &at->pp->w[word];
	return true;
}

/*
 * What the backing of a private page provides at word @word: zero, or the file;
 * while a store or pin may be copying the page, also the copy it may have made.
 */
static bool backing_accepts(const struct where *at, int word, uint32_t origin)
{
	if (at->file < 0) /* zero, or a store a KSM merge found to hold zero */
		return origin == ORIGIN_ZERO || (D.nr_alias && origin_alias(origin, ORIGIN_ZERO));
	const struct fpage *fp = fpage_at(at->file, at->index);
	const struct view *fv = &fp->v[word], *pv = &fp->prev[word];
	if (fv->any || view_has(fv, origin) || pv->any || view_has(pv, origin))
		return true;
	for (int a = 0; a < SCHED_OP_AGENTS_MAX; a++)
		if (D.cow[a].active && D.cow[a].pp == at->pp &&
		    (D.cow[a].v[word].any || view_has(&D.cow[a].v[word], origin)))
			return true;
	return false;
}

static bool view_accepts(const struct where *at, const struct view *v, int word, uint32_t origin)
{
	if (v->any || view_has(v, origin))
		return true;
	if (view_has(v, ORIGIN_BACKING) && backing_accepts(at, word, origin))
		return true;
	return at->pp && (at->pp->discarding || at->pp->lazy) && backing_accepts(at, word, origin);
}

/* The most recent store a view holds (the one a lost value should have been). */
static const struct ostore *view_last_store(const struct view *v)
{
	const struct ostore *last = NULL;
	for (int i = 0; i < v->n; i++) {
		const struct ostore *s = store_of(v->id[i]);
		if (s && (!last || v->id[i] > (uint32_t)(last - data_stores) + ORIGIN_STORE0))
			last = s;
	}
	return last;
}

static uint32_t store_new(int agent, int mm, unsigned long addr, uint64_t val, bool priv,
			  enum store_kind kind, const struct sched_site *site)
{
	SCHED_ASSERT(D.nr_stores < STORES_MAX);
	data_stores[D.nr_stores] = (struct ostore){
	    .value = val,
	    .site = site,
	    .step = sched_fast.step ? sched_fast.step - 1 : 0,
	    .agent = (int8_t)agent,
	    .mm = (int8_t)mm,
	    .through_private = priv,
	    .kind = (uint8_t)kind,
	    .pin_mm = -1,
	    .addr = addr,
	};
	return ORIGIN_STORE0 + D.nr_stores++;
}

/*
 * A private file page becomes the process's own: a store to it makes a COW copy.
 * Each word but @except that still follows the file (or may, a discard of the
 * page being in flight) keeps a value the file had
 * when the copy was made: its current one, the one before, or any it held since
 * the storing operation entered (@since, if one is in flight: see D.cow).  A pin
 * may unshare the page (FAULT_FLAG_UNSHARE, since 2023; before, a R/O pin kept
 * the page-cache page): with @keep_backing, each such word may read any of those
 * or go on following the file, and the next store settles it.
 */
static void ppage_own(struct ppage *pp, const struct where *at, int except,
		      const struct view *since, bool keep_backing)
{
	const struct fpage *fp = fpage_at(at->file, at->index);
	for (int w = 0; w < W; w++) {
		/* (a word a discard in flight may have dropped follows the file too:
		 * the copy may be made after the discard) */
		if (w == except || !(view_has(&pp->w[w], ORIGIN_BACKING) || pp->discarding))
			continue;
		struct view copy = fp->v[w]; /* what the copy may hold */
		view_union(&copy, &fp->prev[w]);
		if (since)
			view_union(&copy, &since[w]);
		struct view keep = {.n = 0, .any = pp->w[w].any}; /* an overflow stays one */
		for (int i = 0; i < pp->w[w].n; i++)
			if (keep_backing || pp->w[w].id[i] != ORIGIN_BACKING)
				view_add(&keep, pp->w[w].id[i]);
		view_union(&keep, &copy);
		pp->w[w] = keep;
		/* a copy made while a discard is in flight may be made after it, and
		 * outlive it like a store made then */
		if (pp->discarding) {
			view_union(&pp->during[w], &copy);
			pp->last_clock[w] = oracle_clock();
		}
	}
}

/*
 * What the file held since the earliest store or pin on @pp still in flight
 * entered, or NULL.  Any of them may be the one whose fault made the copy: a
 * store by one CPU of the process may land in the copy another CPU's store
 * faulted in (that store still in flight), made from what the file held then.
 */
static const struct view *cow_since(const struct ppage *pp)
{
	static struct view since[W];
	bool any = false;
	for (int a = 0; a < SCHED_OP_AGENTS_MAX; a++) {
		if (!D.cow[a].active || D.cow[a].pp != pp)
			continue;
		for (int w = 0; w < W; w++) {
			if (!any)
				since[w] = D.cow[a].v[w];
			else
				view_union(&since[w], &D.cow[a].v[w]);
		}
		any = true;
	}
	return any ? since : NULL;
}

/* A store with origin @id became the value of @addr in @mm (see the file header). */
static void view_store(struct mm_struct *mm, unsigned long addr, const struct where *at, int word,
		       uint32_t id, uint32_t pfn)
{
	if (at->shared) {
		fpage_store(at->file, at->index, word, id);
		return;
	}
	struct ppage *pp = at->pp;
	if (pp->discarding || pp->remapping) { /* racing the discard or the move: either
						  may come first */
		view_add(at->v, id);
		view_add(&pp->during[word], id);
	} else {
		view_set(at->v, id);
	}
	pp->last_clock[word] = oracle_clock();
	/* an mremap in flight over either range may move the page either way */
	unsigned long dst[SCHED_OP_AGENTS_MAX];
	for (int back = 0; back < 2; back++)
		for (int n = mremap_inflight_dst(mm->id, addr & ~(PAGE_SIZE - 1), -1, back, dst);
		     n-- > 0;)
			view_add(&ppage_at(mm->id, dst[n])->w[word], id);
	/* reclaim discarded the lazyfree page already and this store went into a
	 * fresh page (another frame than the lazyfree one; or migrated: the other
	 * words may read either) — also while a MADV_FREE is in flight, the first
	 * (its page already made lazyfree and discarded before it returns) or a
	 * second one (which may make this fresh page lazyfree in its turn): the
	 * fresh page's other words read zero without another discard */
	bool lazy_page = pp->lazy || (pp->discarding && pp->lazy_pfn);
	if (lazy_page && (pfn + 1 != pp->lazy_pfn || pfn_page(pfn)->gen != pp->lazy_gen))
		for (int w = 0; w < W; w++)
			if (w != word)
				view_add(&pp->w[w], ORIGIN_BACKING);
	if (!pp->discarding) /* dirty again: reclaim must keep the page */
		pp->lazy = false;
	/* a private file page is the process's own from now on (while a discard or
	 * a move onto it is in flight, its other words may also still follow the
	 * file: the store may have gone into the page that call is replacing) */
	if (at->file >= 0)
		ppage_own(pp, at, word, cow_since(pp), pp->discarding || pp->remapping);
	int child = D.fork_child[mm->id] - 1;
	if (child >= 0) /* fork in flight: the child may get this store or the one before */
		view_add(&ppage_at(child, addr)->w[word], id);
}

/* ---- verdicts ----------------------------------------------------------------------- */

static bool site_is_dma(const struct sched_site *site)
{
	return site == &hw_site_dma_read || site == &hw_site_dma_write;
}

/*
 * @agent (a device if @device) read @val, of origin @origin, at @addr of @mm,
 * where @at says the view.  Reports the verdict of a mismatch.
 */
static void data_mismatch(int agent, bool device, const struct mm_struct *mm, unsigned long addr,
			  const struct where *at, uint32_t origin, uint64_t val,
			  const struct sched_site *site)
{
	const struct ostore *got = store_of(origin);
	if (got && got->through_private && (got->mm != mm->id || at->shared)) {
		sched_finding(
		    mm_oracle_names[ORACLE_ISOLATION], site, got->site, 1u << agent,
		    "%s%s reads %llu at P%d 0x%lx, which P%d stored through its private mapping",
		    sched_agent_name(agent), device ? " (DMA)" : "", (unsigned long long)val,
		    mm->id, addr, got->mm);
		return;
	}
	if (got && got->mm == mm->id && got->addr / PAGE_SIZE == addr / PAGE_SIZE &&
	    view_has(at->v, ORIGIN_BACKING)) {
		/* the process discarded the page since that store, and it came back */
		sched_finding(mm_oracle_names[ORACLE_POSTCONDITION], site, got->site, 1u << agent,
			      "%s%s reads %llu at P%d 0x%lx, stored there before the page was "
			      "discarded (MADV_DONTNEED, munmap): it should read %s",
			      sched_agent_name(agent), device ? " (DMA)" : "",
			      (unsigned long long)val, mm->id, addr,
			      at->file < 0 ? "zero" : "the file's data");
		return;
	}
	const struct ostore *sh = view_last_store(at->v);
	bool dma = device || (sh && sh->kind == STORE_DEVICE) || (got && got->kind == STORE_DEVICE);
	if (!sh) {
		sched_finding(mm_oracle_names[dma ? ORACLE_PIN_COHERENCE : ORACLE_LOST_WRITE], site,
			      NULL, 1u << agent,
			      "%s %s %llu from P%d 0x%lx, but nothing stored that there (it holds "
			      "%s)",
			      sched_agent_name(agent), device ? "(DMA) reads" : "loads",
			      (unsigned long long)val, mm->id, addr,
			      at->file < 0 ? "zero" : "the file's data");
		return;
	}
	sched_finding(mm_oracle_names[dma ? ORACLE_PIN_COHERENCE : ORACLE_LOST_WRITE], site,
		      sh->site, 1u << sh->agent,
		      "%s %s %llu from P%d 0x%lx, but the last store there was %llu (by %s%s at "
		      "step %u)",
		      sched_agent_name(agent), device ? "(DMA) reads" : "loads",
		      (unsigned long long)val, mm->id, addr, (unsigned long long)sh->value,
		      sched_agent_name(sh->agent), sh->kind == STORE_DEVICE ? " (DMA)" : "",
		      sh->step);
}

/*
 * Could @child's fork have copied @origin (a device store through @parent's pin)
 * into the frame @pfn the child reads: a copy, and the store made before that
 * fork returned or while it is in flight?  (Fork copies a pinned page for the
 * child: what a device wrote through the pin before is the child's data too.)
 */
static bool fork_copied(int child, int parent, uint32_t origin, uint32_t pfn)
{
	/* the child reads a copy, not the pinned frame itself (which a fork that
	 * shared it, the bug of fork-share-pinned, would have it read) */
	if (store_of(origin)->dev_pfn1 == pfn + 1)
		return false;
	if (D.fork_child[parent] - 1 == child)
		return true;
	return D.fork_stores[child] && origin - ORIGIN_STORE0 < D.fork_stores[child] - 1;
}

static void data_check(int agent, bool device, struct mm_struct *mm, unsigned long addr,
		       uint32_t pfn, uint64_t val, const struct sched_site *site)
{
	int word = (int)(addr % PAGE_SIZE / sizeof(uint64_t));
	uint32_t origin = data_frame[pfn][word];
	SCHED_ASSERT(origin_value(origin) == val); /* a payload change the layer missed */
	struct where at;
	if (!where_of(mm, addr, &at))
		return; /* unmapped meanwhile: a racing munmap, the process's own doing */
	if (view_accepts(&at, at.v, word, origin)) {
		/* a lazyfree page that reads its backing was discarded: from now on it is
		 * a fresh page, whatever it held before — but for a word stored since the
		 * MADV_FREE entered: that store may have made the fresh page (the
		 * MADV_FREE dropped a swap entry or a page the store then faulted in) */
		if (at.pp && at.pp->lazy && !at.pp->discarding && !view_has(at.v, origin) &&
		    !view_has(at.v, ORIGIN_BACKING) && backing_accepts(&at, word, origin)) {
			for (int w = 0; w < W; w++) {
				if (at.pp->last_clock[w] > at.pp->lazy_enter)
					view_add(&at.pp->w[w], ORIGIN_BACKING);
				else
					view_set(&at.pp->w[w], ORIGIN_BACKING);
			}
			at.pp->lazy = false;
		}
		/* a page that reads its backing while a discard is in flight was
		 * discarded: every word of it may read its backing from now on */
		if (at.pp && at.pp->discarding && !view_has(at.v, origin) &&
		    backing_accepts(&at, word, origin))
			widen(mm->id, addr);
		return;
	}
	/*
	 * A CPU reads the lazyfree frame reclaim discarded — its PTE cleared, the
	 * frame not yet freed: the batched flush that ends the discard is still to
	 * come — through a TLB entry filled before: whatever the frame holds, the
	 * process's own data from before the discard, which MADV_FREE allows it to
	 * see until the flush, even after another CPU read the fresh page's zero (or
	 * stored into it).  The frame is the one MADV_FREE found at its entry
	 * (lazy_pfn), or a frame still allocated and marked lazyfree that holds the
	 * process's own data of this page (MADV_FREE may have found another frame
	 * there than at its entry: a swap-in raced it; a fork child shares its
	 * parent's lazyfree frame, and the parent's stores before the fork are the
	 * child's data too).
	 */
	const struct folio *frame = page_folio(pfn_page(pfn));
	const struct ostore *own = store_of(origin);
	bool lazyfree_frame =
	    frame->allocated && (frame->flags >> PG_anon & 1u) &&
	    !(frame->flags >> PG_swapbacked & 1u) &&
	    (!own || ((own->mm == mm->id || fork_copied(mm->id, own->mm, origin, pfn)) &&
		      own->addr / PAGE_SIZE == addr / PAGE_SIZE));
	if (at.pp && ((at.pp->lazy_pfn == pfn + 1 && pfn_page(pfn)->gen == at.pp->lazy_gen) ||
		      lazyfree_frame)) {
		pte_t now = pte_oracle_get(mm, addr);
		if (!pte_present(now) || pte_pfn(now) != pfn)
			return;
	}
	/*
	 * The process (or the device, through the pin) reads, at the address of the
	 * pin, the very frame a device wrote the word into through that pin: the
	 * process's data, also when the device's write could not tell (the PTE
	 * cleared for a moment by a migration that then fails on the pin, or the pin
	 * taken while a call changed the address and the page then stayed there) —
	 * or a child of the process reads it in the copy its fork made of the pinned
	 * page.  From then on the word's view holds it.
	 */
	const struct ostore *got = store_of(origin);
	if (at.pp && got && got->kind == STORE_DEVICE && got->pin_mm >= 0 &&
	    got->addr / PAGE_SIZE == addr / PAGE_SIZE &&
	    (got->pin_mm == mm->id || fork_copied(mm->id, got->pin_mm, origin, pfn))) {
		view_add(&at.pp->w[word], origin);
		return;
	}
	data_mismatch(agent, device, mm, addr, &at, origin, val, site);
}

/* ---- accesses ------------------------------------------------------------------------ */

static void data_store(int agent, enum store_kind kind, struct mm_struct *mm, unsigned long addr,
		       uint32_t pfn, uint64_t val, const struct sched_site *site)
{
	int word = (int)(addr % PAGE_SIZE / sizeof(uint64_t));
	struct where at;
	bool mapped = where_of(mm, addr, &at);
	uint32_t id = store_new(agent, mm->id, addr, val, mapped && !at.shared, kind, site);
	data_frame[pfn][word] = id;
	const struct folio *page = pfn_page(pfn), *folio = page_folio(page);
	bool cache = folio->mapping && !(folio->flags >> PG_anon & 1u);
	/* (while a call of the process replaces the mapping, a store may still go
	 * through the old one's TLB entry: racing, not a private store) */
	if (mapped && !at.shared && cache && !ppage_at(mm->id, addr)->remapping) {
		/* the other party: whoever mapped the page-cache page there */
		uint32_t mask;
		const struct sched_site *mapper = oracle_pte_writer(mm, addr, &mask);
		sched_finding(mm_oracle_names[ORACLE_ISOLATION], site, mapper, mask | 1u << agent,
			      "%s stores %llu at P%d 0x%lx through a MAP_PRIVATE mapping into "
			      "page-cache frame %u (F%d block %lu): every mapping of the file "
			      "and the file itself see it",
			      sched_agent_name(agent), (unsigned long long)val, mm->id, addr, pfn,
			      folio->mapping->id, folio->index);
		return;
	}
	if (cache) {
		/* a page-cache page is its file's block, whichever address or mapping
		 * the store went through (a stale TLB entry, a moved VMA, none) */
		at = (struct where){.file = folio->mapping->id,
				    .index = folio->index + page->page_idx,
				    .shared = true};
		at.v = &fpage_at(at.file, at.index)->v[word];
	} else if (!mapped || at.shared) {
		/* no VMA there right now (mremap moving it, a racing munmap): the
		 * page the address had */
		at = (struct where){.pp = ppage_at(mm->id, addr), .file = -1};
		at.v = &at.pp->w[word];
	}
	/* a kernel store through a reference taken before a discard of the page
	 * returned may have landed in the discarded page: then the page holds what
	 * it held, or its backing */
	bool stale = kind == STORE_KERNEL && at.pp &&
		     at.pp->range_clock > oracle_op_enter_clock(sched_current());
	struct view before = *at.v;
	bool followed[W] = {false}; /* the words that may still follow the file */
	for (int w = 0; stale && w < W; w++)
		followed[w] = view_has(&at.pp->w[w], ORIGIN_BACKING);
	view_store(mm, addr, &at, word, id, pfn);
	if (stale) {
		view_union(at.v, &before);
		view_add(at.v, ORIGIN_BACKING);
		/* nor did its COW copy (made before the discard: the page the
		 * discard dropped) freeze the process's other words: they may go on
		 * following the file */
		for (int w = 0; w < W; w++)
			if (w != word && followed[w])
				view_add(&at.pp->w[w], ORIGIN_BACKING);
	}
}

void oracle_user_store(int agent, struct mm_struct *mm, unsigned long addr, uint32_t pfn,
		       uint64_t val, const struct sched_site *site)
{
	data_store(agent, STORE_CPU, mm, addr, pfn, val, site);
}

void oracle_kernel_store(struct mm_struct *mm, unsigned long addr, uint32_t pfn, uint64_t val,
			 const struct sched_site *site)
{
	data_store(sched_current(), STORE_KERNEL, mm, addr, pfn, val, site);
}

void oracle_user_load(int agent, struct mm_struct *mm, unsigned long addr, uint32_t pfn,
		      uint64_t val, const struct sched_site *site)
{
	data_check(agent, false, mm, addr, pfn, val, site);
}

void oracle_gup_load(int agent, struct mm_struct *mm, unsigned long addr, uint32_t pfn,
		     uint64_t val, const struct sched_site *site)
{
	int word = (int)(addr % PAGE_SIZE / sizeof(uint64_t));
	uint32_t origin = data_frame[pfn][word];
	SCHED_ASSERT(origin_value(origin) == val);
	const struct ostore *got = store_of(origin);
	struct where at;
	if (!got || !got->through_private || got->mm == mm->id || !where_of(mm, addr, &at) ||
	    view_accepts(&at, at.v, word, origin))
		return;
	/* GUP-fast took its reference early: what the process could read when the
	 * GUP entered (gup_entry) is what the page it referenced may still hold */
	if (agent >= 0 && agent < SCHED_OP_AGENTS_MAX && D.gup_entry[agent].valid &&
	    D.gup_entry[agent].mm == mm->id &&
	    D.gup_entry[agent].page == (addr & ~(PAGE_SIZE - 1)) &&
	    view_has(&D.gup_entry[agent].v[word], origin))
		return;
	data_mismatch(agent, site_is_dma(site), mm, addr, &at, origin, val, site);
}

void data_range_op(const struct oracle_op *op, unsigned long start, bool enter)
{
	int mm = op->mm;
	for (unsigned long a = start; a < start + op->len && a < TASK_SIZE; a += PAGE_SIZE) {
		unsigned long p = a / PAGE_SIZE;
		struct ppage *pp = ppage_at(mm, a);
		pp->range_clock = oracle_clock();
		if (op->kind == OSYS_MMAP || (op->kind == OSYS_MREMAP && start == op->arg))
			pp->remapping += enter ? 1 : -1;
		if (enter) {
			pp->range_inflight++;
			pp->last_enter = op->enter_clock;
		} else if (--pp->range_inflight) {
			/* another call is in flight over the page as this one leaves:
			 * their windows overlap, and neither may say which came last
			 * (the other may have entered first: a munmap that found the
			 * range empty before an mremap moved a page onto it) */
			pp->last_enter = oracle_clock();
		}
		/* the process parts its address from the pin — unless it moves the page
		 * with it (mremap's source range: see data_syscall_exit()) */
		if (enter && (op->kind != OSYS_MREMAP || start != op->start) && D.ref.held &&
		    D.ref.mm == mm && D.ref.addr / PAGE_SIZE == p)
			D.ref.bound = false;
	}
}

/*
 * Is @op the last call that entered on the page at @addr, with no other in
 * flight there since it entered?  Then its return says what the page holds;
 * else another call may have acted on it after this one or may yet, and this
 * one's return only adds what the page may now read (see widen()).
 */
static bool range_owned(const struct oracle_op *op, unsigned long addr)
{
	return ppage_at(op->mm, addr)->last_enter <= op->enter_clock;
}

void oracle_pin(struct mm_struct *mm, unsigned long addr, uint32_t pfn, bool pin)
{
	const struct ppage *pp = ppage_at(mm->id, addr % TASK_SIZE);
	uint32_t since = oracle_op_enter_clock(sched_current());
	D.ref.held = true;
	D.ref.pin = pin;
	D.ref.mm = (int8_t)mm->id;
	D.ref.addr = addr;
	D.ref.pfn = pfn;
	D.ref.bound = pin && !pp->range_inflight && pp->range_clock < since;
	struct where at;
	D.ref.snap_valid = where_of(mm, addr & ~(PAGE_SIZE - 1), &at) && !at.shared;
	/* a pin through a private file mapping unshares the page (FOLL_PIN: a COW
	 * break for write, FAULT_FLAG_UNSHARE for a R/O long-term pin) */
	if (pin && D.ref.snap_valid && at.file >= 0)
		ppage_own(at.pp, &at, -1, cow_since(at.pp), true);
	for (int w = 0; D.ref.snap_valid && w < W; w++)
		D.ref.snap[w] = at.pp->w[w];
	/* the reference may have been taken early in the GUP (gup_entry, above) */
	int me = sched_current();
	if (D.ref.snap_valid && me >= 0 && me < SCHED_OP_AGENTS_MAX && D.gup_entry[me].valid &&
	    D.gup_entry[me].mm == mm->id && D.gup_entry[me].page == (addr & ~(PAGE_SIZE - 1)))
		for (int w = 0; w < W; w++)
			view_union(&D.ref.snap[w], &D.gup_entry[me].v[w]);
}

/*
 * A read through a reference that does not speak for the address (a FOLL_GET
 * reference, a pipe's): it may return what the page held when the reference was
 * taken, or anything the process itself or a device stored since — never a store
 * another process made through its private mapping (`isolation`).
 */
static void data_check_reference(int agent, uint32_t pfn, int word, uint64_t val,
				 const struct sched_site *site)
{
	uint32_t origin = data_frame[pfn][word];
	SCHED_ASSERT(origin_value(origin) == val);
	const struct ostore *got = store_of(origin);
	if (!got || !got->through_private || got->mm == D.ref.mm || !D.ref.snap_valid ||
	    D.ref.snap[word].any || view_has(&D.ref.snap[word], origin))
		return;
	sched_finding(
	    mm_oracle_names[ORACLE_ISOLATION], site, got->site, 1u << agent,
	    "%s (DMA) reads %llu at P%d 0x%lx, which P%d stored through its private mapping",
	    sched_agent_name(agent), (unsigned long long)val, D.ref.mm,
	    D.ref.addr & ~(PAGE_SIZE - 1), got->mm);
}

void oracle_unpin(void)
{
	D.ref.held = false;
}

void oracle_device_access(int agent, bool write, uint32_t pfn, int word, uint64_t val,
			  const struct sched_site *site)
{
	SCHED_ASSERT(D.ref.held && D.ref.pfn == pfn);
	struct mm_struct *mm = mm_get(D.ref.mm);
	unsigned long addr =
	    (D.ref.addr & ~(PAGE_SIZE - 1)) + (unsigned long)word * sizeof(uint64_t);
	/* a pin the process's own calls may have parted from its address still
	 * speaks for it while the page tables map the pinned frame there */
	pte_t pte = pte_oracle_get(mm, addr);
	const struct folio *page = pfn_page(pfn), *folio = page_folio(page);
	bool cache = folio->mapping && !(folio->flags >> PG_anon & 1u);
	struct where at;
	/* (not a page-cache page the address now maps through a MAP_PRIVATE
	 * mapping: the pin was taken through another mapping, and writes the file) */
	bool same = pte_present(pte) && pte_pfn(pte) == pfn &&
		    !(cache && where_of(mm, addr, &at) && !at.shared);
	bool coherent = D.ref.bound || (D.ref.pin && same);
	if (write) {
		if (coherent) {
			data_store(agent, STORE_DEVICE, mm, addr, pfn, val, site);
			return;
		}
		uint32_t id = store_new(agent, -1, addr, val, false, STORE_DEVICE, site);
		data_frame[pfn][word] = id;
		if (D.ref.pin)
			data_stores[id - ORIGIN_STORE0].pin_mm = D.ref.mm;
		data_stores[id - ORIGIN_STORE0].dev_pfn1 = pfn + 1;
		/* while the process's own call unmaps or discards the address, a CPU
		 * may still read the pinned page there through its TLB */
		struct ppage *pp = ppage_at(mm->id, addr);
		if (pp->range_inflight || pp->discarding)
			view_add(&pp->w[word], id);
		/* wherever the process maps the pinned anonymous frame (an mremap
		 * moved it), or will once an mremap in flight moves it, it reads it */
		for (unsigned long a = 0; !cache && a < TASK_SIZE; a += PAGE_SIZE) {
			pte_t p = pte_oracle_get(mm, a);
			if (pte_present(p) && pte_pfn(p) == pfn)
				view_add(&ppage_at(mm->id, a)->w[word], id);
		}
		unsigned long dst[SCHED_OP_AGENTS_MAX];
		for (int n = cache ? 0
				   : mremap_inflight_dst(mm->id, addr & ~(PAGE_SIZE - 1), -1, false,
							 dst);
		     n-- > 0;)
			view_add(&ppage_at(mm->id, dst[n])->w[word], id);
		/* into a page-cache page: the file's, whoever's address it was */
		if (cache)
			fpage_store(folio->mapping->id, folio->index + page->page_idx, word, id);
		return;
	}
	if (coherent)
		data_check(agent, true, mm, addr, pfn, val, site);
	else
		data_check_reference(agent, pfn, word, val, site);
}

/* ---- system calls --------------------------------------------------------------------- */

static void data_syscall_return(const struct oracle_op *op, long ret);

void data_syscall_enter(const struct oracle_op *op)
{
	unsigned long end = op->start + op->len;
	switch (op->kind) {
	case OSYS_MMAP:
		if (!op->arg)
			break; /* a hint, or a range that must be free: nothing to discard */
			       /* fall through */
	case OSYS_MUNMAP:      /* once it releases the range, a stack may grow into it */
	case OSYS_MADV_DONTNEED:
	case OSYS_MADV_FREE:
		for (unsigned long a = op->start; a < end && a < TASK_SIZE; a += PAGE_SIZE) {
			struct ppage *pp = ppage_at(op->mm, a);
			pp->discarding++;
			if (op->kind != OSYS_MADV_FREE)
				continue;
			/* the frame MADV_FREE makes lazyfree (see view_store()) */
			pte_t pte = pte_oracle_get(mm_get(op->mm), a);
			uint32_t lazy_pfn = pte_present(pte) ? pte_pfn(pte) + 1 : 0;
			uint32_t lazy_gen = pte_present(pte) ? pfn_page(pte_pfn(pte))->gen : 0;
			/* the page is lazyfree already (or another discard is in
			 * flight) and another frame is there now: reclaim discarded the
			 * one left lazyfree (or the first MADV_FREE dropped a swap
			 * entry) and a fault mapped a fresh one, whose words read zero
			 * (no store since, or the page would not be lazy) —
			 * only the words that do (a migration's or KSM's frame holds
			 * copies: nothing new) */
			if (lazy_pfn && (pp->lazy || pp->discarding > 1) &&
			    (lazy_pfn != pp->lazy_pfn || lazy_gen != pp->lazy_gen))
				for (int w = 0; w < W; w++)
					if (data_frame[lazy_pfn - 1][w] == ORIGIN_ZERO)
						view_add(&pp->w[w], ORIGIN_BACKING);
			pp->lazy_pfn = lazy_pfn;
			pp->lazy_gen = lazy_gen;
			if (!pp->lazy && pp->discarding == 1) /* else an earlier one's */
				pp->lazy_enter = oracle_clock();
		}
		break;
	case OSYS_FORK: {
		/* a fork whose child exists already fails (-EBUSY) and changes nothing */
		int child = (int)op->arg;
		if (!mm_get(child)->unborn)
			break;
		D.fork_op[op->agent] = true;
		for (unsigned long a = 0; a < TASK_SIZE; a += PAGE_SIZE) {
			struct ppage *to = ppage_at(child, a);
			const struct ppage *from = ppage_at(op->mm, a);
			if (D.forks_inflight[op->mm]) { /* two forks race: either may make it */
				for (int w = 0; w < W; w++)
					view_union(&to->w[w], &from->w[w]);
				lazy_inherit(to, from);
				continue;
			}
			memcpy(to->w, from->w, sizeof(to->w));
			memcpy(to->last_clock, from->last_clock, sizeof(to->last_clock));
			to->lazy = from->lazy;
			to->lazy_enter = from->lazy_enter;
		}
		D.forks_inflight[op->mm]++;
		D.fork_child[op->mm] = child + 1;
		break;
	}
	case OSYS_STORE:
	case OSYS_GUP: {
		struct where at;
		bool private =
		    where_of(mm_get(op->mm), op->start & ~(PAGE_SIZE - 1), &at) && !at.shared;
		if (op->kind == OSYS_GUP) {
			D.gup_entry[op->agent].valid = private;
			D.gup_entry[op->agent].mm = (int8_t)op->mm;
			D.gup_entry[op->agent].page = op->start & ~(PAGE_SIZE - 1);
			for (int w = 0; private && w < W; w++)
				D.gup_entry[op->agent].v[w] = at.pp->w[w];
		}
		if (!private || at.file < 0)
			break;
		D.cow[op->agent].active = true;
		D.cow[op->agent].file = at.file;
		D.cow[op->agent].index = at.index;
		D.cow[op->agent].pp = at.pp;
		const struct fpage *fp = fpage_at(at.file, at.index);
		for (int w = 0; w < W; w++) {
			D.cow[op->agent].v[w] = fp->v[w];
			view_union(&D.cow[op->agent].v[w], &fp->prev[w]);
		}
		break;
	}
	case OSYS_MREMAP: {
		D.mremap[op->agent].active = true;
		D.mremap[op->agent].mm = op->mm;
		D.mremap[op->agent].from = op->start;
		D.mremap[op->agent].to = op->arg;
		D.mremap[op->agent].len = op->len;
		/* until it returns, the new range may show the old range's data */
		for (unsigned long i = 0; i < op->len && op->arg + i < TASK_SIZE; i += PAGE_SIZE)
			for (int w = 0; w < W; w++)
				view_union(&ppage_at(op->mm, op->arg + i)->w[w],
					   &ppage_at(op->mm, op->start + i)->w[w]);
		break;
	}
	default:
		break;
	}
}

/*
 * The page at @addr of @mm now reads its backing (a discard returned): an mremap()
 * in flight with @addr in its old range may move it from now on, so its new range
 * may read the backing too (it got the old range's views at its entry, before).
 */
static void mremap_mirror_widen(int mm, unsigned long addr)
{
	unsigned long dst[SCHED_OP_AGENTS_MAX];
	for (int n = mremap_inflight_dst(mm, addr, -1, false, dst); n-- > 0;)
		widen(mm, dst[n]);
}

/*
 * The page this mremap() (@op) just moved to @addr may be moved on by another
 * mremap() of the process that entered before and is still in flight with @addr
 * in its old range: that one's new range got the old range's views at its entry,
 * before this page was there, so it may show this page's data too from now on.
 */
static void mremap_follow(const struct oracle_op *op, unsigned long addr)
{
	unsigned long dst[SCHED_OP_AGENTS_MAX];
	const struct ppage *src = ppage_at(op->mm, addr);
	for (int n = mremap_inflight_dst(op->mm, addr, op->agent, false, dst); n-- > 0;)
		for (int w = 0; w < W; w++)
			view_union(&ppage_at(op->mm, dst[n])->w[w], &src->w[w]);
}

void data_syscall_exit(const struct oracle_op *op, long ret)
{
	unsigned long end = op->start + op->len;
	data_syscall_return(op, ret);
	/* the stores that raced a discard matter only until the last one returns */
	for (unsigned long a = op->start; a < end && a < TASK_SIZE; a += PAGE_SIZE)
		if (!ppage_at(op->mm, a)->discarding)
			memset(ppage_at(op->mm, a)->during, 0, sizeof(ppage_at(op->mm, a)->during));
	if (op->kind == OSYS_MREMAP)
		D.mremap[op->agent].active = false;
	/*
	 * A GUP for write that succeeded broke COW: the page is the process's own,
	 * as after a store (unless a discard, unmap or move raced it: the copy it
	 * took may be gone).  Any other GUP of the page (a R/O pin unsharing it, a
	 * GUP that failed after its fault) may have left a copy too: the page may
	 * read it, or go on following the file.  (Only while the address is still
	 * that file page: a racing mremap may have put another there.)  So may a
	 * store that returns with its value still in the CPU's store buffer
	 * (memory arm64): its fault made the copy, its value comes later (a store
	 * already visible owned the page then, and this changes nothing).
	 */
	const struct ppage *cow_pp = D.cow[op->agent].pp;
	struct where at;
	if ((op->kind == OSYS_GUP || op->kind == OSYS_STORE) && D.cow[op->agent].active &&
	    where_of(mm_get(op->mm), op->start & ~(PAGE_SIZE - 1), &at) && at.pp == cow_pp &&
	    !at.shared && at.file == D.cow[op->agent].file && at.index == D.cow[op->agent].index) {
		bool settled = op->kind == OSYS_GUP && op->arg && ret == 0 &&
			       !at.pp->range_inflight && !at.pp->discarding &&
			       at.pp->range_clock < op->enter_clock;
		ppage_own(at.pp, &at, -1, cow_since(at.pp), !settled);
	}
	if (op->kind == OSYS_GUP || op->kind == OSYS_STORE)
		D.cow[op->agent].active = false;
	if (op->kind == OSYS_GUP)
		D.gup_entry[op->agent].valid = false;
}

static void data_syscall_return(const struct oracle_op *op, long ret)
{
	unsigned long end = op->start + op->len;
	/* a call that failed may have acted on part of its range first (mremap
	 * unmaps its destination before it looks at its source; MAP_FIXED unmaps
	 * what it replaces): what it touched may read its backing */
	bool replaces = op->kind == OSYS_MMAP && op->arg; /* MAP_FIXED */
	if (ret < 0 && (op->kind == OSYS_MREMAP || op->kind == OSYS_MUNMAP || replaces))
		for (unsigned long i = 0; i < op->len; i += PAGE_SIZE) {
			if (op->start + i < TASK_SIZE)
				widen(op->mm, op->start + i);
			if (op->kind == OSYS_MREMAP && op->arg + i < TASK_SIZE)
				widen(op->mm, op->arg + i);
		}
	/* a fork in flight may have taken the mm before this discard (or move) or
	 * after it */
	int child = D.fork_child[op->mm] - 1;
	if (child >= 0 &&
	    (op->kind == OSYS_MUNMAP || op->kind == OSYS_MADV_DONTNEED ||
	     op->kind == OSYS_MADV_FREE || replaces || (op->kind == OSYS_MREMAP && ret >= 0)))
		for (unsigned long a = op->start; a < end && a < TASK_SIZE; a += PAGE_SIZE)
			widen(child, a);
	switch (op->kind) {
	case OSYS_MMAP:
		for (unsigned long a = op->start; replaces && a < end && a < TASK_SIZE;
		     a += PAGE_SIZE)
			ppage_at(op->mm, a)->discarding--;
		for (unsigned long a = (unsigned long)ret;
		     ret >= 0 && a < (unsigned long)ret + op->len && a < TASK_SIZE;
		     a += PAGE_SIZE) {
			bool owned = range_owned(op, a);
			/* a call in flight over the page when this one mapped it (a
			 * hint's range is known only now) no longer says, at its
			 * return, what the page holds */
			ppage_at(op->mm, a)->last_enter = oracle_clock();
			/* nor while another call putting a mapping there (an mremap's
			 * destination) is in flight: it may come before or after */
			if (owned && !ppage_at(op->mm, a)->remapping) {
				/* a store made once the VMA was in, before the return,
				 * stays */
				struct ppage *pp = ppage_at(op->mm, a);
				ppage_reset_keeping(pp, pp->w, op->enter_clock);
			} else {
				widen(op->mm, a);
			}
		}
		break;
	case OSYS_MUNMAP:
		for (unsigned long a = op->start; a < end && a < TASK_SIZE; a += PAGE_SIZE)
			ppage_at(op->mm, a)->discarding--;
		/* (an mremap moving a page here may have done so before or after) */
		for (unsigned long a = op->start; ret == 0 && a < end && a < TASK_SIZE;
		     a += PAGE_SIZE) {
			struct ppage *pp = ppage_at(op->mm, a);
			if (!range_owned(op, a) || pp->remapping) {
				widen(op->mm, a);
				continue;
			}
			/* once munmap released the range a stack may grow into it: a
			 * store made there before the return stays (as for DONTNEED) */
			ppage_reset_keeping(pp, pp->during, op->enter_clock);
		}
		break;
	case OSYS_MADV_DONTNEED:
		for (unsigned long a = op->start; a < end && a < TASK_SIZE; a += PAGE_SIZE) {
			struct ppage *pp = ppage_at(op->mm, a);
			pp->discarding--;
			mremap_mirror_widen(op->mm, a);
			if (ret || !range_owned(op, a)) {
				/* -ENOMEM for a hole in the range: the mapped parts were
				 * discarded, or some of them (the model stops at the
				 * error): either; likewise with a later call racing */
				widen(op->mm, a);
				continue;
			}
			/* the page reads its backing now, or a store made while the
			 * discard was in flight (which may have come after it) */
			for (int w = 0; w < W; w++) {
				/* (whole: a snapshot compares views byte for byte) */
				struct view v = {0};
				view_set(&v, ORIGIN_BACKING);
				if (pp->last_clock[w] > op->enter_clock)
					view_union(&v, &pp->during[w]);
				pp->w[w] = v;
			}
			pp->lazy = false;
		}
		break;
	case OSYS_MADV_FREE:
		for (unsigned long a = op->start; a < end && a < TASK_SIZE; a += PAGE_SIZE) {
			struct ppage *pp = ppage_at(op->mm, a);
			pp->discarding--;
			/* (an error for a hole in the range: the mapped parts may be
			 * lazyfree all the same) */
			if (vma_lookup_oracle(mm_get(op->mm), a) &&
			    !vma_lookup_oracle(mm_get(op->mm), a)->vm_file)
				pp->lazy = true;
		}
		break;
	case OSYS_MREMAP:
		if (ret < 0)
			break;
		/* a pin is on the page, not the address: it follows the move — and no
		 * longer speaks for the address it lands on if another call there (a
		 * MAP_FIXED, a munmap) is in flight or entered since this one did */
		if (D.ref.held && D.ref.mm == op->mm && D.ref.addr >= op->start &&
		    D.ref.addr < end) {
			D.ref.addr += (unsigned long)ret - op->start;
			const struct ppage *dst = ppage_at(op->mm, D.ref.addr % TASK_SIZE);
			if (dst->range_inflight || dst->last_enter > op->enter_clock)
				D.ref.bound = false;
		}
		for (unsigned long i = 0; i < op->len; i += PAGE_SIZE) {
			if (op->start + i >= TASK_SIZE || (unsigned long)ret + i >= TASK_SIZE)
				break;
			struct ppage *from = ppage_at(op->mm, op->start + i);
			struct ppage *to = ppage_at(op->mm, (unsigned long)ret + i);
			bool own_to = range_owned(op, (unsigned long)ret + i);
			bool own_from = range_owned(op, op->start + i);
			for (int w = 0; w < W; w++) {
				/* a store to the new address while the move was in flight
				 * stays possible beside what the old address held (and all
				 * of it while a later call races the move) */
				struct view v = from->w[w];
				if (!own_to || to->last_clock[w] > op->enter_clock)
					view_union(&v, &to->w[w]);
				to->w[w] = v;
				to->last_clock[w] = from->last_clock[w];
			}
			lazy_inherit(to, from);
			/* a store or pin in flight on a private file page may have made
			 * its COW copy before the move, and the move took the copy: the
			 * new address may read it, or follow the file (the store itself
			 * may yet fail, its address gone) */
			struct where at;
			const struct view *copy = cow_since(from);
			if (copy && where_of(mm_get(op->mm), (unsigned long)ret + i, &at) &&
			    !at.shared && at.file >= 0)
				ppage_own(to, &at, -1, copy, true);
			/* a fork in flight may take the mm after the move */
			if (child >= 0) {
				struct ppage *ct = ppage_at(child, (unsigned long)ret + i);
				for (int w = 0; w < W; w++)
					view_union(&ct->w[w], &to->w[w]);
				lazy_inherit(ct, to);
			}
			if (own_from)
				ppage_reset(from);
			else
				widen(op->mm, op->start + i);
			/* (after the old address is reset: it may be where the other
			 * mremap moves the page back to) */
			mremap_follow(op, (unsigned long)ret + i);
		}
		break;
	case OSYS_FORK:
		if (!D.fork_op[op->agent])
			break;
		D.fork_op[op->agent] = false;
		if (!--D.forks_inflight[op->mm])
			D.fork_child[op->mm] = 0;
		if (!ret)
			D.fork_stores[op->arg] = D.nr_stores + 1;
		/* fork took the mm at some instant of its call: the child may hold what
		 * the parent held at its entry (copied then), or anything since */
		for (unsigned long a = 0; !ret && a < TASK_SIZE; a += PAGE_SIZE) {
			for (int w = 0; w < W; w++)
				view_union(&ppage_at((int)op->arg, a)->w[w],
					   &ppage_at(op->mm, a)->w[w]);
			/* (so may a lazyfree page: an mremap moved one there since) */
			lazy_inherit(ppage_at((int)op->arg, a), ppage_at(op->mm, a));
			/* a call of the parent still unmapping or discarding the page may
			 * have done so before fork took the mm */
			if (ppage_at(op->mm, a)->range_inflight || ppage_at(op->mm, a)->discarding)
				widen((int)op->arg, a);
		}
		/* a fork that failed half-way leaves a child with part of the memory
		 * (the model's choice, see fork.c): it owes the parent's nothing */
		for (unsigned long a = 0; ret == -ENOMEM && a < TASK_SIZE; a += PAGE_SIZE)
			for (int w = 0; w < W; w++)
				ppage_at((int)op->arg, a)->w[w].any = true;
		break;
	default:
		break;
	}
}

/* ---- quiescence -------------------------------------------------------------------------- */

SCHED_SITE_GLOBAL(site_final_sync, "mm_quiesce", "final_sync");

void data_final_sync(void)
{
	if (!site_final_sync.id)
		sched_site_init(&site_final_sync);
	for (int f = 0; f < NR_FILES; f++)
		for (uint32_t valid = data_file_valid[f]; valid; valid &= valid - 1)
			for (int w = 0, p = __builtin_ctz(valid); w < W; w++) {
				/* (a block not valid in this generation is untouched: the
				 * original one) */
				const struct view *v = &data_file[f][p].v[w];
				uint32_t origin = data_file[f][p].disk[w];
				uint64_t disk = mapping_peek(f)->disk[p][w];
				SCHED_ASSERT(origin_value(origin) == disk);
				if (v->any || view_has(v, origin))
					continue;
				const struct ostore *got = store_of(origin);
				if (got && got->through_private) {
					sched_finding(
					    mm_oracle_names[ORACLE_ISOLATION], &site_final_sync,
					    got->site, 1u << got->agent,
					    "F%d page %d word %d: disk has %llu after the "
					    "final sync, stored through P%d's MAP_PRIVATE "
					    "mapping at 0x%lx (by %s at step %u)",
					    f, p, w, (unsigned long long)disk, got->mm, got->addr,
					    sched_agent_name(got->agent), got->step);
					return;
				}
				const struct ostore *sh = view_last_store(v);
				if (!sh) {
					sched_finding(
					    mm_oracle_names[ORACLE_LOST_WRITE], &site_final_sync,
					    got ? got->site : NULL, got ? 1u << got->agent : 0,
					    "F%d page %d word %d: disk has %llu after the final "
					    "sync, which no store to the file made (it should "
					    "hold its original %llu)",
					    f, p, w, (unsigned long long)disk,
					    (unsigned long long)origin_value(ORIGIN_FILE(f, p, w)));
					return;
				}
				sched_finding(
				    mm_oracle_names[ORACLE_LOST_WRITE], &site_final_sync, sh->site,
				    1u << sh->agent,
				    "F%d page %d word %d: disk has %llu after the final "
				    "sync, but the last store was %llu (by %s at step %u)",
				    f, p, w, (unsigned long long)disk,
				    (unsigned long long)sh->value, sched_agent_name(sh->agent),
				    sh->step);
				return;
			}
}
