#!/bin/sh
# need.sh SPEC...
#
# Makes sure the Debian packages a make target needs are installed.  Each
# SPEC is cmd:COMMAND:PACKAGE (COMMAND must be on PATH) or
# file:PATH:PACKAGE (PATH must exist).  Anything missing is installed with
# apt-get when running as root (a fresh machine or CI); otherwise the
# packages are named and the build stops, since nothing else can help.
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
	apt-get update -q && apt-get install -q -y --no-install-recommends $missing
	exit
fi
echo "Missing Debian packages:$missing" >&2
echo "Install them as root:  apt-get install$missing" >&2
exit 1
