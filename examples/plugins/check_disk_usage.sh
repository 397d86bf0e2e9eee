#!/bin/sh
# A Nagios-style disk check: the first line is the summary, the part after
# "|" is performance data, the exit status is the result (0 OK, 1 WARNING,
# 2 CRITICAL, 3 UNKNOWN).
#
#   check_disk_usage.sh MOUNT WARN_PERCENT CRIT_PERCENT
mount=${1:-/}
warn=${2:-85}
crit=${3:-95}
used=$(df -P "$mount" 2>/dev/null | awk 'NR == 2 { sub("%", "", $5); print $5 }')
if [ -z "$used" ]; then
	echo "DISK UNKNOWN - cannot read the usage of $mount"
	exit 3
fi
perf="'$mount used'=${used}%;$warn;$crit;0;100"
if [ "$used" -ge "$crit" ]; then
	echo "DISK CRITICAL - $mount is ${used}% full (critical at ${crit}%) | $perf"
	exit 2
elif [ "$used" -ge "$warn" ]; then
	echo "DISK WARNING - $mount is ${used}% full (warning at ${warn}%) | $perf"
	exit 1
fi
echo "DISK OK - $mount is ${used}% full | $perf"
exit 0
