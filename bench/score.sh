#!/usr/bin/env bash
# The batch-scoring benchmark of SPEC 8 / BENCHMARKS.md, on mlserve-dev (API,
# worker, embedded FerretDB and miniredis in one process), in one run:
#   1. trains the reference model, a 50-tree random forest on iris;
#   2. for each size in ROWS (default "1000000 5000000"): generates that many
#      iris-like rows (seeded noise around the real iris rows), uploads them,
#      resets the process's peak RSS (/proc/PID/clear_refs), submits a score
#      job and polls it every 20 ms until it succeeds;
#   3. prints, per size: submit → succeeded as the job's own timestamps say
#      (created_at to finished_at, output stored), the client's wall time
#      from submit to seeing succeeded, rows/s, the peak RSS during the job
#      (VmHWM), and checks the downloaded output has one line per row (and
#      how long the download took).
# Needs curl and python3. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-"1000000 5000000"}
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/mlserve-dev" ./cmd/mlserve-dev
"$work/mlserve-dev" --http-addr 127.0.0.1:18092 --dev-data-dir "$work/data" --log-level warn >"$work/dev.out" 2>"$work/dev.err" &
pid=$!
dev=http://127.0.0.1:18092
for _ in $(seq 1 600); do curl -sf "$dev/readyz" >/dev/null && break; sleep 0.1; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
wait_job() { # job id → prints the final job JSON; fails unless succeeded
  local j=$1 body s
  while :; do
    body=$(curl -sf "$dev/v1/jobs/$j")
    s=$(json '["status"]' <<<"$body")
    case $s in
      succeeded) echo "$body"; return 0 ;;
      failed|canceled) echo "job $j $s: $body" >&2; return 1 ;;
    esac
    sleep 0.02
  done
}

iris=$(curl -sf -X POST "$dev/v1/datasets?name=iris" -H 'Content-Type: text/csv' --data-binary @testdata/iris.csv | json '["id"]')
train=$(curl -sf -X POST "$dev/v1/jobs" -H 'Content-Type: application/json' -d '{"type":"train","model":"iris",
  "dataset":"'"$iris"'","target":"Species","algorithm":"random_forest","params":{"trees":50},"set_alias":"production"}' | json '["id"]')
wait_job "$train" >/dev/null

echo "| rows | submit → succeeded (job timestamps) | client wall time | rows/s | peak RSS during the job | output | CSV download |"
echo "|---:|---:|---:|---:|---:|---|---:|"
for n in $ROWS; do
  python3 - "$n" "$work/rows.csv" <<'PY'
import csv, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
iris = [r for r in csv.reader(open("testdata/iris.csv"))][1:]
rng = random.Random(1)
with open(path, "w") as f:
    f.write("Sepal length,Sepal width,Petal length,Petal width\n")
    for i in range(n):
        r = iris[i % len(iris)]
        f.write(",".join("%.1f" % max(0.1, float(v) + rng.uniform(-0.3, 0.3)) for v in r[:4]) + "\n")
PY
  ds=$(curl -sf -X POST "$dev/v1/datasets?name=rows$n" -H 'Content-Type: text/csv' --data-binary @"$work/rows.csv" | json '["id"]')
  echo 5 >"/proc/$pid/clear_refs" # resets VmHWM, so the peak is the job's
  t0=$(date +%s.%N)
  job=$(curl -sf -X POST "$dev/v1/jobs" -H 'Content-Type: application/json' \
    -d '{"type":"score","model":"iris","alias":"production","dataset":"'"$ds"'"}' | json '["id"]')
  final=$(wait_job "$job")
  t1=$(date +%s.%N)
  hwm=$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$pid/status")
  t2=$(date +%s.%N)
  lines=$(curl -sf "$dev/v1/jobs/$job/output" | wc -l)
  t3=$(date +%s.%N)
  python3 - "$n" "$t0" "$t1" "$hwm" "$lines" "$t2" "$t3" <<PY
import datetime, json, sys
n, t0, t1, hwm, lines = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
download = float(sys.argv[7]) - float(sys.argv[6])
job = json.loads('''$final''')
ts = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
server = ts(job["finished_at"]) - ts(job["created_at"])
ok = "ok" if lines == n + 1 and job["result"]["rows"] == n else "MISMATCH: %d lines" % lines
print("| %s | %.2f s | %.2f s | %.2f M | %s | %s, %.1f MB, %d parts | %.1f s |" % (f"{n:,}", server, t1 - t0, n / server / 1e6, hwm, ok,
      job["result"]["output_bytes"] / 1e6, job["progress"]["parts_total"], download))
PY
  curl -sf -X DELETE "$dev/v1/jobs/$job" >/dev/null
  curl -sf -X DELETE "$dev/v1/datasets/$ds" >/dev/null
done
