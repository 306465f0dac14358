#!/bin/bash
# BPF_PROG_TEST_RUN on the TC classifier: crafted IPv4 and IPv6 packets,
# verdict TC_ACT_UNSPEC and exact counters (tests/tools/tc_progtest.c).
. "$(dirname "$0")/lib.sh"
require_root tc_progtest
"$ROOT/.output/tests/tc_progtest"
