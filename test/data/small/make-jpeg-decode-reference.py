#!/usr/bin/python3
"""Reference data for test/core/corruptions/jpeg-codec.test.ts: what Pillow 9.4.0 on libjpeg-turbo 2.1.5 (Debian
bookworm's /usr/bin/python3, the versions that made the corruption references) returns, so the tests never run
Python. Writes jpeg-decode-reference.json beside itself.

* "decode": fixture JPEGs (ImageNet-C q85 optimize=True saves from imagenet-c-mini, and real ImageNet validation
  files with 4:4:4 / 4:2:2 / 4:2:0 / greyscale and sizes that are not multiples of 16) decoded with
  `Image.open(f).convert('RGB')`: sha256 of the RGB bytes plus 256 sampled pixels [index, r, g, b].
* "encode": crops of the clean 224x224 reference PNGs saved with
  `save(buf, 'JPEG', quality=q[, subsampling=s][, optimize=True])`:
  sha256 and length of the file, and sha256 of Pillow's decode of it.
* "flat_32x16_200_120_40": the colour a flat 32x16 image of (200, 120, 40) comes back as, per quality.
* "embedded": small files the TypeScript encoder does not write (greyscale, optimised Huffman tables, progressive;
  and, made with libjpeg-turbo 2.1.5's own cjpeg, restart markers, single-component scans, 4:4:0, 4:1:1 and an RGB
  (Adobe transform 0) file), base64, with the sha256 of Pillow's RGB decode (null for progressive, which the TS
  decoder must refuse). cjpeg comes from Debian's libjpeg-turbo-progs 1:2.1.5-2 (`apt-get install
  libjpeg-turbo-progs`).
"""
import base64
import hashlib
import io
import json
import os
import subprocess
import tempfile

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..', 'shared', 'fixtures'))

DECODE = [
    # imagenet-c-mini: ImageNet-C style q85 optimize=True saves of 224x224 corrupted crops (4:2:0)
    'imagenet-c-mini/jpeg_compression/5/n01630670/n01630670_common_newt.JPEG',
    'imagenet-c-mini/jpeg_compression/1/n02134084/n02134084_ice_bear.JPEG',
    'imagenet-c-mini/gaussian_noise/3/n01820546/n01820546_lorikeet.JPEG',
    'imagenet-c-mini/impulse_noise/5/n03127925/n03127925_crate.JPEG',
    'imagenet-c-mini/frost/4/n04039381/n04039381_racket.JPEG',
    'imagenet-c-mini/fog/2/n04081281/n04081281_restaurant.JPEG',
    'imagenet-c-mini/contrast/5/n01978287/n01978287_Dungeness_crab.JPEG',
    'imagenet-c-mini/brightness/5/n04235860/n04235860_sleeping_bag.JPEG',
    'imagenet-c-mini/snow/3/n02490219/n02490219_marmoset.JPEG',
    'imagenet-c-mini/pixelate/5/n03617480/n03617480_kimono.JPEG',
    'imagenet-c-mini/glass_blur/2/n02002556/n02002556_white_stork.JPEG',
    'imagenet-c-mini/saturate/5/n02087046/n02087046_toy_terrier.JPEG',
    # imagenet-val-sample: camera / web JPEGs with other layouts and odd sizes
    'imagenet-val-sample/n01494475/n01494475_hammerhead.JPEG',          # 4:4:4, 333x500
    'imagenet-val-sample/n01496331/n01496331_electric_ray.JPEG',        # 4:2:0, 600x399
    'imagenet-val-sample/n02088364/n02088364_beagle.JPEG',              # 4:2:2, 615x640
    'imagenet-val-sample/n02096051/n02096051_Airedale.JPEG',            # greyscale, 500x330
]

CLEAN = 'corruption-reference/clean/{}.png'
# (image key, crop x, y, w, h, quality, subsampling or None for Pillow's default, optimize)
ENCODE = [
    ('n02134084/n02134084_ice_bear', 0, 0, 224, 224, 85, None, False),
    ('n03127925/n03127925_crate', 0, 0, 224, 224, 85, None, False),
    ('n04081281/n04081281_restaurant', 0, 0, 224, 224, 85, None, False),
    ('n04039381/n04039381_racket', 0, 0, 224, 224, 75, None, False),
    ('n04235860/n04235860_sleeping_bag', 0, 0, 224, 224, 95, None, False),
    ('n01630670/n01630670_common_newt', 0, 0, 224, 224, 7, None, False),
    ('n02134084/n02134084_ice_bear', 0, 0, 224, 224, 100, None, False),
    ('n02134084/n02134084_ice_bear', 0, 0, 224, 224, 1, None, False),
    # odd sizes: edge replication, partial MCUs and dummy blocks
    ('n03127925/n03127925_crate', 13, 7, 37, 29, 85, None, False),
    ('n04081281/n04081281_restaurant', 50, 61, 101, 67, 25, None, False),
    ('n02490219/n02490219_marmoset', 0, 0, 1, 1, 85, None, False),
    ('n02490219/n02490219_marmoset', 100, 100, 3, 5, 50, None, False),
    ('n02490219/n02490219_marmoset', 3, 9, 17, 200, 10, None, False),
    ('n04039381/n04039381_racket', 5, 5, 201, 9, 90, None, False),
    # Pillow's other subsamplings
    ('n02134084/n02134084_ice_bear', 0, 0, 224, 224, 85, 0, False),
    ('n03127925/n03127925_crate', 2, 3, 57, 43, 60, 0, False),
    ('n02134084/n02134084_ice_bear', 0, 0, 224, 224, 85, 1, False),
    ('n04081281/n04081281_restaurant', 9, 1, 77, 41, 30, 1, False),
    # optimize=True (ImageNet-C's own save): optimal Huffman tables, including the dummy blocks' statistics
    ('n03127925/n03127925_crate', 0, 0, 224, 224, 85, None, True),
    ('n04081281/n04081281_restaurant', 50, 61, 101, 67, 85, None, True),
    ('n02490219/n02490219_marmoset', 3, 9, 17, 200, 85, None, True),
    ('n02490219/n02490219_marmoset', 100, 100, 3, 5, 85, None, True),
    ('n03127925/n03127925_crate', 2, 3, 57, 43, 60, 0, True),
    ('n04081281/n04081281_restaurant', 9, 1, 77, 41, 30, 1, True),
]
SUBSAMPLING_NAME = {None: '4:2:0', 0: '4:4:4', 1: '4:2:2', 2: '4:2:0'}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def samples(rgb, n=256):
    flat = rgb.reshape(-1, 3)
    count = flat.shape[0]
    out = []
    for k in range(n):
        i = (k * 7919 + 17) % count
        out.append([i] + [int(v) for v in flat[i]])
    return out


def decode_rgb(data):
    im = Image.open(io.BytesIO(data))
    im.load()
    return np.asarray(im.convert('RGB'))


def main():
    decode = []
    for rel in DECODE:
        with open(os.path.join(FIXTURES, rel), 'rb') as f:
            data = f.read()
        im = Image.open(io.BytesIO(data))
        rgb = decode_rgb(data)
        decode.append({
            'path': rel,
            'width': im.size[0],
            'height': im.size[1],
            'mode': im.mode,
            'sampling': [list(x) for x in getattr(im, 'layer', [])] if im.mode != 'L' else [],
            'file_sha256': sha(data),
            'rgb_sha256': sha(rgb.tobytes()),
            'samples': samples(rgb),
        })

    encode = []
    for key, x, y, w, h, q, sub, optimize in ENCODE:
        clean = Image.open(os.path.join(FIXTURES, CLEAN.format(key))).convert('RGB')
        crop = clean.crop((x, y, x + w, y + h))
        buf = io.BytesIO()
        kw = {'quality': q}  # with neither extra option: exactly the corruption's call
        if sub is not None:
            kw['subsampling'] = sub
        if optimize:
            kw['optimize'] = True
        crop.save(buf, 'JPEG', **kw)
        data = buf.getvalue()
        encode.append({
            'source': CLEAN.format(key),
            'crop': [x, y, w, h],
            'quality': q,
            'subsampling': SUBSAMPLING_NAME[sub],
            'optimize': optimize,
            'file_sha256': sha(data),
            'file_length': len(data),
            'decoded_sha256': sha(decode_rgb(data).tobytes()),
        })

    embedded = []
    clean = Image.open(os.path.join(FIXTURES, CLEAN.format('n02134084/n02134084_ice_bear'))).convert('RGB')
    cases = [
        ('greyscale 37x29 q75', clean.crop((20, 30, 57, 59)).convert('L'), dict(quality=75)),
        ('greyscale 64x48 q30 optimize', clean.crop((100, 100, 164, 148)).convert('L'), dict(quality=30, optimize=True)),
        ('4:2:0 45x31 q85 optimize', clean.crop((60, 10, 105, 41)), dict(quality=85, optimize=True)),
        ('4:4:4 19x23 q40 optimize', clean.crop((150, 150, 169, 173)), dict(quality=40, optimize=True, subsampling=0)),
        ('4:2:2 33x18 q90', clean.crop((5, 170, 38, 188)), dict(quality=90, subsampling=1)),
        ('progressive 32x32 q85', clean.crop((0, 0, 32, 32)), dict(quality=85, progressive=True)),
    ]
    cjpeg_cases = [
        ('cjpeg 4:2:0 45x31 restart every MCU row', (60, 10, 105, 41), ['-quality', '80', '-restart', '1']),
        ('cjpeg 4:2:0 45x31 restart every 2 MCUs', (60, 10, 105, 41), ['-quality', '80', '-restart', '2B']),
        ('cjpeg 4:4:4 23x19 restart every 5 MCUs, 3 single-component scans',
         (150, 150, 173, 169), ['-quality', '70', '-sample', '1x1', '-restart', '5B', '-scans', 'SCANS']),
        ('cjpeg 4:2:0 45x31 3 single-component scans', (60, 10, 105, 41), ['-quality', '85', '-scans', 'SCANS']),
        ('cjpeg 4:4:0 (1x2) 41x37', (90, 120, 131, 157), ['-quality', '75', '-sample', '1x2']),
        ('cjpeg 4:1:1 (4x1) 53x21', (10, 40, 63, 61), ['-quality', '75', '-sample', '4x1']),
        ('cjpeg RGB (Adobe transform 0) 29x27', (120, 60, 149, 87), ['-quality', '75', '-rgb']),
        ('cjpeg greyscale 2x2 sampling 35x21', (30, 30, 65, 51), ['-quality', '60', '-grayscale', '-sample', '2x2']),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        scans = os.path.join(tmp, 'scans.txt')
        with open(scans, 'w') as f:
            f.write('0;\n1;\n2;\n')
        for name, box, args in cjpeg_cases:
            ppm = os.path.join(tmp, 'in.ppm')
            clean.crop(box).save(ppm)
            args = [scans if a == 'SCANS' else a for a in args]
            data = subprocess.run(['cjpeg', *args, ppm], check=True, capture_output=True).stdout
            cases.append((name, Image.open(io.BytesIO(data)), {'data': data}))

    for name, im, kw in cases:
        if 'data' in kw:
            data = kw['data']
        else:
            buf = io.BytesIO()
            im.save(buf, 'JPEG', **kw)
            data = buf.getvalue()
        progressive = bool(kw.get('progressive'))
        embedded.append({
            'name': name,
            'width': im.size[0],
            'height': im.size[1],
            'base64': base64.b64encode(data).decode('ascii'),
            'rgb_sha256': None if progressive else sha(decode_rgb(data).tobytes()),
        })

    flat = []
    for q in (1, 7, 25, 85, 100):
        buf = io.BytesIO()
        Image.fromarray(np.full((16, 32, 3), (200, 120, 40), np.uint8)).save(buf, 'JPEG', quality=q)
        rgb = decode_rgb(buf.getvalue())
        assert (rgb == rgb[0, 0]).all()
        flat.append({'quality': q, 'rgb': [int(v) for v in rgb[0, 0]]})

    out = {
        'generator': 'make-jpeg-decode-reference.py',
        'pillow_version': PIL.__version__,
        'libjpeg': 'libjpeg-turbo 2.1.5 (Debian libjpeg62-turbo 1:2.1.5-2)',
        'samples_note': 'samples: [i, r, g, b] with i = (k*7919 + 17) % (width*height), k = 0..255',
        'decode': decode,
        'encode': encode,
        'embedded': embedded,
        'flat_32x16_200_120_40': flat,
    }
    path = os.path.join(HERE, 'jpeg-decode-reference.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    print('wrote', path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
