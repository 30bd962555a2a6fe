/* SPDX-License-Identifier: MIT */
/* Shim: what lib/maple_tree.c needs from <asm/barrier.h> is in kshim.h. */
#include "../../kshim.h"
