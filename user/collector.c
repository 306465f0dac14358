// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tc_shared.h"
#include "cgroup.h"
#include "collector.h"
#include "hostcache.h"
#include "resolve.h"
#include "netns.h"
#include "container.h"
#include "procinfo.h"
#include "procfs.h"
#include "collector_int.h"

struct nb_rowkey nb_proc_rowkey(uint32_t tgid, uint64_t start_ns)
{
	struct nb_rowkey k = { .type = NB_ROW_PROCESS };

	k.k[0] = tgid;
	k.k[1] = start_ns;
	return k;
}

struct nb_rowkey nb_iface_rowkey(uint32_t ifindex)
{
	struct nb_rowkey k = { .type = NB_ROW_IFACE };

	k.k[0] = ifindex;
	return k;
}

struct nb_rowkey nb_flow_rowkey(const struct nb_flow_key *f)
{
	struct nb_rowkey k = { .type = NB_ROW_FLOW };

	_Static_assert(sizeof(*f) <= sizeof(k.k), "flow key fits a row key");
	memcpy(k.k, f, sizeof(*f));
	return k;
}

struct nb_rowkey nb_cgroup_rowkey(uint64_t id)
{
	struct nb_rowkey k = { .type = NB_ROW_CGROUP };

	k.k[0] = id;
	return k;
}

struct nb_rowkey nb_host_rowkey(const struct nb_host_key *h)
{
	struct nb_rowkey k = { .type = NB_ROW_HOST };

	_Static_assert(sizeof(*h) <= sizeof(k.k), "host key fits a row key");
	memcpy(k.k, h, sizeof(*h));
	return k;
}

static int read_one_by_one(int fd, uint32_t key_size, uint32_t value_size,
			   uint32_t max, char *keys, char *vals)
{
	char prev[64], cur[64];
	void *pk = NULL;
	uint32_t n = 0;

	while (n < max && !bpf_map_get_next_key(fd, pk, cur)) {
		memcpy(prev, cur, key_size);
		pk = prev;
		/* an entry deleted between the two calls is simply skipped */
		if (bpf_map_lookup_elem(fd, cur, vals + (size_t)n * value_size))
			continue;
		memcpy(keys + (size_t)n * key_size, cur, key_size);
		n++;
	}
	return n;
}

int nb_map_read_all(int fd, uint32_t key_size, uint32_t value_size, uint32_t max,
		    void *keys, void *vals, bool *batch_ok)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	char token[64];
	uint32_t n = 0;
	void *in = NULL;

	if (key_size > sizeof(token))
		return -EINVAL;
	while (*batch_ok && n < max) {
		uint32_t cnt = max - n;
		int err = bpf_map_lookup_batch(fd, in, token, (char *)keys + (size_t)n * key_size,
					       (char *)vals + (size_t)n * value_size, &cnt, &opts);

		if (err && errno != ENOENT) {
			if (n == 0 && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)) {
				*batch_ok = false;	/* kernel before 5.6 */
				break;
			}
			return -errno;
		}
		n += cnt;
		if (err)	/* ENOENT: that was the last batch */
			return n;
		in = token;
	}
	if (*batch_ok)
		return n;
	return read_one_by_one(fd, key_size, value_size, max, keys, vals);
}

int nb_collector_init(struct nb_collector *c, struct nb_loader *l, struct nb_tc *tc)
{
	memset(c, 0, sizeof(*c));
	c->loader = l;
	c->tc = tc;
	c->batch_ok = true;
	c->retired_max = 262144;	/* 34 MiB of struct nb_retired */
	c->retired_cmd_max = 16 << 20;	/* and 16 MiB of command lines */
	c->flow_idle_s = NB_FLOW_IDLE_S;
	nb_table_init(&c->table);
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0)
		return -EINVAL;
	c->seen = calloc(l->procs_max, sizeof(*c->seen));
	c->exited = calloc(l->procs_max, sizeof(*c->exited));
	if (!c->seen || !c->exited)
		return -ENOMEM;
	if (l->flows_on) {
		c->flow_seen = calloc(l->flows_max, sizeof(*c->flow_seen));
		if (!c->flow_seen)
			return -ENOMEM;
	}
	/* the two clocks read back to back: a microsecond apart */
	c->start_boot = nb_boot_now();
	c->start_ts = c->ts = nb_wall_now();
	c->start_mono = c->last_mono = nb_mono_now();
	return 0;
}

void nb_collector_free(struct nb_collector *c)
{
	nb_table_free(&c->table);
	free(c->seen);
	free(c->exited);
	for (size_t i = 0; i < c->nretired; i++)
		free(c->retired[i].cmdline);
	free(c->retired);
	free(c->ifs);
	free(c->flow_seen);
	free(c->host_keys);
	free(c->host_vals);
	nb_resolver_stop(c->resolver);
	memset(c, 0, sizeof(*c));
}

double nb_start_time(const struct nb_collector *c, uint64_t start_ns)
{
	/* the wall clock at boot time start_ns: start_ts less the boot
	 * time elapsed between the two (suspend included) */
	return c->start_ts - (c->start_boot - start_ns / 1e9);
}

uint64_t nb_collector_lost(const struct nb_collector *c)
{
	return c->drops[NB_DROP_PROCS] + c->drops[NB_DROP_STASH] + c->carry_lost + c->tc_drops +
	       c->tc_host_drops + c->lost_events;
}

/* ---- cgroup names from the kernel ---- */

/* The names the kernel took for the cgroups of new processes since the
 * last poll: read and removed, so the map holds only what is new. A
 * cgroup whose path cannot be found any more (a container that lived
 * 100 ms) keeps its name this way. */
static void read_cgroup_names(struct nb_collector *c)
{
	int fd = c->loader->cgnames_fd;
	__u64 id, next;
	bool first = true;

	if (fd < 0)
		return;
	while (!bpf_map_get_next_key(fd, first ? NULL : &id, &next)) {
		struct nb_cgroup_name n;

		first = false;
		id = next;
		if (bpf_map_lookup_elem(fd, &id, &n))
			continue;
		n.name[sizeof(n.name) - 1] = n.parent[sizeof(n.parent) - 1] = '\0';
		if (!*nb_cgroup_path(id))
			nb_cgroup_learn(id, n.name, n.parent, n.level);
		bpf_map_delete_elem(fd, &id);
		first = true;	/* the key is gone: start over */
	}
}

/* ---- processes: the slots ---- */

static struct nb_row *cgroup_row(struct nb_collector *c, uint64_t id)
{
	struct nb_rowkey k = nb_cgroup_rowkey(id);
	struct nb_row *g = nb_table_get(&c->table, &k, false);

	if (g)
		return g;
	g = nb_table_get(&c->table, &k, true);
	if (g) {
		g->cgroup_id = id;
		nb_cgroup_path(id);	/* resolve while it exists */
	}
	return g;
}

/* The process row of a slot whose identity is new to us. */
static struct nb_row *slot_row(struct nb_collector *c, struct nb_slot_seen *sv,
			       const volatile struct nb_slot *s)
{
	struct nb_rowkey k;
	struct nb_row *r;

	sv->tgid = s->tgid;
	sv->start_ns = s->start_ns;
	sv->tx = sv->rx = 0;
	k = nb_proc_rowkey(sv->tgid, sv->start_ns);
	r = nb_table_get(&c->table, &k, true);
	if (!r)
		return NULL;
	r->pid = sv->tgid;
	r->start_ns = sv->start_ns;
	r->uid = s->uid;
	sv->row = r;
	return r;
}

/* The command line, read at first sight and after an exec (a new name):
 * best effort. Once the process has exited there is none to read: the
 * last one read stays, or "". */
static void read_cmdline(struct nb_row *r, const volatile struct nb_slot *s)
{
	char *cmd;

	if (s->state == NB_SLOT_EXITED && r->cmdline)
		return;
	cmd = s->state == NB_SLOT_EXITED ? strdup("") : nb_proc_cmdline(r->pid, r->start_ns);
	if (!cmd)
		return;	/* out of memory: tried again at the next exec */
	free(r->cmdline);
	r->cmdline = cmd;
}

/* Name and cgroup: set at the first event, changed by an exec. */
static void slot_names(struct nb_collector *c, struct nb_row *r, const volatile struct nb_slot *s)
{
	uint64_t cg = s->cgroup_id;
	char comm[NB_COMM_LEN];

	for (int i = 0; i < NB_COMM_LEN - 1; i++)
		comm[i] = s->comm[i];
	comm[NB_COMM_LEN - 1] = '\0';
	if (!r->cmdline || strcmp(comm, r->comm)) {
		memcpy(r->comm, comm, sizeof(comm));
		if (c->cmdline_on)
			read_cmdline(r, s);
	}
	if (r->cg && r->cgroup_id == cg)
		return;
	if (r->cgroup_id != cg)
		nb_cgroup_path(cg);	/* resolve while it exists */
	r->cgroup_id = cg;
	if (!c->loader->cgroups_on)
		return;
	if (r->cg && r->cg->refs)
		r->cg->refs--;
	r->cg = cgroup_row(c, cg);
	if (r->cg) {
		r->cg->refs++;
		r->cg->ended_at = 0;
		r->cg->exited = false;
	}
}

static void add_cgroup(struct nb_row *g, uint64_t dtx, uint64_t drx)
{
	struct nb_counts cum = g->raw;

	cum.tx_bytes += dtx;
	cum.rx_bytes += drx;
	nb_row_set(g, &cum);
}

/*
 * Every slot in use, read in place: no system call, and nothing for a
 * slot that did not move but a comparison. A slot marked exited made its
 * last increment before it was marked (the exit hook runs after the last
 * thread's last send or receive), so this read is final: its slot is freed
 * after this poll, and its row stays until it is retired.
 */
static int read_slots(struct nb_collector *c, double now)
{
	struct nb_loader *l = c->loader;
	volatile struct nb_slot *slots = l->slots;

	c->nexited = 0;
	for (uint32_t i = 0; i < l->procs_max; i++) {
		volatile struct nb_slot *s = &slots[i];
		struct nb_slot_seen *sv = &c->seen[i];
		uint64_t state = s->state, tx, rx;
		struct nb_row *r = sv->row;

		if (state == NB_SLOT_FREE)
			continue;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* the identity after the state */
		if (!r || sv->tgid != s->tgid || sv->start_ns != s->start_ns) {
			r = slot_row(c, sv, s);
			if (!r)
				return -ENOMEM;
			slot_names(c, r, s);
		}
		tx = s->tx_bytes;
		rx = s->rx_bytes;
		if (tx != sv->tx || rx != sv->rx) {
			/* added to the row: with flows_carry, the flows add theirs */
			struct nb_counts cum = r->raw;

			cum.tx_bytes += tx - sv->tx;
			cum.rx_bytes += rx - sv->rx;
			slot_names(c, r, s);	/* an exec since? */
			if (r->cg)
				add_cgroup(r->cg, tx - sv->tx, rx - sv->rx);
			sv->tx = tx;
			sv->rx = rx;
			nb_row_set(r, &cum);
		}
		if (state == NB_SLOT_EXITED) {
			slot_names(c, r, s);
			nb_row_ended(r, now);
			c->exited[c->nexited++] = i;
		}
	}
	return 0;
}

/* After the poll: the slots of exited processes go back to the kernel. */
static void free_slots(struct nb_collector *c)
{
	struct nb_loader *l = c->loader;

	for (uint32_t n = 0; n < c->nexited; n++) {
		uint32_t i = c->exited[n];
		volatile struct nb_slot *s = &l->slots[i];
		struct nb_slot_seen *sv = &c->seen[i];
		struct nb_proc_key key = { .tgid = s->tgid, .start_ns = s->start_ns };

		bpf_map_delete_elem(l->procs_fd, &key);
		s->tx_bytes = s->rx_bytes = 0;
		__atomic_store_n(&s->state, NB_SLOT_FREE, __ATOMIC_RELEASE);
		memset(sv, 0, sizeof(*sv));
		bpf_map_update_elem(l->free_fd, NULL, &i, BPF_ANY);
	}
	c->nexited = 0;
}

/* Cgroup rows with no live process: gone once their folder is. Checked
 * every 10 seconds, not every poll. */
static void check_cgroups(struct nb_collector *c, double now)
{
	if (now < c->next_cgroup_check)
		return;
	c->next_cgroup_check = now + 10;
	for (uint32_t i = 0; i < c->table.nrows; i++) {
		struct nb_row *g = c->table.rows[i];

		if (g->key.type != NB_ROW_CGROUP || g->refs || g->ended_at)
			continue;
		if (!nb_cgroup_exists(g->cgroup_id))
			nb_row_ended(g, now);
	}
}

/* ---- interfaces, flows, drops, programs ---- */

/* Interface rows from the TC counters; a removed interface comes once
 * more with its final counts, marked gone. */
/*
 * The container on the other side of a veth. Its processes join the
 * namespace just after the veth appears (the runtime moves the peer into
 * a namespace it made first), so an interface is tried when it appears or
 * its peer moves, and again after 0.25, 0.5, 1, 2 and 4 s: never every
 * interval, one walk of the cgroup tree per try, shared by the interfaces
 * tried in the same poll (user/netns.c; not a pass over /proc, which cost
 * 40-50 ms with 10,000 processes).
 */
#define CTR_TRIES	6

static void iface_container(struct nb_row *r, const struct nb_iface_sample *f, double now)
{
	char name[256];

	if (!r->ctr_init || r->peer_gen != f->peer_gen || r->peer_nsid != f->peer_nsid) {
		r->ctr_init = true;
		free(r->ctr_name);
		r->ctr_name = NULL;
		r->peer_gen = f->peer_gen;
		r->peer_nsid = f->peer_nsid;
		r->ctr_tries = 0;
		r->ctr_next = now;
	}
	if (r->peer_nsid < 0 || r->ctr_name || r->ctr_tries >= CTR_TRIES || f->gone ||
	    now < r->ctr_next)
		return;
	r->ctr_next = now + 0.125 * (2 << r->ctr_tries);
	r->ctr_tries++;
	if (nb_netns_container(r->peer_nsid, now, name, sizeof(name)))
		r->ctr_name = strdup(name);
}

static int read_ifaces(struct nb_collector *c, double now)
{
	int want, n;

	if (!c->tc)
		return 0;
	want = nb_tc_count(c->tc);
	if (want > c->ifs_cap) {
		struct nb_iface_sample *p = realloc(c->ifs, want * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->ifs = p;
		c->ifs_cap = want;
	}
	n = nb_tc_read(c->tc, c->ifs, c->ifs_cap);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		const struct nb_iface_sample *f = &c->ifs[i];
		struct nb_rowkey k = nb_iface_rowkey(f->ifindex);
		struct nb_row *r = nb_table_get(&c->table, &k, true);
		struct nb_counts cnt = {
			.tx_bytes = f->tx_bytes, .rx_bytes = f->rx_bytes,
			.tx_packets = f->tx_packets, .rx_packets = f->rx_packets,
		};

		if (!r)
			return -ENOMEM;
		r->ifindex = f->ifindex;
		memcpy(r->ifname, f->ifname, sizeof(r->ifname));
		r->ifname[sizeof(r->ifname) - 1] = '\0';
		iface_container(r, f, now);
		if (f->gone)
			nb_row_ended(r, now);
		nb_row_set(r, &cnt);
	}
	c->tc_drops = nb_tc_drops(c->tc);
	return 0;
}

/*
 * Flow rows, from the flow slots (struct nb_flow_slot) in place: only the
 * slots whose bit is set in flow_bits are visited, and a slot that did not
 * move costs a comparison. Called after the process rows are up to date.
 *
 * A slot's use ends when its process exited, or when it has been idle for
 * flow_idle_s (60 s; NB_FLOW_TIGHT_S when few free slots are left): its
 * key leaves the index and the slot is marked exited, so that the next
 * event of the flow takes a new slot; one poll later the slot is read a
 * last time and given back. A row sums the moves of every slot its key
 * had, so its totals go on across them. It ends with its process, or
 * after NB_FLOW_ROW_IDLE_S without a byte (check_flow_rows).
 *
 * An event that found the slot in use just before it was marked adds to
 * it within a few instructions; the last read, a poll later, has it. A
 * program preempted for longer than a poll between the two (possible on
 * the fexit and kprobe rungs) would add to a slot given back: the one
 * increment that can be lost, for a flow that had been idle.
 */
#define NB_FLOW_TIGHT_S 1.0
#define NB_FLOW_ROW_IDLE_S 600.0

/* Whether the flow's process has exited and its row knows it: its slot
 * was read marked exited (or since freed, or reused). */
static bool flow_proc_gone(const struct nb_collector *c, const volatile struct nb_flow_slot *fs)
{
	const struct nb_loader *l = c->loader;
	const volatile struct nb_slot *ps;
	const struct nb_slot_seen *sv;

	if (fs->proc_slot >= l->procs_max)
		return true;
	ps = &l->slots[fs->proc_slot];
	sv = &c->seen[fs->proc_slot];
	if (ps->state == NB_SLOT_FREE || ps->tgid != fs->key.tgid ||
	    ps->start_ns != fs->key.start_ns)
		return true;	/* freed after its last read, or reused */
	/* exited after this poll read its slot: the next poll will */
	return ps->state != NB_SLOT_LIVE && sv->row && sv->tgid == fs->key.tgid &&
	       sv->start_ns == fs->key.start_ns;
}

/* The row of a flow key, made with its labels if new. */
static struct nb_row *flow_row(struct nb_collector *c, const struct nb_flow_key *k)
{
	struct nb_rowkey rk = nb_flow_rowkey(k);
	struct nb_row *r = nb_table_get(&c->table, &rk, false);

	if (r)
		return r;
	r = nb_table_get(&c->table, &rk, true);
	if (!r)
		return NULL;
	r->pid = k->tgid;
	r->start_ns = k->start_ns;
	r->proto = k->proto;
	r->family = k->family;
	r->lport = k->lport;
	r->rport = k->rport;
	memcpy(r->laddr, k->laddr, 16);
	memcpy(r->raddr, k->raddr, 16);
	return r;
}

/* The row of a flow's process (tgid, start_ns, its slot pslot): through
 * the slot while the slot is read as this process's, else by its key (the
 * slot freed after the process's last read); NULL when not made yet (the
 * process's first event came after its slot was read in this poll). */
static struct nb_row *flow_proc_row(struct nb_collector *c, uint32_t tgid, uint64_t start_ns,
				    uint32_t pslot)
{
	const struct nb_slot_seen *sv = pslot < c->loader->procs_max ? &c->seen[pslot] : NULL;
	struct nb_rowkey pk;

	if (sv && sv->row && sv->tgid == tgid && sv->start_ns == start_ns)
		return sv->row;
	pk = nb_proc_rowkey(tgid, start_ns);
	return nb_table_get(&c->table, &pk, false);
}

/*
 * flows_carry: what the flow slot moved since its last read is its
 * process's too (the kernel added it to the flow slot only). Added to the
 * process's row and cgroup row; left for the next poll while that row is
 * not made yet. The process's last bytes are in its flows' slots by the
 * time its own slot is read marked exited (they were added before its exit
 * hook ran), and this runs after the slots are read, in the same poll,
 * while its row is still there. Bytes that reach a slot's last read with
 * no such row left would have been added by a program stopped for more
 * than a poll between finding the slot and adding to it (not on this
 * rung's kernels without PREEMPT_RT): counted as a lost update, not
 * dropped in silence.
 */
static void carry_to_proc(struct nb_collector *c, struct nb_flow_seen *sv,
			  const struct nb_flow_key *k, uint32_t pslot)
{
	struct nb_row *p;
	struct nb_counts cum;
	uint64_t dtx = sv->tx - sv->ptx, drx = sv->rx - sv->prx;

	if (!dtx && !drx)
		return;
	p = flow_proc_row(c, k->tgid, k->start_ns, pslot);
	if (!p) {
		if (sv->ending)
			c->carry_lost++;
		return;
	}
	/* an exec since? (its cgroup too: the bytes go to the new one, as
	 * read_slots does) */
	if (pslot < c->loader->procs_max && c->seen[pslot].row == p)
		slot_names(c, p, &c->loader->slots[pslot]);
	cum = p->raw;
	cum.tx_bytes += dtx;
	cum.rx_bytes += drx;
	nb_row_set(p, &cum);
	if (p->cg)
		add_cgroup(p->cg, dtx, drx);
	sv->ptx = sv->tx;
	sv->prx = sv->rx;
}

/* The flow's process name, from the process's row (after an exec too);
 * false when that row is not made yet. */
static bool flow_comm(struct nb_collector *c, struct nb_row *r, uint32_t pslot)
{
	struct nb_row *p = flow_proc_row(c, r->pid, r->start_ns, pslot);

	if (p)
		memcpy(r->comm, p->comm, sizeof(r->comm));
	return p != NULL;
}

/* End a slot's use: the key out of the index, the slot marked; read a
 * last time and freed at the next poll. A slot in use is always the one
 * its key maps to (the kernel publishes it before marking it in use, and
 * only userspace deletes; the kernel never replaces an entry). */
static void end_flow_slot(struct nb_collector *c, uint32_t i, const struct nb_flow_key *k)
{
	struct nb_loader *l = c->loader;
	uint32_t v;

	if (bpf_map_lookup_elem(l->flow_index_fd, k, &v) || v != i)
		return;	/* cannot happen; leave the slot as it is */
	bpf_map_delete_elem(l->flow_index_fd, k);
	__atomic_store_n(&l->flow_slots[i].state, NB_SLOT_EXITED, __ATOMIC_RELEASE);
	c->flow_seen[i].ending = true;
}

/* Give a slot back (the stack has room for every slot: the push cannot
 * fail). */
static void free_flow_slot(struct nb_collector *c, uint32_t i)
{
	struct nb_loader *l = c->loader;

	__atomic_store_n(&l->flow_slots[i].state, NB_SLOT_FREE, __ATOMIC_RELEASE);
	__atomic_fetch_and(&l->flow_bits[i / 64], ~(1ull << (i % 64)), __ATOMIC_RELEASE);
	memset(&c->flow_seen[i], 0, sizeof(c->flow_seen[i]));
	bpf_map_update_elem(l->free_flows_fd, NULL, &i, BPF_ANY);
}

static int read_flow_slot(struct nb_collector *c, uint32_t i, double now, bool tight)
{
	volatile struct nb_flow_slot *fs = &c->loader->flow_slots[i];
	struct nb_flow_seen *sv = &c->flow_seen[i];
	struct nb_flow_key k;
	struct nb_row *r = NULL;
	uint64_t tx, rx, born;
	bool gone = false;

	if (fs->state == NB_SLOT_FREE)
		return 0;	/* lost a race in the kernel, being given back */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* the identity after the state */
	born = fs->born;
	if (sv->born != born) {	/* a new use of the slot */
		memset(sv, 0, sizeof(*sv));
		sv->born = born;
		sv->moved_at = now;
	}
	c->flows_live++;
	memcpy(&k, (const void *)&fs->key, sizeof(k));
	tx = fs->bytes[NB_TX];
	rx = fs->bytes[NB_RX];
	if (tx != sv->tx || rx != sv->rx) {
		struct nb_counts cum;

		r = flow_row(c, &k);
		if (!r)
			return -ENOMEM;
		cum = r->raw;
		cum.tx_bytes += tx - sv->tx;
		cum.rx_bytes += rx - sv->rx;
		nb_row_set(r, &cum);
		sv->named = flow_comm(c, r, fs->proc_slot);
		sv->tx = tx;
		sv->rx = rx;
		sv->moved_at = now;
		r->active_at = now;
		gone = flow_proc_gone(c, fs);
		if (r->ended_at && !gone && !sv->ending) {	/* idle, and back */
			r->ended_at = 0;
			r->exited = false;
		}
	}
	if (c->loader->flows_carry)
		carry_to_proc(c, sv, &k, fs->proc_slot);
	if (sv->ending) {	/* marked at the last poll: that was its last read */
		free_flow_slot(c, i);
		return 0;
	}
	if (!sv->tx && !sv->rx)
		return 0;	/* no bytes yet (the kernel adds right after it takes a slot) */
	if (!r && !sv->named) {
		struct nb_rowkey rk = nb_flow_rowkey(&k);

		r = nb_table_get(&c->table, &rk, false);
		sv->named = !r || flow_comm(c, r, fs->proc_slot);
	}
	if (!r)
		gone = flow_proc_gone(c, fs);
	if (gone) {
		if (!r) {
			struct nb_rowkey rk = nb_flow_rowkey(&k);

			r = nb_table_get(&c->table, &rk, false);
		}
		if (r)
			nb_row_ended(r, now);
		end_flow_slot(c, i, &k);
	} else if (now - sv->moved_at >= (tight ? NB_FLOW_TIGHT_S : c->flow_idle_s)) {
		if (tight && now - sv->moved_at < c->flow_idle_s)
			c->flow_evictions++;
		end_flow_slot(c, i, &k);	/* the row stays */
	}
	return 0;
}

/* Flow rows that no slot ends: those whose process has gone (their slot
 * was given back idle before), and those idle NB_FLOW_ROW_IDLE_S. Every
 * 10 seconds, not every poll. */
static void check_flow_rows(struct nb_collector *c, double now)
{
	if (now < c->next_flow_check)
		return;
	c->next_flow_check = now + 10;
	for (uint32_t i = 0; i < c->table.nrows; i++) {
		struct nb_row *r = c->table.rows[i];
		struct nb_rowkey pk;
		struct nb_row *p;

		/* one that moved since the last check still has a slot, which
		 * ends it with its process */
		if (r->key.type != NB_ROW_FLOW || r->ended_at || now - r->active_at < 10)
			continue;
		pk = nb_proc_rowkey(r->pid, r->start_ns);
		p = nb_table_get(&c->table, &pk, false);
		if (!p || p->ended_at || now - r->active_at >= NB_FLOW_ROW_IDLE_S)
			nb_row_ended(r, now);
	}
}

static int read_flows(struct nb_collector *c, double now)
{
	struct nb_loader *l = c->loader;
	uint64_t used = *l->flow_next;
	bool tight = c->flows_live + l->flows_max / 8 >= l->flows_max;

	if (used > l->flows_max)
		used = l->flows_max;
	c->flows_live = 0;
	for (uint32_t w = 0; w < (used + 63) / 64; w++) {
		uint64_t bits = __atomic_load_n(&l->flow_bits[w], __ATOMIC_ACQUIRE);

		while (bits) {
			int err = read_flow_slot(c, w * 64 + __builtin_ctzll(bits), now, tight);

			if (err)
				return err;
			bits &= bits - 1;
		}
	}
	return 0;
}

static void read_drops(struct nb_collector *c)
{
	uint64_t v[c->ncpus];

	for (uint32_t i = 0; i < NB_NDROPS; i++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(c->loader->drops_fd, &i, v))
			continue;
		for (int cpu = 0; cpu < c->ncpus; cpu++)
			sum += v[cpu];
		c->drops[i] = sum;
	}
}

/* run_time_ns, run_cnt and recursion_misses of every attached program:
 * the last are runs the kernel skipped because a program of netbpf's was
 * already running on that CPU, so events netbpf never saw. */
static void prog_stat(struct nb_collector *c, int fd, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct nb_prog_stat *p = &c->progs[c->nprogs];

	if (fd < 0 || c->nprogs == NB_MAX_PROGS || bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : info.name);
	p->run_time_ns = info.run_time_ns;
	p->run_cnt = info.run_cnt;
	p->recursion_misses = info.recursion_misses;
	c->lost_events += info.recursion_misses;
	c->nprogs++;
}

static void read_progs(struct nb_collector *c)
{
	struct bpf_object *obj = nb_loader_object(c->loader);
	struct bpf_program *p;
	int fds[2], n;

	c->lost_events = 0;
	c->nprogs = 0;
	if (obj)
		bpf_object__for_each_program(p, obj)
			prog_stat(c, bpf_program__fd(p), bpf_program__name(p));
	n = nb_tc_prog_fds(c->tc, fds);
	for (int i = 0; i < n; i++)
		prog_stat(c, fds[i], NULL);
}

const struct nb_prog_stat *nb_collector_progs(const struct nb_collector *c, int *n)
{
	if (nb_read_int("/proc/sys/kernel/bpf_stats_enabled") != 1) {
		*n = 0;
		return NULL;
	}
	*n = c->nprogs;
	return c->progs;
}

int nb_collector_poll(struct nb_collector *c)
{
	struct nb_loader *l = c->loader;
	struct nb_retire_ctx rc = { .c = c, .now = nb_mono_now() };
	int n;

	/* what ended in an earlier poll and has been shown long enough; after
	 * many, give the freed memory back to the system */
	if (nb_table_remove(&c->table, nb_collector_retire, &rc) >= 1024)
		malloc_trim(0);
	nb_table_begin(&c->table);
	read_cgroup_names(c);
	nb_container_poll();
	n = read_slots(c, rc.now);
	if (n < 0)
		return n;
	read_drops(c);
	read_progs(c);
	if (l->flows_on) {
		n = read_flows(c, rc.now);
		if (n < 0)
			return n;
		check_flow_rows(c, rc.now);
	}
	/* again: a process whose first event came after the names were
	 * read above, and whose slot was read all the same (the kernel writes
	 * the name before it marks the slot in use), has its cgroup's name
	 * before a front end labels the row. Its cgroup may be gone by the
	 * next poll: then the name is all there is (churn.sh, serve). */
	read_cgroup_names(c);
	if (l->cgroups_on)
		check_cgroups(c, rc.now);
	n = read_ifaces(c, rc.now);
	if (n < 0)
		return n;
	n = nb_collector_read_hosts(c, rc.now);
	if (n < 0)
		return n;

	c->interval_s = rc.now - c->last_mono;
	c->last_mono = rc.now;
	c->ts = nb_wall_now();
	nb_table_end(&c->table, c->interval_s);
	free_slots(c);
	return 0;
}
