/* SPDX-License-Identifier: MIT */
/* Shim: what lib/maple_tree.c needs from <trace/events/maple_tree.h> is in kshim.h. */
#include "../../../kshim.h"
