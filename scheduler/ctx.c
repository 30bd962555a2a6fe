/* SPDX-License-Identifier: MIT */
/*
 * Context initialisation for the hand-written switch (ctx_switch.S) and the
 * ucontext fallback.  The initial frame of a new context is laid out so that the
 * switch's restore sequence "returns" into @entry with the ABI's stack alignment.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ctx.h"

#include <stdint.h>
#include <string.h>

#include "sched.h"

#ifndef SCHED_CTX_UCONTEXT
void sched_ctx_switch_asm(void **save_sp, void *new_sp);

void sched_ctx_init(struct sched_ctx *c, void *stack, size_t bytes, void (*entry)(void))
{
	uintptr_t top = ((uintptr_t)stack + bytes) & ~(uintptr_t)15;
#if defined(__x86_64__)
	/* r15 r14 r13 r12 rbx rbp | entry | fake return address; entry sees rsp = 8 mod 16 */
	uint64_t *frame = (uint64_t *)(top - 64);
	memset(frame, 0, 64);
	frame[6] = (uint64_t)(uintptr_t)entry;
#else
	/* x19..x28, x29 (fp) = 0, x30 (lr) = entry, d8..d15; sp stays 16-aligned */
	uint64_t *frame = (uint64_t *)(top - 160);
	memset(frame, 0, 160);
	frame[11] = (uint64_t)(uintptr_t)entry;
#endif
	c->sp = frame;
}

void sched_ctx_switch(struct sched_ctx *from, struct sched_ctx *to)
{
	sched_ctx_switch_asm(&from->sp, to->sp);
}
#else
void sched_ctx_init(struct sched_ctx *c, void *stack, size_t bytes, void (*entry)(void))
{
	sched_uctx_init(&c->u, stack, bytes, entry);
}

void sched_ctx_switch(struct sched_ctx *from, struct sched_ctx *to)
{
	sched_uctx_switch(&from->u, &to->u);
}
#endif

void sched_uctx_init(struct sched_uctx *c, void *stack, size_t bytes, void (*entry)(void))
{
	SCHED_ASSERT(getcontext(&c->uc) == 0);
	c->uc.uc_stack.ss_sp = stack;
	c->uc.uc_stack.ss_size = bytes;
	c->uc.uc_link = NULL;
	makecontext(&c->uc, entry, 0);
}

void sched_uctx_switch(struct sched_uctx *from, struct sched_uctx *to)
{
	SCHED_ASSERT(swapcontext(&from->uc, &to->uc) == 0);
}
