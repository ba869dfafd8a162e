#!/bin/sh
# kyua-summary.sh TESTDIR
#
# Reads the results of the Kyua run in TESTDIR, lists what was skipped,
# then shows what failed and why (last, so that a log cut short at its
# top still shows it), and prints the one closing line
# "N passed, N failed[, N skipped]".
# Broken test programs (crashed, bad output, timed out) count as failed;
# expected failures count as passed, as Kyua itself counts them.  Exits
# non-zero when anything failed or Kyua produced no results at all.
cd "$1" || exit 1
if [ ! -f results.db ]; then
	echo "kyua produced no results (see $1/kyua.log)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
report=$(kyua --logfile=kyua.log report --results-file=results.db) || {
	echo "kyua report failed (see $1/kyua.log)" >&2
	echo "0 passed, 1 failed"
	exit 1
}
# "Test cases: 7 total, 1 skipped, 0 expected failures, 0 broken, 1 failed"
counts=$(printf '%s\n' "$report" | sed -n 's/^Test cases: \([0-9]*\) total, \([0-9]*\) skipped, \([0-9]*\) expected failures, \([0-9]*\) broken, \([0-9]*\) failed$/\1 \2 \4 \5/p')
if [ -z "$counts" ]; then
	printf '%s\n' "$report" >&2
	echo "cannot parse kyua report" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
set -- $counts
total=$1 skipped=$2 failed=$(($3 + $4))
passed=$((total - skipped - failed))

if [ "$skipped" -gt 0 ]; then
	echo
	printf '%s\n' "$report" | sed -n '/^===> Skipped tests/,/^===>/p' | sed '$d'
fi
if [ "$failed" -gt 0 ]; then
	echo
	echo "===> Details of failed tests"
	# Each failed case with its reason and output; the environment dump
	# and the metadata lists are noise here.
	kyua --logfile=kyua.log report --results-file=results.db --verbose \
	    --results-filter=broken,failed | awk '
		/^===> / { sec = substr($0, 6); meta = 0
			show = sec != "Execution context" && sec != "Summary" &&
			    sec != "Broken tests" && sec != "Failed tests" }
		/^Metadata:$/ { meta = 1; next }
		meta && /^    / { next }
		{ meta = 0 }
		show'
	# One line per failed case, last, where a log cut short keeps it;
	# .ci/run collects these lines of every run.
	echo
	printf '%s\n' "$report" |
	    sed -n 's/^\([^ ].*\)  ->  \(failed\|broken\)\(.*\)$/FAILED: \1  ->  \2\3/p'
fi
echo
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
