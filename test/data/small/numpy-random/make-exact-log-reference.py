#!/usr/bin/python3
"""Correctly rounded natural logarithms (Python decimal at 60 digits, then float(), which rounds correctly) for
test/core/corruptions/rng-exact-log.test.ts, plus glibc's log (math.log) for information. Run once with
/usr/bin/python3; writes exact-log-reference.json beside itself."""
import json
import math
import os
import random
from decimal import Decimal, getcontext

getcontext().prec = 60
rng = random.Random(20240601)
xs = []
xs += [rng.random() for _ in range(1500)]  # r2 of the polar method lies in (0, 1)
xs += [rng.random() * 1e-6 for _ in range(100)]
xs += [1 + (rng.random() - 0.5) * 1e-3 for _ in range(200)]
xs += [1 + (rng.random() - 0.5) * 1e-9 for _ in range(100)]
xs += [rng.uniform(0.5, 200) for _ in range(300)]  # Poisson PTRS arguments
xs += [rng.uniform(1e-300, 1e-290) for _ in range(20)] + [5e-324, 1e-310, 2.2250738585072014e-308]
xs += [1.0, 2.0, 0.5, 10.0, 60.0, math.pi * 2, 1e300, 1.7976931348623157e308, 1 - 2 ** -53, 1 + 2 ** -52]
cr = [float(Decimal(x).ln()) if x != 1.0 else 0.0 for x in xs]
glibc = [math.log(x) for x in xs]
out = {"x": xs, "log_correctly_rounded": cr, "glibc_log_differs": [i for i in range(len(xs)) if cr[i] != glibc[i]]}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exact-log-reference.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
print("wrote", path, len(xs), "values;", len(out["glibc_log_differs"]), "where glibc's log is not correctly rounded")
