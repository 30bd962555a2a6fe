/* SPDX-License-Identifier: MIT */
/*
 * The hardware side of a CPU: user loads and stores through its TLB, the page
 * table walker that fills it (setting accessed/dirty atomically in the PTE), and
 * the page-fault entry.  Each completed user access is an event for the oracle
 * layer (core/oracle/events.h), which judges what a load returns.
 *
 * Models: an x86-64 MMU (a store through a TLB entry that is not yet dirty re-walks
 * to set the PTE's dirty bit, and faults if the PTE no longer allows it), and
 * arch/x86/mm/fault.c do_user_addr_fault().  The arm64 flavour's walker reads
 * contpte blocks as its TLB caches them (see contpte.h).  Weak memory (a
 * scenario's `memory arm64`): store buffers and deferred loads, sbuf.h.  Leaves out: TLB
 * eviction choices by the schedule, prefetch, speculative walks.
 */
#ifndef MMFUZZ_HW_H
#define MMFUZZ_HW_H

#include <errno.h>

#include "mm.h"

/* A user access by @cpu in @mm.  Returns 0, or -EFAULT (SIGSEGV) / -ENOMEM. */
int hw_load(int cpu, struct mm_struct *mm, unsigned long addr, uint64_t *val);
int hw_store(int cpu, struct mm_struct *mm, unsigned long addr, uint64_t val);
/*
 * A plain load (READ_ONCE, not acquire): in memory arm64 it may be performed
 * after the CPU's later accesses — *@val is written then, not at return — see
 * sbuf.h "Deferred loads"; elsewhere hw_load().
 */
int hw_load_relaxed(int cpu, struct mm_struct *mm, unsigned long addr, uint64_t *val);

/* Agents that act only as a device (DMA through a pin): not CPUs, no TLB, no IPIs. */
extern uint32_t hw_device_agents;

/* The sites of a device's accesses through a pin (gup.c), named in reports. */
extern struct sched_site hw_site_dma_read, hw_site_dma_write;
/* A user load's and store's sites (hw_access:load, hw_access:store). */
extern struct sched_site hw_site_load, hw_site_store;

#endif
