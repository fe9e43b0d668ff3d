#!/usr/bin/python3
"""Writes test/core/ssim-reference.json: scikit-image's SSIM between fixture clean crops and reference corrupted PNGs.

Run by hand with Debian's python3 (apt-get install python3-skimage), from the project root:
    /usr/bin/python3 test/support/make-ssim-reference.py
The test suite only reads the JSON it writes.
"""
import json
import os

import numpy as np
import skimage
from PIL import Image
from skimage.color import rgb2gray
from skimage.metrics import structural_similarity

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, '..', 'shared', 'fixtures')
REF = 'corruption-reference'
OUT = os.path.join(ROOT, 'test', 'core', 'ssim-reference.json')

IMAGES = ['n02134084/n02134084_ice_bear', 'n03127925/n03127925_crate', 'n04039381/n04039381_racket',
          'n04081281/n04081281_restaurant', 'n04235860/n04235860_sleeping_bag']
# 15 (corruption, severity) pairs over all 10 corruptions with reference PNGs, every severity, every image.
PAIRS = [('defocus_blur', 1), ('defocus_blur', 5), ('zoom_blur', 3), ('gaussian_blur', 2), ('contrast', 4),
         ('contrast', 5), ('brightness', 1), ('brightness', 5), ('saturate', 3), ('pixelate', 2), ('pixelate', 5),
         ('jpeg_compression', 1), ('jpeg_compression', 4), ('motion_blur', 3), ('frost', 5)]

SETTINGS = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)


def load(rel):
    return np.asarray(Image.open(os.path.join(FIXTURES, rel)).convert('RGB'))


def main():
    rows = []
    for i, (corruption, severity) in enumerate(PAIRS):
        image = IMAGES[i % len(IMAGES)]
        clean_rel = f'{REF}/clean/{image}.png'
        corrupted_rel = f'{REF}/{corruption}/{severity}/{image}.png'
        a, b = load(corrupted_rel), load(clean_rel)
        rgb = structural_similarity(a, b, channel_axis=-1, **SETTINGS)
        gray = structural_similarity(rgb2gray(a) * 255, rgb2gray(b) * 255, **SETTINGS)
        rows.append({'corrupted': corrupted_rel, 'clean': clean_rel, 'rgb': float(rgb), 'gray': float(gray)})
    doc = {
        'what': 'scikit-image structural_similarity(corrupted, clean) on fixture PNGs (paths relative to shared/fixtures)',
        'skimage': skimage.__version__,
        'settings': {**SETTINGS, 'rgb': 'channel_axis=-1', 'gray': 'skimage.color.rgb2gray(uint8 RGB) * 255'},
        'generator': 'test/support/make-ssim-reference.py',
        'pairs': rows,
    }
    with open(OUT, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print(f'wrote {len(rows)} pairs to {OUT}')


if __name__ == '__main__':
    main()
