/* SPDX-License-Identifier: MIT */
/*
 * AFL++ custom mutator library around fuzz/mutator.c (`make afl` builds
 * build/afl/mmfuzz_mutator.so; load it with AFL_CUSTOM_MUTATOR_LIBRARY).  AFL++
 * keeps its own havoc stages as well unless AFL_CUSTOM_MUTATOR_ONLY=1, which
 * campaigns, the zoo and the README set (its byte flips of a binary scenario
 * doubled the runs to the deep knobs); this adds the structural changes and
 * crossover with AFL's splice partner (add_buf).  It also tells AFL++ not to trim
 * (afl_custom_init_trim: no steps): AFL++'s trim cuts bytes out of a binary
 * scenario, each cut is another scenario and costs a whole schedule search, and
 * what it keeps is rare (every run of the search changes the coverage); the
 * mutator deletes operations and preemptions itself.  Measured on the stripped
 * scenarios (5 seeds, with AFL_FAST_CAL; bench/zoo-stripped-afl-notrim.txt): the
 * median runs to a knob fell on 17 of the 18 knobs whose runs changed, e.g.
 * contpte-lockless-no-retry 248 -> 25, ksm-wrprotect-check-before-clear 7.3k ->
 * 1.1k; zap-flush-after-unlock rose 142 -> 295.
 * MMFUZZ_PAGES and MMFUZZ_STEPS_HINT tune new operations and preemptions as in
 * the libFuzzer target, MMFUZZ_FAMILIES and MMFUZZ_FAMILY_SHARE the family
 * restarts (fuzz/mutator.h), MMFUZZ_HINTS_FILE the schedules the target's search
 * found (fuzz/schedule_search.h: the target maps the same file; without it the
 * mutator takes no hints).  The Debian package ships no afl-fuzz headers: the AFL
 * state is a void *.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mutator.h"
#include "schedule_search.h"

struct afl_mutator {
	uint64_t seed;
	uint8_t buf[SCN_ENCODED_MAX];
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
int32_t afl_custom_init_trim(void *data, uint8_t *buf, size_t buf_size);
size_t afl_custom_trim(void *data, uint8_t **out_buf);
int32_t afl_custom_post_trim(void *data, uint8_t success);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	(void)afl;
	struct afl_mutator *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->seed = seed;
	const char *pages = getenv("MMFUZZ_PAGES"), *steps = getenv("MMFUZZ_STEPS_HINT");
	if (pages && atoi(pages) >= 1 && atoi(pages) <= SCN_VA_PAGES)
		mut_pages = (uint32_t)atoi(pages);
	if (steps && atoi(steps) >= 1)
		mut_steps_hint = (uint32_t)atoi(steps);
	char err[640];
	const char *hints_file = getenv("MMFUZZ_HINTS_FILE");
	if (hints_file && *hints_file) {
		if (!search_hints_share(hints_file, err, sizeof(err))) {
			fprintf(stderr, "mmfuzz_mutator: %s\n", err);
			free(m);
			return NULL;
		}
		mut_schedule_hints = true; /* the target's search fills the file */
	}
	if (!mut_families_from_env(err, sizeof(err))) {
		fprintf(stderr, "mmfuzz_mutator: %s\n", err);
		free(m);
		return NULL; /* afl-fuzz stops: the custom mutator did not start */
	}
	return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	struct afl_mutator *m = data;
	size_t n = buf_size < sizeof(m->buf) ? buf_size : sizeof(m->buf);
	size_t max = max_size < sizeof(m->buf) ? max_size : sizeof(m->buf);
	memcpy(m->buf, buf, n);
	n = mut_mutate(m->buf, n < max ? n : max, max, m->seed++, add_buf, add_buf_size, NULL);
	*out_buf = m->buf;
	return n;
}

/* No trimming (see the top): zero steps, so afl-fuzz never calls the other two. */
int32_t afl_custom_init_trim(void *data, uint8_t *buf, size_t buf_size)
{
	(void)data;
	(void)buf;
	(void)buf_size;
	return 0;
}

size_t afl_custom_trim(void *data, uint8_t **out_buf)
{
	struct afl_mutator *m = data;
	*out_buf = m->buf;
	return 0;
}

int32_t afl_custom_post_trim(void *data, uint8_t success)
{
	(void)data;
	(void)success;
	return 1; /* done */
}

void afl_custom_deinit(void *data)
{
	free(data);
}
