#!/usr/bin/env bash
# The search benchmark of BENCHMARKS.md: searches of 1, 3 and 9 trials
# (random forests, a 3 x 3 grid of trees x max_depth), 5-fold on the
# 8,000 training rows of a 10,000-row churn dataset (bench/churn.py
# 10000 3), through mlserve-dev, each trial in its own training process
# on one thread:
#   - sequential: jobs.search_parallel=1, one trial at a time;
#   - parallel:   jobs.search_parallel=2, two at a time on the 2 cores.
# The job's wall time runs from started to finished: the search (its
# trials), then the final fit of the best (the version's train_seconds);
# "trial seconds" sums the trials' own times (a training process each:
# start, read the dataset, 5 fits and evaluations).
# Needs curl and python3 (the standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pid=
stop() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  pid=
}
trap 'stop; rm -rf "$work"' EXIT

go build -o "$work/mlserve-dev" ./cmd/mlserve-dev
python3 bench/churn.py 10000 3 >"$work/churn-10000.csv"
echo "Search, $(nproc) cores, $(go version | cut -d' ' -f3)"
echo
echo "| trials at once | trials | job wall s | final fit s | search s | trial seconds | best (mean 5-fold accuracy) |"
echo "|---|---|---|---|---|---|---|"
for parallel in 1 2; do
  rm -rf "$work/data"
  "$work/mlserve-dev" --http-addr 127.0.0.1:18095 --dev-data-dir "$work/data" --log-level warn \
    --jobs-search-parallel "$parallel" --jobs-train-threads 1 >"$work/dev.out" 2>"$work/dev.err" &
  pid=$!
  for _ in $(seq 1 600); do curl -sf http://127.0.0.1:18095/readyz >/dev/null && break; sleep 0.1; done
  python3 bench/search.py http://127.0.0.1:18095 "$work/churn-10000.csv" "$parallel" 1 3 9
  stop
done
