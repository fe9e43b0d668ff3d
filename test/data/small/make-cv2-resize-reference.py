#!/usr/bin/env python3
"""Generate test/data/small/cv2-resize-reference.json: OpenCV 4.6 ``cv2.resize(..., INTER_CUBIC)`` outputs for
src/core/cv2-resize-cubic.ts (the 1.1x rescale imagecorruptions applies to the frost textures).

Inputs are synthetic and re-created by the TypeScript test from a formula, so no pixels are stored:
  hash:    byte[i] = fmix32((i * 0x9E3779B1 + seed * 0x85EBCA77) mod 2**32) >> 24, i = flat index into the
           (h, w, c) array (MurmurHash3's finaliser, as in make-resize-reference.py);
  smooth:  byte(x, y, ch) = (x * (3 + ch) + y * (5 + 2 * ch) + (x * y) // 7) % 256, folded to a triangle wave
           (v if v < 128 else 255 - v) * 2, so there are smooth ramps, plateaus and both saturation ends.
Each case records the input's sha256 (to tell a generator mismatch from a resize one), the output's sha256, and
the full output (base64) when it is small, else ~400 sampled output values (flat indices + bytes).

Sizes: every original frost texture (900x600, 560x315, 527x350, 660x495, 485x323) rescaled as imagecorruptions
does for 224-pixel inputs, (ceil(W*1.1), ceil(H*1.1)); plus small, downscaling and 1/4-channel cases.

OpenCV must be 4.6 without IPP on an x86-64 SSE2-baseline build, e.g. Debian 12's python3-opencv:

    apt-get install -y python3-opencv
    /usr/bin/python3 test/data/small/make-cv2-resize-reference.py
"""
import base64
import hashlib
import json
import math
import os

import cv2
import numpy as np


def hash_image(w, h, c, seed):
    i = np.arange(w * h * c, dtype=np.uint64)
    v = (i * np.uint64(0x9E3779B1) + np.uint64((seed * 0x85EBCA77) & 0xFFFFFFFF)) & np.uint64(0xFFFFFFFF)
    v ^= v >> np.uint64(16)
    v = (v * np.uint64(0x85EBCA6B)) & np.uint64(0xFFFFFFFF)
    v ^= v >> np.uint64(13)
    v = (v * np.uint64(0xC2B2AE35)) & np.uint64(0xFFFFFFFF)
    v ^= v >> np.uint64(16)
    return (v >> np.uint64(24)).astype(np.uint8).reshape(h, w, c)


def smooth_image(w, h, c):
    y, x, ch = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing='ij')
    v = (x * (3 + ch) + y * (5 + 2 * ch) + (x * y) // 7) % 256
    v = np.where(v < 128, v, 255 - v) * 2
    return np.clip(v, 0, 255).astype(np.uint8)


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


FROST = [(900, 600), (560, 315), (527, 350), (660, 495), (485, 323)]
cases = []


def add(gen, w, h, c, dw, dh, seed=0):
    img = hash_image(w, h, c, seed) if gen == 'hash' else smooth_image(w, h, c)
    out = cv2.resize(img if c > 1 else img[:, :, 0], (dw, dh), interpolation=cv2.INTER_CUBIC)
    out = out.reshape(dh, dw, c)
    case = {'gen': gen, 'width': w, 'height': h, 'channels': c, 'seed': seed, 'dstWidth': dw, 'dstHeight': dh,
            'input_sha256': sha(img), 'sha256': sha(out)}
    flat = out.reshape(-1)
    if flat.size <= 600:
        case['full'] = base64.b64encode(flat.tobytes()).decode()
    else:
        rs = np.random.RandomState(len(cases))
        idx = np.unique(np.concatenate([rs.randint(0, flat.size, 400), [0, flat.size - 1]]))
        case['samples'] = {'idx': [int(i) for i in idx], 'values': base64.b64encode(flat[idx].tobytes()).decode()}
    cases.append(case)


for n, (w, h) in enumerate(FROST):
    dw, dh = int(np.ceil(w * 1.1)), int(np.ceil(h * 1.1))
    add('smooth', w, h, 3, dw, dh)
    add('hash', w, h, 3, dw, dh, seed=n + 1)
add('hash', 5, 4, 3, 7, 6, seed=11)
add('smooth', 9, 7, 1, 10, 8)
add('hash', 9, 7, 4, 13, 11, seed=12)
add('hash', 40, 30, 3, 23, 17, seed=13)  # downscale
add('smooth', 64, 48, 3, 101, 37)  # up in x, down in y
add('hash', 3, 3, 3, 3, 3, seed=14)  # same size: a copy

doc = {'opencv': cv2.__version__, 'cases': cases}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cv2-resize-reference.json')
with open(out, 'w') as f:
    json.dump(doc, f, sort_keys=True, separators=(',', ':'))
print(out, len(cases), 'cases')
