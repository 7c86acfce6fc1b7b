#!/usr/bin/env bash
# Case archive benchmarks (issue 3). Needs PostgreSQL (OPSDESK_TEST_POSTGRES).
#   bash bench/cases/run.sh                 # 5,000-case sync, search over 20,000 cases
#   CASES=1000 SEARCH_CASES=5000 bash bench/cases/run.sh   # quicker
set -euo pipefail
cd "$(dirname "$0")/../.."
go test -run '^$' -bench . -benchtime 1x -timeout 60m ./bench/cases/
