// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor for `make bench`: empty programs on the very hooks netbpf uses.
 * Their run_time_ns / run_cnt (kernel.bpf_stats_enabled=1) is what any BPF
 * program costs there (dispatch, context, the stats clock itself); netbpf's
 * programs are compared against it on the same events in the same run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define TC_ACT_UNSPEC	(-1)

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sock_send_length")
int BPF_PROG(fl_send, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(fl_recv, struct sock *sk, int ret, int flags)
{
	return 0;
}

/* hooks netbpf may add for TCP reads that bypass sock_recvmsg */
SEC("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG(fl_tcp_read, struct sock *sk)
{
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(fl_tcp_state, const struct sock *sk, int oldstate, int newstate)
{
	return 0;
}

SEC("tc")
int fl_tc_ingress(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

SEC("tc")
int fl_tc_egress(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}
