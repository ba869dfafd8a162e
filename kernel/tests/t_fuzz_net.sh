#! /usr/bin/env atf-sh
#
# t_fuzz_net: a short libFuzzer run (10 s) of the network input path
# (fuzz_net.c beside this file: Ethernet frames into a virtif interface of
# a kernel with addresses, routes and listening and connected sockets)
# against a kernel and posix platform compiled with clang
# -fsanitize=fuzzer-no-link,address,undefined (built once per build root
# by fuzz.subr, shared with t_fuzz_ext2).
# The seeds are written by the harness itself (FUZZ_NET_SEEDS=DIR); the
# ones named regress_* reproduce bugs the fuzzer found and are also run
# once each on their own.  Needs clang with libFuzzer (Debian: clang,
# libclang-rt-dev); skipped without it.
#
# A long run by hand, from the top of the tree:
#
#   make kernel platform-posix O=/tmp/fz/b PREFIX=/tmp/fz/p CC=clang \
#       WERROR=0 CFLAGS='-g -O1 -fsanitize=fuzzer-no-link,address,undefined'
#   PKG_CONFIG_PATH=/tmp/fz/p/lib/pkgconfig; export PKG_CONFIG_PATH
#   clang -g -O1 -fsanitize=fuzzer,address,undefined kernel/tests/fuzz_net.c \
#       $(pkg-config --cflags --libs rumpnet_netinet6 rumpnet_virtif \
#       rumpuser-posix) -lpthread -o /tmp/fz/fuzz_net
#   mkdir -p /tmp/fz/corpus && FUZZ_NET_SEEDS=/tmp/fz/corpus /tmp/fz/fuzz_net
#   /tmp/fz/fuzz_net -timeout=15 -rss_limit_mb=2048 -max_total_time=3600 \
#       /tmp/fz/corpus
#
# (one process: the kernel keeps its state from input to input, so
# -jobs=N runs N independent kernels, each with its own log.)

atf_test_case fuzz_frames
fuzz_frames_head()
{
	atf_set "descr" "libFuzzer + ASan + UBSan: hostile Ethernet frames (ARP, IPv4, ICMP, UDP, TCP in every state, IPv6, ICMPv6, ND, fragments) never crash, hang or access out of bounds; the regression inputs pass (10 s)"
	atf_set "timeout" "900"
}
fuzz_frames_body()
{
	topdir=$(atf_config_get topdir)
	. "$topdir/kernel/tests/fuzz.subr"
	fuzz_require
	fuzz_build
	export PKG_CONFIG_PATH="$FUZZ_PREFIX/lib/pkgconfig"
	atf_check clang $FUZZ_LINK "$topdir/kernel/tests/fuzz_net.c" \
	    $(pkg-config --cflags --libs rumpnet_netinet6 rumpnet_virtif rumpuser-posix) \
	    -lpthread -o fuzz_net

	mkdir corpus
	FUZZ_NET_SEEDS=corpus ./fuzz_net || atf_fail "writing the seeds failed"
	test -f corpus/tcp4 || atf_fail "no seeds written"

	# Each regression input once, on a fresh kernel.
	for r in corpus/regress_*; do
		./fuzz_net "$r" >regress.log 2>&1 ||
		    { tail -40 regress.log; atf_fail "regression input $(basename "$r") fails"; }
	done

	./fuzz_net -max_total_time=10 -timeout=15 -rss_limit_mb=2048 corpus \
	    >fuzz.log 2>&1 ||
	    { grep -v '^"' fuzz.log | tail -60; atf_fail "the fuzzer found a crash, hang, leak or memory error"; }
	grep -E 'Done [0-9]+ runs' fuzz.log ||
	    { tail -20 fuzz.log; atf_fail "the fuzzer did not run"; }
}

atf_init_test_cases()
{
	atf_add_test_case fuzz_frames
}
