# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# netbpf: make (build), make test, make bench, make vmlinux, make clean.
# V=1 for commands.

VERSION  := 0.1.0
OUTPUT   := .output
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= cc
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
PREFIX   ?= /usr/local
# the commit netbpf -V prints: from git in a git checkout of netbpf itself,
# "unknown" elsewhere (a release tarball, even one unpacked in another repo)
GIT_COMMIT := $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
		git describe --always --dirty 2>/dev/null || echo unknown)

LLVM_STRIP ?= llvm-strip
# CFLAGS and LDFLAGS are the user's (make CFLAGS=-O0 keeps the build
# working); EXTRA_CFLAGS and EXTRA_LDFLAGS add to them; netbpf's own flags
# come on top, as in libbpf-bootstrap and bpftool
CFLAGS   ?= -g -O2
ALL_CFLAGS = $(CFLAGS) $(EXTRA_CFLAGS) -Wall -Wextra -Wno-unused-parameter -Werror \
	    -std=gnu11 -MMD -MP -I$(OUTPUT) -Ibpf -Iuser -DNETBPF_VERSION='"$(VERSION)"'
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	    -Ivmlinux -Ibpf -MMD -MP
LDLIBS   := -lbpf -lelf -lz -lm -lmnl -lmicrohttpd -lpthread
# serve --web-config (user/webcfg.c): YAML, bcrypt, certificate checks
LDLIBS   += -lyaml -lcrypt -lgnutls
# the full-screen view (user/top.c)
LDLIBS   += $(or $(shell pkg-config --libs ncursesw 2>/dev/null),-lncursesw -ltinfo)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

USER_SRCS := $(wildcard user/*.c)
# unit tests link everything but main(); they need no root
UNIT_OBJS = $(filter-out $(OUTPUT)/main.o,$(USER_OBJS))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(filter-out %.bpf.c,$(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(OUTPUT)/tests/%,$(TOOL_SRCS))
BENCH_BINS := $(OUTPUT)/bench/floor $(OUTPUT)/bench/nbbench

.DELETE_ON_ERROR:
.PHONY: all deps test-deps bench-deps test test-kernel unit e2e bench clean vmlinux install FORCE

all: deps netbpf

deps:
	$(Q)scripts/deps.sh build

test-deps:
	$(Q)scripts/deps.sh test

bench-deps:
	$(Q)scripts/deps.sh bench

$(OUTPUT) $(OUTPUT)/tests $(OUTPUT)/bench:
	$(Q)mkdir -p $@

# BPF objects: compiled with -g for BTF, then stripped of DWARF (the BTF
# stays), so the skeletons that embed them are small
$(OUTPUT)/netbpf.bpf.o: bpf/netbpf.bpf.c | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/netbpf.skel.h: $(OUTPUT)/netbpf.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name netbpf > $@

# interface accounting: the TC classifier and its skeleton (struct tc_bpf)
$(OUTPUT)/tc.bpf.o: bpf/tc.bpf.c | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/tc.skel.h: $(OUTPUT)/tc.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tc_bpf > $@

# rewritten only when the commit changes, so main.o is rebuilt only then
$(OUTPUT)/version.h: FORCE | $(OUTPUT)
	$(Q)printf '#define NETBPF_COMMIT "%s"\n' '$(GIT_COMMIT)' >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(OUTPUT)/main.o: $(OUTPUT)/version.h
FORCE:

# The skeletons must exist before the first compile; after it, the -MMD
# dependency files say which objects include which (loader.c one, tc.c and
# tc_attach.c the other), so a BPF change rebuilds only those.
$(USER_OBJS): | $(OUTPUT)/netbpf.skel.h $(OUTPUT)/tc.skel.h

$(OUTPUT)/%.o: user/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

netbpf: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(UNIT_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(UNIT_OBJS) -lcmocka $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/tools/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(TOOL_LIBS_$*) -o $@

TOOL_LIBS_nbgen := -luring
TOOL_LIBS_sockmap_rx := -lbpf -lelf -lz

# TC tools: BPF_PROG_TEST_RUN on the skeleton, and a watcher on user/tc.c
$(OUTPUT)/tests/tc_progtest: tests/tools/tc_progtest.c $(OUTPUT)/tc.skel.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(LDLIBS) -o $@

TC_OBJS := $(OUTPUT)/tc.o $(OUTPUT)/tc_attach.o $(OUTPUT)/tc_links.o $(OUTPUT)/procfs.o
$(OUTPUT)/tests/tc_watch: tests/tools/tc_watch.c $(TC_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(TC_OBJS) $(LDLIBS) -o $@

.PHONY: tools
tools: $(TOOL_BINS)

unit: test-deps $(UNIT_BINS)
	$(Q)tests/run.sh --unit

test: test-deps netbpf $(UNIT_BINS) $(TOOL_BINS)
	$(Q)tests/run.sh

# The fexit and kprobe rungs and clsact on Debian's 6.1 kernel under QEMU
# (NETBPF_KERNEL=6.12: all three rungs, tcx and SCTP on 6.12; both are part of
# make test, as tests/e2e/kernel61.sh and kernel612.sh); cached in .output/kernel/X.Y
test-kernel: test-deps netbpf $(OUTPUT)/tests/nbgen
	$(Q)tests/kernel/run.sh

# Benchmarks (not part of make test): empty programs on netbpf's hooks (the
# floor), the load drivers, and bench/run.sh, which prints the figures and
# writes $(OUTPUT)/bench.json. See docs/performance.md.
$(OUTPUT)/bench/floor.bpf.o: bench/floor.bpf.c | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/floor.skel.h: $(OUTPUT)/bench/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(OUTPUT)/bench/floor: bench/floor.c $(OUTPUT)/bench/floor.skel.h | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -I$(OUTPUT)/bench $< $(LDLIBS) -o $@

$(OUTPUT)/bench/nbbench: bench/nbbench.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< -o $@

bench: bench-deps netbpf $(BENCH_BINS) $(OUTPUT)/tests/nbgen
	$(Q)bench/run.sh

# Regenerate the CO-RE header from a BTF file (default: this kernel's).
BTF ?= /sys/kernel/btf/vmlinux
vmlinux:
	$(call msg,GEN,vmlinux/vmlinux.h)
	$(Q)$(BPFTOOL) btf dump file $(BTF) format c > vmlinux/vmlinux.h

# make install [PREFIX=/usr/local] [DESTDIR=/staging]: builds netbpf if it
# is not built yet, but never installs packages (run make first for that)
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
UNITDIR   ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
install: netbpf
	install -D -m 0755 netbpf $(DESTDIR)$(SBINDIR)/netbpf
	install -D -m 0644 docs/netbpf.8 $(DESTDIR)$(MANDIR)/man8/netbpf.8
	install -D -m 0644 deploy/netbpf.bash $(DESTDIR)$(BASHCOMPDIR)/netbpf
	install -D -m 0644 deploy/_netbpf $(DESTDIR)$(ZSHCOMPDIR)/_netbpf
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/netbpf|$(SBINDIR)/netbpf|' deploy/netbpf.service \
		>$(DESTDIR)$(UNITDIR)/netbpf.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/netbpf.service

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) netbpf

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/tests/*.d $(OUTPUT)/bench/*.d)
