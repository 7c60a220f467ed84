#!/usr/bin/env python3
"""Times searches through a running mlserve (bench/search.sh starts it).

    python3 bench/search.py URL CSV LABEL TRIALS...

For each TRIALS (1, 3 or 9), submits a search of that many random-forest
candidates (trees x max_depth, a 3 x 3 grid or its first row or cell),
5-fold on the training rows of CSV, with the churn steps, and prints the
job's wall time (started -> finished), the final fit's time (the
version's train_seconds), the search's (the difference), the sum of its
trials' seconds and the best. Standard library only.
"""
import json
import sys
import time
import urllib.request
from datetime import datetime

URL, CSV, LABEL, SIZES = sys.argv[1], sys.argv[2], sys.argv[3], [int(a) for a in sys.argv[4:]]
STEPS = [{"step": "drop", "columns": ["id"]},
         {"step": "impute", "strategy": "median", "columns": "numbers"},
         {"step": "impute", "strategy": "most_frequent", "columns": "strings"},
         {"step": "one_hot", "columns": "strings"}]
GRIDS = {1: {"trees": [50], "max_depth": [12]},
         3: {"trees": [25, 50, 100], "max_depth": [12]},
         9: {"trees": [25, 50, 100], "max_depth": [6, 12, 0]}}


def call(method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def at(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


with open(CSV, "rb") as f:
    ds = call("POST", "/v1/datasets?name=search", f.read(), "text/csv")
for n in SIZES:
    job = call("POST", "/v1/jobs", {"type": "train", "model": "search", "dataset": ds["id"], "target": "churned",
                                     "algorithm": "random_forest", "preprocess": STEPS,
                                     "search": {"grid": GRIDS[n], "metric": "accuracy", "folds": 5}})
    while job["status"] not in ("succeeded", "failed", "canceled"):
        time.sleep(0.1)
        job = call("GET", "/v1/jobs/" + job["id"])
    if job["status"] != "succeeded":
        sys.exit("search of %d trials %s: %s" % (n, job["status"], job.get("error")))
    v = call("GET", "/v1/models/search/versions/%d" % job["result"]["version"])
    s = v["search"]
    wall = (at(job["finished_at"]) - at(job["started_at"])).total_seconds()
    trials = sum(t["seconds"] for t in s["trials"])
    print("| %s | %d | %.2f | %.2f | %.2f | %.2f | %s trees=%d max_depth=%d, %.3f |" % (
        LABEL, n, wall, v["train_seconds"], wall - v["train_seconds"], trials, s["best"]["algorithm"], s["best"]["params"]["trees"], s["best"]["params"]["max_depth"], s["best"]["mean"]))
