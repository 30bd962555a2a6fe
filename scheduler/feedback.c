/* SPDX-License-Identifier: MIT */
/*
 * Interleaving feedback (see feedback.h).  One pass over the trace: O(steps), with
 * an open-addressing table of the last writer per object.  The table is not
 * cleared between executions: each entry carries the execution's generation, so a
 * stale entry reads as empty (no 1024-entry reset per execution).
 */
#include "feedback.h"

#include <stdio.h>
#include <string.h>

#include "sched.h"

const char *const sched_feedback_names[SCHED_FB_COUNT] = {
#define SCHED_FB_NAME(e, n) [e##_BIT] = n,
    SCHED_FEEDBACKS(SCHED_FB_NAME)
#undef SCHED_FB_NAME
};

bool sched_feedback_parse(const char *list, uint32_t *kinds, char *err, size_t err_bytes)
{
	*kinds = 0;
	if (!strcmp(list, "all")) {
		*kinds = SCHED_FB_ALL;
		return true;
	}
	if (!strcmp(list, "none"))
		return true;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		int k = 0;
		while (k < SCHED_FB_COUNT && (strlen(sched_feedback_names[k]) != n ||
					      strncmp(p, sched_feedback_names[k], n)))
			k++;
		if (n && k == SCHED_FB_COUNT) {
			snprintf(err, err_bytes,
				 "unknown feedback '%.*s' (all, none, switch, rf, precursor)",
				 (int)n, p);
			return false;
		}
		if (n)
			*kinds |= 1u << k;
		p += n + (p[n] == ',');
	}
	return true;
}

struct last_writer {
	uint32_t gen; /* execution that wrote the entry; other values: empty */
	uint32_t obj;
	uint32_t site;
	uint8_t agent;
};

static struct last_writer writers[SCHED_FB_OBJECTS_MAX];
static uint32_t generation;

static uint32_t mix(uint32_t a, uint32_t b, uint32_t kind)
{
	uint32_t h = a * 0x9e3779b1u ^ (b * 0x85ebca77u) ^ (kind * 0xc2b2ae3du);
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	return h ^ (h >> 12);
}

/* The entry of @obj, claimed when absent; NULL when the table is full. */
static struct last_writer *writer_of(uint32_t obj)
{
	uint32_t i = mix(obj, 0, 0) % SCHED_FB_OBJECTS_MAX;
	for (uint32_t probes = 0; probes < SCHED_FB_OBJECTS_MAX; probes++) {
		struct last_writer *w = &writers[i];
		if (w->gen != generation) {
			*w =
			    (struct last_writer){.gen = generation, .obj = obj, .agent = UINT8_MAX};
			return w;
		}
		if (w->obj == obj)
			return w;
		i = (i + 1) % SCHED_FB_OBJECTS_MAX;
	}
	return NULL;
}

enum { FEATURE_SWITCH = 1, FEATURE_READ_FROM, FEATURE_WRITE_AFTER, FEATURE_PRECURSOR };

static struct {
	uint32_t id, site;
} precursors[SCHED_FB_PRECURSORS_MAX];
static int precursors_count;

void sched_precursors_reset(void)
{
	precursors_count = 0;
}

int sched_precursors_count(void)
{
	return precursors_count;
}

void sched_precursor(uint32_t id)
{
	if (precursors_count == SCHED_FB_PRECURSORS_MAX)
		return;
	uint32_t step = sched_fast.step;
	uint32_t site = step && step <= SCHED_TRACE_MAX ? sched_trace_buf[step - 1].site : 0;
	precursors[precursors_count].id = id;
	precursors[precursors_count++].site = site;
}

/* What each operation does to its object, for the reads-from pairs: one load a step. */
enum { ACCESS_READS = 1, ACCESS_WRITES = 2 };
static const uint8_t op_access[256] = {
    [SCHED_OP_READ] = ACCESS_READS,
    [SCHED_OP_WRITE] = ACCESS_WRITES,
    [SCHED_OP_RMW] = ACCESS_READS | ACCESS_WRITES,
    [SCHED_OP_ACQUIRE] = ACCESS_READS,
    [SCHED_OP_RELEASE] = ACCESS_WRITES,
};

uint32_t sched_feedback(uint32_t kinds, sched_feature_fn fn, void *arg)
{
	uint32_t n, features = 0;
	const struct sched_trace_entry *t = sched_trace(&n);
	if (++generation == 0)
		generation = 1; /* 0 is what an unused entry holds */
	for (int i = 0; (kinds & SCHED_FB_PRECURSOR) && i < precursors_count; i++) {
		fn(mix(precursors[i].id, precursors[i].site, FEATURE_PRECURSOR), arg);
		features++;
	}
	bool switches = kinds & SCHED_FB_SWITCH, rf = kinds & SCHED_FB_RF;
	for (uint32_t i = 0; i < n; i++) {
		const struct sched_trace_entry *e = &t[i];
		if (switches && (e->flags & SCHED_TRACE_SWITCH) && i &&
		    e->agent != t[i - 1].agent) {
			fn(mix(t[i - 1].site, e->site, FEATURE_SWITCH), arg);
			features++;
		}
		uint8_t access = rf && e->obj ? op_access[e->op] : 0;
		if (!access)
			continue;
		bool reads = access & ACCESS_READS, writes = access & ACCESS_WRITES;
		struct last_writer *w = writer_of(e->obj);
		if (!w)
			continue;
		if (w->agent != UINT8_MAX && w->agent != e->agent) {
			fn(mix(w->site, e->site, reads ? FEATURE_READ_FROM : FEATURE_WRITE_AFTER),
			   arg);
			features++;
		}
		if (writes) {
			w->agent = e->agent;
			w->site = e->site;
		}
	}
	return features;
}
