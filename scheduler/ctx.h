/* SPDX-License-Identifier: MIT */
/*
 * Coroutine context switch.  Hand-written for x86-64 (rbp, rbx, r12-r15; returns by
 * pop+jmp, which avoids a return-stack mispredict) and aarch64 (x19-x30, d8-d15);
 * glibc ucontext elsewhere or when SCHED_CTX_UCONTEXT is defined.  A context is its
 * saved stack pointer; a new one starts in @entry with an empty, aligned stack.
 * The ucontext variant is always compiled so bench/ can compare both in one run.
 */
#ifndef MMFUZZ_CTX_H
#define MMFUZZ_CTX_H

#include <stddef.h>
#include <ucontext.h>

#if !defined(SCHED_CTX_UCONTEXT) && !defined(__x86_64__) && !defined(__aarch64__)
#define SCHED_CTX_UCONTEXT 1
#endif

/* The ucontext flavour, always available (bench/). */
struct sched_uctx {
	ucontext_t uc;
};
void sched_uctx_init(struct sched_uctx *c, void *stack, size_t bytes, void (*entry)(void));
void sched_uctx_switch(struct sched_uctx *from, struct sched_uctx *to);

struct sched_ctx {
	void *sp;
#ifdef SCHED_CTX_UCONTEXT
	struct sched_uctx u;
#endif
};

void sched_ctx_init(struct sched_ctx *c, void *stack, size_t bytes, void (*entry)(void));
void sched_ctx_switch(struct sched_ctx *from, struct sched_ctx *to);

#endif
