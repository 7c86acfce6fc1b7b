#!/usr/bin/env bash
# Failover of a fleet (issue 10, point 5): runs TestFleet (cmd/opsdesk/fleet_test.go)
# COUNT times — three replicas on PostgreSQL, the River leader SIGKILLed while it
# holds escalation steps and sends in flight — and reports, over the runs that
# got as far as the measurement, the median and the maximum of:
#   escalation       kill → the first escalation step the dead replica held, claimed by a survivor
#   escalation_last  kill → the last of them (every held step resumed)
#   deliveries       kill → the first send the dead replica had in flight, made again by a survivor
#   deliveries_last  kill → the last of them
#   leader           kill → a survivor is the River leader
#
#   bash bench/failover/run.sh            # 5 runs
#   COUNT=10 bash bench/failover/run.sh
#
# PostgreSQL: OPSDESK_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test);
# each run creates its database and drops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${COUNT:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "# $(go version); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# go test -run '^TestFleet\$' -count $count -v ./cmd/opsdesk/"
status=0
go test -run '^TestFleet$' -count "$count" -v -timeout 30m ./cmd/opsdesk/ >"$work/out" 2>&1 || status=$?
grep -E '^(=== RUN|--- (PASS|FAIL)|\s+fleet_test\.go:[0-9]+: (FAILOVER|SIGKILLed|at the kill|fleet test took))' "$work/out" || true
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
passed=$(grep -c -- '^--- PASS: TestFleet ' "$work/out" || true)
failed=$(grep -c -- '^--- FAIL: TestFleet ' "$work/out" || true)
echo "# $passed of $count runs passed, $failed failed"
if [ "$failed" -gt 0 ]; then
	echo "# failures:"
	grep -E '^\s+(fleet_test|process_test)\.go:[0-9]+: ' "$work/out" | grep -vE 'FAILOVER|SIGKILLed|at the kill|fleet test took|opsdesk output' | sed -n '1,20p'
fi

# Median and maximum of each figure over the FAILOVER lines.
awk '
/FAILOVER / {
	runs++
	for (i = 1; i <= NF; i++) {
		if (split($i, kv, "=") != 2) continue
		v = kv[2]; sub(/s$/, "", v)
		if (!(kv[1] in seen)) { seen[kv[1]] = 1; order[++n] = kv[1] }
		vals[kv[1]] = vals[kv[1]] " " v
	}
}
function median(list,    a, k, i, j, t) {
	k = split(list, a, " ")
	for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
}
function maximum(list,    a, k, i, m) {
	k = split(list, a, " ")
	m = a[1]
	for (i = 2; i <= k; i++) if (a[i] + 0 > m + 0) m = a[i]
	return m
}
END {
	printf "# failover after SIGKILL, %d measured runs\n", runs
	for (i = 1; i <= n; i++) printf "%-16s median %5.2f s   max %5.2f s\n", order[i], median(vals[order[i]]), maximum(vals[order[i]])
}' "$work/out"
exit "$status"
