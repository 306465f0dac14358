// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A TC filter that is not netbpf's: counts the packets it sees and lets
 * them go (TC_ACT_OK), as a CNI or a shaper would. The clsact tests
 * (tests/e2e/tc_module.sh, iface_shared.sh, and on the second kernel
 * tests/kernel/guest.sh) put it on a veth before netbpf starts; it must
 * survive netbpf's start and stop, and keep seeing packets while
 * netbpf's filter runs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} foreign_seen SEC(".maps");

SEC("tc")
int foreign(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&foreign_seen, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;	/* TC_ACT_OK */
}

char LICENSE[] SEC("license") = "GPL";
