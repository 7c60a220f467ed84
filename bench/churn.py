#!/usr/bin/env python3
"""Writes a churn-like CSV: the kind of table a new user brings.

    python3 bench/churn.py ROWS SEED > churn.csv

Columns: id (a row number, no signal), age (10% empty), income (tens of
thousands, weak signal), plan and region (strings; region 5% empty),
tenure_months, support_calls, churned (yes/no). Whether a customer
churns depends on age, tenure, support calls and plan; income, on a
scale a thousand times theirs, adds little but dominates raw distances.
Standard library only, so any python3 writes the same file for a seed.
"""
import math
import random
import sys

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 400
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
plans = ["basic", "plus", "pro"]
regions = ["north", "south", "east", "west"]
print("id,age,income,plan,region,tenure_months,support_calls,churned")
for i in range(rows):
    age = rng.randint(18, 80)
    income = round(rng.gauss(52000, 18000) + 120 * (age - 45), 2)
    plan = rng.choice(plans)
    region = rng.choice(regions)
    tenure = rng.randint(0, 72)
    calls = min(12, int(rng.expovariate(0.5)))
    z = (0.9 * calls - 0.06 * tenure - 0.04 * (age - 45) + {"basic": 0.9, "plus": 0.0, "pro": -0.9}[plan]
         + (income - 52000) / 90000 + rng.gauss(0, 0.6))
    churned = "yes" if 1 / (1 + math.exp(-z)) > 0.5 else "no"
    age_cell = "" if rng.random() < 0.10 else str(age)
    region_cell = "" if rng.random() < 0.05 else region
    print(f"{i + 1},{age_cell},{income},{plan},{region_cell},{tenure},{calls},{churned}")
