/* SPDX-License-Identifier: MIT */
/* Shim: what lib/maple_tree.c needs from <linux/limits.h> is in kshim.h. */
#include "../../kshim.h"
