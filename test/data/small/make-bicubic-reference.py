#!/usr/bin/env python3
"""Generate test/data/small/bicubic-reference.json: Pillow BICUBIC outputs for src/core/pillow-resize.ts.

Images are the formula-defined ``hash`` / ``pattern`` inputs of make-resize-reference.py (same generators, so
the TypeScript test re-creates them and only hashes are stored), plus one stored random image. Cases:
  - ``resize``: ``Image.resize((outW, outH), Image.BICUBIC)`` (Pillow 9.4, reducing_gap=None);
  - ``protocol``: DINO's evaluation transform run by torchvision itself on the PIL image:
    ``Resize(resizeTo, interpolation=3)`` then ``CenterCrop(crop)``.
Each case stores the sha256 of the output and, when small, the output itself (base64, interleaved RGB).

    /usr/bin/python3 test/data/small/make-bicubic-reference.py
"""
import base64
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image
import torchvision
from torchvision import transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bicubic-reference.json")
FULL_LIMIT = 12_000

spec = importlib.util.spec_from_file_location("ref", os.path.join(HERE, "make-resize-reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).hexdigest()


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode("ascii")


def main() -> None:
    if PIL.__version__ != ref.EXPECTED_PILLOW:
        sys.exit(f"need Pillow {ref.EXPECTED_PILLOW}, found {PIL.__version__}")
    images, arrays = {}, {}

    def add(name, arr, meta):
        arrays[name] = arr
        images[name] = {**meta, "width": arr.shape[1], "height": arr.shape[0], "sha256": sha(arr)}

    stored = np.random.RandomState(0).randint(0, 256, (56, 75, 3)).astype(np.uint8)
    add("np75x56", stored, {"gen": "stored", "data": b64(stored)})
    for name, w, h, seed, grey in [("h300x200", 300, 200, 10, False), ("h257x256", 257, 256, 11, False),
                                   ("h640x480", 640, 480, 14, False), ("hgrey333x500", 333, 500, 16, True),
                                   ("h150x227", 150, 227, 20, False)]:
        add(name, ref.hash_image(w, h, seed, grey), {"gen": "hash", "seed": seed, "grey": grey})
    add("p500x375", ref.pattern_image(500, 375), {"gen": "pattern"})

    cases = []

    def record(case, out):
        case["sha256"] = sha(out)
        if out.nbytes <= FULL_LIMIT:
            case["full"] = b64(out)
        cases.append(case)

    # Plain resizes: down and up by odd factors, one axis only, identity; pixels near 0/255 exercise clip8
    # (bicubic weights are negative at the tails, so sums overshoot).
    for name, ow, oh in [("np75x56", 131, 97), ("np75x56", 25, 19), ("np75x56", 75, 90), ("np75x56", 74, 56),
                         ("np75x56", 75, 56), ("np75x56", 1, 1), ("h300x200", 43, 29), ("h300x200", 299, 201),
                         ("p500x375", 123, 77), ("h640x480", 341, 256)]:
        out = np.asarray(Image.fromarray(arrays[name], "RGB").resize((ow, oh), Image.BICUBIC))
        record({"kind": "resize", "image": name, "outW": ow, "outH": oh}, out)

    for name, resize_to, crop in [("np75x56", 256, 224), ("h300x200", 256, 224), ("h257x256", 256, 224),
                                  ("h640x480", 256, 224), ("hgrey333x500", 256, 224), ("h150x227", 256, 224),
                                  ("p500x375", 256, 224), ("h640x480", 40, 32), ("h300x200", 24, 24)]:
        tf = T.Compose([T.Resize(resize_to, interpolation=3), T.CenterCrop(crop)])
        out = np.asarray(tf(Image.fromarray(arrays[name], "RGB")))
        assert out.shape == (crop, crop, 3)
        record({"kind": "protocol", "image": name, "resizeTo": resize_to, "crop": crop}, out)

    doc = {"pillow": PIL.__version__, "torchvision": torchvision.__version__, "images": images, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, sort_keys=True, indent=0)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
