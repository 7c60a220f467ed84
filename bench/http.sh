#!/usr/bin/env bash
# The HTTP benchmark of SPEC 8 / BENCHMARKS.md, in one run on this machine:
#   1. mlserve-dev (embedded stores and a worker) trains the reference model,
#      a 50-tree random forest on iris, ten times (iris0 ... iris9);
#   2. a standalone `mlserve api` process serves them from the same stores;
#   3. wrk -t2 -c32 -d10s drives single-row predicts straight at the API
#      (native and Open Inference Protocol) and at a minimal net/http server
#      returning a fixed JSON body (bench/baseline), alternating;
#   4. the API's RSS is read with the ten models loaded.
# Needs wrk (apt-get install wrk), curl and python3. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/mlserve" ./cmd/mlserve
go build -o "$work/mlserve-dev" ./cmd/mlserve-dev
go build -o "$work/baseline" ./bench/baseline

"$work/mlserve-dev" --http-addr 127.0.0.1:18090 --dev-data-dir "$work/data" --log-level warn >"$work/dev.out" 2>"$work/dev.err" &
pids+=($!)
waitready() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
waitready http://127.0.0.1:18090/readyz
mongo=$(sed -n 's/.*embedded FerretDB .* at \(mongodb:[^ ]*\).*/\1/p' "$work/dev.out")
redis=$(sed -n 's/.*embedded miniredis .* at \([0-9.:]*\).*/\1/p' "$work/dev.out")

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
dev=http://127.0.0.1:18090
ds=$(curl -sf -X POST "$dev/v1/datasets?name=iris" -H 'Content-Type: text/csv' --data-binary @testdata/iris.csv | json '["id"]')
jobs=()
for i in $(seq 0 9); do
  jobs+=("$(curl -sf -X POST "$dev/v1/jobs" -H 'Content-Type: application/json' -d '{"type":"train","model":"iris'"$i"'",
    "dataset":"'"$ds"'","target":"Species","algorithm":"random_forest","params":{"trees":50},"set_alias":"production"}' | json '["id"]')")
done
for j in "${jobs[@]}"; do
  for _ in $(seq 1 600); do
    s=$(curl -sf "$dev/v1/jobs/$j" | json '["status"]')
    [ "$s" = succeeded ] && break
    [ "$s" = failed ] || [ "$s" = canceled ] && { echo "training job $j $s" >&2; exit 1; }
    sleep 0.1
  done
done

MLSERVE_HTTP_ADDR=127.0.0.1:18080 MLSERVE_MONGO_URI="$mongo" MLSERVE_REDIS_ADDR="$redis" MLSERVE_AUTH_ENABLED=false \
  "$work/mlserve" api >"$work/api.log" 2>&1 &
api=$!
pids+=($api)
"$work/baseline" -addr 127.0.0.1:18081 &
pids+=($!)
waitready http://127.0.0.1:18080/readyz
waitready http://127.0.0.1:18081/

body='{"instances":[{"Sepal length":5.1,"Sepal width":3.5,"Petal length":1.4,"Petal width":0.2}]}'
for i in $(seq 0 9); do
  curl -sf -X POST "http://127.0.0.1:18080/v1/models/iris$i/predict" -H 'Content-Type: application/json' -d "$body" >/dev/null
done
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$api/status")

# run NAME URL SCRIPT: one wrk run; prints "req/s p99_ms".
run() {
  wrk -t2 -c32 -d"$DURATION" --latency -s "$3" "$2" >"$work/$1.wrk"
  awk '/Requests\/sec/ {rps=$2} /^ +99%/ {p=$2} END {
    if (p ~ /us$/) { sub(/us$/, "", p); p = p / 1000 } else if (p ~ /ms$/) { sub(/ms$/, "", p) } else if (p ~ /s$/) { sub(/s$/, "", p); p = p * 1000 }
    printf "%s %.2f\n", rps, p }' "$work/$1.wrk"
}
read -r base1 base1p < <(run baseline1 http://127.0.0.1:18081/ bench/predict.lua)
read -r native native_p < <(run native http://127.0.0.1:18080/v1/models/iris0/predict bench/predict.lua)
read -r oip oip_p < <(run oip http://127.0.0.1:18080/v2/models/iris0/infer bench/oip.lua)
read -r base2 base2p < <(run baseline2 http://127.0.0.1:18081/ bench/predict.lua)
errors=$(grep -h "Non-2xx\|Socket errors" "$work"/native.wrk "$work"/oip.wrk || true)

python3 - "$base1" "$base1p" "$native" "$native_p" "$oip" "$oip_p" "$base2" "$base2p" "$rss_kib" "$errors" <<'PY'
import sys
b1, b1p, n, np_, o, op, b2, b2p, rss, errors = sys.argv[1:]
base = (float(b1) + float(b2)) / 2
print("| run (wrk -t2 -c32, single row) | req/s | p99 ms | vs baseline |")
print("|---|---:|---:|---:|")
print(f"| baseline net/http, fixed JSON (before) | {float(b1):.0f} | {b1p} | |")
print(f"| mlserve native predict | {float(n):.0f} | {np_} | {float(n)/base:.0%} |")
print(f"| mlserve OIP infer | {float(o):.0f} | {op} | {float(o)/base:.0%} |")
print(f"| baseline net/http, fixed JSON (after) | {float(b2):.0f} | {b2p} | |")
print(f"\nmlserve api RSS with 10 forests loaded: {int(rss)/1024:.1f} MiB")
if errors.strip():
    print("\nwrk reported errors:\n" + errors)
PY
