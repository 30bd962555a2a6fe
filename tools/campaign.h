/* SPDX-License-Identifier: MIT */
/* mmfuzz campaign: parallel fuzzing, crash dedup by signature (see campaign.c). */
#ifndef MMFUZZ_CAMPAIGN_H
#define MMFUZZ_CAMPAIGN_H

/* argv: the arguments after "campaign"; @self: argv[0].  Exit status: 0 no
 * finding, 1 findings, 2 usage. */
int cmd_campaign(int argc, char **argv, const char *self);

#endif
