"""Trains each model on mlserve-dev and on scikit-learn, on the same rows,
scored on the same held-out rows, one model at a time, and prints a
Markdown table: bench/train.sh runs it.

usage: train_compare.py MLSERVE_URL DATA_DIR HOLDOUT_BIN

mlserve's time is submit -> succeeded, from the job's own timestamps
(created_at to finished_at: queueing, the training process, reading the
CSV, fitting, evaluating, storing the artifact and the version). Each
version is deleted once measured, and each dataset once its models are,
so the store holds one dataset and one artifact at a time: the embedded
FerretDB (SQLite) scans a bucket's every chunk to find one file's, a cost
in proportion to what is stored that MongoDB's (files_id, n) index does
not have.
scikit-learn's is fit + predict of the held-out rows, in this process,
the data already in memory.
"""
import datetime
import json
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pandas as pd
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

CLASSES = [
    # (mlserve algorithm, params, scikit-learn model, compared: a goal of the issue)
    ("random_forest", {"trees": 100}, lambda: RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0), True),
    ("gradient_boosting", {}, lambda: HistGradientBoostingClassifier(random_state=0), True),
    ("decision_tree", {}, lambda: DecisionTreeClassifier(random_state=0), False),
    ("knn", {"k": 15}, lambda: KNeighborsClassifier(n_neighbors=15, n_jobs=2), True),
    ("logistic_regression", {}, lambda: LogisticRegression(max_iter=1000), False),
    ("naive_bayes", {}, lambda: GaussianNB(), False),
]
NUMBERS = [
    ("random_forest", {"trees": 100}, lambda: RandomForestRegressor(n_estimators=100, n_jobs=2, random_state=0), True),
    ("gradient_boosting", {}, lambda: HistGradientBoostingRegressor(random_state=0), True),
    ("decision_tree", {}, lambda: DecisionTreeRegressor(random_state=0), False),
    ("knn", {"k": 15}, lambda: KNeighborsRegressor(n_neighbors=15, n_jobs=2), True),
    ("linear_regression", {}, lambda: LinearRegression(), False),
]
# golearn's datasets: the goals are on 50,000 rows; these test sets hold 30 and 87 rows.
SMALL = [(a, p, make, False) for a, p, make, _ in CLASSES if a != "knn"] + [
    ("knn", {"k": 5}, lambda: KNeighborsClassifier(n_neighbors=5), False)]

DATASETS = [
    # (file, target, task, models)
    ("classes.csv", "y", "classification", CLASSES),
    ("friedman.csv", "y", "regression", NUMBERS),
    ("iris.csv", "Species", "classification", SMALL),
    ("house-votes-84.csv", "party", "classification", SMALL),
]


def call(base, method, path, body=None, content_type="application/json"):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": content_type})
    with urllib.request.urlopen(req) as resp:
        body = resp.read()
        return json.loads(body) if body else None


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def mlserve(base, dataset_id, target, task, algorithm, params):
    job = call(base, "POST", "/v1/jobs", {"type": "train", "model": "bench-" + algorithm.replace("_", "-"),
                                          "dataset": dataset_id, "target": target, "task": task,
                                          "algorithm": algorithm, "params": params,
                                          "validation": {"holdout": 0.2, "seed": 1}})
    while True:
        job = call(base, "GET", "/v1/jobs/" + job["id"])
        if job["status"] in ("succeeded", "failed", "canceled"):
            break
        time.sleep(0.02)
    if job["status"] != "succeeded":
        raise SystemExit("mlserve %s: %s" % (algorithm, job))
    seconds = (parse_time(job["finished_at"]) - parse_time(job["created_at"])).total_seconds()
    m = job["result"]["metrics"]
    score = m["classification"]["accuracy"] if task == "classification" else m["regression"]["r2"]
    call(base, "DELETE", "/v1/models/%s/versions/%d" % (job["result"]["model"], job["result"]["version"]))
    return score, seconds


def sklearn(frame, target, task, test, make):
    X = pd.get_dummies(frame.drop(columns=[target])).to_numpy(dtype=float)
    y = frame[target].to_numpy()
    if task == "classification":
        y = y.astype(str)
    mask = np.zeros(len(frame), dtype=bool)
    mask[test] = True
    model = make()
    start = time.perf_counter()
    model.fit(X[~mask], y[~mask])
    predicted = model.predict(X[mask])
    seconds = time.perf_counter() - start
    score = accuracy_score(y[mask], predicted) if task == "classification" else r2_score(y[mask], predicted)
    return float(score), seconds


def main():
    base, data_dir, holdout = sys.argv[1], sys.argv[2], sys.argv[3]
    print("| dataset | algorithm | mlserve score | scikit-learn score | difference | mlserve s | scikit-learn s | time ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for file, target, task, models in DATASETS:
        path = data_dir + "/" + file
        raw = open(path, "rb").read()
        dataset = call(base, "POST", "/v1/datasets?name=" + file.split(".")[0], raw, "text/csv")
        frame = pd.read_csv(path, skipinitialspace=True)
        frame.columns = [c.strip() for c in frame.columns]
        rows = len(frame)
        test = np.array([int(r) for r in subprocess.run([holdout, "-rows", str(rows), "-holdout", "0.2", "-seed", "1"],
                                                         capture_output=True, text=True, check=True).stdout.split()])
        metric = "accuracy" if task == "classification" else "R²"
        for algorithm, params, make, goal in models:
            ours, our_seconds = mlserve(base, dataset["id"], target, task, algorithm, params)
            theirs, their_seconds = sklearn(frame, target, task, test, make)
            mark = " (goal)" if goal else ""
            print("| %s (%d rows, %s) | %s %s%s | %.4f | %.4f | %+.4f | %.2f | %.2f | %.2f× |" % (
                file, rows, metric, algorithm, json.dumps(params), mark, ours, theirs, ours - theirs,
                our_seconds, their_seconds, our_seconds / their_seconds))
            sys.stdout.flush()
        call(base, "DELETE", "/v1/datasets/" + dataset["id"])


if __name__ == "__main__":
    main()
