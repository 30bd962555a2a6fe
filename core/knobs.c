/* SPDX-License-Identifier: MIT */
/* The knob table (see knobs.h) and the runtime knob mask. */
#include "knobs.h"

#include <stdio.h>
#include <string.h>

const struct mm_knob_info mm_knob_table[KNOB_COUNT] = {
#define MM_KNOB_INFO(e, n, o, d) [e] = {n, o, d},
    MM_KNOBS(MM_KNOB_INFO)
#undef MM_KNOB_INFO
};

uint64_t mm_knobs;

int mm_knob_by_name(const char *name, unsigned len)
{
	for (int k = 0; k < KNOB_COUNT; k++)
		if (strlen(mm_knob_table[k].name) == len &&
		    !memcmp(mm_knob_table[k].name, name, len))
			return k;
	return -1;
}

bool mm_knobs_parse(const char *list, uint64_t *mask, char *err, unsigned err_bytes)
{
	*mask = 0;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		unsigned len = end ? (unsigned)(end - p) : (unsigned)strlen(p);
		if (len) {
			int k = mm_knob_by_name(p, len);
			if (k < 0) {
				snprintf(err, err_bytes, "unknown knob '%.*s'", (int)len, p);
				return false;
			}
			*mask |= KNOB_BIT(k);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return true;
}
