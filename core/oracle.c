/* SPDX-License-Identifier: MIT */
/* The oracle name table (see oracle.h). */
#include "oracle.h"

#include <string.h>

const char *const mm_oracle_names[ORACLE_COUNT] = {
#define MM_ORACLE_NAME(e, n) [e] = n,
    MM_ORACLES(MM_ORACLE_NAME)
#undef MM_ORACLE_NAME
};

int mm_oracle_by_name(const char *name)
{
	for (int o = 0; o < ORACLE_COUNT; o++)
		if (!strcmp(mm_oracle_names[o], name))
			return o;
	return -1;
}
