#! /usr/bin/env atf-sh
#
# t_portable: the kernel tests run on every platform, fiber included.
#
# On the fiber platform a process has one host thread and the platform's
# cooperative threads: a pthread made by a test would be a host thread the
# platform knows nothing about (two threads inside a scheduler written for
# one), a host sleep stops every rump thread, and thread-local storage is
# shared by all the platform's threads.  Such a test may even pass there,
# by luck.  So the kernel tests' sources must use the platform's calls
# instead (rt_thread_start, rt_thread_join, rt_sleep_ms in h_rumptest.h,
# or rumpuser_* directly), and this checks that they do.  The fuzz
# harnesses (fuzz_*.c) are not kernel tests of this kind: t_fuzz_*.sh
# builds them with libFuzzer against the posix platform only, whose
# threads are host threads.

atf_test_case no_host_threads_or_sleeps
no_host_threads_or_sleeps_head()
{
	atf_set "descr" "No kernel test source uses pthreads, host sleeps or thread-local storage"
}
no_host_threads_or_sleeps_body()
{
	topdir=$(atf_config_get topdir)
	dir=$topdir/kernel/tests
	ls "$dir"/t_*.c >/dev/null 2>&1 || atf_fail "no kernel tests in $dir"

	# Words in code, not in comments: strip /* */ and // comments first.
	found=
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		case ${f##*/} in fuzz_*.c) continue ;; esac
		hits=$(sed -e 's://.*$::' "$f" |
		    awk '{ line = $0
			while (1) {
				if (incomment) {
					e = index(line, "*/")
					if (!e) { line = ""; break }
					line = substr(line, e + 2); incomment = 0
				}
				s = index(line, "/*")
				if (!s) break
				out = out substr(line, 1, s - 1)
				line = substr(line, s + 2); incomment = 1
			}
			print NR ": " out line; out = "" }' |
		    grep -E '(pthread_[a-z_]+[[:space:]]*\(|(^|[^_a-zA-Z0-9])(sleep|usleep|nanosleep|clock_nanosleep)[[:space:]]*\(|(^|[^_a-zA-Z0-9])(__thread|_Thread_local|thread_local)([^_a-zA-Z0-9]|$)|<pthread\.h>|<threads\.h>)' || :)
		[ -z "$hits" ] || found="$found
${f#"$topdir"/}:
$hits"
	done
	[ -z "$found" ] || atf_fail "non-portable constructs in kernel tests (use rt_thread_start/rt_thread_join/rt_sleep_ms from h_rumptest.h):$found"
}

atf_init_test_cases()
{
	atf_add_test_case no_host_threads_or_sleeps
}
