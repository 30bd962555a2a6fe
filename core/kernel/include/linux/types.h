/* SPDX-License-Identifier: MIT */
/* Shim: what lib/maple_tree.c needs from <linux/types.h> is in kshim.h. */
#include "../../kshim.h"
