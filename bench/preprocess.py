#!/usr/bin/env python3
"""Accuracy with and without preprocessing, for each classifier, through a
running mlserve (bench/preprocess.sh starts one).

    python3 bench/preprocess.py URL DIR

DIR holds the CSVs. Every number is a 5-fold cross-validated accuracy
(seed 1) as the version's metrics report it; "422" is a request mlserve
refuses, with its reason. Standard library only.
"""
import json
import sys
import time
import urllib.error
import urllib.request

URL, DIR = sys.argv[1], sys.argv[2]
ALGORITHMS = ["random_forest", "gradient_boosting", "decision_tree", "knn", "logistic_regression", "naive_bayes"]
IMPUTE = [{"step": "impute", "strategy": "median", "columns": "numbers"},
          {"step": "impute", "strategy": "most_frequent", "columns": "strings"}]
ONE_HOT = [{"step": "one_hot", "columns": "strings"}]
SCALE = [{"step": "scale", "method": "standard", "columns": "numbers"}]
DATASETS = [  # file, target, steps to drop
    ("iris.csv", "Species", []),
    ("house-votes-84.csv", "party", []),
    ("churn.csv", "churned", [{"step": "drop", "columns": ["id"]}]),
    ("churn-5000.csv", "churned", [{"step": "drop", "columns": ["id"]}]),
]


def call(method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def accuracy(ds, target, algorithm, steps):
    req = {"type": "train", "model": "bench", "dataset": ds, "target": target, "algorithm": algorithm,
           "validation": {"folds": 5, "seed": 1}}
    if steps:
        req["preprocess"] = steps
    status, job = call("POST", "/v1/jobs", req)
    if status == 422:
        return "422 (" + "; ".join(sorted(job.get("errors", {}).values()))[:60] + ")"
    while job["status"] not in ("succeeded", "failed", "canceled"):
        time.sleep(0.05)
        _, job = call("GET", "/v1/jobs/" + job["id"])
    if job["status"] != "succeeded":
        return job["status"] + ": " + job["error"]["message"][:60]
    return "%.3f" % job["result"]["metrics"]["classification"]["accuracy"]


print("| dataset | algorithm | no steps | impute + one_hot | impute + scale + one_hot |")
print("|---|---|---|---|---|")
for name, target, drop in DATASETS:
    with open(DIR + "/" + name, "rb") as f:
        _, ds = call("POST", "/v1/datasets?name=" + name.split(".")[0], f.read(), "text/csv")
    for alg in ALGORITHMS:
        cells = [accuracy(ds["id"], target, alg, steps) for steps in (drop, drop + IMPUTE + ONE_HOT, drop + IMPUTE + SCALE + ONE_HOT)]
        print("| %s | %s | %s |" % (name, alg, " | ".join(cells)))
