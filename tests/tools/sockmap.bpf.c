// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A sockmap with a stream parser: the kernel's strparser reads the
 * socket's data in softirq (tcp_read_sock, which ends in
 * tcp_rcv_space_adjust) and the verdict program passes every message back
 * to the same socket, where the application gets it with recvmsg.
 * tests/e2e/softirq.sh checks that netbpf charges these bytes to the
 * reader, not to whatever the softirq interrupted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

/* every skb is a whole message */
SEC("sk_skb/stream_parser")
int parse(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("sk_skb/stream_verdict")
int pass(struct __sk_buff *skb)
{
	return SK_PASS;
}
