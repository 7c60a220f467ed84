#!/usr/bin/env bash
# The preprocessing benchmark of BENCHMARKS.md:
#   1. accuracy (5-fold CV) of every classifier without steps, with
#      imputing and one-hot encoding, and with standardisation too, on
#      golearn's iris and house-votes and on testdata/churn.csv and a
#      5,000-row churn-5000.csv (bench/churn.py: empty cells, strings,
#      columns on scales a thousand times apart), through mlserve-dev;
#   2. the cost per row of each step on the single-row fast path
#      (go test -bench BenchmarkPipelineSteps).
# Needs curl and python3 (the standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/mlserve-dev" ./cmd/mlserve-dev
cp testdata/iris.csv testdata/house-votes-84.csv testdata/churn.csv "$work/"
python3 bench/churn.py 5000 2 >"$work/churn-5000.csv"
"$work/mlserve-dev" --http-addr 127.0.0.1:18094 --dev-data-dir "$work/data" --log-level warn \
  >"$work/dev.out" 2>"$work/dev.err" &
pid=$!
dev=http://127.0.0.1:18094
for _ in $(seq 1 600); do curl -sf "$dev/readyz" >/dev/null && break; sleep 0.1; done

echo "Accuracy with and without preprocessing, 5-fold cross-validation, seed 1, $(nproc) cores"
echo
python3 bench/preprocess.py "$dev" "$work"
echo
echo "The cost per row of each step (single-row predict on the fast path; ns/op is one row):"
go test -run '^$' -bench 'BenchmarkPipelineSteps' -benchtime 200000x ./internal/learners | grep -E '^Benchmark'
