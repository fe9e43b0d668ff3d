#!/usr/bin/env python3
"""PyTorch references for the test-time adaptation e2e test (test/e2e/adaptation.test.ts).

    /usr/bin/python3 test/support/make-tta-e2e-reference.py --fixtures ../shared/fixtures --out DIR \
        --bn-cells fog/5 contrast/4 --entropy-cell gaussian_noise/3 --images 8 --batch 4 --prior 16 --lr 0.05

A torchvision ResNet-18 with random weights (fixed seeds) and BN running statistics calibrated on fixture clean
images (as make-tta-reference.py does for its ResNet-50: small enough for a browser test on two cores), exported
with tools/export-onnx's export() (BatchNormalization kept) to DIR/model.onnx with a card DIR/model.card.json.
For the first `--images` images (path order) of each cell, in consecutive batches of `--batch`:

  * bn: robusta's BayesianBatchNorm with prior N / (N + n), n the images of that batch (the last one smaller);
  * entropy: TENT's forward_and_adapt, SGD lr, momentum 0.9, no Nesterov, state from the source model at the start
    of the cell, logits taken before each step;
  * source: the unadapted model (to tell that adaptation changed something).

DIR/reference.json: {"bn": {"<cell>/<wnid>/<file>": [1000 logits]}, "entropy": {…}, "source": {…}, …}.
"""
import argparse
import importlib.util
import json
import os
import sys
import time
from copy import deepcopy

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'export-onnx'))
import export_onnx  # noqa: E402
import model_card  # noqa: E402

_spec = importlib.util.spec_from_file_location('tta_reference', os.path.join(HERE, 'make-tta-reference.py'))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def build_resnet(fixtures: str, seed: int, calibration_images: int, arch: str = 'resnet18') -> torchvision.models.ResNet:
    """make-tta-reference.py's random-weight ResNet with calibrated BN statistics, here a ResNet-18 by default."""
    return ref.build_model(fixtures, seed, calibration_images, arch)


def rel(fixtures: str, path: str) -> str:
    return os.path.relpath(path, os.path.join(fixtures, 'imagenet-c-mini')).replace(os.sep, '/')


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--fixtures', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--bn-cells', nargs='+', default=['fog/5', 'contrast/4'])
    p.add_argument('--entropy-cell', default='gaussian_noise/3')
    p.add_argument('--images', type=int, default=8, help='first images (path order) of each cell')
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--prior', type=float, default=16)
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--calibration-images', type=int, default=16)
    p.add_argument('--arch', default='resnet18', choices=('resnet18', 'resnet50'))
    p.add_argument('--model-only', action='store_true', help='only the model and its card (the benchmark)')
    args = p.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    net = build_resnet(args.fixtures, 18, args.calibration_images, args.arch)
    model_path = os.path.join(args.out, 'model.onnx')
    export_onnx.export(deepcopy(net), ['logits'], model_path)
    card = {
        'name': f'tta {args.arch} (random weights, BN kept)',
        'mean': [0.485, 0.456, 0.406],
        'std': [0.229, 0.224, 0.225],
        'inputSize': 224,
        'resizeTo': 256,
        'interpolation': 'bilinear',
        'logitsOutput': 'logits',
        'labels': model_card.imagenet_wnids(),
    }
    with open(os.path.join(args.out, 'model.card.json'), 'w') as f:
        json.dump(card, f)

    if args.model_only:
        return 0
    B = args.batch
    out = {'bn': {}, 'entropy': {}, 'source': {}}
    cells = {}
    with torch.no_grad():
        for cell in args.bn_cells:
            paths = ref.cell_paths(args.fixtures, cell)[:args.images]
            cells[cell] = [rel(args.fixtures, q) for q in paths]
            for k in range(0, len(paths), B):
                x = ref.load_batch(paths[k:k + B])
                n = x.shape[0]
                model = ref.BayesianBatchNorm.adapt_model(deepcopy(net).eval(), prior=float(args.prior) / float(args.prior + n))
                for q, logits in zip(paths[k:k + B], model(x)):
                    out['bn'][rel(args.fixtures, q)] = [float(v) for v in logits]
                for q, logits in zip(paths[k:k + B], net(x)):
                    out['source'][rel(args.fixtures, q)] = [float(v) for v in logits]

    paths = ref.cell_paths(args.fixtures, args.entropy_cell)[:args.images]
    cells[args.entropy_cell] = [rel(args.fixtures, q) for q in paths]
    model = ref.configure_model(deepcopy(net))
    params, _ = ref.collect_params(model)
    opt = torch.optim.SGD(params, lr=args.lr, momentum=0.9, dampening=0, weight_decay=0, nesterov=False)
    for k in range(0, len(paths), B):
        outputs, _ = ref.forward_and_adapt(ref.load_batch(paths[k:k + B]), model, opt)
        for q, logits in zip(paths[k:k + B], outputs.detach()):
            out['entropy'][rel(args.fixtures, q)] = [float(v) for v in logits]

    with open(os.path.join(args.out, 'reference.json'), 'w') as f:
        json.dump({'model': 'model.onnx', 'card': 'model.card.json', 'batch': B, 'prior': args.prior, 'lr': args.lr, 'cells': cells,
                   'torch': torch.__version__, 'seconds': time.time() - t0, **out}, f)
    print(f'tta e2e reference: {time.time() - t0:.1f} s', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
