/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Map helpers and kfuncs for both BPF programs (netbpf.bpf.c, tc.bpf.c). */
#ifndef NB_MAPS_H
#define NB_MAPS_H

/* A pointer read as a struct of the kernel's BTF, by loads the JIT guards
 * (Linux 6.2+); weak: 0 on older kernels, for bpf_ksym_exists() to tell. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#ifndef bpf_ksym_exists	/* libbpf 1.2's bpf_helpers.h; Debian 12 has 1.1 */
#define bpf_ksym_exists(sym) ({						\
	_Static_assert(!__builtin_constant_p(!!sym), #sym " should be __weak"); \
	!!sym;								\
})
#endif

/* One more in counter 'which' of 'map', a per-CPU array of __u64 (the
 * program's drops map, read and summed by userspace). */
static __always_inline void nb_drop(void *map, __u32 which)
{
	__u64 *n = bpf_map_lookup_elem(map, &which);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* The value of 'key' in a hash 'map', inserted as 'init' if it is not
 * there; NULL when the map is full. Another CPU may insert the same key
 * first: BPF_NOEXIST then fails, and the lookup finds its entry. */
static __always_inline void *nb_lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

#endif
