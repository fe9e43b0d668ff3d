#!/usr/bin/python3
"""Reference draws of numpy's legacy RandomState for test/core/corruptions/rng-numpy-random.test.ts.

Run once with Debian's /usr/bin/python3 (numpy 1.24.2, the version the ImageNet-C references were made with):
    /usr/bin/python3 test/data/small/numpy-random/make-numpy-random-reference.py
It writes numpy-random-reference.json beside itself. Doubles are written with repr(), which round-trips exactly
through JSON.parse. The tests never run Python.
"""
import json
import os

import numpy as np

out = {"numpy_version": np.__version__, "cases": []}


def case(name, seed, ops):
    """ops: list of (method, kwargs); each result is recorded in order, all from one seeded RandomState."""
    rs = np.random.RandomState(seed)
    results = []
    for method, kwargs in ops:
        v = getattr(rs, method)(**kwargs)
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, (np.integer,)):
            v = int(v)
        elif isinstance(v, (np.floating,)):
            v = float(v)
        results.append({"method": method, "args": kwargs, "result": v})
    out["cases"].append({"name": name, "seed": seed if not isinstance(seed, list) else seed, "ops": results})


case("random_sample x20 (scalar calls)", 1234, [("random_sample", {})] * 20)
case("random_sample size 20", 1234, [("random_sample", {"size": 20})])
case("randn x20 (scalar calls, exercises the cache)", 1234, [("standard_normal", {})] * 20)
case("standard_normal size 21", 42, [("standard_normal", {"size": 21})])
case("normal(0.1, 0.3, size=25)", 7, [("normal", {"loc": 0.1, "scale": 0.3, "size": 25})])
case("normal(scale=0.08, size=15)", 99, [("normal", {"loc": 0.0, "scale": 0.08, "size": 15})])
case("uniform", 2024, [
    ("uniform", {"low": -45.0, "high": 45.0}),
    ("uniform", {"low": -135.0, "high": -45.0, "size": 10}),
    ("uniform", {"low": -1.12, "high": 1.12, "size": 10}),
    ("uniform", {"low": -100.0, "high": 100.0, "size": 5}),
])
case("randint", 5, [
    ("randint", {"low": 5}),
    ("randint", {"low": -1, "high": 1, "size": 20}),
    ("randint", {"low": -2, "high": 2, "size": 20}),
    ("randint", {"low": -3, "high": 3, "size": 20}),
    ("randint", {"low": -4, "high": 4, "size": 20}),
    ("randint", {"low": 0, "high": 767, "size": 10}),
    ("randint", {"low": 0, "high": 436, "size": 10}),
    ("randint", {"low": 0, "high": 1, "size": 3}),
    ("randint", {"low": 0, "high": 2 ** 32, "size": 5}),
    ("randint", {"low": 10, "high": 1000003, "size": 5}),
])
case("choice", 11, [("choice", {"a": 10, "size": 20}), ("choice", {"a": 5})])
case("poisson lam=3", 3, [("poisson", {"lam": 3.0, "size": 60})])
case("poisson lam=60", 60, [("poisson", {"lam": 60.0, "size": 60})])
case("poisson lam=10 and 0", 10, [("poisson", {"lam": 10.0, "size": 30}), ("poisson", {"lam": 0.0, "size": 3}),
                                  ("poisson", {"lam": 9.999, "size": 10})])
case("poisson lam=12.5", 12, [("poisson", {"lam": 12.5, "size": 30})])
# Per-element lambdas as in shot_noise: lam = (u8/255)*c.
lam_rs = np.random.RandomState(77)
lams = (lam_rs.randint(0, 256, size=3000) / 255.0) * np.array([60, 25, 12, 5, 3] * 600)
case("poisson per-element lam (shot_noise-like)", 4321, [("poisson", {"lam": lams.tolist()})])
case("interleaved", 1234, [
    ("standard_normal", {}),
    ("random_sample", {}),
    ("standard_normal", {}),
    ("randint", {"low": -2, "high": 2}),
    ("standard_normal", {"size": 3}),
    ("uniform", {"low": -1.0, "high": 2.0}),
    ("poisson", {"lam": 4.2}),
    ("standard_normal", {}),
    ("poisson", {"lam": 33.3}),
    ("normal", {"loc": 0.55, "scale": 0.3, "size": 3}),
    ("random_sample", {"size": 2}),
    ("choice", {"a": 7, "size": 4}),
    ("standard_normal", {}),
])
case("seed 0", 0, [("random_sample", {"size": 5}), ("standard_normal", {"size": 5})])
case("seed 2**32-1", 2 ** 32 - 1, [("random_sample", {"size": 5})])
case("array seed [1234] (init_by_array)", [1234], [("random_sample", {"size": 5})])
case("array seed [1, 2, 3] (init_by_array)", [1, 2, 3], [("random_sample", {"size": 5})])
# Long stream across several regenerations: selected elements of 224*224 normals, then the snow angle draw.
rs = np.random.RandomState(1930575915)
layer = rs.normal(size=(224, 224), loc=0.1, scale=0.3)
angle = rs.uniform(-135, -45)
idx = [0, 1, 2, 623, 624, 1000, 12345, 50174, 50175]
out["long_stream"] = {
    "seed": 1930575915, "loc": 0.1, "scale": 0.3, "n": 224 * 224,
    "indices": idx, "values": [float(layer.flat[i]) for i in idx],
    "sum": float(layer.sum()), "angle_after": float(angle),
}
# Generator.random() on the global legacy bit generator (impulse_noise's draws) equals random_sample.
np.random.seed(555)
g = np.random.Generator(np.random.mtrand._rand._bit_generator)
a = g.random(6)
b = np.random.RandomState(555).random_sample(6)
out["generator_random_equals_random_sample"] = bool((a == b).all())

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy-random-reference.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print("wrote", path, os.path.getsize(path), "bytes")
