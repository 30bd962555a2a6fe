/* SPDX-License-Identifier: MIT */
/*
 * The fuzz harness's address fold (fuzz/fold.c): races need collisions, and the
 * decoder spreads addresses over SCN_VA_PAGES pages, so the harness folds every
 * address of a scenario into its first few pages before running it.  The scenario
 * the harness reports is the folded one, so the fold is a pure function of the
 * scenario and folding a folded scenario changes nothing (a saved crash replays
 * through the harness as it ran).
 */
#ifndef MMFUZZ_FOLD_H
#define MMFUZZ_FOLD_H

#include <stdint.h>

#include "../tools/scenario.h"

enum fold_mode {
	/*
	 * A page in a huge range (a PMD that a whole aligned PMD operation of the
	 * scenario covers: mmap of a THP, MADV_HUGEPAGE, a collapse, an mremap of
	 * it, or its destination) keeps its offset in that PMD; the PMD itself
	 * folds as a whole-PMD operation does.  Every other page folds into the
	 * first focus pages.  The default.
	 */
	FOLD_THP,
	/* Every page that is not a whole-PMD operation's folds into the first focus pages. */
	FOLD_FLAT,
	FOLD_COUNT
};
extern const char *const fold_mode_names[FOLD_COUNT];

/*
 * Fold every address of @s (setup and agents, mremap destinations) into the first
 * @focus_pages pages (1..SCN_VA_PAGES) in @mode.  A whole aligned PMD operation
 * stays whole, on the first PMD (at most @focus_pages pages in, a multiple of
 * SCN_PAGES_MAX); an operation's pages are clamped so it does not run past the
 * focus pages (in a huge range: past its PMD).  With @focus_pages a multiple of
 * SCN_PAGES_MAX the two modes fold alike.
 */
void fold_scenario(struct scenario *s, uint32_t focus_pages, enum fold_mode mode);

#endif
