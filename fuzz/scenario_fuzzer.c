/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for our own input parsers (tools/scenario.c), not for the MM model.
 * Each input is used twice:
 *
 *   as text    scn_parse either accepts it, and then print -> parse gives an equal
 *              scenario that encodes and decodes losslessly, or rejects it with a
 *              message "NAME:LINE: something" where LINE is a line of the input;
 *   as bytes   scn_decode gives a scenario that prints, parses back equal, and
 *              encodes and decodes back equal.
 *
 * Any violation abort()s with the evidence on stderr.  Leaves out: semantic replay
 * (the scenario is never run) and the size cap of scn_load (inputs come in memory).
 *
 *   clang -fsanitize=fuzzer,address,undefined tools/scenario.c core/knobs.c \
 *         core/oracle.c fuzz/scenario_fuzzer.c -o scenario_fuzzer
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/scenario.h"

#define NAME "fuzz.sched"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static void violation(const char *what, const char *detail,
						const struct scenario *s)
{
	fprintf(stderr, "scenario_fuzzer: %s\n%s\n", what, detail ? detail : "");
	if (s) {
		fputs("--- scenario ---\n", stderr);
		scn_print(s, stderr);
	}
	abort();
}

/* print -> parse -> equal, and encode -> decode -> equal. */
static void check_roundtrips(const struct scenario *s)
{
	static uint8_t enc[SCN_ENCODED_MAX];
	struct scenario back;
	char err[256];
	char *text = NULL;
	size_t text_len = 0, n;
	FILE *f = open_memstream(&text, &text_len);

	if (!f)
		abort();
	scn_print(s, f);
	if (fclose(f))
		abort();
	if (!scn_parse(&back, text, text_len, "printed", err, sizeof(err)))
		violation("printed scenario does not parse", err, s);
	if (!scn_equal(s, &back))
		violation("print -> parse changed the scenario", text, s);
	free(text);

	n = scn_encode(s, enc, sizeof(enc));
	if (!n)
		violation("scn_encode needs more than SCN_ENCODED_MAX bytes", NULL, s);
	scn_decode(&back, enc, n);
	if (!scn_equal(s, &back))
		violation("encode -> decode changed the scenario", NULL, s);
}

/* "NAME:LINE: message" with 1 <= LINE <= lines in the input (at least 1). */
static void check_error(const char *err, const uint8_t *data, size_t size)
{
	size_t lines = 1, name_len = strlen(NAME);
	unsigned long line;
	char *end;

	for (size_t i = 0; i + 1 < size; i++)
		lines += data[i] == '\n';
	if (strncmp(err, NAME ":", name_len + 1))
		violation("error does not start with the name", err, NULL);
	if (err[name_len + 1] < '1' || err[name_len + 1] > '9')
		violation("error has no line number", err, NULL);
	line = strtoul(err + name_len + 1, &end, 10);
	if (end[0] != ':' || end[1] != ' ' || end[2] == '\0')
		violation("error has no ': message' after the line", err, NULL);
	if (line > lines)
		violation("error names a line past the end of the input", err, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario s;
	char err[256];

	memset(err, 0, sizeof(err));
	if (scn_parse(&s, (const char *)data, size, NAME, err, sizeof(err)))
		check_roundtrips(&s);
	else
		check_error(err, data, size);

	scn_decode(&s, data, size);
	check_roundtrips(&s);
	return 0;
}
