#!/usr/bin/python3
"""Exact float64 Gaussian taps of scipy.ndimage.gaussian_filter1d (scipy 1.10 `_gaussian_kernel1d`), as numpy
1.24.2 computes them, for the sigmas the random corruptions use. Run with /usr/bin/python3 (no scipy needed:
the four lines of `_gaussian_kernel1d` are reproduced here). Writes gaussian-kernels.json beside itself."""
import json
import os

import numpy as np


def kernel(sigma, truncate):
    radius = int(truncate * float(sigma) + 0.5)
    sigma2 = sigma * sigma
    x = np.arange(-radius, radius + 1)
    phi_x = np.exp(-0.5 / sigma2 * x ** 2)
    phi_x = phi_x / phi_x.sum()
    return phi_x[::-1]  # gaussian_filter1d passes weights[::-1] to correlate1d (symmetric anyway)


cases = [(s, 4.0) for s in (0.7, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0, 4.0)] + [(224 * 0.01, 3.0)]
out = {"numpy_version": np.__version__, "kernels": [
    {"sigma": s, "truncate": t, "weights": kernel(s, t).tolist()} for s, t in cases]}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gaussian-kernels.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
print("wrote", path)
