/* SPDX-License-Identifier: MIT */
/* Running the fuzz engines: shared by campaign and zoo (see engine.h). */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool engine_report_scenario(const char *path, struct scenario *s, char *err, size_t err_bytes)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_bytes, "%s: cannot read", path);
		return false;
	}
	/* a report is a few hundred bytes: SCN_OPS_MAX lines and the preemptions */
	static char text[65536];
	size_t len = 0;
	bool in = false, complete = false;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "==mmfuzz== scenario", 19)) {
			in = true;
			continue;
		}
		if (in && !strncmp(line, "==mmfuzz== end", 14)) {
			complete = true;
			break;
		}
		size_t n = strlen(line);
		if (in && len + n < sizeof(text)) {
			memcpy(text + len, line, n);
			len += n;
		}
	}
	fclose(f);
	if (!complete) {
		snprintf(err, err_bytes, "%s: no complete ==mmfuzz== report", path);
		return false;
	}
	return scn_parse(s, text, len, path, err, err_bytes);
}

void engine_afl_environment(const char *mutator_path, const char *hints_path)
{
	setenv("AFL_CUSTOM_MUTATOR_LIBRARY", mutator_path, 1);
	setenv("MMFUZZ_HINTS_FILE", hints_path, 1);
	const char *only = getenv("AFL_CUSTOM_MUTATOR_ONLY"); /* afl-fuzz: set = on */
	if (only && !strcmp(only, "0"))
		unsetenv("AFL_CUSTOM_MUTATOR_ONLY"); /* AFL++'s havoc asked for */
	else
		setenv("AFL_CUSTOM_MUTATOR_ONLY", "1", 1);
	setenv("AFL_FAST_CAL", "1", 0); /* 3 calibration runs, not up to 40 (see engine.h) */
	setenv("AFL_NO_UI", "1", 1);
	setenv("AFL_SKIP_CPUFREQ", "1", 1);
	setenv("AFL_NO_AFFINITY", "1", 1);
	setenv("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1", 1);
}
