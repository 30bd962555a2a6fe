#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
mmfuzz mutants: finding power you can measure.

Mutates the model's own protocols (core/*.c) one protocol step at a time, searches
every mutant blind (every knob off, every corpus/ family, random and PCT, no hint)
and reports which oracle killed it, how fast, or that it survived; survivors are
joined with a hand-written triage (bench/mutants-triage.tsv).

Sites are ENUMERATED from the source by the kernel call names (a small textual C
parser: comments and strings blanked, braces and statements matched), not from a
hand list, so a new subsystem gets mutants by itself.  Sites a knob already toggles
(a statement that reads knob_enabled() or a local derived from it, the && / || term
of a condition that does, and the body and else-chain of that `if`) are skipped:
the zoo measures those.  --reach replaces the mutation by an abort at the site, to
learn whether any family executes it at all (for the triage).

The working tree is never written: the tracked sources are copied once into a
scratch tree (build/mutants/src), a mutant is written into the copy, the copy is
built with its own B= (build/mutants/src/obj; make rebuilds the one object and
relinks), searched, and the copy's file is restored to the bytes it had when the
run began (in a `finally`, and on SIGINT/SIGTERM): editing the working tree during
a run changes nothing in it.  Mutants are built without -Werror (an
unused variable left by a deleted call is not a semantic change); a mutant that
does not compile is counted as such and discarded.

Left out: libFuzzer campaigns per mutant (the in-process sweep is what the budget
buys on a 2-core machine); mutating scheduler/ (not the model's protocols); running
mutants in parallel (one build tree; the machine has two cores shared).
"""

import argparse
import collections
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---- operators: kernel call names -> protocol-step mutation ------------------------------

TLB_FLUSHES = {
    "flush_tlb_range", "__flush_tlb_range", "flush_tlb_mm", "flush_tlb_page",
    "tlb_flush_mmu", "tlb_flush_mmu_tlbonly", "flush_tlb_fix_spurious_fault",
    "flush_tlb_all", "flush_tlb_kernel_range",
}
# lock -> unlock (the first argument identifies the lock)
LOCK_PAIRS = {
    "spin_lock": "spin_unlock", "spin_lock_at": "spin_unlock_at",
    "spin_lock_irqsave": "spin_unlock_irqrestore",
    "mmap_read_lock": "mmap_read_unlock", "mmap_write_lock": "mmap_write_unlock",
    "down_read": "up_read", "down_write": "up_write",
    "down_read_at": "up_read_at", "down_write_at": "up_write_at",
    "folio_lock": "folio_unlock", "mutex_lock": "mutex_unlock",
    "mutex_lock_at": "mutex_unlock_at",
    "rcu_read_lock": "rcu_read_unlock", "rcu_read_lock_at": "rcu_read_unlock_at",
    "i_mmap_lock_write": "i_mmap_unlock_write", "i_mmap_lock_read": "i_mmap_unlock_read",
    "anon_vma_lock_write": "anon_vma_unlock_write", "anon_vma_lock_read": "anon_vma_unlock_read",
}
UNLOCKS = set(LOCK_PAIRS.values()) | {"pte_unmap_unlock"}
# write lock -> read lock (and their unlocks)
WRITE_TO_READ = {
    "mmap_write_lock": ("mmap_read_lock", "mmap_write_unlock", "mmap_read_unlock"),
    "down_write": ("down_read", "up_write", "up_read"),
    "down_write_at": ("down_read_at", "up_write_at", "up_read_at"),
    "i_mmap_lock_write": ("i_mmap_lock_read", "i_mmap_unlock_write", "i_mmap_unlock_read"),
    "anon_vma_lock_write": ("anon_vma_lock_read", "anon_vma_unlock_write",
                            "anon_vma_unlock_read"),
}
RECHECKS = {"pte_same", "pmd_same"}
COUNT_READS = {"folio_ref_count", "folio_mapcount", "page_mapcount", "folio_pincount",
               "page_ref_count"}
PIN_TESTS = {"folio_maybe_dma_pinned", "page_maybe_dma_pinned"}
ANON_EXCLUSIVE = {"SetPageAnonExclusive", "ClearPageAnonExclusive",
                  "folio_set_anon_exclusive", "folio_clear_anon_exclusive"}
FLUSH_PENDING = {"flush_tlb_batched_pending", "inc_tlb_flush_pending"}
PMD_ATOMIC_UPDATES = {"pmdp_cmpxchg", "pmdp_invalidate", "pmdp_establish"}
TABLE_SYNC = {"tlb_remove_table_sync_one"}

OPERATORS = [
    ("drop-tlb-flush", "delete a TLB flush call"),
    ("flush-after-unlock", "move a TLB flush after the unlock that follows it in its block"),
    ("drop-lock-pair", "delete a lock and its unlocks in the function"),
    ("read-for-write", "take a read lock where a write lock is taken"),
    ("drop-recheck", "pte_same/pmd_same after the lock -> true; the stack re-check "
                     "after the lock is retaken -> as before the unlock"),
    ("drop-vma-start-write", "delete vma_start_write()"),
    ("drop-count-check", "a refcount/mapcount comparison -> as if the count were the "
                         "compared value; folio_maybe_dma_pinned() -> false"),
    ("drop-anon-exclusive", "delete a PageAnonExclusive set/clear"),
    ("drop-flush-pending", "delete flush_tlb_batched_pending() / inc_tlb_flush_pending()"),
    ("pmd-clear-then-set", "an atomic PMD update (pmdp_invalidate/cmpxchg) -> clear, then set"),
    ("skip-table-sync", "delete tlb_remove_table_sync_one()"),
]
OPERATOR_NAMES = [o for o, _ in OPERATORS]

# ---- a small textual C parser -------------------------------------------------------------


def blank(text):
    """Comments, string/char literals and preprocessor lines -> spaces (newlines kept),
    so that offsets in the result are offsets in text."""
    out = list(text)
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c in " \t":
            i += 1
            continue
        if line_start and c == "#":
            while i < n and not (text[i] == "\n" and text[i - 1] != "\\"):
                out[i] = " "
                i += 1
            continue
        line_start = c == "\n"
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def match_close(s, i):
    """s[i] is ( [ or {: the index of its match (or len(s))."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[s[i]]]
    j = i + 1
    while j < len(s) and stack:
        c = s[j]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            stack.pop()
        j += 1
    return j - 1


def skip_ws(s, i):
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def split_args(s):
    args, depth, cur = [], 0, ""
    for c in s:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        args.append(cur.strip())
    return args


def norm(s):
    return re.sub(r"\s+", "", s)


def term_end(s, j, hi, stops=""):
    """End (exclusive) of the && / || operand starting at s[j]: the first top-level
    &&, ||, closing bracket or one of stops, at most hi."""
    depth = 0
    while j < hi:
        c = s[j]
        if c in "([":
            depth += 1
        elif c in ")]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (c in stops or s[j:j + 2] in ("&&", "||")):
            break
        j += 1
    return j


def stmt_end(s, p):
    """End (inclusive) of the statement starting at s[p]."""
    p = skip_ws(s, p)
    if s[p] == "{":
        return match_close(s, p)
    m = re.match(r"(if|while|for|switch)\b\s*\(", s[p:])
    if m:
        close = match_close(s, p + m.end() - 1)
        end = stmt_end(s, close + 1)
        if m.group(1) == "if":
            q = skip_ws(s, end + 1)
            if re.match(r"else\b", s[q:]):
                end = stmt_end(s, q + 4)
        return end
    if re.match(r"do\b", s[p:]):
        end = stmt_end(s, p + 2)
        q = skip_ws(s, end + 1)
        return s.index(";", q)
    depth = 0
    j = p
    while j < len(s):
        c = s[j]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return j - 1
        elif c == ";" and depth == 0:
            return j
        j += 1
    return len(s) - 1


class Source:
    def __init__(self, rel, text):
        self.rel = rel
        self.text = text
        self.s = blank(text)
        self.functions = self._functions()
        self.blocks = self._blocks()

    def line(self, off):
        return self.text.count("\n", 0, off) + 1

    def _functions(self):
        s, out, i, depth = self.s, [], 0, 0
        while i < len(s):
            c = s[i]
            if c == "{" and depth == 0:
                close = match_close(s, i)
                head = s[max(0, i - 400):i].rstrip()
                m = re.search(r"(\w+)\s*\(([^()]|\([^()]*\))*\)\s*$", head)
                if m and m.group(1) not in ("if", "while", "for", "switch"):
                    out.append((m.group(1), i, close))
                i = close + 1
                continue
            i += 1
        return out

    def _blocks(self):
        out, stack = [], []
        for i, c in enumerate(self.s):
            if c == "{":
                stack.append(i)
            elif c == "}" and stack:
                out.append((stack.pop(), i))
        return out

    def function_at(self, off):
        for name, a, b in self.functions:
            if a < off < b:
                return name, a, b
        return None

    def block_at(self, off):
        best = None
        for a, b in self.blocks:
            if a < off < b and (best is None or a > best[0]):
                best = (a, b)
        return best

    def calls(self, names, lo=0, hi=None):
        """(name, start, open paren, close paren) of calls to names in [lo, hi)."""
        hi = len(self.s) if hi is None else hi
        pat = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\s*\(")
        for m in pat.finditer(self.s, lo, hi):
            if m.start() > 0 and self.s[m.start() - 1] in ".>":  # a member, not a call
                if self.s[m.start() - 1] == ">" and self.s[m.start() - 2] != "-":
                    pass
                else:
                    continue
            op = m.end() - 1
            yield m.group(1), m.start(), op, match_close(self.s, op)

    def call_statement(self, start, close):
        """If the call at start..close is a whole expression statement, its end (';')."""
        j = skip_ws(self.s, close + 1)
        if j >= len(self.s) or self.s[j] != ";":
            return None
        k = start - 1
        while k >= 0 and self.s[k].isspace():
            k -= 1
        before = self.s[max(0, k - 3):k + 1]
        if self.s[k] in ";{}" or before.endswith("else") or before.endswith(" do"):
            return j
        if self.s[k] == ")":  # the body of an if/while/for without braces?
            depth, q = 0, k
            while q >= 0:
                if self.s[q] == ")":
                    depth += 1
                elif self.s[q] == "(":
                    depth -= 1
                    if depth == 0:
                        break
                q -= 1
            if re.search(r"\b(if|while|for)\s*$", self.s[max(0, q - 10):q]):
                return j
        return None

    def plain_statement(self, start):
        """The statement at start follows ; { or } (not the body of an if)."""
        k = start - 1
        while k >= 0 and self.s[k].isspace():
            k -= 1
        return self.s[k] in ";{}"

    def statement_start(self, pos, lo):
        """Start of the statement containing pos (back to ; { or } at depth 0)."""
        s, k, depth = self.s, pos, 0
        while k > lo:
            c = s[k - 1]
            if c in ")]":
                depth += 1
            elif c in "([":
                depth -= 1
            elif c in ";{}" and depth <= 0:
                break
            k -= 1
        return skip_ws(s, k)

    def knob_ranges(self):
        """Offsets a knob already toggles (see the file's header)."""
        s, ranges = self.s, []
        for _, a, b in self.functions:
            # locals derived from a knob, transitively: bool x = ... knob_enabled(...) ...;
            kvars = set()
            changed = True
            while changed:
                changed = False
                pat = re.compile(r"knob_enabled" + "".join(r"|\b%s\b" % v for v in sorted(kvars)))
                for m in pat.finditer(s, a, b):
                    st = self.statement_start(m.start(), a)
                    d = re.match(r"(?:[A-Za-z_][\w\s\*]*?\s)?\**(\w+)\s*=[^=]", s[st:m.start()])
                    if d and d.group(1) not in kvars and d.group(1) not in ("if", "return"):
                        kvars.add(d.group(1))
                        changed = True
            for m in pat.finditer(s, a, b):
                st = self.statement_start(m.start(), a)
                cond = re.match(r"(if|while)\s*\(", s[st:])
                if not cond:  # a statement that reads a knob: all of it
                    ranges.append((st, stmt_end(s, st)))
                    continue
                op = st + cond.end() - 1
                close = match_close(s, op)
                if m.start() > close:  # the mention is in the body, handled there
                    continue
                # the condition's && / || term that reads the knob, then the body and
                # its else-chain
                lo = hi = m.start()
                depth = 0
                while lo > op + 1:
                    c = s[lo - 1]
                    if c in ")]":
                        depth += 1
                    elif c in "([":
                        if depth == 0:
                            break
                        depth -= 1
                    elif depth == 0 and s[lo - 2:lo] in ("&&", "||"):
                        break
                    lo -= 1
                ranges.append((lo, term_end(s, hi, close)))
                ranges.append((close + 1, stmt_end(s, st)))
        return ranges


# ---- enumeration ---------------------------------------------------------------------------

Mutant = collections.namedtuple("Mutant", "id op file func line edits what probe")


def enumerate_file(src):
    knob = src.knob_ranges()

    def knobbed(lo, hi):
        return any(a <= hi and lo <= b for a, b in knob)

    found = []  # (op, func, callee, start, edits, what, probe)
    s, t = src.s, src.text

    def add(op, start, callee, edits, what, lo, hi, probe=None):
        """probe: the (start, end) of the statement or expression of the site, for
        --reach (default: the first edit's span)."""
        f = src.function_at(start)
        if f is None or knobbed(lo, hi):
            return
        e = min(edits)
        found.append((op, f[0], callee, start, edits, what, probe or (e[0], e[1])))

    def delete(start, end):
        return [(start, end + 1, "(void)0;")]

    for name, st, op, cl in src.calls(TLB_FLUSHES):
        end = src.call_statement(st, cl)
        if end is None:
            continue
        add("drop-tlb-flush", st, name, delete(st, end), "delete " + name + "()", st, end)
        # flush-after-unlock: the next unlock statement of the same block
        blk = src.block_at(st)
        if not src.plain_statement(st) or blk is None:
            continue
        for un, ust, uop, ucl in src.calls(UNLOCKS, end + 1, blk[1]):
            uend = src.call_statement(ust, ucl)
            if uend is None or src.block_at(ust) != blk or not src.plain_statement(ust):
                continue
            text = t[st:end + 1]
            edits = delete(st, end) + [(uend + 1, uend + 1, " " + text)]
            add("flush-after-unlock", st, name, edits, "move %s() after %s()" % (name, un),
                st, uend)
            break

    for f, a, b in src.functions:
        for name, st, op, cl in src.calls(LOCK_PAIRS, a, b):
            end = src.call_statement(st, cl)
            if end is None:
                continue
            args = split_args(s[op + 1:cl])
            key = norm(args[0]) if args else ""
            unl = LOCK_PAIRS[name]
            pairs = []
            for un, ust, uop, ucl in src.calls({unl}, end + 1, b):
                uend = src.call_statement(ust, ucl)
                uargs = split_args(s[uop + 1:ucl])
                if uend is not None and (norm(uargs[0]) if uargs else "") == key:
                    pairs.append((ust, uend))
            if not pairs:
                continue
            edits = delete(st, end)
            for ust, uend in pairs:
                edits += delete(ust, uend)
            add("drop-lock-pair", st, name, edits,
                "delete %s(%s) and %d %s()" % (name, key, len(pairs), unl), st, pairs[-1][1])
            if name in WRITE_TO_READ:
                rlock, wun, run = WRITE_TO_READ[name]
                edits = [(st, st + len(name), rlock)]
                for ust, uend in pairs:
                    edits.append((ust, ust + len(wun), run))
                add("read-for-write", st, name, edits,
                    "%s -> %s, %d unlocks" % (name, rlock, len(pairs)), st, st, (st, end + 1))
        # pte_unmap_unlock pairs with pte_offset_map_lock()/pte_range_lock(): drop both
        for name, st, op, cl in src.calls({"pte_offset_map_lock"}, a, b):
            m = re.search(r"(\w+)\s*=\s*$", s[max(a, st - 80):st])
            args = split_args(s[op + 1:cl])
            if not m or len(args) != 4 or not args[3].startswith("&"):
                continue
            ptr, ptl = m.group(1), norm(args[3][1:])
            unl = []
            for un, ust, uop, ucl in src.calls({"pte_unmap_unlock"}, cl, b):
                uend = src.call_statement(ust, ucl)
                uargs = split_args(s[uop + 1:ucl])
                if uend is not None and len(uargs) == 2 and norm(uargs[1]) == ptl:
                    unl.append((ust, uend))
            if not unl:
                continue
            # keep the map (pte_offset_map of the PMD just read), drop the lock
            edits = [(st, cl + 1, "pte_offset_map(pmdp_get(%s, %s), %s)" %
                      (args[0], args[1], args[2]))]
            for ust, uend in unl:
                edits += delete(ust, uend)
            add("drop-lock-pair", st, name, edits,
                "pte_offset_map_lock -> pte_offset_map, %d pte_unmap_unlock()" % len(unl),
                st, unl[-1][1])
            del ptr

    for name, st, op, cl in src.calls(RECHECKS):
        f = src.function_at(st)
        if f and "cmpxchg" in f[0]:
            continue  # the compare of a compare-and-exchange primitive, not a re-check
        add("drop-recheck", st, name, [(st, cl + 1, "1")], name + "() -> true", st, cl)
    # re-check after a lock is retaken: lock, unlock, lock again, then a vm_start test
    for f, a, b in src.functions:
        for name, st, op, cl in src.calls(LOCK_PAIRS, a, b):
            retaken = None
            for un, ust, uop, ucl in src.calls(UNLOCKS, a, st):
                retaken = st
            if retaken is None:
                continue
            taken_before = list(src.calls(LOCK_PAIRS, a, st))
            if not taken_before:
                continue
            for m in re.finditer(r"(\w+\s*->\s*vm_start)\s*(>=|<=|>|<)\s*(\w+)", s[cl:b]):
                lo, hi = cl + m.start(), cl + m.end()
                val = "1" if m.group(2) in (">", ">=") else "0"
                add("drop-recheck", lo, "vm_start", [(lo, hi, val)],
                    "re-check %s after %s() -> %s" % (norm(m.group(0)), name, val), lo, hi)
            break

    for name, st, op, cl in src.calls({"vma_start_write"}):
        end = src.call_statement(st, cl)
        if end is not None:
            add("drop-vma-start-write", st, name, delete(st, end), "delete vma_start_write()",
                st, end)

    for name, st, op, cl in src.calls(COUNT_READS):
        m = re.match(r"\s*(==|!=|>=|<=|>|<)\s*", s[cl + 1:])
        if not m:
            continue
        j = term_end(s, cl + 1 + m.end(), len(s), ";?:,")
        val = "1" if m.group(1) in ("==", ">=", "<=") else "0"
        cmp = norm(s[st:j])
        add("drop-count-check", st, name, [(st, j, "(" + val + ")")],
            "%s -> %s" % (cmp, val), st, j)
    for name, st, op, cl in src.calls(PIN_TESTS):
        add("drop-count-check", st, name, [(st, cl + 1, "0")], name + "() -> false", st, cl)

    for name, st, op, cl in src.calls(ANON_EXCLUSIVE):
        end = src.call_statement(st, cl)
        if end is not None:
            add("drop-anon-exclusive", st, name, delete(st, end), "delete %s()" % name, st, end)
    for m in re.finditer(r"flags\s*(\|=|&=)[^;]*\bPG_anon_exclusive\b[^;]*;", s):
        st = src.statement_start(m.start(), 0)
        add("drop-anon-exclusive", st, "PG_anon_exclusive",
            [(st, m.end(), "(void)0;")], "delete " + norm(s[st:m.end()]), st, m.end())

    for name, st, op, cl in src.calls(FLUSH_PENDING):
        end = src.call_statement(st, cl)
        if end is not None:
            add("drop-flush-pending", st, name, delete(st, end), "delete %s()" % name, st, end)
    for m in re.finditer(r"\btlb_flush_pending\s*\+\+\s*;", s):
        st = src.statement_start(m.start(), 0)
        add("drop-flush-pending", st, "inc_tlb_flush_pending",
            [(st, m.end(), "(void)0;")], "delete %s (inc_tlb_flush_pending)"
            % norm(s[st:m.end()]), st, m.end())

    for name, st, op, cl in src.calls(PMD_ATOMIC_UPDATES):
        args = split_args(s[op + 1:cl])
        if name == "pmdp_cmpxchg" and len(args) == 4:
            mm, p, new = args[0], args[1], args[3]
        elif name in ("pmdp_invalidate", "pmdp_establish") and len(args) >= 3:
            mm, p = args[0] + "->vm_mm", args[2]
            new = args[3] if len(args) > 3 else "pmd_mkinvalid(pmdp_get(%s, %s))" % (mm, p)
        else:
            continue
        rep = "(pmdp_huge_get_and_clear(%s, 0, %s), set_pmd_at(%s, 0, %s, %s), true)" % (
            mm, p, mm, p, new)
        add("pmd-clear-then-set", st, name, [(st, cl + 1, rep)],
            "%s -> pmdp_huge_get_and_clear + set_pmd_at" % name, st, cl)

    for name, st, op, cl in src.calls(TABLE_SYNC):
        end = src.call_statement(st, cl)
        if end is not None and src.function_at(st) and src.function_at(st)[0] != name:
            add("skip-table-sync", st, name, delete(st, end), "delete %s()" % name, st, end)

    # stable ids: file:function:operator:callee#ordinal (in source order)
    found.sort(key=lambda x: x[3])
    ordinal = collections.Counter()
    out = []
    for op, func, callee, start, edits, what, probe in found:
        key = (func, op, callee)
        ordinal[key] += 1
        mid = "%s:%s:%s:%s#%d" % (os.path.basename(src.rel), func, op, callee, ordinal[key])
        out.append(Mutant(mid, op, src.rel, func, src.line(start), edits, what, probe))
    return out


def enumerate_all(root):
    core = os.path.join(root, "core")
    mutants = []
    for name in sorted(os.listdir(core)):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(core, name), encoding="utf-8") as fh:
            mutants += enumerate_file(Source("core/" + name, fh.read()))
    return mutants


REACHED = "mutant site reached"


def probe_edits(text, m):
    """--reach: the site unchanged but wrapped in a loud abort, to learn whether any
    family executes it."""
    a, b = m.probe
    fail = 'sched_assert_fail("%s", __FILE__, __LINE__, __func__)' % REACHED
    if text[a:b].rstrip().endswith(";"):
        return [(a, b, "{ %s; %s }" % (fail, text[a:b]))]
    return [(a, b, "(%s, %s)" % (fail, text[a:b]))]


def apply_edits(text, edits):
    for a, b, rep in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:a] + rep + text[b:]
    return text


# ---- scratch tree, build, search -------------------------------------------------------------

COPY_DIRS = ("scheduler", "core", "tools", "fuzz")


def die(msg, code=2):
    print("mutants: " + msg, file=sys.stderr)
    sys.exit(code)


def write_file(path, data):
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(data)
    except OSError as e:
        die("%s: %s" % (path, os.strerror(e.errno)), 1)


class Scratch:
    """A copy of the sources; mutants are written only here."""

    def __init__(self, root, work):
        self.root, self.src = root, os.path.join(work, "src")
        self.obj = os.path.join(self.src, "obj")
        # the sources as they were when the run began: mutants are applied to these
        # and restored from them, so editing the working tree meanwhile changes
        # nothing in the run (the enumeration was made from the same bytes)
        self.pristine = {}
        for d in COPY_DIRS:  # with their subdirectories (core/oracle, core/kernel, ...)
            for top, _dirs, names in os.walk(os.path.join(root, d)):
                dst = os.path.join(self.src, os.path.relpath(top, root))
                os.makedirs(dst, exist_ok=True)
                for name in names:
                    rel = os.path.relpath(os.path.join(top, name), root)
                    self.pristine[rel] = self._sync(os.path.join(top, name),
                                                    os.path.join(dst, name))
        self._sync(os.path.join(root, "Makefile"), os.path.join(self.src, "Makefile"))
        os.makedirs(os.path.join(self.src, "build"), exist_ok=True)
        open(os.path.join(self.src, "build", ".deps-ok"), "a").close()
        self.binary = os.path.join(self.obj, "mmfuzz")

    @staticmethod
    def _sync(src, dst, data=None):
        """Make @dst hold @src's bytes (or @data); returns them."""
        if data is None:
            with open(src, "rb") as fh:
                data = fh.read()
        try:
            with open(dst, "rb") as fh:
                if fh.read() == data:
                    return data
        except OSError:
            pass
        try:
            with open(dst, "wb") as fh:
                fh.write(data)
        except OSError as e:
            die("%s: %s" % (dst, os.strerror(e.errno)), 1)
        return data

    def original(self, rel):
        """@rel's text as the run began."""
        return self.pristine[rel].decode("utf-8")

    def put(self, rel, text):
        path = os.path.join(self.src, rel)
        write_file(path, text)
        now = time.time()
        os.utime(path, (now, now))

    def restore(self, rel):
        self._sync(None, os.path.join(self.src, rel), self.pristine[rel])
        now = time.time()
        os.utime(os.path.join(self.src, rel), (now, now))

    def build(self, jobs, werror):
        warn = "-Wall -Wextra -Werror" if werror else "-Wall -Wextra"
        cmd = ["make", "-s", "-C", self.src, "-j%d" % jobs, "B=obj", "WARN=" + warn,
               "obj/mmfuzz"]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return r.returncode == 0, r.stdout


FIND_RE = re.compile(r"first finding at run (\d+)")
ORACLE_RE = re.compile(r"^FINDING (\S+)", re.M)
SITE_RE = re.compile(r"^\s*site:\s*(\S+)", re.M)


def search(binary, families, runs, seed, stop_first, tmp, timeout):
    """Every family x (random, PCT); returns (findings list, runs total, seconds)."""
    findings, total, t0 = [], 0, time.monotonic()
    for fam in families:
        for strat in ("random", "pct"):
            cmd = [binary, "explore", fam, "--strategy", strat, "--runs", str(runs),
                   "--seed", str(seed), "--knobs=", "-o", tmp]
            try:
                r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                findings.append(dict(oracle="timeout", site="-", strategy=strat, family=fam,
                                     runs=total, seconds=time.monotonic() - t0))
                if stop_first:
                    return findings, total, time.monotonic() - t0
                continue
            m = re.search(r": (\d+) runs in", r.stdout)
            n = int(m.group(1)) if m else 0
            if r.returncode == 0:
                total += n
                continue
            if r.returncode == 1 and ORACLE_RE.search(r.stdout):
                fr = FIND_RE.search(r.stdout)
                total += int(fr.group(1)) if fr else n
                oracle = ORACLE_RE.search(r.stdout).group(1)
                site = SITE_RE.search(r.stdout)
                site = site.group(1) if site else "-"
            else:  # the simulator's own assertion (or a crash): loud, counted apart
                total += n
                oracle = "sim-assert" if r.returncode in (-6, 134) else "exit%d" % r.returncode
                lines = [x for x in r.stderr.splitlines() if x.strip()]
                site = re.sub(r"\s+", "_", lines[0][:60]) if lines else "-"
            findings.append(dict(oracle=oracle, site=site, strategy=strat, family=fam,
                                 runs=total, seconds=time.monotonic() - t0))
            if stop_first:
                return findings, total, time.monotonic() - t0
    return findings, total, time.monotonic() - t0


# ---- triage, report ----------------------------------------------------------------------------

TRIAGE_CLASSES = ("equivalent", "unreachable", "oracle-blind", "too-deep")


def load_triage(path):
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip() or line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 3 or f[1] not in TRIAGE_CLASSES:
                die("%s:%d: expected 'ID<TAB>%s<TAB>reason'" % (path, n, "|".join(TRIAGE_CLASSES)))
            out[f[0]] = (f[1], f[2])
    return out


TSV_COLS = ("id", "operator", "file", "function", "line", "status", "oracle", "site",
            "strategy", "family", "runs", "search_s", "build_s", "triage", "reason")


def status_class(row):
    if row["status"] == "killed":
        return "killed"
    if row["status"] == "no-compile":
        return "no-compile"
    return row["triage"] or "untriaged"


def report(rows, control, args, commit, out):
    cols = ["killed", "by-assert", "equivalent", "unreachable", "oracle-blind", "too-deep", "untriaged",
            "no-compile"]
    by = collections.OrderedDict((o, collections.Counter()) for o in OPERATOR_NAMES)
    for r in rows:
        by[r["operator"]][status_class(r)] += 1
        if r["status"] == "killed" and r["oracle"] in ("sim-assert", "timeout") or \
                r["oracle"].startswith("exit"):
            by[r["operator"]]["by-assert"] += 1
    w = out.write
    w("mmfuzz mutants at %s: %d mutants, %d runs per family per strategy (random, PCT), "
      "seed %d, %d families, every knob off\n\n" % (commit, len(rows), args.runs, args.seed,
                                                   len(args.family_paths)))
    w("(killed includes by-assert: the model's own simulator assertion or a crash or "
      "timeout, not an oracle)\n\n")
    w("| operator | mutants | " + " | ".join(cols) + " | score |\n")
    w("| --- | ---: | " + " | ".join("---:" for _ in cols) + " | ---: |\n")
    tot = collections.Counter()
    for op, c in by.items():
        n = sum(c.values()) - c["by-assert"]
        if not n:
            continue
        tot.update(c)
        w("| %s | %d | " % (op, n) + " | ".join(str(c[k]) for k in cols) + " | %s |\n"
          % score(c))
    w("| **all** | %d | " % (sum(tot.values()) - tot["by-assert"]) + " | ".join(str(tot[k]) for k in cols)
      + " | %s |\n" % score(tot))
    if control is not None:
        w("| control (unmutated) | - | findings: %d | | | | | | | %s |\n"
          % (len(control), "clean" if not control else "FALSE POSITIVE"))
    killed = [r for r in rows if r["status"] == "killed"]
    ran = [r for r in rows if r["status"] in ("killed", "survived")]
    if ran:
        w("\nscore = killed / (compiled - equivalent). Time per mutant: build %.1f s, "
          "search %.1f s mean (killed %.1f s, survived %.1f s mean)\n" % (
              mean(float(r["build_s"]) for r in ran), mean(float(r["search_s"]) for r in ran),
              mean(float(r["search_s"]) for r in killed),
              mean(float(r["search_s"]) for r in ran if r["status"] == "survived")))
    if killed:
        oc = collections.Counter(r["oracle"] for r in killed)
        w("killed by: " + ", ".join("%s %d" % kv for kv in oc.most_common()) + "\n")
    surv = [r for r in rows if r["status"] == "survived"]
    if surv:
        w("\nsurvivors:\n")
        for r in surv:
            w("  %-70s %-12s %s\n" % (r["id"], r["triage"] or "UNTRIAGED", r["reason"]))
    if control:
        w("\nCONTROL FOUND SOMETHING (a false positive of the model):\n")
        for f in control:
            w("  %s %s %s %s\n" % (f["family"], f["strategy"], f["oracle"], f["site"]))


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def score(c):
    den = c["killed"] + c["unreachable"] + c["oracle-blind"] + c["too-deep"] + c["untriaged"]
    return "%.0f%%" % (100.0 * c["killed"] / den) if den else "-"


def save_tsv(args, rows, commit, control, total):
    if not args.tsv:
        return
    lines = ["\t".join(TSV_COLS)]
    for r in rows:
        lines.append("\t".join(str(r[c]) for c in TSV_COLS))
    partial = "" if len(rows) == total else " (partial: %d of %d)" % (len(rows), total)
    write_file(args.tsv, "# mmfuzz mutants at %s: --runs %d --seed %d%s%s; families %d; "
               "control %s findings%s\n" % (
                   commit, args.runs, args.seed,
                   " --sample %d" % args.sample if args.sample else "",
                   " --reach" if args.reach else "", len(args.family_paths),
                   "-" if control is None else "%d" % len(control), partial)
               + "\n".join(lines) + "\n")


def finish(args, rows, control, commit, triage, all_ids=None):
    """The report, plus what is wrong with the triage; the exit status."""
    import io
    buf = io.StringIO()
    if getattr(args, "reach", False):  # --reach: which sites a family executes
        for r in rows:
            buf.write("%-11s %s %s\n" % (r["status"], r["id"], r["family"]))
        c = collections.Counter(r["status"] for r in rows)
        buf.write("reached %d, not reached %d, no-compile %d\n" % (
            c["reached"], c["not-reached"], c["no-compile"]))
        sys.stdout.write(buf.getvalue())
        return 0
    report(rows, control, args, commit, buf)
    # (a run: the mutants it enumerated as it began; --report: today's tree's)
    if all_ids is None:
        all_ids = {m.id for m in enumerate_all(ROOT)}
    stale = sorted(set(triage) - set(all_ids))
    if stale:
        buf.write("\ntriage entries naming no mutant (stale): " + ", ".join(stale) + "\n")
    killed = sorted(r["id"] for r in rows if r["status"] == "killed" and r["id"] in triage)
    if killed:
        buf.write("\ntriage entries of mutants this run killed (drop them): " +
                  ", ".join(killed) + "\n")
    sys.stdout.write(buf.getvalue())
    if args.table:
        write_file(args.table, buf.getvalue())
    untriaged = [r for r in rows if r["status"] == "survived" and not r["triage"]]
    return 1 if control or untriaged else 0


def reprint(args):
    """--report TSV: the table again, with the triage file as it is now."""
    try:
        with open(args.report, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as e:
        die("%s: %s" % (args.report, os.strerror(e.errno)))
    m = re.match(r"# mmfuzz mutants at (\S+): --runs (\d+) --seed (\d+).*families (\d+); "
                 r"control (-|\d+) findings", lines[0] if lines else "")
    if not m or len(lines) < 2 or lines[1].split("\t") != list(TSV_COLS):
        die("%s: not a TSV written by mutants.py" % args.report)
    triage = load_triage(args.triage)
    rows = []
    for line in lines[2:]:
        r = dict(zip(TSV_COLS, line.split("\t")))
        r["triage"], r["reason"] = triage.get(r["id"], ("", "")) if r["status"] == "survived" \
            else ("", r["reason"])
        rows.append(r)
    args.runs, args.seed = int(m.group(2)), int(m.group(3))
    args.family_paths = [None] * int(m.group(4))
    control = None if m.group(5) == "-" else [dict(family="?", strategy="?", oracle="?",
                                                   site="?")] * int(m.group(5))
    return finish(args, rows, control, m.group(1), triage)

# ---- main ---------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(prog="mutants", description="mutants of the model's protocols, "
                                 "searched blind (see bench/mutants.py's header)")
    ap.add_argument("--list", action="store_true", help="print the mutants, do not run")
    ap.add_argument("--diff", action="store_true", help="print each mutant as a diff, do not run")
    ap.add_argument("--reach", action="store_true",
                    help="instead of mutating, abort at the site: does any family execute it?")
    ap.add_argument("--report", metavar="TSV", help="reprint the report of a TSV with the "
                    "current triage, do not run")
    ap.add_argument("--sample", type=int, default=0, metavar="N",
                    help="a deterministic subset of N mutants (with --seed)")
    ap.add_argument("--seed", type=int, default=1, help="sample and search seed (default 1)")
    ap.add_argument("--runs", type=int, default=5000,
                    help="runs per family per strategy (default 5000)")
    ap.add_argument("--only", action="append", default=[], metavar="SUBSTR",
                    help="mutants whose id contains SUBSTR (repeatable)")
    ap.add_argument("--operators", default="", help="comma-separated operators")
    ap.add_argument("--families", default="", help="comma-separated corpus family names")
    ap.add_argument("--corpus", default=os.path.join(ROOT, "corpus"))
    ap.add_argument("--triage", default=os.path.join(ROOT, "bench", "mutants-triage.tsv"))
    ap.add_argument("--tsv", default="", help="write the per-mutant TSV here")
    ap.add_argument("--table", default="", help="write the report here too")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "mutants"))
    ap.add_argument("--no-control", action="store_true", help="skip the unmutated control")
    ap.add_argument("--all-findings", action="store_true",
                    help="search every family even after a kill")
    ap.add_argument("--jobs", type=int, default=2, help="make -j for the builds (default 2)")
    ap.add_argument("--check-triage", action="store_true",
                    help="exit 1 if the triage names a mutant that no longer exists, do not run")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be >= 1")
    if args.sample < 0:
        ap.error("--sample must be >= 0")
    ops = [o for o in args.operators.split(",") if o]
    for o in ops:
        if o not in OPERATOR_NAMES:
            ap.error("unknown operator '%s' (%s)" % (o, ", ".join(OPERATOR_NAMES)))

    if args.report:
        return reprint(args)
    mutants = enumerate_all(ROOT)
    ids = collections.Counter(m.id for m in mutants)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        die("duplicate mutant ids (a tool bug): " + ", ".join(dup), 1)
    stale = sorted(set(load_triage(args.triage)) - set(ids))
    if args.check_triage:
        for i in stale:
            print("%s: stale: no mutant '%s' any more (its site was renamed or removed): "
                  "triage the new id, drop this one" % (args.triage, i), file=sys.stderr)
        return 1 if stale else 0
    if ops:
        mutants = [m for m in mutants if m.op in ops]
    if args.only:
        mutants = [m for m in mutants if any(s in m.id for s in args.only)]
        if not mutants:
            ap.error("no mutant matches --only " + ",".join(args.only))
    if args.sample and args.sample < len(mutants):
        pick = set(random.Random(args.seed).sample(range(len(mutants)), args.sample))
        mutants = [m for i, m in enumerate(mutants) if i in pick]

    if args.diff:
        import difflib
        for m in mutants:
            with open(os.path.join(ROOT, m.file), encoding="utf-8") as fh:
                orig = fh.read()
            print("# " + m.id)
            sys.stdout.writelines(difflib.unified_diff(
                orig.splitlines(True),
                apply_edits(orig, probe_edits(orig, m) if args.reach else m.edits).splitlines(True),
                "a/" + m.file, "b/" + m.file, n=1))
        return 0
    if args.list:
        c = collections.Counter(m.op for m in mutants)
        for m in mutants:
            print("%s\t%s:%d\t%s" % (m.id, m.file, m.line, m.what))
        print("%d mutants, %d operators: %s" % (len(mutants), len(c), ", ".join(
            "%s %d" % (o, c[o]) for o in OPERATOR_NAMES if c[o])), file=sys.stderr)
        return 0

    fams = sorted(f for f in os.listdir(args.corpus) if f.endswith(".sched"))
    if args.families:
        want = args.families.split(",")
        for w in want:
            if w + ".sched" not in fams:
                ap.error("no family '%s' in %s" % (w, args.corpus))
        fams = [f for f in fams if f[:-6] in want]
    args.family_paths = [os.path.join(args.corpus, f) for f in fams]
    triage = load_triage(args.triage)

    os.makedirs(args.work, exist_ok=True)
    scratch = Scratch(ROOT, args.work)
    current = [None]

    def on_signal(sig, frame):
        if current[0]:
            scratch.restore(current[0])
        print("\nmutants: interrupted; the scratch copy is restored, the working tree was "
              "never written", file=sys.stderr)
        sys.exit(130)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            stdout=subprocess.PIPE, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "core"],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    if dirty:
        commit += "+dirty"
    tmp = os.path.join(args.work, "found.sched")
    timeout = max(60, args.runs // 200)
    ok, log = scratch.build(args.jobs, True)
    if not ok:
        die("the unmutated copy does not build:\n" + log, 1)
    control = None
    if not args.no_control:
        t = time.monotonic()
        control, _, _ = search(scratch.binary, args.family_paths, args.runs, args.seed, False,
                               tmp, timeout)
        print("control (unmutated): %d findings in %.1f s" % (len(control),
              time.monotonic() - t), file=sys.stderr)

    rows = []
    for n, m in enumerate(mutants, 1):
        orig = scratch.original(m.file)
        row = dict(id=m.id, operator=m.op, file=m.file, function=m.func, line=m.line,
                   oracle="", site="", strategy="", family="", runs=0, search_s="0",
                   build_s="0", triage="", reason="")
        t = time.monotonic()
        try:
            current[0] = m.file
            scratch.put(m.file, apply_edits(orig, probe_edits(orig, m) if args.reach
                                            else m.edits))
            ok, log = scratch.build(args.jobs, False)
            row["build_s"] = "%.2f" % (time.monotonic() - t)
            if not ok:
                row["status"] = "no-compile"
                row["reason"] = " ".join(log.split())[:200]
            else:
                finds, runs, secs = search(scratch.binary, args.family_paths, args.runs,
                                           args.seed, not args.all_findings, tmp, timeout)
                row["runs"], row["search_s"] = runs, "%.2f" % secs
                if args.reach:
                    hit = [f for f in finds if REACHED.replace(" ", "_") in f["site"]]
                    row["status"] = "reached" if hit else "not-reached"
                    if hit:
                        finds = hit
                if args.reach and not finds:
                    pass
                elif finds:
                    f = finds[0]
                    row.update(status=row.get("status", "killed"), oracle=f["oracle"],
                               site=f["site"],
                               strategy=f["strategy"],
                               family=os.path.basename(f["family"])[:-6], runs=f["runs"],
                               search_s="%.2f" % f["seconds"])
                else:
                    row["status"] = "survived"
                    if m.id in triage:
                        row["triage"], row["reason"] = triage[m.id]
        finally:
            scratch.restore(m.file)
            current[0] = None
        rows.append(row)
        save_tsv(args, rows, commit, control, len(mutants))  # a killed run keeps its rows
        print("[%d/%d] %-68s %s %s %s %s" % (n, len(mutants), m.id, row["status"],
              row["oracle"], row["family"], row["search_s"] + " s"), file=sys.stderr)
    # the last build restores the unmutated binary: the scratch is left consistent
    scratch.build(args.jobs, True)
    save_tsv(args, rows, commit, control, len(mutants))
    return finish(args, rows, control, commit, triage, set(ids))

if __name__ == "__main__":
    sys.exit(main())
