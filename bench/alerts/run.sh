#!/usr/bin/env bash
# Alert intake and phone escalation benchmarks (issue 5) against a fake
# Amazon Connect on loopback:
#   - BenchmarkAccepted        alerts accepted/s, POST /api/v1/alerts (seed format), C=64 closed loop, 10 s
#   - BenchmarkFirstCall       202 → first StartOutboundVoiceContact at the fake, 20 alerts/s for 10 s
#   - BenchmarkThousandAtOnce  1,000 alerts in one request escalating at once; lateness of every step
#
#   bash bench/alerts/run.sh                                  # SQLite, 3 repetitions, medians
#   REPS=1 BENCH='Accepted' bash bench/alerts/run.sh
#   BENCH_ENGINES='sqlite postgres' bash bench/alerts/run.sh
#   BENCH_CONC=128 BENCH_DURATION=20s BENCH_RATE=50 BENCH_ALERTS=2000 BENCH_POLL=5s bash bench/alerts/run.sh
#
# Accepted and FirstCall run opsdesk as a separate process (built here);
# ThousandAtOnce runs it inside the benchmark process to hear every
# engine step. PostgreSQL: OPSDESK_TEST_POSTGRES (default
# postgres://postgres@127.0.0.1:5432/test); databases are created and dropped.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps="${REPS:-3}"
bench="${BENCH:-.}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/opsdesk" ./cmd/opsdesk
echo "# $(go version); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg); engines ${BENCH_ENGINES:-sqlite}"
OPSDESK_BIN="$work/opsdesk" go test -run '^$' -bench "$bench" -benchtime 1x -count "$reps" -timeout 60m ./bench/alerts/ | tee "$work/out"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Medians over the repetitions of every metric each benchmark reported.
echo
echo "# medians of $reps runs"
awk '
/^Benchmark/ && $2 ~ /^[0-9]+$/ {
	name = $1
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
	for (i = 3; i < NF; i += 2) {
		unit = $(i+1)
		if (unit == "ns/op") continue
		key = name SUBSEP unit
		if (!(key in have)) { have[key] = 1; units[name] = units[name] " " unit }
		vals[key] = vals[key] " " $i
	}
}
function median(list,    a, k, i, j, t) {
	k = split(list, a, " ")
	for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
}
END {
	for (i = 1; i <= n; i++) {
		name = order[i]
		line = name ":"
		m = split(units[name], u, " ")
		for (j = 1; j <= m; j++) line = line sprintf("  %s %.1f", u[j], median(vals[name SUBSEP u[j]]))
		print line
	}
}' "$work/out"
