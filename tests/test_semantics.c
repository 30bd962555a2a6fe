/* SPDX-License-Identifier: MIT */
/*
 * What a user process observes, one operation at a time (no concurrency: every
 * scenario runs under the directed policy with no preemption and one CPU per
 * phase of the story; the collapse tests add directed preemptions, checked to
 * fire, to place a fault inside a collapse).  SIGSEGV after munmap, zero-fill after MADV_DONTNEED,
 * MAP_FIXED replacing a mapping, hint placement, file data on disk after the
 * final sync, a split by a partial munmap — and no finding anywhere.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../core/mm.h"
#include "../core/mmap.h"
#include "../core/pgtable.h"
#include "../core/quiesce.h"
#include "../core/vma.h"
#include "exec.h"
#include "explore.h"
#include "run_clean.h"

static struct scenario s;
static struct exec_result r;

/* Parse @text, run it (its preemptions, if any), insist on a clean run. */
static void run(const char *text)
{
	run_clean(text, false, &s, &r);
}

#define HEAD "mmfuzz-sched 1\n"

Test(semantics, load_after_munmap_is_sigsegv)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 7\n"
		 "agents\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P0 munmap 0x0 pages=2\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P0 store 0x1000 = 1\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[0].value, 7);
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(r.ops[2].err, -EFAULT);
	cr_expect_eq(r.ops[3].err, -EFAULT);
}

Test(semantics, dontneed_zero_fills_anon_and_keeps_shared_file_data)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		 "  CPU0 P0 mmap 0x10000 pages=1 file=F0 shared rw\n"
		 "  CPU0 P0 store 0x8 = 5\n"
		 "  CPU0 P0 store 0x10008 = 6\n"
		 "agents\n"
		 "  CPU1 P0 madvise 0x0 pages=1 dontneed\n"
		 "  CPU1 P0 madvise 0x10000 pages=1 dontneed\n"
		 "  CPU1 P0 load 0x8\n"
		 "  CPU1 P0 load 0x10008\n");
	cr_expect_eq(r.ops[2].value, 0, "anon memory reads zero after DONTNEED");
	cr_expect_eq(r.ops[3].value, 6, "a shared file page keeps its data in the page cache");
	cr_expect_eq(mapping_get(0)->disk[0][1], 6, "the final sync wrote it to disk");
}

Test(semantics, map_fixed_replaces_and_noreplace_refuses)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 store 0x1000 = 9\n"
		 "agents\n"
		 "  CPU0 P0 mmap 0x1000 pages=1 anon private rw\n"
		 "  CPU0 P0 mmap-fixed 0x1000 pages=1 file=F1 private r\n"
		 "  CPU0 P0 load 0x1000\n"
		 "  CPU0 P0 store 0x1000 = 3\n"
		 "  CPU0 P0 load 0x0\n");
	cr_expect_eq(r.ops[0].err, -EEXIST);
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(r.ops[1].value, 0x1000);
	/* F1 page 0 word 0, as mm_reset() fills the disk */
	cr_expect_eq(r.ops[2].value, 0x2000000ull,
		     "the new mapping shows the file, not the old page");
	cr_expect_eq(r.ops[3].err, -EFAULT, "the replacement is read-only");
	cr_expect_eq(r.ops[4].err, 0, "the untouched first page is still mapped");
}

Test(semantics, hint_is_taken_when_free_else_the_highest_gap)
{
	run(HEAD "agents\n"
		 "  CPU0 P0 mmap-hint 0x2000 pages=2 anon private rw\n"
		 "  CPU0 P0 mmap-hint 0x2000 pages=2 anon private rw\n"
		 "  CPU0 P0 mmap-hint 0x3f000 pages=1 anon private rw\n");
	cr_expect_eq(r.ops[0].value, 0x2000);
	cr_expect_eq(r.ops[1].value, 0x3e000, "top-down: the highest free range");
	cr_expect_eq(r.ops[2].value, 0x3d000, "an occupied hint falls back to the search");
}

Test(semantics, partial_munmap_splits_the_vma)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=3 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "  CPU0 P0 store 0x1000 = 2\n"
		 "  CPU0 P0 store 0x2000 = 3\n"
		 "agents\n"
		 "  CPU1 P0 munmap 0x1000 pages=1\n"
		 "  CPU1 P0 load 0x0\n"
		 "  CPU1 P0 load 0x1000\n"
		 "  CPU1 P0 load 0x2000\n"
		 "  CPU1 P0 mmap 0x1000 pages=1 anon private rw\n"
		 "  CPU1 P0 load 0x1000\n");
	cr_expect_eq(r.ops[1].value, 1);
	cr_expect_eq(r.ops[2].err, -EFAULT);
	cr_expect_eq(r.ops[3].value, 3);
	cr_expect_eq(r.ops[4].err, 0, "the hole can be mapped again");
	cr_expect_eq(r.ops[5].value, 0, "and reads as fresh memory");
}

Test(semantics, shared_file_stores_reach_disk_across_processes_and_munmap)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 file=F1 shared rw\n"
		 "  CPU1 P1 mmap 0x4000 pages=1 file=F1 shared r\n"
		 "agents\n"
		 "  CPU0 P0 store 0x10 = 77\n"
		 "  CPU1 P1 load 0x4010\n"
		 "  CPU0 P0 munmap 0x0 pages=1\n"
		 "  CPU1    writeback F1\n");
	cr_expect_eq(r.ops[1].value, 77, "the other process sees the shared store");
	cr_expect_eq(mapping_get(1)->disk[0][2], 77);
}

Test(semantics, private_file_mapping_copies_on_write)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 file=F0 private rw\n"
		 "agents\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P0 store 0x0 = 11\n"
		 "  CPU0 P0 load 0x0\n");
	cr_expect_eq(r.ops[0].value, 0x1000000ull);
	cr_expect_eq(r.ops[2].value, 11);
	cr_expect_eq(mapping_get(0)->disk[0][0], 0x1000000ull,
		     "a private write never reaches the file");
}

Test(semantics, protection_is_enforced_once_mprotect_returns)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "  CPU1 P0 store 0x1000 = 2\n"
		 "agents\n"
		 "  CPU2 P0 mprotect 0x0 pages=2 r\n"
		 "  CPU2 P0 store 0x0 = 3\n"
		 "  CPU2 P0 load 0x0\n"
		 "  CPU2 P0 mprotect 0x1000 pages=1 rw\n"
		 "  CPU2 P0 store 0x1000 = 4\n"
		 "  CPU2 P0 store 0x0 = 5\n"
		 "  CPU2 P0 load 0x1000\n"
		 "  CPU2 P0 mprotect 0x1000 pages=2 r\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[1].err, -EFAULT, "read-only after mprotect returned");
	cr_expect_eq(r.ops[2].value, 1);
	cr_expect_eq(r.ops[3].err, 0, "the upper half becomes writable again (a split)");
	cr_expect_eq(r.ops[4].err, 0);
	cr_expect_eq(r.ops[5].err, -EFAULT, "the lower half stays read-only");
	cr_expect_eq(r.ops[6].value, 4);
	cr_expect_eq(r.ops[7].err, -ENOMEM, "a range with a hole is refused");
}

Test(semantics, mremap_moves_the_data_and_unmaps_the_source)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 mmap 0x20000 pages=1 file=F0 shared rw\n"
		 "  CPU0 P0 mmap 0x30000 pages=1 anon private rw\n"
		 "  CPU0 P0 store 0x8 = 21\n"
		 "  CPU1 P0 store 0x1008 = 22\n"
		 "  CPU1 P0 store 0x20008 = 23\n"
		 "  CPU2 P0 store 0x30000 = 24\n"
		 "agents\n"
		 "  CPU2 P0 mremap 0x0 pages=2 = 196608\n" /* 0x30000: replaces the mapping */
		 "  CPU2 P0 load 0x30008\n"
		 "  CPU2 P0 load 0x31008\n"
		 "  CPU2 P0 load 0x8\n"
		 "  CPU2 P0 mremap 0x20000 pages=1 = 4096\n" /* a shared file page */
		 "  CPU2 P0 store 0x1010 = 25\n"
		 "  CPU2 P0 mremap 0x20000 pages=1 = 8192\n");
	cr_expect_eq(r.ops[0].value, 0x30000);
	cr_expect_eq(r.ops[1].value, 21);
	cr_expect_eq(r.ops[2].value, 22);
	cr_expect_eq(r.ops[3].err, -EFAULT, "the old address is gone");
	cr_expect_eq(r.ops[4].value, 0x1000);
	cr_expect_eq(r.ops[6].err, -EFAULT, "nothing is left to move");
	cr_expect_eq(mapping_get(0)->disk[0][1], 23, "the moved dirty page was written back");
	cr_expect_eq(mapping_get(0)->disk[0][2], 25, "and the store at its new address too");
}

Test(semantics, mremap_within_one_page_table_keeps_the_moved_ptes)
{
	/* old and new range share the PTE table of PMD 0: unmapping the old range
	 * must not free it (found by the fuzzer) */
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0xb000 pages=4 anon private rw\n"
		 "  CPU0 P0 store 0xb000 = 31\n"
		 "  CPU0 P0 store 0xe000 = 32\n"
		 "agents\n"
		 "  CPU1 P0 mremap 0xb000 pages=4 = 0\n"
		 "  CPU1 P0 load 0x0\n"
		 "  CPU1 P0 load 0x3000\n");
	cr_expect_eq(r.ops[0].value, 0);
	cr_expect_eq(r.ops[1].value, 31);
	cr_expect_eq(r.ops[2].value, 32);
}

Test(semantics, madv_free_pages_are_discarded_unless_written_again)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "  CPU0 P0 store 0x1000 = 2\n"
		 "agents\n"
		 "  CPU1 P0 madvise 0x0 pages=2 free\n"
		 "  CPU1 P0 store 0x1000 = 3\n"
		 "  CPU1    reclaim\n"
		 "  CPU1 P0 load 0x0\n"
		 "  CPU1 P0 load 0x1000\n"
		 "  CPU1    reclaim\n");
	cr_expect_eq(r.ops[2].value, 1, "reclaim frees the clean lazyfree page");
	cr_expect_eq(r.ops[3].value, 0, "which then reads as fresh memory");
	cr_expect_eq(r.ops[4].value, 3, "the page written after MADV_FREE is kept");
	cr_expect_eq(r.ops[5].value, 0, "and is no longer lazyfree");
}

Test(semantics, the_stack_grows_down_to_the_guard_gap)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		 "  CPU0 P0 mmap-stack 0x10000 pages=1\n"
		 "agents\n"
		 "  CPU1 P0 store 0x10008 = 41\n"
		 "  CPU1 P0 store 0xe010 = 42\n" /* two pages below: grows */
		 "  CPU1 P0 load 0xe010\n"
		 "  CPU1 P0 load 0xf000\n"	 /* the page in between is part of it now */
		 "  CPU1 P0 store 0x1000 = 43\n" /* within the guard gap above 0x0-0x1000 */
		 "  CPU1 P0 store 0x2000 = 44\n" /* just beyond the guard gap */
		 "  CPU1 P0 load 0x10008\n");
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(r.ops[2].value, 42);
	cr_expect_eq(r.ops[3].err, 0);
	cr_expect_eq(r.ops[3].value, 0);
	cr_expect_eq(r.ops[4].err, -EFAULT, "the guard gap below the stack stays unmapped");
	cr_expect_eq(r.ops[5].err, 0, "one page above the gap is fine");
	cr_expect_eq(r.ops[6].value, 41);
}

Test(semantics, munmap_releases_its_reservation_and_query_sees_what_is_mapped)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 mmap 0x3000 pages=1 anon private rw\n"
		 "agents\n"
		 "  CPU0 P0 query 0x1000\n"
		 "  CPU0 P0 query 0x2000\n"
		 "  CPU0 P0 munmap 0x0 pages=2\n"
		 "  CPU0 P0 query 0x1000\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 mremap 0x3000 pages=1 = 0x1000\n"
		 "  CPU0 P0 query 0x1000\n"
		 "  CPU0 P0 query 0x3000\n");
	cr_expect_eq(r.ops[0].value, 1);
	cr_expect_eq(r.ops[1].value, 0, "a hole between two VMAs");
	cr_expect_eq(r.ops[2].err, 0);
	cr_expect_eq(r.ops[3].value, 0, "unmapped");
	cr_expect_eq(r.ops[4].err, 0, "the range was released: MAP_FIXED_NOREPLACE may have it");
	cr_expect_eq(r.ops[4].value, 0);
	cr_expect_eq(r.ops[5].value, 0x1000, "mremap over a released range");
	cr_expect_eq(r.ops[6].value, 1);
	cr_expect_eq(r.ops[7].value, 0, "the source of mremap is unmapped");
}

Test(semantics, migration_preserves_data_and_protection)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 7\n"
		 "  CPU0 P0 store 0x1008 = 8\n"
		 "  CPU0 P0 mmap 0x10000 pages=1 file=F0 shared rw\n"
		 "agents\n"
		 "  CPU0 P0 migrate 0x0\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P0 store 0x0 = 9\n"
		 "  CPU0 P0 mprotect 0x0 pages=2 r\n"
		 "  CPU0 P0 migrate 0x0\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "  CPU0 P0 migrate 0x1000\n"
		 "  CPU0 P0 migrate 0x2000\n"
		 "  CPU0 P0 migrate 0x10000\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[1].value, 7, "the data moved with the page");
	cr_expect_eq(r.ops[4].err, 0);
	cr_expect_eq(r.ops[5].value, 9);
	cr_expect_eq(r.ops[6].err, -EFAULT, "read-only after mprotect, migrated or not");
	cr_expect_eq(r.ops[7].err, 0);
	cr_expect_eq(r.ops[8].err, -EFAULT, "no VMA");
	cr_expect_eq(r.ops[9].err, -EINVAL, "file pages are not migrated (not modelled)");
	cr_expect_eq(trace_count("remove_migration_pte:set_pte_at"), 3,
		     "three migrations mapped a new page");
}

/*
 * Split PTEs (32-bit PAE) with the fixed ptep_get_lockless(): no interleaving of
 * GUP-fast with a zap or a refault of the same PTE returns a torn entry.  The
 * same scenario with the knob on is the control.
 */
Test(semantics, pae_lockless_read_retries)
{
	static const char text[] = HEAD "setup\n"
					"  CPU1 P0 mmap 0x0 pages=5 anon private rw\n"
					"  CPU1 P0 store 0x0 = 1\n"
					"  CPU1 P0 store 0x1000 = 2\n"
					"  CPU1 P0 store 0x2000 = 3\n"
					"  CPU1 P0 store 0x3000 = 4\n"
					"  CPU1 P0 store 0x4000 = 5\n"
					"agents\n"
					"  CPU0 P0 gup 0x4000 r\n"
					"  CPU0 P0 gup 0x4000 r\n"
					"  CPU1 P0 madvise 0x4000 pages=1 dontneed\n"
					"  CPU1 P0 store 0x4000 = 6\n";
	static struct scenario sc;
	char err[512];
	cr_assert(scn_parse(&sc, text, strlen(text), "pae.sched", err, sizeof(err)), "%s", err);
	static struct explore_result er;
	struct explore_config c;
	explore_config_default(&c);
	c.strategy = EXPLORE_DFS;
	c.dfs_bound = 2;
	c.runs_max = 300000;
	pgtable_split_ptes = true;
	c.exec.knobs = 0;
	explore(&sc, &c, &er);
	cr_expect(!er.found, "PAE, fixed read: %s: %s", er.first.f.oracle, er.first.f.msg);
	cr_expect(er.exhausted, "DFS b=2 not exhausted in %llu runs", (unsigned long long)er.runs);
	c.exec.knobs = KNOB_BIT(KNOB_PTE_LOCKLESS_TORN);
	explore(&sc, &c, &er);
	pgtable_split_ptes = false;
	cr_expect(er.found, "control: the knob must be found");
	cr_expect(er.found && !strcmp(er.first.f.oracle, "use-after-free"));
}

Test(semantics, gup_reads_what_the_process_wrote_and_faults_pages_in)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 mmap 0x4000 pages=1 anon private r\n"
		 "  CPU0 P0 store 0x8 = 42\n"
		 "agents\n"
		 "  CPU1 P0 gup 0x8 r\n"
		 "  CPU1 P0 gup 0x1010 rw\n"
		 "  CPU1 P0 gup 0x2000 r\n"
		 "  CPU1 P0 gup 0x4000 rw\n"
		 "  CPU1 P0 gup 0x4000 r\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[0].value, 42, "GUP-fast finds the page the store faulted in");
	cr_expect_eq(r.ops[1].err, 0, "the slow path faults a missing page in");
	cr_expect_eq(r.ops[1].value, 0);
	cr_expect_eq(r.ops[2].err, -EFAULT, "nothing mapped");
	cr_expect_eq(r.ops[3].err, -EFAULT, "FOLL_WRITE on a read-only mapping");
	cr_expect_eq(r.ops[4].err, 0);
	cr_expect_eq(trace_count("gup_fast_pte:folio_try_get"), 1, "only the first was fast");
}

Test(semantics, after_fork_neither_process_sees_the_others_writes)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "agents\n"
		 "  CPU0 P0 fork\n"
		 "  CPU0 P0 store 0x0 = 2\n"
		 "  CPU0 P1 load 0x0\n"
		 "  CPU0 P1 store 0x1000 = 3\n"
		 "  CPU0 P0 load 0x1000\n"
		 "  CPU0 P1 gup 0x0 r\n"
		 "  CPU0 P1 gup-get 0x0 r\n"
		 "  CPU0 P0 store 0x0 = 4\n"
		 "  CPU0 dma-read\n"
		 "  CPU0 P1 fork\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[2].value, 1, "the child keeps the data of the fork");
	cr_expect_eq(r.ops[4].value, 0, "the parent does not see the child's write");
	cr_expect_eq(r.ops[5].value, 1, "nor does a GUP reference of the child");
	cr_expect_eq(r.ops[8].value, 1, "a reference held across the parent's write");
	cr_expect_eq(r.ops[9].err, -EINVAL, "only P0 forks (into P1)");
}

Test(semantics, an_exited_child_is_gone_and_the_parent_reuses_its_pages)
{
	/* the child exits before the parent's write: the parent's page is its own again */
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "  CPU0 P0 fork\n"
		 "agents\n"
		 "  CPU0 P1 exit\n"
		 "  CPU0 P1 load 0x0\n"
		 "  CPU0 P1 exit\n"
		 "  CPU1 P0 store 0x0 = 5\n"
		 "  CPU1 P0 load 0x0\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[1].err, -ESRCH, "no system call in an exited process");
	cr_expect_eq(r.ops[2].err, -ESRCH, "nor a second exit");
	cr_expect_eq(r.ops[4].value, 5);
	cr_expect_eq(trace_count("folio_copy_anon:folio_copy"), 0,
		     "exit_mmap() dropped the child's mapping: the write reuses the page");
	/* control: without the exit the same write copies the page, word by word */
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "  CPU0 P0 fork\n"
		 "agents\n"
		 "  CPU0 P0 store 0x0 = 5\n");
	cr_expect_eq(trace_count("folio_copy_anon:folio_copy"), 2 * MM_WORDS_PER_PAGE);
}

Test(semantics, a_debuggers_write_to_a_read_only_private_mapping_stays_private)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x10000 pages=1 file=F0 shared rw\n"
		 "  CPU0 P0 store 0x10000 = 1\n"
		 "  CPU0 P0 mmap 0x0 pages=1 file=F0 private r\n"
		 "  CPU0 P0 mmap 0x4000 pages=1 anon private r\n"
		 "agents\n"
		 "  CPU1 P0 store 0x0 = 2\n"
		 "  CPU1 P0 mem-write 0x0 = 9\n"
		 "  CPU1 P0 mem-write 0x4000 = 8\n"
		 "  CPU1 P0 load 0x0\n"
		 "  CPU1 P0 load 0x4000\n"
		 "  CPU1 P0 load 0x10000\n"
		 "  CPU1 P0 mem-write 0x10000 = 7\n");
	cr_expect_eq(r.ops[0].err, -EFAULT, "the process itself may not write there");
	cr_expect_eq(r.ops[1].err, 0, "FOLL_FORCE may: it breaks COW");
	cr_expect_eq(r.ops[2].err, 0);
	cr_expect_eq(r.ops[3].value, 9, "the process sees the debugger's write");
	cr_expect_eq(r.ops[4].value, 8);
	cr_expect_eq(r.ops[5].value, 1, "the file does not (the final sync checks the disk)");
	cr_expect_eq(r.ops[6].err, 0, "a writable shared mapping is written as is");
}

Test(semantics, a_long_term_pin_stays_coherent)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		 "agents\n"
		 "  CPU0 P0 pin 0x0 rw\n"
		 "  CPU0 P0 fork\n"
		 "  CPU0 P0 store 0x0 = 5\n"
		 "  CPU0 dma-read\n"
		 "  CPU0 P0 mprotect 0x0 pages=1 r\n"
		 "  CPU0 P0 mprotect 0x0 pages=1 rw\n"
		 "  CPU0 P0 store 0x0 = 6\n"
		 "  CPU0 dma-read\n"
		 "  CPU0 dma-write = 7\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P1 load 0x0\n"
		 "  CPU0 unpin\n"
		 "  CPU0 unpin\n");
	cr_expect_eq(r.ops[3].value, 5, "the device sees the process's write after fork");
	cr_expect_eq(r.ops[7].value, 6, "and after mprotect R/O -> R/W");
	cr_expect_eq(r.ops[9].value, 7, "the process sees the device's write");
	cr_expect_eq(r.ops[10].value, 0, "the child got its own copy at fork");
	cr_expect_eq(r.ops[11].err, 0);
	cr_expect_eq(r.ops[12].err, -EINVAL, "nothing left to unpin");
}

Test(semantics, a_read_only_pin_of_a_shared_page_sees_its_process)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "  CPU0 P0 fork\n"
		 "agents\n"
		 "  CPU0 P0 pin 0x0 r\n"
		 "  CPU0 P0 store 0x0 = 9\n"
		 "  CPU0 dma-read\n"
		 "  CPU0 dma-write = 3\n"
		 "  CPU0 P1 load 0x0\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[2].value, 9, "the unshare fault pinned P0's own copy");
	cr_expect_eq(r.ops[3].err, -EINVAL, "no DMA writes through a read-only pin");
	cr_expect_eq(r.ops[4].value, 1, "the child keeps its data");
	cr_expect_geq(trace_count("do_wp_page:folio_add_new_anon_rmap"), 1, "unshared by a copy");
}

Test(semantics, a_huge_page_serves_the_whole_pmd_and_splits_when_cut)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		 "  CPU0 P0 madvise 0x10000 pages=16 hugepage\n"
		 "agents\n"
		 "  CPU0 P0 store 0x10008 = 5\n"
		 "  CPU0 P0 store 0x1f000 = 6\n"
		 "  CPU0 P0 fork\n"
		 "  CPU0 P0 store 0x10008 = 7\n"
		 "  CPU0 P1 load 0x10008\n"
		 "  CPU0 P0 gup 0x14000 rw\n"
		 "  CPU0 P0 munmap 0x11000 pages=1\n"
		 "  CPU0 P0 load 0x10008\n"
		 "  CPU0 P0 load 0x11000\n"
		 "  CPU0 P0 load 0x1f000\n"
		 "  CPU0 P0 mprotect 0x1e000 pages=2 r\n"
		 "  CPU0 P0 store 0x1f000 = 8\n"
		 "  CPU0 P1 load 0x1f000\n");
	cr_expect_eq(trace_count("do_huge_pmd_anonymous_page:set_pmd_at"), 1, "one huge fault");
	cr_expect_eq(trace_count("copy_huge_pmd:set_pmd_at"), 2, "fork shares it by the PMD");
	cr_expect_eq(r.ops[4].value, 5, "the child keeps the data of the fork");
	cr_expect_eq(r.ops[7].value, 7, "the parent's write went to its own copy");
	cr_expect_eq(r.ops[8].err, -EFAULT, "unmapped, in the middle of the huge page");
	cr_expect_eq(r.ops[9].value, 6, "the rest of the split huge page keeps its data");
	cr_expect_eq(r.ops[11].err, -EFAULT, "read-only after mprotect");
	cr_expect_eq(r.ops[12].value, 6);
	cr_expect_geq(trace_count("__split_huge_pmd_locked:set_pmd_at"), 1, "split when cut");
}

Test(semantics, collapse_keeps_the_data_and_needs_one_vma)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		 "  CPU0 P0 store 0x10008 = 5\n"
		 "  CPU0 P0 store 0x1f000 = 6\n"
		 "agents\n"
		 "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
		 "  CPU0 P0 load 0x10008\n"
		 "  CPU0 P0 load 0x1f000\n"
		 "  CPU0 P0 load 0x15000\n"
		 "  CPU0 P0 munmap 0x12000 pages=1\n"
		 "  CPU0 P0 pin 0x13000 r\n"
		 "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
		 "  CPU0 P0 load 0x1f000\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(trace_count("collapse_huge_page:set_pmd_at"), 1, "one collapse");
	cr_expect_eq(r.ops[1].value, 5, "the data moved into the huge page");
	cr_expect_eq(r.ops[2].value, 6);
	cr_expect_eq(r.ops[3].value, 0, "an empty PTE became zeroes");
	cr_expect_eq(r.ops[6].err, -EINVAL, "the PMD range is not one VMA any more");
	cr_expect_eq(r.ops[7].value, 6);
}

/* Did every preemption of the last run() fire?  (Replays it to see.) */
static void expect_preemptions_fired(void)
{
	static struct sched_directed d;
	static struct exec_result again;
	char err[512];
	cr_assert(exec_directed(&s, &d, err, sizeof(err)), "%s", err);
	struct exec_options o;
	exec_options_default(&o);
	exec_run(&s, &d.base, &o, &again);
	cr_expect_eq(again.fingerprint, r.fingerprint);
	for (int i = 0; i < d.count; i++)
		cr_expect_eq(d.status[i], SCHED_PREEMPT_FIRED, "preemption %d did not apply",
			     i + 1);
}

Test(semantics, collapse_backs_off_on_a_pin_and_keeps_the_table)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		 "  CPU0 P0 store 0x10008 = 5\n"
		 "  CPU0 P0 store 0x13000 = 6\n"
		 "agents\n"
		 "  CPU0 P0 pin 0x13000 rw\n"
		 "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
		 "  CPU0 dma-write = 7\n"
		 "  CPU0 P0 load 0x13000\n"
		 "  CPU0 P0 load 0x10008\n"
		 "  CPU0 P0 gup-get 0x10000 r\n"
		 "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
		 "  CPU0 unpin\n"
		 "  CPU0 unpin\n"
		 "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
		 "  CPU0 P0 load 0x13000\n");
	cr_expect_eq(r.ops[1].err, -EAGAIN, "a pinned page: back off");
	cr_expect_eq(r.ops[3].value, 7, "the pin and the address still agree");
	cr_expect_eq(r.ops[4].value, 5, "the table went back as it was");
	cr_expect_eq(r.ops[6].err, -EAGAIN, "a FOLL_GET reference makes it back off too");
	cr_expect_eq(r.ops[9].err, 0, "no reference left: collapsed");
	cr_expect_eq(r.ops[10].value, 7);
	cr_expect_eq(trace_count("collapse_huge_page:set_pmd_at"), 3,
		     "two back-offs, one collapse");
	cr_expect_eq(trace_count("collapse_huge_page:folio_add_new_anon_rmap_pmd"), 1);
}

/*
 * CPU1 stores to an empty page of the range while CPU0's collapse has the PMD
 * cleared: its walk finds nothing, its fault waits for the VMA and mmap_lock.
 * The collapse backs off (a pinned page) and puts the table back, and the
 * fault maps a page there; or it succeeds, and the fault finds the huge PMD.
 */
Test(semantics, collapse_under_a_concurrent_fault)
{
	for (int backoff = 1; backoff >= 0; backoff--) {
		char text[1024];
		snprintf(text, sizeof(text),
			 HEAD "setup\n"
			      "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
			      "  CPU0 P0 store 0x10000 = 1\n"
			      "%s"
			      "agents\n"
			      "  CPU0 P0 madvise 0x10000 pages=16 collapse\n"
			      "  CPU1 P0 store 0x11000 = 2\n"
			      "  CPU1 P0 load 0x10000\n"
			      "  CPU1 P0 load 0x11000\n"
			      "schedule\n"
			      "  CPU0 at pmdp_collapse_flush:flush_tlb_range -> CPU1\n",
			 backoff ? "  CPU2 P0 pin 0x13000 r\n" : "");
		run(text);
		expect_preemptions_fired();
		cr_expect_eq(r.ops[0].err, backoff ? -EAGAIN : 0);
		cr_expect_eq(r.ops[2].value, 1);
		cr_expect_eq(r.ops[3].value, 2);
		cr_expect_eq(trace_count("finish_fault:folio_add_new_anon_rmap"), backoff,
			     "a small page in the table put back, or none: the huge PMD");
	}
}

Test(semantics, mthp_collapse_maps_a_large_folio_by_ptes)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		 "  CPU0 P0 store 0x14008 = 5\n"
		 "  CPU0 P0 store 0x16000 = 6\n"
		 "  CPU0 P0 store 0x18000 = 7\n"
		 "agents\n"
		 "  CPU0 P0 khugepaged 0x14000 pages=4\n"
		 "  CPU0 P0 load 0x14008\n"
		 "  CPU0 P0 load 0x15000\n"
		 "  CPU0 P0 load 0x16000\n"
		 "  CPU0 P0 load 0x18000\n"
		 "  CPU0 P0 migrate 0x16000\n"
		 "  CPU0 P0 migrate 0x18000\n"
		 "  CPU0 P0 store 0x17000 = 8\n"
		 "  CPU0 P0 fork\n"
		 "  CPU0 P0 store 0x17000 = 9\n"
		 "  CPU0 P1 load 0x17000\n"
		 "  CPU0 P0 khugepaged 0x18000 pages=2\n"
		 "  CPU0 P0 khugepaged 0x18000 pages=3\n"
		 "  CPU0 P0 khugepaged 0x1c000 pages=4\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(trace_count("collapse_huge_page:folio_ref_add"), 1);
	cr_expect_eq(trace_count("collapse_huge_page:set_ptes"), 4, "one PTE per page");
	cr_expect_eq(r.ops[1].value, 5, "the data moved into the mTHP");
	cr_expect_eq(r.ops[2].value, 0, "an empty PTE became zeroes");
	cr_expect_eq(r.ops[3].value, 6);
	cr_expect_eq(r.ops[4].value, 7, "outside the range: untouched");
	cr_expect_eq(r.ops[5].err, -EBUSY, "a large folio now: not migrated here");
	cr_expect_eq(r.ops[6].err, 0);
	cr_expect_eq(r.ops[9].err, 0);
	cr_expect_eq(r.ops[10].value, 8, "the child keeps the page of the fork");
	cr_expect_eq(r.ops[11].err, -EINVAL, "order 1: no anonymous mTHP");
	cr_expect_eq(r.ops[12].err, -EINVAL, "not a power of two");
	cr_expect_eq(r.ops[13].err, -EINVAL, "khugepaged wants a present page");
}

Test(semantics, mthp_collapse_backs_off_on_a_pin_in_the_range_only)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		 "  CPU0 P0 store 0x14000 = 1\n"
		 "  CPU0 P0 store 0x18000 = 2\n"
		 "agents\n"
		 "  CPU0 P0 pin 0x15000 rw\n"
		 "  CPU0 P0 khugepaged 0x14000 pages=4\n"
		 "  CPU0 P0 khugepaged 0x18000 pages=4\n"
		 "  CPU0 dma-write = 3\n"
		 "  CPU0 P0 load 0x15000\n"
		 "  CPU0 P0 load 0x14000\n"
		 "  CPU0 P0 load 0x18000\n"
		 "  CPU0 P0 migrate 0x18000\n");
	cr_expect_eq(r.ops[1].err, -EAGAIN, "a pinned page in the range: back off");
	cr_expect_eq(r.ops[2].err, 0, "a pin elsewhere in the table does not matter");
	cr_expect_eq(r.ops[4].value, 3, "the pin and the address still agree");
	cr_expect_eq(r.ops[5].value, 1);
	cr_expect_eq(r.ops[6].value, 2);
	cr_expect_eq(r.ops[7].err, -EBUSY, "0x18000 is in an mTHP now");
}

/*
 * mTHP collapse with the PMD cleared: CPU1's stores, to a page of the range and
 * to one outside it in the same table, fault and wait; the collapse backs off
 * (a pinned page in the range) or succeeds, and the stores land either way.
 */
Test(semantics, mthp_collapse_under_concurrent_faults)
{
	static const char *const pin[] = {"  CPU2 P0 pin 0x16000 r\n", "  CPU2 P0 pin 0x1c000 r\n"};
	for (int backoff = 1; backoff >= 0; backoff--) {
		char text[1024];
		snprintf(text, sizeof(text),
			 HEAD "setup\n"
			      "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
			      "  CPU0 P0 store 0x14000 = 1\n"
			      "  CPU0 P0 store 0x18000 = 2\n"
			      "%s"
			      "agents\n"
			      "  CPU0 P0 khugepaged 0x14000 pages=4\n"
			      "  CPU1 P0 store 0x15000 = 3\n"
			      "  CPU1 P0 store 0x18000 = 4\n"
			      "  CPU1 P0 load 0x14000\n"
			      "  CPU1 P0 load 0x15000\n"
			      "  CPU1 P0 load 0x18000\n"
			      "schedule\n"
			      "  CPU0 at pmdp_collapse_flush:flush_tlb_range -> CPU1\n",
			 pin[!backoff]);
		run(text);
		expect_preemptions_fired();
		cr_expect_eq(r.ops[0].err, backoff ? -EAGAIN : 0);
		cr_expect_eq(r.ops[3].value, 1);
		cr_expect_eq(r.ops[4].value, 3);
		cr_expect_eq(r.ops[5].value, 4);
		cr_expect_eq(trace_count("collapse_huge_page:folio_ref_add"), backoff ? 0 : 1);
	}
}

/*
 * The fixed kernel of regressions/collapse-anon-vma-unlock-early.sched: the
 * mTHP collapse keeps the anon_vma lock while the PMD is cleared, migration's
 * second rmap walk waits for it and finds its migration entry.
 */
Test(semantics, mthp_collapse_keeps_rmap_walkers_out_until_the_pmd_is_back)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		 "  CPU0 P0 store 0x10000 = 1\n"
		 "  CPU0 P0 store 0x14000 = 4\n"
		 "agents\n"
		 "  CPU0 P0 khugepaged 0x10000 pages=4\n"
		 "  CPU1 P0 migrate 0x14000\n"
		 "  CPU1 P0 load 0x14000\n"
		 "schedule\n"
		 "  at 15 -> CPU1\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(r.ops[2].value, 4, "the migrated page is mapped again");
	cr_expect_eq(trace_count("remove_migration_pte:set_pte_at"), 1);
}

/*
 * Broadcast TLB flushes: munmap of a whole PTE table while CPU1's GUP-fast
 * walks it (interrupts off): the flush does not wait for CPU1, the sync IPI
 * before the table is freed does.  Exhaustive DFS, bound 2: no finding.
 */
Test(semantics, broadcast_flush_frees_page_tables_after_the_sync_ipi)
{
	static const char text[] = HEAD "tlb broadcast\n"
					"setup\n"
					"  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
					"  CPU0 P0 store 0x11000 = 1\n"
					"  CPU2 P0 load 0x11000\n"
					"agents\n"
					"  CPU0 P0 munmap 0x10000 pages=16\n"
					"  CPU1 P0 gup 0x11000 r\n"
					"  CPU2 P0 load 0x11000\n";
	run(text);
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[2].err, -EFAULT);
	static struct explore_result er;
	struct explore_config c;
	explore_config_default(&c);
	c.strategy = EXPLORE_DFS;
	c.dfs_bound = 2;
	c.runs_max = 300000;
	explore(&s, &c, &er);
	cr_expect(!er.found, "%s: %s", er.first.f.oracle, er.first.f.msg);
	cr_expect(er.exhausted, "DFS b=2 not exhausted in %llu runs", (unsigned long long)er.runs);
}

/*
 * regressions/gupfast-no-pmd-recheck.sched needs both fixes gone: either the
 * PMD re-check (70cbc3cc78a9) or the sync IPI (2ba99c5e0881) alone keeps
 * GUP-fast's pin coherent with collapse, and with IPI flushes neither is
 * needed.  Exhaustive DFS, bound 2, over its scenario.
 */
Test(semantics, collapse_vs_gup_fast_needs_both_fixes_gone)
{
	static struct scenario sc;
	char err[512];
	cr_assert(scn_load(&sc, "regressions/gupfast-no-pmd-recheck.sched", err, sizeof(err)), "%s",
		  err);
	sc.preempt_count = 0;
	const uint64_t recheck = KNOB_BIT(KNOB_GUPFAST_NO_PMD_RECHECK);
	const uint64_t sync = KNOB_BIT(KNOB_COLLAPSE_NO_IPI_SYNC);
	const struct {
		uint64_t knobs;
		bool broadcast, found;
	} cases[] = {{recheck | sync, true, true},
		     {recheck, true, false},
		     {sync, true, false},
		     {recheck | sync, false, false}};
	static struct explore_result er;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct explore_config c;
		explore_config_default(&c);
		c.strategy = EXPLORE_DFS;
		c.dfs_bound = 2;
		c.runs_max = 300000;
		c.exec.knobs = cases[i].knobs;
		sc.tlb_broadcast = cases[i].broadcast;
		explore(&sc, &c, &er);
		cr_expect_eq(er.found, cases[i].found, "case %zu: %s", i,
			     er.found ? er.first.f.msg : "no finding");
		cr_expect(er.found || er.exhausted, "case %zu: DFS b=2 not exhausted", i);
	}
}

/*
 * Reclaim takes folios from the LRU, which a new folio joins only once its rmap
 * and flags are set (folio_add_lru_vma() after folio_add_new_anon_rmap()).  Here
 * CPU0's fork copies P0's pinned page for the child (copy_present_page()) and
 * is preempted mid-copy; CPU1's reclaim must not take the half-made copy for a
 * lazyfree folio (no PG_swapbacked yet) and discard it once mapped: the child
 * reads 1, not zero.  Found by a knobs-off campaign; without PG_lru the last
 * preemption lands in the scan of the copy and the child reads zero.
 */
Test(semantics, reclaim_skips_a_fork_copy_not_yet_on_the_lru)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=16 anon private rw\n"
		 "  CPU0 P0 store 0x8 = 1\n"
		 "agents\n"
		 "  CPU0 P0 fork\n"
		 "  CPU2 P0 pin 0x0 rw\n"
		 "  CPU2 P0 mprotect 0x2000 pages=2 r\n"
		 "  CPU1 reclaim\n"
		 "  CPU2 P1 load 0x8\n"
		 "schedule\n"
		 "  CPU0 at copy_page_range:write_seqcount_begin -> CPU2\n"
		 "  CPU0 at copy_present_page:folio_copy#2 -> CPU1\n"
		 "  CPU1 at shrink_lazyfree:folio_mapped -> CPU0\n");
	cr_assert_eq(r.ops[4].value, 1, "the child reads %llu", (unsigned long long)r.ops[4].value);
}

/*
 * mprotect(PROT_NONE): loads, stores and GUP (fast or slow, get or pin) fail with
 * -EFAULT, while the pages stay mapped for the kernel (protnone PTEs); PROT_READ
 * gives the data back read-only, PROT_READ|PROT_WRITE writable; a fork's child
 * inherits the protection.
 */
Test(semantics, prot_none_refuses_every_access_and_mprotect_back_restores)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 7\n"
		 "  CPU0 P0 store 0x1000 = 8\n"
		 "agents\n"
		 "  CPU0 P0 mprotect 0x0 pages=2 none\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P0 store 0x1000 = 1\n"
		 "  CPU0 P0 gup 0x0 r\n"
		 "  CPU0 P0 pin 0x1000 r\n"
		 "  CPU0 P0 mprotect 0x0 pages=1 r\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P0 store 0x0 = 3\n"
		 "  CPU0 P0 fork\n"
		 "  CPU0 P1 load 0x1000\n"
		 "  CPU0 P0 mprotect 0x0 pages=2 rw\n"
		 "  CPU0 P0 load 0x1000\n"
		 "  CPU0 P0 store 0x1000 = 5\n"
		 "  CPU0 P0 load 0x1000\n"
		 "  CPU0 P1 load 0x0\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[1].err, -EFAULT, "a load from PROT_NONE is SIGSEGV");
	cr_expect_eq(r.ops[2].err, -EFAULT, "so is a store");
	cr_expect_eq(r.ops[3].err, -EFAULT, "GUP of a PROT_NONE VMA fails");
	cr_expect_eq(r.ops[4].err, -EFAULT, "so does a pin");
	cr_expect_eq(r.ops[6].err, 0);
	cr_expect_eq(r.ops[6].value, 7, "PROT_READ gives the page back, data intact");
	cr_expect_eq(r.ops[7].err, -EFAULT, "read-only");
	cr_expect_eq(r.ops[9].err, -EFAULT, "the child's copy of the VMA is PROT_NONE too");
	cr_expect_eq(r.ops[11].value, 8);
	cr_expect_eq(r.ops[12].err, 0, "writable again");
	cr_expect_eq(r.ops[13].value, 5);
	cr_expect_eq(r.ops[14].value, 7, "the child's PROT_READ page, unaffected");
	cr_expect_eq(trace_count("change_pte_protnone:set_pte_at"), 4,
		     "two entries made protnone, then each made accessible again");
	cr_expect_eq(trace_count("gup_fast_pte:folio_try_get"), 0,
		     "GUP-fast never grabs a protnone page");
}

/*
 * NUMA balancing: a scan makes the PTEs protnone; the next access (a load, or
 * GUP's slow path: GUP-fast refuses protnone) takes a hinting fault that migrates
 * a small anonymous page and maps it again, data intact; a shared file page (no
 * migration in the model) is mapped again in place, writable since it is dirty.
 * A pinned page is not scanned at all.
 */
Test(semantics, numa_hinting_fault_migrates_or_restores_and_keeps_the_data)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 7\n"
		 "  CPU0 P0 store 0x1000 = 6\n"
		 "  CPU0 P0 mmap 0x10000 pages=1 file=F0 shared rw\n"
		 "  CPU0 P0 store 0x10000 = 4\n"
		 "  CPU0 P0 mmap 0x20000 pages=1 anon private rw\n"
		 "  CPU0 P0 pin 0x20000 rw\n"
		 "agents\n"
		 "  CPU0 P0 numa-scan 0x0 pages=2\n"
		 "  CPU0 P0 numa-scan 0x10000 pages=1\n"
		 "  CPU0 P0 numa-scan 0x20000 pages=1\n"
		 "  CPU1 P0 load 0x0\n"
		 "  CPU1 P0 store 0x0 = 8\n"
		 "  CPU1 P0 gup 0x1000 r\n"
		 "  CPU1 P0 store 0x10000 = 5\n"
		 "  CPU1 P0 load 0x20000\n"
		 "  CPU1 P0 load 0x0\n"
		 "  CPU1 P0 numa-scan 0x30000 pages=1\n");
	for (int i = 0; i < 3; i++)
		cr_expect_eq(r.ops[i].err, 0);
	cr_expect_eq(r.ops[3].value, 7, "the hinting fault migrated the page with its data");
	cr_expect_eq(r.ops[4].err, 0, "and the write fault reuses the new, exclusive page");
	cr_expect_eq(r.ops[5].err, 0);
	cr_expect_eq(r.ops[5].value, 6, "GUP takes the hinting fault too");
	cr_expect_eq(r.ops[6].err, 0);
	cr_expect_eq(r.ops[8].value, 8);
	cr_expect_eq(r.ops[9].err, 0, "nothing mapped there: nothing to scan");
	cr_expect_eq(trace_count("remove_migration_pte:set_pte_at"), 2,
		     "the two anonymous pages migrated");
	cr_expect_eq(trace_count("numa_rebuild_single_mapping:set_pte_at"), 1,
		     "the file page was mapped again in place");
	cr_expect_eq(trace_count("wp_page_shared:set_pte_at") +
			 trace_count("do_wp_page:set_pte_at"),
		     1, "only the anonymous store faulted: the dirty file page came back writable");
	cr_expect_eq(trace_count("change_pte_protnone:set_pte_at"), 3,
		     "the pinned page was skipped");
}

/*
 * A hinting fault whose migration fails (a FOLL_GET reference: migration backs
 * off when references remain) still gives the access back: the old page is
 * mapped again, data intact, still exclusive.
 */
Test(semantics, numa_hinting_fault_whose_migration_fails_maps_the_page_again)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		 "  CPU0 P0 store 0x0 = 7\n"
		 "  CPU1 P0 gup-get 0x0 r\n"
		 "agents\n"
		 "  CPU0 P0 numa-scan 0x0 pages=1\n"
		 "  CPU0 P0 load 0x0\n"
		 "  CPU0 P0 store 0x0 = 9\n"
		 "  CPU0 P0 load 0x0\n");
	cr_expect_eq(r.ops[1].value, 7);
	cr_expect_eq(r.ops[2].err, 0);
	cr_expect_eq(r.ops[3].value, 9);
	cr_expect_eq(trace_count("folio_migrate_anon:folio_copy"), 0, "nothing was migrated");
	cr_expect_eq(trace_count("remove_migration_pte:set_pte_at"), 3,
		     "each of migration's three tries mapped the old page back");
	cr_expect_eq(trace_count("folio_copy_anon:folio_copy"), 0,
		     "still exclusive: the store reuses it, the reference keeps seeing it");
	cr_expect_eq(trace_count("do_numa_page:folio_get"), 1, "one hinting fault tried");
}

/*
 * A PMD-mapped THP: a scan covering the whole PMD makes the huge PMD protnone
 * (change_huge_pmd()); the next access or GUP takes do_huge_pmd_numa_page(),
 * which maps it again in place (no THP migration), writable since the folio is
 * exclusive; a scan covering part of it splits it and hints the PTEs.
 */
Test(semantics, numa_hinting_of_a_huge_pmd_maps_it_again_or_splits_it)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x0 pages=16 anon private rw\n"
		 "  CPU0 P0 madvise 0x0 pages=16 hugepage\n"
		 "  CPU0 P0 store 0x0 = 1\n"
		 "  CPU0 P0 store 0x1008 = 2\n"
		 "agents\n"
		 "  CPU0 P0 numa-scan 0x0 pages=16\n"
		 "  CPU0 P0 load 0x1008\n"
		 "  CPU0 P0 store 0x2000 = 3\n"
		 "  CPU0 P0 numa-scan 0x0 pages=16\n"
		 "  CPU0 P0 gup 0x0 r\n"
		 "  CPU0 P0 numa-scan 0x0 pages=4\n"
		 "  CPU0 P0 load 0x1008\n"
		 "  CPU0 P0 store 0x0 = 4\n"
		 "  CPU0 P0 load 0x2000\n");
	cr_expect_eq(r.ops[1].value, 2);
	cr_expect_eq(r.ops[2].err, 0);
	cr_expect_eq(r.ops[4].err, 0);
	cr_expect_eq(r.ops[4].value, 1, "GUP takes the hinting fault of the huge PMD");
	cr_expect_eq(r.ops[6].value, 2);
	cr_expect_eq(r.ops[7].err, 0);
	cr_expect_eq(r.ops[8].value, 3);
	cr_expect_eq(trace_count("change_huge_pmd:pmdp_cmpxchg"), 2, "two whole-PMD scans");
	cr_expect_eq(trace_count("do_huge_pmd_numa_page:set_pmd_at"), 2, "each faulted back in");
	cr_expect_eq(trace_count("do_huge_pmd_wp_page:set_pmd_at"), 0,
		     "mapped again writable: the folio is exclusive");
	cr_expect_eq(trace_count("__split_huge_pmd_locked:set_pmd_at"), 1,
		     "the partial scan split");
	cr_expect_eq(trace_count("change_pte_protnone:set_pte_at"), 4, "and hinted four PTEs");
	cr_expect_eq(trace_count("numa_rebuild_single_mapping:set_pte_at"), 3,
		     "three of them faulted back in place (a large folio is not migrated)");
}

/* A VMA freed twice is KASAN's double free: a `use-after-free` finding, never a crash. */
static void free_a_vma_twice(int agent, void *arg)
{
	(void)agent;
	(void)arg;
	struct vm_area_struct *vma = vm_area_alloc(mm_get(0));
	vm_area_free(vma);
	vm_area_free(vma);
}

Test(semantics, a_vma_freed_twice_is_a_finding)
{
	struct sched_config cfg = {.steps_max = 1000};
	sched_reset(&cfg);
	mm_reset();
	sched_agent_add(0, "CPU0", NULL, NULL);
	sched_run_solo(0, free_a_vma_twice, NULL);
	const struct sched_finding *f = sched_get_finding();
	cr_assert(f, "no finding");
	cr_expect_str_eq(f->oracle, "use-after-free");
	cr_expect_str_eq(f->site->name, "vm_area_free:freed_twice");
	/* and the way a fuzzer met it: stack growth under mmap_lock for read lets an
	 * expansion put back a VMA munmap took out, and exit frees it again (a
	 * simulator assertion before this check; seed 1, run 9) */
	static struct scenario sc;
	char err[512];
	cr_assert(scn_load(&sc, "corpus/stack-growth.sched", err, sizeof(err)), "%s", err);
	static struct explore_result er;
	struct explore_config c;
	explore_config_default(&c);
	c.runs_max = 9;
	c.exec.knobs = KNOB_BIT(KNOB_STACK_EXPAND_READ_LOCK);
	explore(&sc, &c, &er);
	cr_expect(er.found && er.runs == 9, "%llu runs", (unsigned long long)er.runs);
}

/*
 * MADV_FREE on a whole THP (madvise(2): "the kernel can free these pages, but
 * the freeing could be delayed until memory pressure occurs ... if there is a
 * subsequent write to that page, the kernel won't free it"): the data stays until
 * reclaim; reclaim (upstream's path: knob lazyfree-thp-discard-whole) discards the
 * clean THP whole (unmap_huge_pmd_locked()), and
 * the range reads as fresh memory; a write after MADV_FREE (the walker sets the
 * huge PMD dirty) keeps the whole THP, every page of it, with its data.
 */
Test(semantics, madv_free_thp_stays_huge_until_reclaim_discards_it_whole)
{
	run_clean_knobs(HEAD "setup\n"
			     "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
			     "  CPU0 P0 madvise 0x10000 pages=16 hugepage\n"
			     "  CPU0 P0 store 0x10008 = 5\n"
			     "  CPU0 P0 store 0x1f000 = 6\n"
			     "agents\n"
			     "  CPU1 P0 madvise 0x10000 pages=16 free\n"
			     "  CPU1 P0 load 0x10008\n"
			     "  CPU1    reclaim\n"
			     "  CPU1 P0 load 0x10008\n"
			     "  CPU1 P0 load 0x1f000\n"
			     "  CPU1 P0 store 0x1f000 = 7\n"
			     "  CPU1 P0 madvise 0x10000 pages=16 free\n"
			     "  CPU1 P0 store 0x10008 = 8\n"
			     "  CPU1    reclaim\n"
			     "  CPU1 P0 load 0x10008\n"
			     "  CPU1 P0 load 0x1f000\n",
			KNOB_BIT(KNOB_LAZYFREE_THP_DISCARD_WHOLE), false, &s, &r);
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[1].value, 5, "the data stays until reclaim");
	cr_expect_eq(r.ops[3].value, 0, "reclaim discarded the clean THP");
	cr_expect_eq(r.ops[4].value, 0, "all of it");
	cr_expect_eq(r.ops[9].value, 8, "a write after MADV_FREE keeps the THP");
	cr_expect_eq(r.ops[10].value, 7, "every page of it");
	cr_expect_eq(trace_count("madvise_free_huge_pmd:folio_mark_lazyfree"), 2,
		     "both MADV_FREE calls kept the PMD huge");
	cr_expect_eq(trace_count("__discard_anon_folio_pmd_locked:folio_remove_rmap_pmd"), 1,
		     "one whole-THP discard");
	cr_expect_eq(trace_count("do_huge_pmd_anonymous_page:set_pmd_at"), 1,
		     "the load after the discard faulted a new THP in");
	cr_expect_eq(trace_count("try_to_unmap_one_large:folio_set_swapbacked"), 1,
		     "the dirty THP was split and kept (6.12: TTU_SPLIT_HUGE_PMD)");
}

/*
 * A pin on a lazyfree THP keeps it: reclaim's reference check refuses the
 * whole-THP discard and the page-by-page one; the device reads the data the
 * process wrote before MADV_FREE, and so does the process.  A THP covered only in
 * part is split by MADV_FREE and its pages stay as they are (a PTE-mapped large
 * folio is not made lazyfree).
 */
Test(semantics, a_pinned_or_partly_advised_thp_survives_madv_free_and_reclaim)
{
	run(HEAD "setup\n"
		 "  CPU0 P0 mmap 0x10000 pages=16 anon private rw\n"
		 "  CPU0 P0 mmap 0x20000 pages=16 anon private rw\n"
		 "  CPU0 P0 madvise 0x10000 pages=16 hugepage\n"
		 "  CPU0 P0 madvise 0x20000 pages=16 hugepage\n"
		 "  CPU0 P0 store 0x10000 = 3\n"
		 "  CPU0 P0 store 0x20000 = 4\n"
		 "agents\n"
		 "  CPU1 P0 pin 0x10000 rw\n"
		 "  CPU1 P0 madvise 0x10000 pages=16 free\n"
		 "  CPU1 P0 madvise 0x20000 pages=8 free\n"
		 "  CPU1    reclaim\n"
		 "  CPU1    dma-read\n"
		 "  CPU1 P0 load 0x10000\n"
		 "  CPU1 P0 load 0x20000\n"
		 "  CPU1    unpin\n");
	cr_expect_eq(r.ops[0].err, 0);
	cr_expect_eq(r.ops[4].value, 3, "the device reads the pinned page's data");
	cr_expect_eq(r.ops[5].value, 3, "so does the process");
	cr_expect_eq(r.ops[6].value, 4, "the THP advised in part keeps its data");
	cr_expect_eq(trace_count("__discard_anon_folio_pmd_locked:folio_remove_rmap_pmd"), 0,
		     "no discard");
	cr_expect_geq(trace_count("__split_huge_pmd_locked:set_pmd_at"), 2,
		      "the pinned one split by reclaim, the other by MADV_FREE");
}

/*
 * The quiescent phase skips exit_mmap() of a process no operation touched
 * (mm_untouched()).  The skip must leave the model as the teardown would: run
 * the teardown of an untouched P1 for real, then the skip from the same state
 * (P1 marked dead, nothing else), and compare the world and the oracles' state.
 */
static void exit_p1(int agent, void *arg)
{
	(void)agent;
	(void)arg;
	exit_mmap(mm_get(1));
}

Test(semantics, an_untouched_process_has_nothing_to_tear_down)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 file=F0 shared rw\n"
		       "  CPU1 P0 store 0x1000 = 3\n"
		       "agents\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU1 P0 madvise 0x0 pages=2 dontneed\n"
		       "  CPU0 P0 load 0x1000\n",
		  true, &s, &r);
	cr_assert(mm_untouched(mm_get(1)), "P1 was never used");
	cr_assert(!mm_untouched(mm_get(0)), "P0 was");
	static struct mm_world torn_down;
	struct mm_snapshot *before = mm_snapshot_alloc(), *a = mm_snapshot_alloc(),
			   *b = mm_snapshot_alloc();
	cr_assert(before && a && b);
	mm_snapshot_save(before);
	sched_run_solo(0, exit_p1, NULL);
	cr_assert(!sched_get_finding());
	cr_assert(!mm_get(1)->live);
	torn_down = mm_world;
	mm_snapshot_save(a);
	mm_snapshot_restore(before);
	cr_assert(mm_get(1)->live);
	mm_get(1)->live = false; /* the skip */
	/* and the two differences, in fields nothing reads once the process is dead:
	 * mmap_write_unlock() bumps the lock sequence vma_start_read() compares, and
	 * mtree_destroy() clears the empty tree's RCU flag */
	cr_expect_eq(mm_get(1)->mm_lock_seq + 1, torn_down.mms[1].mm_lock_seq);
	mm_get(1)->mm_lock_seq = torn_down.mms[1].mm_lock_seq;
	cr_expect_neq(memcmp(&mm_get(1)->mm_mt.kt, &torn_down.mms[1].mm_mt.kt,
			     sizeof(torn_down.mms[1].mm_mt.kt)),
		      0);
	mm_get(1)->mm_mt.kt = torn_down.mms[1].mm_mt.kt;
	mm_snapshot_save(b);
	char what[128] = "";
	cr_expect(mm_world_same(&torn_down, &mm_world, what, sizeof(what)), "world: %s", what);
	cr_expect(mm_snapshot_equal(a, b, what, sizeof(what)), "oracles: %s", what);
	mm_snapshot_free(before);
	mm_snapshot_free(a);
	mm_snapshot_free(b);
}

/*
 * Two masks stand for arrays in the model's scans: mm_world.tlb_valid for the
 * TLBs' valid bits (a flush, a lookup, a fill's slot; the oracles scan the
 * entries themselves) and address_space.present for the page cache's slots
 * (writeback's walk).  Checked at every step of the contpte, reclaim (a batched
 * flush of everything), shootdown and file families, 200 random schedules each.
 */
static int mask_errors;

static void mask_check(uint32_t step, void *arg)
{
	(void)step;
	(void)arg;
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		uint32_t bits = 0;
		for (int i = 0; i < TLB_ENTRIES; i++)
			bits |= (uint32_t)mm_world.tlb[cpu][i].valid << i;
		mask_errors += bits != mm_world.tlb_valid[cpu];
	}
	for (int f = 0; f < NR_FILES; f++) {
		uint32_t bits = 0;
		for (int i = 0; i < FILE_PAGES; i++)
			bits |= (uint32_t)(mm_world.mappings[f].pages[i] != NULL) << i;
		mask_errors += bits != mm_world.mappings[f].present;
	}
}

Test(semantics, the_masks_are_the_state_they_stand_for)
{
	static const char *const families[] = {
	    "corpus/contpte.sched",	      "corpus/fork-reclaim.sched",
	    "corpus/madv-free-reclaim.sched", "corpus/parallel-dontneed.sched",
	    "corpus/mremap-writeback.sched",  "corpus/fault-around.sched"};
	static struct scenario sc;
	static struct explore_result er;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		char err[512];
		cr_assert(scn_load(&sc, families[f], err, sizeof(err)), "%s", err);
		sc.preempt_count = 0;
		struct explore_config c;
		explore_config_default(&c);
		c.runs_max = 200;
		c.exec.knobs = 0;
		mask_errors = 0;
		sched_set_step_hook(mask_check, NULL);
		explore(&sc, &c, &er);
		sched_set_step_hook(NULL, NULL);
		mask_check(0, NULL); /* and after the teardown's flushes */
		cr_expect(!er.found, "%s: %s", families[f], er.first.f.msg);
		cr_expect_eq(mask_errors, 0, "%s: %d masks off, over every step", families[f],
			     mask_errors);
	}
}
