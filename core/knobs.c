/* SPDX-License-Identifier: MIT */
/* The knob table (see knobs.h) and the runtime knob mask. */
#include "knobs.h"

#include <string.h>

const struct mm_knob_info mm_knob_table[KNOB_COUNT] = {
#define MM_KNOB_INFO(e, n, o, d) [e] = {n, o, d},
	MM_KNOBS(MM_KNOB_INFO)
#undef MM_KNOB_INFO
};

uint32_t mm_knobs;

int mm_knob_by_name(const char *name, unsigned len)
{
	for (int k = 0; k < KNOB_COUNT; k++)
		if (strlen(mm_knob_table[k].name) == len && !memcmp(mm_knob_table[k].name, name, len))
			return k;
	return -1;
}
