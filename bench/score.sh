#!/usr/bin/env bash
# The batch-scoring benchmark of SPEC 8 / BENCHMARKS.md, on mlserve-dev (API,
# worker, embedded FerretDB and miniredis in one process), in one run:
#   1. trains the reference model, a 50-tree random forest on iris;
#   2. stores OTHERS (default 10) other outputs first: that many score jobs
#      over one OTHER_ROWS-row dataset (default 1000000), kept to the end, so
#      that the jobs and downloads below run beside them;
#   3. for each size in ROWS (default "1000000 5000000"): generates that many
#      iris-like rows (seeded noise around the real iris rows), uploads them,
#      resets the process's peak RSS (/proc/PID/clear_refs), submits a score
#      job and polls it every 20 ms until it succeeds, then downloads its
#      output;
#   4. prints, per size: submit → succeeded as the job's own timestamps say
#      (created_at to finished_at, output stored), the client's wall time
#      from submit to seeing succeeded, rows/s, the peak RSS during the job
#      (VmHWM), whether the downloaded output has one line per row, how long
#      the download took and its MB/s; then each job's time over the first
#      size's.
# Needs curl and python3. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-"1000000 5000000"}
OTHERS=${OTHERS:-10}
OTHER_ROWS=${OTHER_ROWS:-1000000}
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
gen_rows() { # rows, path: writes that many iris-like rows, seeded
  python3 - "$1" "$2" <<'PY'
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
}
upload() { # name, path → prints the dataset id
  curl -sf -X POST "$dev/v1/datasets?name=$1" -H 'Content-Type: text/csv' --data-binary @"$2" | json '["id"]'
}
score() { # dataset id → submits a score job, prints its id
  curl -sf -X POST "$dev/v1/jobs" -H 'Content-Type: application/json' \
    -d '{"type":"score","model":"iris","alias":"production","dataset":"'"$1"'"}' | json '["id"]'
}

iris=$(upload iris testdata/iris.csv)
train=$(curl -sf -X POST "$dev/v1/jobs" -H 'Content-Type: application/json' -d '{"type":"train","model":"iris",
  "dataset":"'"$iris"'","target":"Species","algorithm":"random_forest","params":{"trees":50},"set_alias":"production"}' | json '["id"]')
wait_job "$train" >/dev/null

if [ "$OTHERS" -gt 0 ]; then
  gen_rows "$OTHER_ROWS" "$work/rows.csv"
  others=$(upload others "$work/rows.csv")
  for _ in $(seq 1 "$OTHERS"); do wait_job "$(score "$others")" >/dev/null; done
  echo "Stored first: $OTHERS other outputs of $OTHER_ROWS rows each (and their dataset)."
  echo
fi

echo "| rows | submit → succeeded (job timestamps) | client wall time | rows/s | peak RSS during the job | output | CSV download | download MB/s |"
echo "|---:|---:|---:|---:|---:|---|---:|---:|"
for n in $ROWS; do
  gen_rows "$n" "$work/rows.csv"
  ds=$(upload "rows$n" "$work/rows.csv")
  echo 5 >"/proc/$pid/clear_refs" # resets VmHWM, so the peak is the job's
  t0=$(date +%s.%N)
  job=$(score "$ds")
  final=$(wait_job "$job")
  t1=$(date +%s.%N)
  hwm=$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$pid/status")
  t2=$(date +%s.%N)
  curl -sf "$dev/v1/jobs/$job/output" -o "$work/out.csv"
  t3=$(date +%s.%N)
  lines=$(wc -l <"$work/out.csv")
  bytes=$(stat -c %s "$work/out.csv")
  rm -f "$work/out.csv"
  python3 - "$n" "$t0" "$t1" "$hwm" "$lines" "$t2" "$t3" "$bytes" "$work/times" <<PY
import datetime, json, sys
n, t0, t1, hwm, lines = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
download, size = float(sys.argv[7]) - float(sys.argv[6]), int(sys.argv[8])
job = json.loads('''$final''')
ts = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
server = ts(job["finished_at"]) - ts(job["created_at"])
ok = "ok" if lines == n + 1 and job["result"]["rows"] == n else "MISMATCH: %d lines" % lines
print("| %s | %.2f s | %.2f s | %.2f M | %s | %s, %.1f MB, %d parts | %.2f s | %.1f |" % (f"{n:,}", server, t1 - t0, n / server / 1e6, hwm, ok,
      job["result"]["output_bytes"] / 1e6, job["progress"]["parts_total"], download, size / download / 1e6))
open(sys.argv[9], "a").write("%d %f\n" % (n, server))
PY
  curl -sf -X DELETE "$dev/v1/jobs/$job" >/dev/null
  curl -sf -X DELETE "$dev/v1/datasets/$ds" >/dev/null
done
echo
python3 - "$work/times" <<'PY'
import sys
runs = [(int(n), float(t)) for n, t in (l.split() for l in open(sys.argv[1]))]
n0, t0 = runs[0]
for n, t in runs[1:]:
    print("Job time of %s rows over %s rows: %.2f x (%.0f x the rows)" % (f"{n:,}", f"{n0:,}", t / t0, n / n0))
PY
