#!/usr/bin/env python3
"""Generate test/data/small/resize-reference.json: Pillow reference outputs for src/core/pillow-resize.ts.

What it records
---------------
* ``images``: small deterministic synthetic RGB inputs. Two kinds:
  - ``"gen": "stored"``: numpy ``RandomState`` images whose raw bytes are stored (base64, interleaved RGB,
    row-major), including one made grey with Pillow ``convert("L").convert("RGB")`` and a smooth one;
  - ``"gen": "hash"`` / ``"pattern"``: larger images defined by a formula that the TypeScript test
    re-creates, so their pixels need not be stored (this keeps the JSON small):
      hash:    byte[i] = fmix32((i * 0x9E3779B1 + seed * 0x85EBCA77) mod 2**32) >> 24, i = flat index
               into the (h, w, 3) array; with ``grey`` the index is y * w + x and the byte is used for R, G, B.
               fmix32 is MurmurHash3's finaliser.
      pattern: R = x * 255 // (w - 1), G = y * 255 // (h - 1), B = (x * 7 + y * 3) % 256  (smooth gradients).
  Every image also carries ``sha256`` of its raw bytes so a generator mismatch is told apart from a resize one.
* ``cases``:
  - ``"resize"``: ``Image.resize((outW, outH), Image.BILINEAR)`` (reducing_gap=None, so no pre-reduction);
  - ``"protocol"``: torchvision ``Resize(resizeTo)`` + ``CenterCrop(crop)`` done the way torchvision does it
    on a PIL image: size = ``int(resizeTo * long / short)`` for the longer side, then
    ``top = int(round((h - crop) / 2.))``, ``left = int(round((w - crop) / 2.))`` and ``img.crop``.
  Each case stores ``sha256`` of the output bytes, ``full`` (base64 output) when the output is small, and
  ``samples`` (pixel indices + their RGB bytes, base64) so a failure can be diagnosed without ``full``.

Pillow version matters: the outputs must come from Pillow 9.4.0 (Debian 12's ``python3-pil``), the version
the app's reference numbers use. Regenerate with:

    apt-get install -y python3-pil python3-numpy
    /usr/bin/python3 test/data/small/make-resize-reference.py

The output is deterministic (sorted keys, fixed seeds).
"""
import base64
import hashlib
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

EXPECTED_PILLOW = "9.4.0"
FULL_LIMIT = 24_000  # store the full output when it has at most this many bytes
N_SAMPLES = 256

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "resize-reference.json")

M32 = 0xFFFFFFFF


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode("ascii")


def sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).hexdigest()


def fmix32(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.uint64)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    h ^= h >> np.uint64(16)
    return h


def hash_image(w: int, h: int, seed: int, grey: bool) -> np.ndarray:
    n = w * h if grey else w * h * 3
    i = np.arange(n, dtype=np.uint64)
    x = (i * np.uint64(0x9E3779B1) + np.uint64((seed * 0x85EBCA77) & M32)) & np.uint64(M32)
    v = (fmix32(x) >> np.uint64(24)).astype(np.uint8)
    if grey:
        return np.repeat(v.reshape(h, w, 1), 3, axis=2)
    return v.reshape(h, w, 3)


def pattern_image(w: int, h: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    r = x * 255 // (w - 1)
    g = y * 255 // (h - 1)
    b = (x * 7 + y * 3) % 256
    return np.stack([r, g, b], axis=2).astype(np.uint8)


def torchvision_resize_size(w: int, h: int, size: int):
    # torchvision.transforms.functional._compute_resized_output_size for an int size, max_size=None
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if w <= h else (new_long, new_short)


def torchvision_center_crop(img: Image.Image, crop: int):
    # torchvision.transforms.functional.center_crop (no padding needed in these cases)
    w, h = img.size
    assert w >= crop and h >= crop
    top = int(round((h - crop) / 2.0))
    left = int(round((w - crop) / 2.0))
    return img.crop((left, top, left + crop, top + crop)), top, left


def main() -> None:
    if PIL.__version__ != EXPECTED_PILLOW:
        sys.exit(f"need Pillow {EXPECTED_PILLOW}, found {PIL.__version__}")

    images = {}
    arrays = {}

    def add_stored(name, arr):
        arrays[name] = arr
        h, w, _ = arr.shape
        images[name] = {"gen": "stored", "width": w, "height": h, "data": b64(arr), "sha256": sha(arr)}

    def add_hash(name, w, h, seed, grey=False):
        arr = hash_image(w, h, seed, grey)
        arrays[name] = arr
        images[name] = {"gen": "hash", "width": w, "height": h, "seed": seed, "grey": grey, "sha256": sha(arr)}

    def add_pattern(name, w, h):
        arr = pattern_image(w, h)
        arrays[name] = arr
        images[name] = {"gen": "pattern", "width": w, "height": h, "sha256": sha(arr)}

    add_stored("np75x56", np.random.RandomState(0).randint(0, 256, (56, 75, 3)).astype(np.uint8))
    grey_src = np.random.RandomState(1).randint(0, 256, (45, 60, 3)).astype(np.uint8)
    add_stored("np_grey60x45", np.asarray(Image.fromarray(grey_src, "RGB").convert("L").convert("RGB")))
    add_stored("np1x5", np.random.RandomState(2).randint(0, 256, (5, 1, 3)).astype(np.uint8))
    yy, xx = np.mgrid[0:64, 0:48]
    smooth = np.stack([xx * 5, yy * 4, (xx + yy) * 2], axis=2) + np.random.RandomState(3).randint(-6, 7, (64, 48, 3))
    add_stored("np_smooth48x64", np.clip(smooth, 0, 255).astype(np.uint8))

    add_hash("h300x200", 300, 200, 10)
    add_hash("h257x256", 257, 256, 11)
    add_hash("h259x256", 259, 256, 12)
    add_hash("h256x300", 256, 300, 13)
    add_hash("h640x480", 640, 480, 14)
    add_hash("h1000x333", 1000, 333, 15)
    add_hash("hgrey333x500", 333, 500, 16, grey=True)
    add_hash("h500x375", 500, 375, 17)
    add_hash("h400x300", 400, 300, 18)
    add_hash("h256x256", 256, 256, 19)
    add_hash("h150x227", 150, 227, 20)
    add_pattern("p500x375", 500, 375)
    add_pattern("p375x500", 375, 500)

    cases = []
    rs = np.random.RandomState(1234)

    def record(case, out: np.ndarray):
        flat = out.reshape(-1, 3)
        force_full = case.pop("forceFull", False)
        case["sha256"] = sha(out)
        if out.nbytes <= FULL_LIMIT or force_full:
            case["full"] = b64(out)
        else:
            idx = np.sort(rs.choice(flat.shape[0], size=min(N_SAMPLES, flat.shape[0]), replace=False))
            case["samples"] = {"idx": [int(i) for i in idx], "rgb": b64(flat[idx])}
        cases.append(case)

    def resize_case(name, ow, oh):
        img = Image.fromarray(arrays[name], "RGB")
        out = np.asarray(img.resize((ow, oh), Image.BILINEAR))
        assert out.shape == (oh, ow, 3)
        record({"kind": "resize", "image": name, "outW": ow, "outH": oh}, out)

    def protocol_case(name, resize_to=256, crop=224, force_full=False):
        img = Image.fromarray(arrays[name], "RGB")
        rw, rh = torchvision_resize_size(img.width, img.height, resize_to)
        resized = img.resize((rw, rh), Image.BILINEAR)
        cropped, top, left = torchvision_center_crop(resized, crop)
        out = np.asarray(cropped)
        assert out.shape == (crop, crop, 3)
        record({"kind": "protocol", "image": name, "resizeTo": resize_to, "crop": crop,
                "resizedW": rw, "resizedH": rh, "top": top, "left": left, "forceFull": force_full}, out)

    # plain resizes: up/down by odd factors, one axis only, identity, extremes
    for ow, oh in [(131, 97), (225, 168), (25, 19), (15, 8), (74, 56), (75, 90), (30, 200), (1, 1), (75, 56), (76, 55)]:
        resize_case("np75x56", ow, oh)
    for ow, oh in [(7, 11), (1, 2), (3, 5), (1, 5)]:
        resize_case("np1x5", ow, oh)
    resize_case("np_grey60x45", 37, 101)
    resize_case("np_smooth48x64", 17, 23)
    resize_case("np_smooth48x64", 97, 131)
    resize_case("h300x200", 100, 67)
    resize_case("h300x200", 43, 29)
    resize_case("h300x200", 299, 201)
    resize_case("h1000x333", 7, 3)
    resize_case("h640x480", 341, 256)
    resize_case("p500x375", 123, 77)

    # the clean-val protocol, Resize(256) + CenterCrop(224)
    protocol_case("np75x56", force_full=True)  # upscale, stored in full
    for name in ["np_grey60x45", "np_smooth48x64", "np1x5", "h300x200", "h257x256", "h259x256", "h256x300",
                 "h640x480", "h1000x333", "hgrey333x500", "h500x375", "h400x300", "h256x256", "h150x227",
                 "p500x375", "p375x500"]:
        protocol_case(name)
    # same protocol with small parameters so the whole output can be stored
    for name in ["np75x56", "h300x200", "h1000x333", "h257x256", "hgrey333x500"]:
        protocol_case(name, resize_to=64, crop=56)
    protocol_case("h400x300", resize_to=64, crop=56)  # left = round(14.5) = 14
    protocol_case("h300x200", resize_to=64, crop=61)  # top = round(1.5) = 2, left = round(17.5) = 18

    doc = {
        "description": "Pillow reference outputs for src/core/pillow-resize.ts; generated by make-resize-reference.py",
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "images": images,
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {os.path.getsize(OUT)} bytes, {len(images)} images, {len(cases)} cases")


if __name__ == "__main__":
    main()
