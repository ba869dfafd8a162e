#!/bin/sh
# gen-pc.sh NAME DESCRIPTION REQUIRES LIBS VERSION
#
# Writes a relocatable pkg-config file to stdout.  prefix is derived from
# the .pc file's own location (${pcfiledir}, understood by pkgconf), so an
# installed prefix can be copied or packaged anywhere and still works.
# In LIBS and the Cflags, "@libdir@" and "@includedir@" stand for
# ${libdir} and ${includedir}; make would otherwise need layers of $$ quoting.
set -e
name=$1 desc=$2 requires=$3 libs=$4 version=$5
libs=$(printf '%s' "$libs" | sed -e 's/@libdir@/${libdir}/g' -e 's/@includedir@/${includedir}/g')
cat <<PC
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $name
Description: $desc
Version: $version
PC
[ -z "$requires" ] || echo "Requires: $requires"
cat <<PC
Cflags: -I\${includedir}
Libs: $libs
PC
