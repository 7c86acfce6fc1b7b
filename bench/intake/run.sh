#!/usr/bin/env bash
# Question intake benchmark (issue 2): builds opsdesk and the load generator,
# then measures SQLite and PostgreSQL (3 repetitions, medians).
#
#   bash bench/intake/run.sh                      # everything, 35–45 minutes
#   bash bench/intake/run.sh --engines sqlite --reps 1 --phases rate
#
# Extra arguments go to the benchmark (go run ./bench/intake --help).
# PostgreSQL: OPSDESK_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test);
# the benchmark creates one database per run there and drops it.
# Results: $BENCH_OUT (default /tmp/opsdesk-bench): intake.md (tables),
# intake.log (progress, raw per-repetition JSON lines), intake.json (raw).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${BENCH_OUT:-/tmp/opsdesk-bench}"
mkdir -p "$out"
go build -o "$out/opsdesk" ./cmd/opsdesk
go build -o "$out/bench-intake" ./bench/intake
"$out/bench-intake" --bin "$out/opsdesk" --json "$out/intake.json" --idle-watch 150s "$@" \
  2> >(tee "$out/intake.log" >&2) | tee "$out/intake.md"
echo "results in $out/intake.md"
