/* SPDX-License-Identifier: MIT */
/*
 * main() of the AFL++ target (`make afl`): persistent mode with shared-memory test
 * cases around the libFuzzer entry points of mm_fuzzer.c, so both engines run the
 * same harness (knobs from MMFUZZ_KNOBS, a finding prints the scenario and aborts).
 *
 * Built without afl-cc (or run outside afl-fuzz) it reads each FILE argument, or
 * stdin when there is none, and runs it once: the way to replay a crash,
 *   build/afl/mm_fuzzer_afl out/default/crashes/id:000000*
 * prints the finding and the scenario as .sched text.
 *
 * Not linked into the OSS-Fuzz build, where the engine's driver (libAFLDriver.a,
 * libFuzzer) provides main().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tools/scenario.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

/* Inputs beyond this are cut: every prefix of an input is an input. */
#define INPUT_MAX (4 * SCN_ENCODED_MAX)

static int run_file(FILE *f, const char *name)
{
	static uint8_t buf[INPUT_MAX];
	size_t n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		fprintf(stderr, "mm_fuzzer_afl: %s: cannot read\n", name);
		return 2;
	}
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
#ifdef __AFL_FUZZ_TESTCASE_LEN
	if (getenv("__AFL_SHM_ID") || getenv("AFL_PERSISTENT")) {
		__AFL_INIT();
		unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
		while (__AFL_LOOP(100000)) {
			int len = __AFL_FUZZ_TESTCASE_LEN;
			LLVMFuzzerTestOneInput(buf, (size_t)len);
		}
		return 0;
	}
#endif
	if (argc < 2)
		return run_file(stdin, "stdin");
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "mm_fuzzer_afl: %s: cannot open\n", argv[i]);
			return 2;
		}
		int rc = run_file(f, argv[i]);
		fclose(f);
		if (rc)
			return rc;
	}
	return 0;
}
