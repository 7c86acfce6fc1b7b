#!/usr/bin/env bash
# Event pattern matching benchmarks (internal/events/pattern), on one core.
#   bash bench/events/run.sh                # 5 runs of every benchmark, then medians
#   COUNT=10 BENCH=Set500 bash bench/events/run.sh
# Every Set benchmark includes decoding the event JSON; the target is
# BenchmarkSet500 at >= 100,000 events/s.
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${COUNT:-5}"
bench="${BENCH:-.}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "# $(go version); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run '^$' -bench "$bench" -benchmem -count "$count" -cpu 1 ./internal/events/pattern/ | tee "$out"

# Medians per benchmark of ns/op and, where reported, events/s.
echo
echo "# medians of $count runs"
awk '
/^Benchmark/ {
	name = $1
	for (i = 2; i < NF; i++) {
		if ($(i+1) == "ns/op") ns[name] = ns[name] " " $i
		if ($(i+1) == "events/s") ev[name] = ev[name] " " $i
	}
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
function median(list,    a, k, i, j, t) {
	k = split(list, a, " ")
	for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
}
END {
	printf "%-40s %14s %14s\n", "benchmark", "ns/op", "events/s"
	for (i = 1; i <= n; i++) {
		name = order[i]
		e = (name in ev) ? sprintf("%.0f", median(ev[name])) : "-"
		printf "%-40s %14.0f %14s\n", name, median(ns[name]), e
	}
}' "$out"
