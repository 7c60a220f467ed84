#!/usr/bin/env bash
# The HTTP benchmark of SPEC 8 / BENCHMARKS.md, in one run on this machine:
#   1. mlserve-dev (embedded stores and a worker) trains the reference model,
#      a 50-tree random forest on iris, ten times (iris0 ... iris9);
#   2. a standalone `mlserve api` process serves them from the same stores;
#   3. wrk -t2 -c32 -d10s drives single-row predicts straight at the API
#      (native and Open Inference Protocol) and at a minimal net/http server
#      returning a fixed JSON body (bench/baseline), alternating;
#   4. the same native predict at a second API with metrics and the access
#      log off (metrics.enabled, log.access), for what observability costs;
#   5. through nginx (nginx/nginx.conf as committed, its per-client rate
#      limits lifted: wrk is one client): nginx -> the API against
#      nginx -> the baseline, alternating;
#   6. the API's RSS is read with the ten models loaded.
# Needs wrk and nginx (apt-get install wrk nginx), curl and python3. Prints a
# Markdown table.
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
MLSERVE_HTTP_ADDR=127.0.0.1:18082 MLSERVE_MONGO_URI="$mongo" MLSERVE_REDIS_ADDR="$redis" MLSERVE_AUTH_ENABLED=false \
  MLSERVE_METRICS_ENABLED=false MLSERVE_LOG_ACCESS=false "$work/mlserve" api >"$work/api-off.log" 2>&1 &
pids+=($!)
"$work/baseline" -addr 127.0.0.1:18081 &
pids+=($!)
waitready http://127.0.0.1:18080/readyz
waitready http://127.0.0.1:18082/readyz
waitready http://127.0.0.1:18081/

# nginx PORT UPSTREAM: nginx.conf as committed in front of UPSTREAM, on PORT.
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
start_nginx() {
  local dir="$work/nginx-$1"
  mkdir -p "$dir/conf" "$dir/prefix"
  sed -e "s/listen 8080;/listen 127.0.0.1:$1;/" -e 's/rate=[0-9]*r\/s/rate=1000000r\/s/' nginx/nginx.conf >"$dir/conf/nginx.conf"
  echo "server $2;" >"$dir/conf/upstream.conf"
  "$nginx_bin" -e stderr -p "$dir/prefix/" -c "$dir/conf/nginx.conf" >/dev/null 2>"$dir/error.log" &
  pids+=($!)
}
start_nginx 18083 127.0.0.1:18080
start_nginx 18084 127.0.0.1:18081
waitready http://127.0.0.1:18083/healthz
waitready http://127.0.0.1:18084/healthz

body='{"instances":[{"Sepal length":5.1,"Sepal width":3.5,"Petal length":1.4,"Petal width":0.2}]}'
for i in $(seq 0 9); do
  curl -sf -X POST "http://127.0.0.1:18080/v1/models/iris$i/predict" -H 'Content-Type: application/json' -d "$body" >/dev/null
  curl -sf -X POST "http://127.0.0.1:18082/v1/models/iris$i/predict" -H 'Content-Type: application/json' -d "$body" >/dev/null
done
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$api/status")

# run NAME URL SCRIPT: one wrk run; prints "req/s p99_ms".
run() {
  wrk -t2 -c32 -d"$DURATION" --latency -s "$3" "$2" >"$work/$1.wrk"
  awk '/Requests\/sec/ {rps=$2} /^ +99%/ {p=$2} END {
    if (p ~ /us$/) { sub(/us$/, "", p); p = p / 1000 } else if (p ~ /ms$/) { sub(/ms$/, "", p) } else if (p ~ /s$/) { sub(/s$/, "", p); p = p * 1000 }
    printf "%s %.2f\n", rps, p }' "$work/$1.wrk"
}
predict=/v1/models/iris0/predict
read -r base1 base1p < <(run baseline1 http://127.0.0.1:18081/ bench/predict.lua)
read -r native native_p < <(run native http://127.0.0.1:18080$predict bench/predict.lua)
read -r oip oip_p < <(run oip http://127.0.0.1:18080/v2/models/iris0/infer bench/oip.lua)
read -r off off_p < <(run off http://127.0.0.1:18082$predict bench/predict.lua)
read -r base2 base2p < <(run baseline2 http://127.0.0.1:18081/ bench/predict.lua)
read -r ngb1 ngb1p < <(run nginx-baseline1 http://127.0.0.1:18084$predict bench/predict.lua)
read -r ngn ngn_p < <(run nginx-native http://127.0.0.1:18083$predict bench/predict.lua)
read -r ngb2 ngb2p < <(run nginx-baseline2 http://127.0.0.1:18084$predict bench/predict.lua)
errors=$(grep -H "Non-2xx\|Socket errors" "$work"/*.wrk || true)

python3 - "$base1" "$base1p" "$native" "$native_p" "$oip" "$oip_p" "$off" "$off_p" "$base2" "$base2p" \
  "$ngb1" "$ngb1p" "$ngn" "$ngn_p" "$ngb2" "$ngb2p" "$rss_kib" "$errors" <<'PY'
import sys
(b1, b1p, n, np_, o, op, off, offp, b2, b2p, g1, g1p, gn, gnp, g2, g2p, rss, errors) = sys.argv[1:]
f = float
base, basep = (f(b1) + f(b2)) / 2, (f(b1p) + f(b2p)) / 2
nbase = (f(g1) + f(g2)) / 2
print("| run (wrk -t2 -c32, single row) | req/s | p99 ms | req/s vs its floor | p99 vs its floor |")
print("|---|---:|---:|---:|---:|")
print(f"| floor: net/http, fixed JSON (before) | {f(b1):.0f} | {b1p} | | |")
print(f"| mlserve native predict, metrics + access log on | {f(n):.0f} | {np_} | {f(n)/base:.2f}x | {f(np_)/basep:.2f}x |")
print(f"| mlserve OIP infer, metrics + access log on | {f(o):.0f} | {op} | {f(o)/base:.2f}x | {f(op)/basep:.2f}x |")
print(f"| mlserve native predict, metrics + access log off | {f(off):.0f} | {offp} | {f(off)/base:.2f}x | {f(offp)/basep:.2f}x |")
print(f"| floor: net/http, fixed JSON (after) | {f(b2):.0f} | {b2p} | | |")
print(f"| nginx -> floor (before) | {f(g1):.0f} | {g1p} | | |")
print(f"| nginx -> mlserve native predict, on | {f(gn):.0f} | {gnp} | {f(gn)/nbase:.2f}x | {f(gnp)/((f(g1p)+f(g2p))/2):.2f}x |")
print(f"| nginx -> floor (after) | {f(g2):.0f} | {g2p} | | |")
print(f"\nOIP vs native: {f(o)/f(n):.2f}x. Metrics and access log on vs off: {f(n)/f(off):.2f}x of the req/s.")
print(f"mlserve api RSS with 10 forests loaded: {int(rss)/1024:.1f} MiB")
if errors.strip():
    print("\nwrk reported errors:\n" + errors)
PY
