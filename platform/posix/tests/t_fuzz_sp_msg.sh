# t_fuzz_sp_msg.sh: short libFuzzer runs over the sysproxy server's
# message checks (fuzz_sp_msg.c beside this file) and its reading of the
# shared-memory channel (fuzz_sp_shm.c; the protocol is doc/sysproxy.md).  Needs clang with libFuzzer (Debian: clang and
# libclang-rt-dev); skipped without them.  A long run by hand:
#
#   clang -g -O1 -fsanitize=fuzzer,address,undefined \
#       -Iplatform/posix -Ibuild/prefix/include \
#       platform/posix/tests/fuzz_sp_msg.c platform/posix/rumpuser_sp_msg.c -o fuzz_sp
#   mkdir -p corpus && ./fuzz_sp -max_total_time=3600 -jobs=2 corpus
#
# and the channel's reader the same way, with fuzz_sp_shm.c in place of
# fuzz_sp_msg.c (-o fuzz_shm; its own corpus directory).

atf_test_case fuzz_messages
fuzz_messages_head()
{
	atf_set "descr" "libFuzzer: malformed, truncated, oversized and out-of-order messages are refused, accepted ones keep the protocol's promises (10 s)"
	atf_set "timeout" "120"
}
fuzz_messages_body()
{
	topdir=$(atf_config_get topdir)
	kprefix=$(atf_config_get kernel_prefix)
	command -v clang >/dev/null 2>&1 || atf_skip "clang is not installed"
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >probe.c
	clang -fsanitize=fuzzer probe.c -o probe >/dev/null 2>&1 ||
	    atf_skip "clang cannot link libFuzzer (Debian: libclang-rt-dev)"
	atf_check clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined \
	    -I"$topdir/platform/posix" -I"$kprefix/include" \
	    "$topdir/platform/posix/tests/fuzz_sp_msg.c" \
	    "$topdir/platform/posix/rumpuser_sp_msg.c" -o fuzz_sp
	mkdir corpus
	# Seeds: a well-formed handshake, then a system call and a copy
	# response, so that the fuzzer starts deep in the state machine.
	python3 - 2>/dev/null <<'PY' || true
import struct
hs = b"STRATASP" + struct.pack("<II", 3, 0) + b"x86_64".ljust(16, b"\0") + b"seed".ljust(32, b"\0") + bytes(16)
msg = struct.pack("<IHHQ", 16 + len(hs), 1, 0, 1) + hs
sc = struct.pack("<iI6q", 39, 0, 0, 0, 0, 0, 0, 0)
msg += struct.pack("<IHHQ", 16 + len(sc), 2, 0, 2) + sc + bytes([10])
cr = struct.pack("<iIQ", 0, 0, 37) + b"a" * 37
msg += struct.pack("<IHHQ", 16 + len(cr), 3, 1, 0) + cr
open("corpus/seed", "wb").write(msg)
PY
	./fuzz_sp -max_total_time=10 -timeout=5 -rss_limit_mb=1024 corpus \
	    >fuzz.log 2>&1 || { tail -40 fuzz.log; atf_fail "the fuzzer found a crash or a broken promise"; }
	grep -E 'Done [0-9]+ runs' fuzz.log || { tail -20 fuzz.log; atf_fail "the fuzzer did not run"; }
}

atf_test_case fuzz_shm
fuzz_shm_head()
{
	atf_set "descr" "libFuzzer: any contents of the shared-memory channel (calls, copy answers, strings) are refused or taken as the protocol promises, never read past the region (5 s)"
	atf_set "timeout" "120"
}
fuzz_shm_body()
{
	topdir=$(atf_config_get topdir)
	kprefix=$(atf_config_get kernel_prefix)
	command -v clang >/dev/null 2>&1 || atf_skip "clang is not installed"
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >probe.c
	clang -fsanitize=fuzzer probe.c -o probe >/dev/null 2>&1 ||
	    atf_skip "clang cannot link libFuzzer (Debian: libclang-rt-dev)"
	atf_check clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined \
	    -I"$topdir/platform/posix" -I"$kprefix/include" \
	    "$topdir/platform/posix/tests/fuzz_sp_shm.c" \
	    "$topdir/platform/posix/rumpuser_sp_msg.c" -o fuzz_shm
	mkdir corpus
	# Seed: a CALL (getpid), then a COPYINSTR answer "abc" for a room
	# of 37 bytes.
	python3 - 2>/dev/null <<'PY' || true
import struct
def region(typ, err=0, nr=0, ln=0, id=0, flags=0):
    return struct.pack("<IIIIii6q2qQQQII", 1, 0, 0, typ, err, nr, 0, 0, 0, 0, 0, 0, 0, 0, 0, ln, id, flags, 0)
seed = struct.pack("<B3xIH", 1, 0, 0) + region(2, nr=39, id=5)
seed += struct.pack("<B3xIH", 1 << 1, 36, 4) + region(4, ln=4) + b"abc\0"
open("corpus/seed", "wb").write(seed)
PY
	./fuzz_shm -max_total_time=5 -timeout=5 -rss_limit_mb=1024 corpus \
	    >fuzz.log 2>&1 || { tail -40 fuzz.log; atf_fail "the fuzzer found a crash or a broken promise"; }
	grep -E 'Done [0-9]+ runs' fuzz.log || { tail -20 fuzz.log; atf_fail "the fuzzer did not run"; }
}

atf_init_test_cases()
{
	atf_add_test_case fuzz_messages
	atf_add_test_case fuzz_shm
}
