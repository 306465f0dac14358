#!/bin/bash
# Connections older than netbpf, each read by two threads at once: the
# first read netbpf sees of such a socket starts its count (from the read's
# own length), and two readers at the same moment must not both start it,
# or the second moves the start back and the overlap is counted twice.
# Hundreds of connections, so the two first reads meet on some of them.
. "$(dirname "$0")/lib.sh"
require_root first_sight
CONNS=300 N=20000
PORT=$((7700 + $$ % 200))
GO=$T/go
pair_start 127.0.0.1 $PORT $CONNS $N "$GO"
nb_start
touch "$GO"
wait "$CLI" "$SRV"
sleep 0.3
nb_stop
check_gen "old connections, two readers each: the server" "$T/srv"
check_gen "old connections: the client" "$T/cli"
