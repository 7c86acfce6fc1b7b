#!/usr/bin/env bash
# Events accepted per second through HTTP (issue 6), SQLite and PostgreSQL.
#   bash bench/eventshttp/run.sh            # C=16,64 × batch 1,10; 3 runs each
#   ENGINES=sqlite REPS=1 bash bench/eventshttp/run.sh
# PostgreSQL: OPSDESK_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test);
# a database opsdesk_bench_events is created there and dropped.
set -euo pipefail
cd "$(dirname "$0")/../.."
engines="${ENGINES:-sqlite postgres}"
reps="${REPS:-3}"
pg="${OPSDESK_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/opsdesk" ./cmd/opsdesk
go build -o "$work/load" ./bench/eventshttp
echo "# $(go version); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for engine in $engines; do
  db="sqlite:$work/$engine.db"
  if [ "$engine" = postgres ]; then
    psql "$pg" -qc "DROP DATABASE IF EXISTS opsdesk_bench_events" -qc "CREATE DATABASE opsdesk_bench_events" >/dev/null
    db="${pg%/*}/opsdesk_bench_events"
  fi
  export OPSDESK_DATABASE="$db" OPSDESK_DATA_DIR="$work/data-$engine" OPSDESK_ADDR=127.0.0.1:18089 OPSDESK_LOG_LEVEL=warn
  "$work/opsdesk" migrate >/dev/null
  tok="$("$work/opsdesk" tokens create --name bench | tail -1)"
  "$work/opsdesk" serve >"$work/serve-$engine.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18089/readyz >/dev/null && break; sleep 0.1; done
  for batch in 1 10; do
    for c in 16 64; do
      for r in $(seq "$reps"); do
        echo -n "$engine rep $r: "
        "$work/load" --url http://127.0.0.1:18089 --token "$tok" -c "$c" --batch "$batch" -d 10s
      done
    done
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ "$engine" = postgres ]; then
    psql "$pg" -qc "DROP DATABASE IF EXISTS opsdesk_bench_events" >/dev/null
  fi
done
