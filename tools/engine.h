/* SPDX-License-Identifier: MIT */
/*
 * What `mmfuzz campaign` and `mmfuzz zoo` share about running the fuzz engines'
 * own binaries: AFL++'s environment, and the harness's finding report
 * (fuzz/mm_fuzzer.c) as it appears in an engine's log: "==mmfuzz== FINDING ...",
 * then the scenario exactly as it ran, as .sched text between "==mmfuzz==
 * scenario" and "==mmfuzz== end of scenario", which the tools replay in-process.
 */
#ifndef MMFUZZ_ENGINE_H
#define MMFUZZ_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

/*
 * Parse the first report's scenario in the log at @path into @s.  Returns false
 * with a message in @err when the log cannot be read, holds no report, or the
 * scenario does not parse (a harness/parser mismatch: a tool bug).
 */
bool engine_report_scenario(const char *path, struct scenario *s, char *err, size_t err_bytes);

/*
 * The environment afl-fuzz runs under here (TOOLING.md): the structure-aware
 * mutator at @mutator_path, the search's schedule hints shared between target
 * and mutator through the file @hints_path (one per afl-fuzz instance), none of
 * AFL++'s own havoc (AFL_CUSTOM_MUTATOR_ONLY: its byte flips of a binary scenario
 * took half the executions and, from corpus/ at 60 s, doubled the runs to find the
 * deep knobs; README, "Fuzzing"), calibration cut to 3 runs (AFL_FAST_CAL unless
 * set: with the harness's search every new entry is "unstable", its first run
 * searches and its repeats do not, and AFL++ calibrated each up to 40 times), no
 * UI (logs), no CPU frequency or affinity checks (a shared machine, containers),
 * no core_pattern check.
 */
void engine_afl_environment(const char *mutator_path, const char *hints_path);

#endif
