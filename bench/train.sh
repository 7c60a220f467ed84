#!/usr/bin/env bash
# The training benchmark of SPEC 8 / BENCHMARKS.md: mlserve's learners
# against scikit-learn 1.2 (Debian's python3-sklearn), in one run, on one
# machine, one model at a time:
#   1. generates classes.csv (a nonlinear 3-class label) and friedman.csv
#      (Friedman's regression #1) of ROWS rows (default 50000), the same
#      bytes every run (bench/traindata says how), beside golearn's iris and
#      house-votes;
#   2. starts mlserve-dev (embedded FerretDB and miniredis, the training
#      child process as in production) and uploads each dataset;
#   3. for each model, trains it on mlserve (submit -> succeeded, from the
#      job's timestamps) and on scikit-learn with matching parameters (fit +
#      predict), on the very rows mlserve trains on, scoring both on the
#      rows mlserve holds out (bench/holdout prints them);
#   4. prints a Markdown table of scores and times with their ratio, then
#      the fast predictors' single-row latency (go test -bench).
# Needs curl and Debian's python3 with python3-sklearn and python3-pandas.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-50000}
PYTHON=${PYTHON:-/usr/bin/python3}
"$PYTHON" -c 'import sklearn, pandas' || { echo "bench/train.sh needs $PYTHON with sklearn and pandas (apt-get install python3-sklearn python3-pandas)" >&2; exit 1; }
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/mlserve-dev" ./cmd/mlserve-dev
go build -o "$work/holdout" ./bench/holdout
go run ./bench/traindata -rows "$ROWS" -dir "$work"
cp testdata/iris.csv testdata/house-votes-84.csv "$work/"
"$work/mlserve-dev" --http-addr 127.0.0.1:18093 --dev-data-dir "$work/data" --log-level warn --worker-concurrency 1 \
  >"$work/dev.out" 2>"$work/dev.err" &
pid=$!
dev=http://127.0.0.1:18093
for _ in $(seq 1 600); do curl -sf "$dev/readyz" >/dev/null && break; sleep 0.1; done

echo "Training, $(nproc) cores, $(go version | cut -d' ' -f3), $("$PYTHON" -c 'import sklearn; print("scikit-learn", sklearn.__version__)')"
echo
"$PYTHON" bench/train_compare.py "$dev" "$work" "$work/holdout"
echo
echo "Single-row prediction on the fast path (go test -bench, ns/op is one row):"
go test -run '^$' -bench 'BenchmarkPredictOneRow' -benchtime 20000x ./model/trees | grep -E '^Benchmark'
