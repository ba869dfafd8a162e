#!/bin/sh
# need.sh SPEC...
#
# Makes sure the Debian packages a make target needs are installed.  Each
# SPEC is cmd:COMMAND:PACKAGE (COMMAND must be on PATH) or
# file:PATH:PACKAGE (PATH must exist).  Anything missing is installed with
# apt-get when running as root (a fresh machine or CI); otherwise the
# packages are named and the build stops, since nothing else can help.
# apt-get waits for the dpkg lock (NEED_LOCK_TIMEOUT seconds, default 600)
# when another package manager holds it.
missing=
for spec in "$@"; do
	kind=${spec%%:*}
	rest=${spec#*:}
	what=${rest%:*}
	pkg=${rest##*:}
	case $kind in
	cmd)	command -v "$what" >/dev/null 2>&1 && continue ;;
	file)	[ -e "$what" ] && continue ;;
	esac
	case " $missing " in
	*" $pkg "*) ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "Installing missing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Another package manager (unattended-upgrades, a second apt-get) may
	# hold the dpkg lock: wait for it, up to NEED_LOCK_TIMEOUT seconds,
	# rather than fail at once, and say so while waiting.
	timeout=${NEED_LOCK_TIMEOUT:-600}
	if command -v fuser >/dev/null 2>&1 &&
	    fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock \
	    /var/lib/apt/lists/lock >/dev/null 2>&1; then
		echo "Another package manager holds the dpkg lock: waiting for it (up to ${timeout} s)..."
	fi
	apt-get -o DPkg::Lock::Timeout="$timeout" update -q &&
	apt-get -o DPkg::Lock::Timeout="$timeout" install -q -y \
	    --no-install-recommends $missing
	exit
fi
echo "Missing Debian packages:$missing" >&2
echo "Install them as root:  apt-get install$missing" >&2
exit 1
