/* SPDX-License-Identifier: MIT */
/* Human-readable traces (see trace_print.h). */
#include "trace_print.h"

#include "../core/mm.h"

static const char *const op_names[SCHED_OP_COUNT] = {"read",	"write", "rmw", "acquire",
						     "release", "retry", "irq", "event"};
static const char *const obj_kinds[] = {
    [SCHED_OBJ_LOCK] = "lock",
    [SCHED_OBJ_RCU] = "rcu",
    [SCHED_OBJ_IPI] = "ipi",
    [SCHED_OBJ_AGENT] = "cpu",
    [OBJ_FOLIO] = "folio",
    [OBJ_DATA] = "data",
    [OBJ_PTE] = "pte",
    [OBJ_PMD] = "pmd",
    [OBJ_PTL] = "ptl",
    [OBJ_MM_LOCK] = "mm",
    [OBJ_MAPPING] = "mapping",
    [OBJ_DISK] = "disk",
    [OBJ_TLB] = "tlb",
    [OBJ_VMA] = "vma",
    [OBJ_VMA_LOCK] = "vm_lock",
    [OBJ_SWAP_MAP] = "swap_map",
    [OBJ_SWAP_CACHE] = "swap_cache",
    [OBJ_SWAP_DATA] = "swap_slot",
    [OBJ_MTREE] = "mtree",
    [OBJ_MAPLE_NODE] = "maple_node",
};

void trace_print_preempt(const struct scn_preempt *p, FILE *out)
{
	if (p->anchored) {
		fprintf(out, "%s at %s", exec_agent_name(p->agent), p->site);
		if (p->occurrence != 1)
			fprintf(out, "#%u", p->occurrence);
	} else {
		fprintf(out, "at %u", p->step);
	}
	fprintf(out, " -> %s", exec_agent_name(p->target));
}

const char *trace_op_name(unsigned op)
{
	return op < SCHED_OP_COUNT ? op_names[op] : "?";
}

const char *trace_obj_kind(uint32_t obj)
{
	unsigned kind = SCHED_OBJ_KIND(obj);
	return kind < sizeof(obj_kinds) / sizeof(obj_kinds[0]) && obj_kinds[kind] ? obj_kinds[kind]
										  : "obj";
}

const char *trace_site_name(uint32_t site_id)
{
	const struct sched_site *site = sched_site_by_id(site_id);
	return site ? site->name : "?";
}

static void print_step(const struct sched_trace_entry *e, FILE *out)
{
	fprintf(out, "  %5u  %-5s %-48s %-7s %s:%u\n", e->step, exec_agent_name(e->agent),
		trace_site_name(e->site), trace_op_name(e->op), trace_obj_kind(e->obj),
		SCHED_OBJ_INDEX(e->obj));
}

void trace_print_ops(const struct scenario *s, const struct exec_result *r, FILE *out)
{
	fprintf(out, "operations:\n");
	for (int i = 0; i < s->ops_count; i++) {
		const struct scn_op *op = &s->ops[i];
		const struct exec_op_result *res = &r->ops[i];
		fprintf(out, "  ");
		scn_print_op(op, out);
		if (!res->done)
			fprintf(out, "   -> did not complete\n");
		else if (res->err)
			fprintf(out, "   -> error %d\n", res->err);
		else if (op->kind == SCN_OP_LOAD || op->kind == SCN_OP_LOAD_ACQUIRE ||
			 op->kind == SCN_OP_GUP || op->kind == SCN_OP_DEV_READ ||
			 op->kind == SCN_OP_MIGRATE_DEVICE)
			fprintf(out, "   -> %llu\n", (unsigned long long)res->value);
		else
			fprintf(out, "   -> ok\n");
	}
}

void trace_print(const struct scenario *s, const struct exec_result *r, bool folded, FILE *out)
{
	uint32_t n;
	const struct sched_trace_entry *t = sched_trace(&n);
	fprintf(out, "interleaving (%u steps%s):\n", n,
		folded ? "; each run of one agent folded to its first and last steps" : "");
	enum { EDGE = 3 };
	uint32_t start = 0;
	while (start < n) {
		uint32_t end = start + 1;
		while (end < n && t[end].agent == t[start].agent &&
		       !(t[end].flags & SCHED_TRACE_SWITCH))
			end++;
		fprintf(out, "  --- %s, steps %u..%u\n", exec_agent_name(t[start].agent), start,
			end - 1);
		for (uint32_t i = start; i < end; i++) {
			if (folded && end - start > 2 * EDGE + 1 && i == start + EDGE) {
				fprintf(out, "         ... %u steps ...\n", end - start - 2 * EDGE);
				i = end - EDGE - 1;
				continue;
			}
			print_step(&t[i], out);
		}
		start = end;
	}
	trace_print_ops(s, r, out);
	if (r->finding)
		fprintf(out, "verdict: %s at %s: %s\n", r->f.oracle,
			r->f.site ? r->f.site->name : "-", r->f.msg);
	else
		fprintf(out, "verdict: clean\n");
}
