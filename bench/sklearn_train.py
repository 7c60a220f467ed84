"""Fits scikit-learn on the rows mlserve fits on and scores it on the rows
mlserve holds out (bench/train.sh): one line of JSON per model.

usage: sklearn_train.py CSV TEST_ROWS TASK NAME [NAME...]
TASK is classification or regression; NAMEs are the models below.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

MODELS = {
    "classification": {
        "random_forest": lambda: RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0),
        "gradient_boosting": lambda: HistGradientBoostingClassifier(random_state=0),
        "decision_tree": lambda: DecisionTreeClassifier(random_state=0),
        "knn": lambda: KNeighborsClassifier(n_neighbors=15, n_jobs=2),
        "logistic_regression": lambda: LogisticRegression(max_iter=1000),
        "naive_bayes": lambda: GaussianNB(),
    },
    "regression": {
        "random_forest": lambda: RandomForestRegressor(n_estimators=100, n_jobs=2, random_state=0),
        "gradient_boosting": lambda: HistGradientBoostingRegressor(random_state=0),
        "decision_tree": lambda: DecisionTreeRegressor(random_state=0),
        "knn": lambda: KNeighborsRegressor(n_neighbors=15, n_jobs=2),
        "linear_regression": lambda: LinearRegression(),
    },
}


def main():
    path, test_path, task, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    data = pd.read_csv(path, skipinitialspace=True)
    data.columns = [c.strip() for c in data.columns]
    target = data.columns[-1]
    test = np.loadtxt(test_path, dtype=int, ndmin=1)
    mask = np.zeros(len(data), dtype=bool)
    mask[test] = True
    X = pd.get_dummies(data.drop(columns=[target])).to_numpy(dtype=float)
    y = data[target].to_numpy()
    if task == "classification":
        y = y.astype(str)
    for name in names:
        model = MODELS[task][name]()
        start = time.perf_counter()
        model.fit(X[~mask], y[~mask])
        predicted = model.predict(X[mask])
        seconds = time.perf_counter() - start
        score = accuracy_score(y[mask], predicted) if task == "classification" else r2_score(y[mask], predicted)
        print(json.dumps({"model": name, "score": round(float(score), 4), "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
