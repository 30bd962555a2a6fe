/* SPDX-License-Identifier: MIT */
/* Shim: what lib/test_maple_tree.c needs from <linux/module.h> is in ../../kmaple_test.h. */
#include "../../kmaple_test.h"
