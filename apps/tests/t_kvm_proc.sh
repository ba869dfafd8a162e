#! /usr/bin/env atf-sh
#
# t_kvm_proc: processes in the kvm guest (platform/kvm/l2/l2_proc.c):
# fork, vfork, execve, wait4/waitid, exit statuses and pipes between
# processes, as unmodified static programs use them.  h_kvm_proc.c (built
# here with Debian's musl-gcc) prints what it sees; the same binary run on
# the host prints the same lines.  Programs it execs come from an ext2
# disk (virtio-blk) mounted in the guest and from /proc/self/exe.
# busybox-static's shell runs pipelines, command substitutions and
# external applets (busybox execs /proc/self/exe for them).  Skipped
# without qemu-system-x86_64, musl-gcc, busybox-static, mke2fs, or where
# the kvm platform is not built.

setup()
{
	prefix=$(atf_config_get platform_prefix)
	bake=$prefix/bin/strata-bake
	boot=$prefix/bin/strata-boot
	[ -x "$bake" ] && [ -x "$boot" ] &&
	    [ -f "$prefix/lib/librumpuser-kvm.a" ] ||
	    atf_skip "the kvm platform is not built here (x86_64 only, not in sanitized or cross builds)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	    atf_skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
}

# proc_image: proc.img from h_kvm_proc (musl-gcc -static), with the file
# system components; d/ holds the programs it execs (also the host's).
proc_image()
{
	setup
	command -v musl-gcc >/dev/null 2>&1 ||
	    atf_skip "musl-gcc is not installed (Debian: musl-tools)"
	command -v mke2fs >/dev/null 2>&1 ||
	    atf_skip "mke2fs is not installed (Debian: e2fsprogs)"
	src=$(atf_config_get topdir)/apps/tests
	atf_check musl-gcc -static -O1 -o h_kvm_proc "$src/h_kvm_proc.c"
	mkdir d
	atf_check musl-gcc -static -O1 -o d/prog "$src/h_kvm_l2_prog.c"
	printf '#!./prog hello\n' >d/script.sh
	echo "not a program" >d/garbage
	cp d/prog d/noexec
	chmod +x d/script.sh d/garbage
	chmod -x d/noexec
	atf_check -o ignore -e ignore mke2fs -q -t ext2 -b 1024 -d d fs.img 8m
	atf_check "$bake" -c fs h_kvm_proc proc.img
}

# same_as_host ARGS...: the guest prints what h_kvm_proc prints on the
# host (with d/ for /mnt), and exits as it does.
same_as_host()
{
	(cd d && ../h_kvm_proc "$@") >expout </dev/null 2>&1
	status=$?
	atf_check -s exit:$status -o file:expout "$boot" --timeout 120 \
	    -e STRATA_MOUNT=/dev/vda:/mnt:ext2 -d fs.img proc.img "$@"
}

atf_test_case forks
forks_head()
{
	atf_set "descr" "8 forked children: each its own copy of memory and pid, exit statuses and deaths by signal (SIGKILL, abort) collected by waitpid in any order, ECHILD after the last, their output through a shared pipe"
	atf_set "timeout" "300"
}
forks_body()
{
	proc_image
	same_as_host forks 8
}

atf_test_case exec
exec_head()
{
	atf_set "descr" "fork and execve of a second program from the kernel's file system (an ext2 disk): argv, environment, exit status; a #! script; ENOENT, EACCES, ENOEXEC; execve of /proc/self/exe closes close-on-exec descriptors"
	atf_set "timeout" "300"
}
exec_body()
{
	proc_image
	(cd d && ../h_kvm_proc exec .) >expout </dev/null 2>&1
	atf_check -o file:expout "$boot" --timeout 120 \
	    -e STRATA_MOUNT=/dev/vda:/mnt:ext2 -d fs.img proc.img exec /mnt
}

atf_test_case spawn
spawn_head()
{
	atf_set "descr" "posix_spawn (musl: clone with CLONE_VM|CLONE_VFORK) of a program on disk and of a missing one; vfork whose child writes the parent's memory"
	atf_set "timeout" "300"
}
spawn_body()
{
	proc_image
	(cd d && ../h_kvm_proc spawn .) >expout </dev/null 2>&1
	atf_check -o file:expout "$boot" --timeout 120 \
	    -e STRATA_MOUNT=/dev/vda:/mnt:ext2 -d fs.img proc.img spawn /mnt
}

atf_test_case pipeline
pipeline_head()
{
	atf_set "descr" "a writer and a reader process joined by a pipe: 512 KiB through it, end of file when the writer has gone"
	atf_set "timeout" "300"
}
pipeline_body()
{
	proc_image
	same_as_host pipeline 512
}

atf_test_case signals
signals_head()
{
	atf_set "descr" "signals between processes: handlers with SA_SIGINFO, SIGCHLD's siginfo, sigsuspend, blocked and pending signals, kill of children (default action, a handler that exits, SIGKILL), an interrupted nanosleep (EINTR, time left), a pipe's read in the kernel interrupted (SIGTERM, EINTR, restarted under SA_RESTART), SIGCHLD ignored"
	atf_set "timeout" "300"
}
signals_body()
{
	proc_image
	same_as_host signals
}

atf_test_case sigpipe
sigpipe_head()
{
	atf_set "descr" "a write to a pipe without readers ends the writer by SIGPIPE (the kernel says EPIPE, the platform sends the signal); EPIPE alone when SIGPIPE is ignored or with send's MSG_NOSIGNAL on a unix socket"
	atf_set "timeout" "300"
}
sigpipe_body()
{
	proc_image
	./h_kvm_proc sigpipe >expout 2>&1
	atf_check "$bake" -c net h_kvm_proc net.img
	atf_check -o file:expout "$boot" --timeout 120 net.img sigpipe
}

atf_test_case crashes
crashes_head()
{
	atf_set "descr" "children ended by their own exceptions (null dereference, invalid opcode, division by zero): the parent sees SIGSEGV, SIGILL, SIGFPE in wait and goes on; the console says where each happened"
	atf_set "timeout" "300"
}
crashes_body()
{
	proc_image
	(cd d && ../h_kvm_proc crashes) >host 2>&1
	atf_check -o match:'killed by signal 11' -o match:'signal 4' \
	    -o match:'signal 8' -o match:'the parent goes on' cat host
	atf_check -o save:out "$boot" --timeout 120 proc.img crashes
	grep -v '^strata: process ' out >got
	atf_check -o file:host cat got
	atf_check -o match:'^strata: process [0-9]+: exception 14 at RIP 0x[0-9a-f]+ \(address 0\): signal 11$' \
	    -o match:'exception 6 .*: signal 4$' -o match:'exception 0 .*: signal 8$' \
	    cat out
}

atf_test_case execthreads
execthreads_head()
{
	atf_set "descr" "execve from a process whose two other threads wait (a pipe's read in the kernel, a condition variable's futex): they end, the new program runs alone"
	atf_set "timeout" "300"
}
execthreads_body()
{
	proc_image
	same_as_host execthreads
}

atf_test_case memory
memory_head()
{
	atf_set "descr" "the guest's free memory (sysinfo) is the same after 30 children that each touch 1 MiB, fork a grandchild, and exec: address spaces, page tables and programs are all given back"
	atf_set "timeout" "300"
}
memory_body()
{
	proc_image
	atf_check -o match:'^30 children: free memory back ' "$boot" \
	    --timeout 120 proc.img memory 30
}

atf_test_case waitid
waitid_head()
{
	atf_set "descr" "waitid: WNOHANG on a running child, WNOWAIT leaves the child to be waited for again, siginfo's fields, ECHILD, EINVAL"
	atf_set "timeout" "300"
}
waitid_body()
{
	proc_image
	same_as_host waitid
}

atf_test_case cow
cow_head()
{
	atf_set "descr" "fork shares memory copy-on-write: three children and a grandchild each see 2 MiB as it was at their fork while the parent writes over it, write their own (the program's stores and the kernel's read() into a shared page), a read-only page made writable after the fork; the parent's memory unchanged"
	atf_set "timeout" "300"
}
cow_body()
{
	proc_image
	same_as_host cow
}

atf_test_case pgroups
pgroups_head()
{
	atf_set "descr" "process groups and sessions: setsid, setpgid (a new group, joining one, EPERM, ESRCH, EACCES after execve, another session), getpgid, getsid; kill to a group (-pgid, 0), waitpid for a group (-pgid, 0), waitid P_PGID"
	atf_set "timeout" "300"
}
pgroups_body()
{
	proc_image
	same_as_host pgroups
}

atf_test_case sigqueue
sigqueue_head()
{
	atf_set "descr" "real-time signals queued (sigqueue's values delivered in the order sent, the lowest signal first), a standard signal sent twice taken once, sigwaitinfo and sigtimedwait (from another process, timeouts), rt_sigqueueinfo's EPERM; sigaltstack: SA_ONSTACK handlers on the alternate stack, SS_ONSTACK, EPERM there, ENOMEM, EINVAL, kept across fork, disabled"
	atf_set "timeout" "300"
}
sigqueue_body()
{
	proc_image
	same_as_host sigqueue
}

# busybox_image: bb.img from Debian's busybox-static.
busybox_image()
{
	setup
	bb=
	for f in /bin/busybox /usr/bin/busybox; do
		[ -x $f ] && file -L $f 2>/dev/null | grep -q 'statically linked' && bb=$f && break
	done
	[ -n "$bb" ] || atf_skip "no static busybox (Debian: busybox-static)"
	cp "$bb" busybox
	atf_check "$bake" busybox bb.img
}

atf_test_case busybox_sh
busybox_sh_head()
{
	atf_set "descr" "busybox-static's sh -c: pipelines of external applets (tr, wc, sort, head, cat), command substitution, subshells, redirections, exit statuses of children, children killed by signals, traps; compared with the same busybox on the host"
	atf_set "timeout" "300"
}
busybox_sh_body()
{
	busybox_image
	# Files in ./w: the test's directory on the host, / in the guest.
	script='
		mkdir w && cd w || exit 1
		echo a | tr a b
		x=$(echo hi; echo there | tr t T); echo "$x"
		seq 1 100 | sort -rn | head -3 | wc -l
		echo "to a file" >f; cat <f | tr a-z A-Z >>g; cat f g
		false; echo "false: $?"
		sh -c "exit 5"; echo "sh -c exit 5: $?"
		(exit 7); echo "subshell: $?"
		{ sh -c "kill -9 \$\$"; } 2>err; echo "killed: $?"
		n=0; for i in $(seq 1 5); do n=$((n + $(echo $i | wc -c))); done; echo "n=$n"
		echo end | cat | cat | cat
		trap "echo got USR1" USR1; kill -USR1 $$; echo after the trap
		{ sh -c "kill -TERM \$\$"; } 2>err; echo "SIGTERM: $?"
		sh -c "trap \"echo child TERM; exit 9\" TERM; kill -TERM \$\$; echo not here"; echo "trapped: $?"
		exit 3'
	# PATH empty: the host's busybox runs its applets, as in the guest.
	env -i PATH=/nonexistent ./busybox sh -c "$script" >expout 2>/dev/null
	atf_check -s exit:3 -o file:expout -e ignore "$boot" --timeout 120 \
	    -e PATH=/nonexistent bb.img sh -c "$script"
}

atf_test_case busybox_jobs
busybox_jobs_head()
{
	atf_set "descr" "busybox-static's sh without a terminal: background jobs, jobs, kill %1, wait for one job and for all, kill 0 from a child shell reaching the whole process group (the shell's trap too), from one in a session of its own (setsid) only that one; compared with the same busybox on the host, run there in a session of its own"
	atf_set "timeout" "300"
}
busybox_jobs_body()
{
	busybox_image
	command -v setsid >/dev/null 2>&1 ||
	    atf_skip "setsid is not installed (Debian: util-linux)"
	# The shell's job messages ("Terminated") go to standard error,
	# which the guest's console mixes with the output: not compared.
	# Only what timing cannot change is listed: jobs runs after the
	# short job was waited for, while the sleeps (killed long before
	# their 60 s) are surely running.
	script='
		exec 2>/dev/null
		sleep 60 & p1=$!
		(exit 7) & p2=$!
		wait $p2; echo "job 2: $?"
		jobs
		kill %1; wait $p1; echo "kill %1: $?"
		sleep 60 & sleep 60 &
		jobs | wc -l
		kill $(jobs -p); wait; echo "all waited: $?"
		trap "echo the shell got TERM" TERM
		sh -c "kill -TERM 0; echo not here"; echo "kill 0 in a child shell: $?"
		setsid sh -c "kill -TERM 0; echo not here"; echo "kill 0 in a new session: $?"
		echo end'
	# On the host in a session of its own: kill 0 reaches the shell's
	# process group, which must not be the test's.
	setsid -w env -i PATH=/nonexistent ./busybox sh -c "$script" \
	    >expout 2>/dev/null </dev/null
	atf_check -o file:expout -e ignore "$boot" --timeout 120 \
	    -e PATH=/nonexistent bb.img sh -c "$script"
}

atf_test_case stdin
stdin_head()
{
	atf_set "descr" "strata-boot --stdin: commands for busybox's sh on standard input (pipelines, an exit status), 20 KB of binary data with 0xff bytes through sha256sum to the end of the input (the console interrupt-driven, IRQ 4, on the pc and microvm machines), an empty input; without --stdin the program reads end-of-file"
	atf_set "timeout" "300"
}
stdin_body()
{
	busybox_image
	printf 'echo one two | tr o O\nfor i in 1 2 3; do echo $i; done | wc -l\nexit 4\n' >cmds
	env -i PATH=/nonexistent ./busybox sh <cmds >expout 2>/dev/null
	atf_check -s exit:4 -o file:expout "$boot" --timeout 120 --stdin \
	    -e PATH=/nonexistent bb.img sh <cmds
	head -c 20000 /dev/urandom >data
	printf '\377\000\377\377x\377' >>data
	sha256sum <data >expout
	atf_check -o file:expout "$boot" --timeout 120 --stdin bb.img \
	    sha256sum <data
	# The console's input is interrupt-driven (IRQ 4 through the
	# IOAPIC), on the pc machine and on microvm.
	for m in pc microvm; do
		atf_check -o save:out "$boot" --timeout 120 -M $m --stdin \
		    -e KVM_VERBOSE=1 bb.img sha256sum <data
		atf_check -o match:'^kvm: console input: IRQ 4, vector 0x[0-9a-f]+$' \
		    -o match:"^$(cut -c1-64 expout)  -\$" cat out
	done
	atf_check -o empty "$boot" --timeout 120 --stdin bb.img cat </dev/null
	# Without --stdin: end-of-file at once, whatever strata-boot's is.
	atf_check -o inline:'0\n' "$boot" --timeout 120 bb.img wc -c <data
}

atf_init_test_cases()
{
	atf_add_test_case forks
	atf_add_test_case exec
	atf_add_test_case spawn
	atf_add_test_case pipeline
	atf_add_test_case signals
	atf_add_test_case sigpipe
	atf_add_test_case crashes
	atf_add_test_case execthreads
	atf_add_test_case memory
	atf_add_test_case waitid
	atf_add_test_case cow
	atf_add_test_case pgroups
	atf_add_test_case sigqueue
	atf_add_test_case busybox_sh
	atf_add_test_case busybox_jobs
	atf_add_test_case stdin
}
