/* SPDX-License-Identifier: MIT */
/*
 * Device-private memory and migrate_vma_* as Documentation/mm/hmm.rst and the
 * kernel's HMM selftests (tools/testing/selftests/mm/hmm-tests.c: migrate,
 * migrate_fault, anon_write_child, the read-only and pinned cases) describe it,
 * one operation at a time (no concurrency, no preemption):
 *   - migrate_vma_setup/pages/finalize move an anonymous page into device
 *     memory: the PTE becomes a device-private entry (writable if the PTE was),
 *     the device page is mapped (rmap, a reference) and holds the data; the
 *     system page is freed;
 *   - the device reads its copy; a CPU access faults and migrate_to_ram()
 *     brings the page back, data intact, and the device's copy is gone;
 *   - a pinned page is not migrated (migrate_vma_check_page()), nor a file
 *     page, nor a hole (migrate_vma_insert_page() is left out);
 *   - fork shares a device page read-only; each process's write breaks COW
 *     after the migration back; mprotect(PROT_READ) makes the entry read-only;
 *   - MADV_DONTNEED, munmap and exit free the device page (no leak at
 *     quiescence).
 * No finding anywhere.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../core/mm.h"
#include "../core/page.h"
#include "../core/pgtable.h"
#include "exec.h"
#include "run_clean.h"

static struct scenario s;
static struct exec_result r;

#define HEAD "mmfuzz-sched 1\n"

static pte_t pte_at(int mm, unsigned long addr)
{
	return pte_oracle_get(mm_get(mm), addr);
}

/* Frames allocated now, device-private ones among them. */
static int frames_allocated(bool device)
{
	int n = 0;
	for (uint32_t pfn = 0; pfn < NR_FRAMES; pfn++) {
		const struct folio *f = pfn_page(pfn);
		n += f->allocated && (!device || (f->flags >> PG_device_private & 1u));
	}
	return n;
}

Test(migrate_device, pages_move_to_device_memory)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 5\n"
		       "  CPU0 P0 store 0x1008 = 6\n"
		       "agents\n"
		       "  CPU0 P0 migrate-device 0x0 pages=2\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].value, 2, "both pages moved");
	for (unsigned long addr = 0; addr < 0x2000; addr += 0x1000) {
		pte_t pte = pte_at(0, addr);
		cr_assert(is_device_private_entry(pte), "%#lx: %#llx is no device-private entry",
			  addr, (unsigned long long)pte_val(pte));
		cr_expect(is_writable_device_private_entry(pte), "the PTE was writable");
		struct folio *page = pfn_page(device_private_entry_pfn(pte));
		cr_expect(folio_is_device_private(page));
		cr_expect(folio_test_anon(page));
		cr_expect_eq(page->refcount, 1, "the mapping's reference only");
		cr_expect_eq(page->mapcount, 1, "mapped, for rmap, by the entry");
		cr_expect(!folio_test_locked(page));
	}
	cr_expect_eq(pfn_page(device_private_entry_pfn(pte_at(0, 0)))->data[0], 5);
	cr_expect_eq(pfn_page(device_private_entry_pfn(pte_at(0, 0x1000)))->data[1], 6);
	cr_expect_eq(frames_allocated(false), 2, "the system pages were freed");
	cr_expect_eq(frames_allocated(true), 2);
}

Test(migrate_device, device_reads_its_copy_and_a_cpu_access_brings_it_back)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x8 = 7\n"
		       "agents\n"
		       "  CPU0 P0 migrate-device 0x0 pages=1\n"
		       "  CPU0 P0 dev-read 0x8\n"
		       "  CPU1 P0 load 0x8\n"
		       "  CPU1 P0 dev-read 0x8\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(r.ops[1].value, 7, "the device reads what the process stored");
	cr_expect_eq(r.ops[2].value, 7, "the data survives the migration back");
	cr_expect_eq(r.ops[3].err, -ENOENT, "the device's copy is gone");
	cr_expect_geq(trace_count("do_device_private_page:folio_get"), 1,
		      "the fault took its reference under the PTL");
	pte_t pte = pte_at(0, 0);
	cr_assert(pte_present(pte), "mapped again: %#llx", (unsigned long long)pte_val(pte));
	cr_expect(pte_write(pte), "the entry was writable: so is the PTE");
	cr_expect(!folio_is_device_private(pfn_page(pte_pfn(pte))));
	cr_expect_eq(frames_allocated(true), 0, "the device page was freed");
}

Test(migrate_device, a_store_faults_the_page_back_and_writes_it)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "agents\n"
		       "  CPU0 P0 migrate-device 0x0 pages=1\n"
		       "  CPU1 P0 store 0x0 = 2\n"
		       "  CPU1 P0 load 0x0\n"
		       "  CPU2 P0 migrate-device 0x0 pages=1\n"
		       "  CPU2 P0 dev-read 0x0\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[2].value, 2);
	cr_expect_eq(r.ops[3].value, 1, "moved to the device again");
	cr_expect_eq(r.ops[4].value, 2, "with the CPU's store");
}

Test(migrate_device, a_pinned_page_stays_in_system_memory)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 store 0x1000 = 2\n"
		       "  CPU0 P0 pin 0x0 rw\n"
		       "agents\n"
		       "  CPU0 P0 migrate-device 0x0 pages=2\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].value, 1, "only the unpinned page moved");
	pte_t pte = pte_at(0, 0);
	cr_assert(pte_present(pte), "the pinned page stays mapped");
	cr_expect_eq(pfn_page(pte_pfn(pte)), mm_world.gup_ref.page, "the pinned page itself");
	cr_expect(is_device_private_entry(pte_at(0, 0x1000)));
}

Test(migrate_device, file_pages_and_holes_are_not_migrated)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 file=F0 shared rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 mmap 0x10000 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x10000 = 1\n"
		       "agents\n"
		       "  CPU0 P0 migrate-device 0x0 pages=1\n"
		       "  CPU0 P0 migrate-device 0x10000 pages=2\n"
		       "  CPU0 P0 migrate-device 0x30000 pages=1\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[0].err, -EINVAL, "anonymous memory only");
	cr_expect_eq(r.ops[1].err, 0);
	cr_expect_eq(r.ops[1].value, 1, "the populated page; the hole is left alone");
	cr_expect(pte_none(pte_at(0, 0x11000)));
	cr_expect_eq(r.ops[2].err, -EFAULT, "no VMA");
}

Test(migrate_device, fork_shares_the_device_page_read_only)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 migrate-device 0x0 pages=1\n"
		       "agents\n"
		       "  CPU0 P0 fork\n",
		  true, &s, &r);
	pte_t parent = pte_at(0, 0), child = pte_at(1, 0);
	cr_assert(is_device_private_entry(parent) && is_device_private_entry(child));
	cr_expect_eq(device_private_entry_pfn(parent), device_private_entry_pfn(child));
	cr_expect(!is_writable_device_private_entry(parent), "COW: read-only in the parent");
	cr_expect(!is_writable_device_private_entry(child), "and in the child");
	struct folio *page = pfn_page(device_private_entry_pfn(parent));
	cr_expect_eq(page->mapcount, 2);
	cr_expect_eq(page->refcount, 2);
	cr_expect(!(page->flags >> PG_anon_exclusive & 1u), "shared: no longer exclusive");
}

Test(migrate_device, after_fork_each_process_keeps_its_own_data)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 migrate-device 0x0 pages=1\n"
		       "  CPU0 P0 fork\n"
		       "agents\n"
		       "  CPU1 P1 store 0x0 = 2\n"
		       "  CPU1 P1 load 0x0\n"
		       "  CPU0 P0 dev-read 0x0\n"
		       "  CPU0 P0 load 0x0\n",
		  false, &s, &r);
	cr_expect_eq(r.ops[1].value, 2);
	cr_expect_eq(r.ops[3].value, 1, "the child's write broke COW after the migration back");
}

Test(migrate_device, mprotect_read_only_makes_the_entry_read_only)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=1 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 3\n"
		       "  CPU0 P0 migrate-device 0x0 pages=1\n"
		       "agents\n"
		       "  CPU0 P0 mprotect 0x0 pages=1 r\n"
		       "  CPU0 P0 load 0x0\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[1].value, 3);
	pte_t pte = pte_at(0, 0);
	cr_assert(pte_present(pte));
	cr_expect(!pte_write(pte), "back from the device read-only, as mprotect left it");
}

Test(migrate_device, dontneed_munmap_and_exit_free_the_device_page)
{
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=3 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 store 0x1000 = 2\n"
		       "  CPU0 P0 store 0x2000 = 3\n"
		       "  CPU0 P0 migrate-device 0x0 pages=3\n"
		       "agents\n"
		       "  CPU0 P0 madvise 0x0 pages=1 dontneed\n"
		       "  CPU0 P0 load 0x0\n"
		       "  CPU0 P0 munmap 0x1000 pages=1\n",
		  true, &s, &r);
	cr_expect_eq(r.ops[1].value, 0, "discarded: a zero page");
	cr_expect_eq(frames_allocated(true), 1, "one device page is left, mapped at 0x2000");
	run_clean(HEAD "setup\n"
		       "  CPU0 P0 mmap 0x0 pages=2 anon private rw\n"
		       "  CPU0 P0 store 0x0 = 1\n"
		       "  CPU0 P0 migrate-device 0x0 pages=1\n"
		       "agents\n"
		       "  CPU0 P0 exit\n",
		  false, &s, &r); /* quiescence: a leaked frame would be a finding */
	cr_expect_eq(frames_allocated(true), 0);
}
