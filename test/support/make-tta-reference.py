#!/usr/bin/env python3
"""PyTorch references for test-time adaptation (test/core/tta/tta-pytorch.test.ts).

    /usr/bin/python3 test/support/make-tta-reference.py --fixtures ../shared/fixtures --out DIR [--arch resnet18]

Builds a torchvision ResNet (--arch, default ResNet-50) with random weights (fixed seeds) whose BN running statistics are calibrated on
fixture clean images (train-mode forward passes, momentum None = cumulative average), exports it with
tools/export-onnx (DIR/model.onnx), and writes, for batches of fixture ImageNet-C cells (Pillow decode, ImageNet
mean/std), the outputs of:

  * robusta's BayesianBatchNorm (bethgelab/robustness robusta/batchnorm/bn.py, copied below) with
    prior = N / (N + n), N = 16 and N = 0;
  * TENT (DequanWang/tent tent.py: configure_model, collect_params, softmax_entropy, forward_and_adapt, copied
    below) with SGD + momentum, one step per batch over consecutive batches of one cell;
  * robust pseudo-labelling: the same loop with robusta's generalised cross-entropy (robusta/selflearning/
    functional.py gce, q = 0.8, hard argmax pseudo-labels) as the loss.

For the self-learning methods it records the logits of each step (taken before the step, as forward_and_adapt
returns them), the gradients of the first step, and the parameters after the last step. Everything as raw
little-endian float32 files described by DIR/reference.json.
"""
import argparse
import json
import os
import sys
import time
from copy import deepcopy
from typing import Dict, List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'export-onnx'))
import export_onnx  # noqa: E402
from networks import ResNetClassifier  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


# ---- bethgelab/robustness robusta/batchnorm/bn.py (Apache-2.0), BayesianBatchNorm as published
class BayesianBatchNorm(nn.Module):
    """Use the source statistics as a prior on the target statistics"""

    @staticmethod
    def find_bns(parent, prior):
        replace_mods = []
        if parent is None:
            return []
        for name, child in parent.named_children():
            child.requires_grad_(False)
            if isinstance(child, nn.BatchNorm2d):
                module = BayesianBatchNorm(child, prior)
                replace_mods.append((parent, name, module))
            else:
                replace_mods.extend(BayesianBatchNorm.find_bns(child, prior))
        return replace_mods

    @staticmethod
    def adapt_model(model, prior):
        replace_mods = BayesianBatchNorm.find_bns(model, prior)
        for parent, name, child in replace_mods:
            setattr(parent, name, child)
        return model

    def __init__(self, layer, prior):
        assert prior >= 0 and prior <= 1
        super().__init__()
        self.layer = layer
        self.layer.eval()
        self.norm = nn.BatchNorm2d(self.layer.num_features, affine=False, momentum=1.0)
        self.prior = prior

    def forward(self, input):
        self.norm(input)
        running_mean = self.prior * self.layer.running_mean + (1 - self.prior) * self.norm.running_mean
        running_var = self.prior * self.layer.running_var + (1 - self.prior) * self.norm.running_var
        return F.batch_norm(input, running_mean, running_var, self.layer.weight, self.layer.bias, False, 0, self.layer.eps)


# ---- DequanWang/tent tent.py (MIT), as published
def softmax_entropy(x: torch.Tensor) -> torch.Tensor:
    """Entropy of softmax distribution from logits."""
    return -(x.softmax(1) * x.log_softmax(1)).sum(1)


@torch.enable_grad()
def forward_and_adapt(x, model, optimizer, loss_fn=lambda outputs: softmax_entropy(outputs).mean(0)):
    """tent's forward_and_adapt; the loss is a parameter here so that robusta's GCE runs the same loop."""
    outputs = model(x)
    loss = loss_fn(outputs)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return outputs, loss


def collect_params(model):
    params = []
    names = []
    for nm, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            for np_, p in m.named_parameters():
                if np_ in ['weight', 'bias']:
                    params.append(p)
                    names.append(f"{nm}.{np_}")
    return params, names


def configure_model(model):
    model.train()
    model.requires_grad_(False)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.requires_grad_(True)
            m.track_running_stats = False
            m.running_mean = None
            m.running_var = None
    return model


# ---- bethgelab/robustness robusta/selflearning/functional.py (Apache-2.0)
def gce(logits, target, q=0.8):
    probs = F.softmax(logits, dim=1)
    probs_with_correct_idx = probs.index_select(-1, target).diag()
    loss = (1.0 - probs_with_correct_idx ** q) / q
    return loss.mean()


class RecordingSGD(torch.optim.SGD):
    """SGD that keeps a copy of the gradients it was given at each step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recorded: List[List[torch.Tensor]] = []

    def step(self, closure=None):
        self.recorded.append([p.grad.detach().clone() for g in self.param_groups for p in g['params']])
        return super().step(closure)


# ---- data and model
def load_batch(paths: List[str]) -> torch.Tensor:
    arrays = []
    for p in paths:
        with Image.open(p) as im:
            a = np.asarray(im.convert('RGB'), dtype=np.float32) / 255.0
        arrays.append(((a - MEAN) / STD).transpose(2, 0, 1))
    return torch.from_numpy(np.ascontiguousarray(np.stack(arrays)))


def clean_crop(path: str) -> np.ndarray:
    """torchvision Resize(256) + CenterCrop(224) on a PIL image (the fixtures' clean protocol)."""
    with Image.open(path) as im:
        im = im.convert('RGB')
        w, h = im.size
        if w <= h:
            size = (256, int(256 * h / w))
        else:
            size = (int(256 * w / h), 256)
        im = im.resize(size, Image.BILINEAR)
        left = int(round((size[0] - 224) / 2.0))
        top = int(round((size[1] - 224) / 2.0))
        a = np.asarray(im.crop((left, top, left + 224, top + 224)), dtype=np.float32) / 255.0
    return ((a - MEAN) / STD).transpose(2, 0, 1)


def cell_paths(fixtures: str, cell: str) -> List[str]:
    root = os.path.join(fixtures, 'imagenet-c-mini', cell)
    return sorted(os.path.join(root, d, f) for d in os.listdir(root) for f in os.listdir(os.path.join(root, d)))


def build_model(fixtures: str, seed: int, calibration_images: int, arch: str = 'resnet50') -> torchvision.models.ResNet:
    """A torchvision ResNet (`arch`), random weights; BN affine parameters random (as
    tools/export-onnx/make_synthetic.py: the last BN of each residual branch small, as in trained ResNets, so float32
    stays well-conditioned through 16 blocks); BN running statistics calibrated on clean fixture images (train mode,
    momentum None)."""
    torch.manual_seed(seed)
    net = getattr(torchvision.models, arch)()
    last = 'bn3' if arch in ('resnet50', 'resnet101', 'resnet152') else 'bn2'
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, m in net.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_((0.5 + torch.rand(m.weight.shape, generator=g)) * (0.25 if name.endswith(last) else 1))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                m.momentum = None
        net.fc.weight.copy_(0.05 * torch.randn(net.fc.weight.shape, generator=g))
        net.fc.bias.copy_(0.1 * torch.randn(net.fc.bias.shape, generator=g))
        root = os.path.join(fixtures, 'imagenet-val-sample')
        clean = sorted(os.path.join(root, d, f) for d in os.listdir(root) for f in os.listdir(os.path.join(root, d)))
        clean = clean[:: max(1, len(clean) // max(1, calibration_images))][:calibration_images]
        net.train()
        for k in range(0, len(clean), 16):
            net(torch.from_numpy(np.stack([clean_crop(p) for p in clean[k:k + 16]])))
    return net.eval()


# ---- replaying another implementation's switching decisions
class Replay:
    """ReLU masks and MaxPool indices recorded by another implementation, handed out in call order."""

    def __init__(self, decisions: List[np.ndarray]):
        self.decisions = decisions
        self.k = 0
        self.differ = 0  # decisions that PyTorch's own float32 forward would have taken otherwise

    def next(self) -> np.ndarray:
        d = self.decisions[self.k]
        self.k += 1
        return d


class ReplayReLU(nn.Module):
    def __init__(self, replay: Replay):
        super().__init__()
        self.replay = replay

    def forward(self, t):
        m = torch.from_numpy(self.replay.next()).reshape(t.shape)
        self.replay.differ += int((m != (t > 0)).sum())
        return t * m.to(t.dtype)


class ReplayMaxPool(nn.Module):
    def __init__(self, pool: nn.MaxPool2d, replay: Replay):
        super().__init__()
        self.pool = pool
        self.replay = replay

    def forward(self, t):
        own, own_idx = F.max_pool2d(t, self.pool.kernel_size, self.pool.stride, self.pool.padding, self.pool.dilation,
                                    self.pool.ceil_mode, return_indices=True)
        n, c, h, w = t.shape
        # onnxruntime's Indices are flat over N·C·H·W; PyTorch's per (n, c) plane.
        flat = torch.from_numpy(self.replay.next()).reshape(own.shape)
        idx = flat - (torch.arange(n * c).reshape(n, c, 1, 1) * (h * w))
        self.replay.differ += int((idx != own_idx).sum())
        return t.flatten(2).gather(2, idx.flatten(2)).view_as(own)


def replay_gradients(base: nn.Module, d: str) -> None:
    """Gradients of the first step with the ReLU masks and MaxPool indices that another implementation took."""
    spec = json.load(open(os.path.join(d, 'replay.json')))
    net = deepcopy(base)
    decisions = []
    for e in spec['decisions']:
        dtype = np.uint8 if e['kind'] == 'relu-mask' else np.int64
        a = np.fromfile(os.path.join(d, e['file']), dtype=dtype)
        decisions.append(a.astype(bool) if e['kind'] == 'relu-mask' else a)
    replay = Replay(decisions)
    for mod in list(net.modules()):
        for name, child in list(mod.named_children()):
            if isinstance(child, nn.ReLU):
                setattr(mod, name, ReplayReLU(replay))
            elif isinstance(child, nn.MaxPool2d):
                setattr(mod, name, ReplayMaxPool(child, replay))
    model = configure_model(net)
    params, _ = collect_params(model)
    x = torch.from_numpy(np.fromfile(os.path.join(d, spec['input']), dtype='<f4').reshape(spec['shape']))
    out = model(x)
    loss = softmax_entropy(out).mean(0) if spec['method'] == 'entropy' else gce(out, out.argmax(dim=1), q=0.8)
    loss.backward()
    if replay.k != len(decisions):
        raise SystemExit(f'replayed {replay.k} of {len(decisions)} decisions')
    np.ascontiguousarray(torch.cat([p.grad.flatten() for p in params]).numpy(), dtype='<f4').tofile(os.path.join(d, 'grads.f32'))
    with open(os.path.join(d, 'replayed.json'), 'w') as f:
        json.dump({'decisions': len(decisions), 'differ_from_pytorch': replay.differ}, f)


# ---- output
class Writer:
    def __init__(self, out: str):
        self.out = out
        self.count = 0

    def f32(self, t, hint: str) -> Dict:
        a = np.ascontiguousarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t, dtype='<f4')
        self.count += 1
        name = f'{self.count:03d}-{hint}.f32'
        a.tofile(os.path.join(self.out, name))
        return {'file': name, 'shape': list(a.shape)}


def self_learning(net, method: str, batches: List[torch.Tensor], lr: float, momentum: float, nesterov: bool, w: Writer,
                  float64: bool = False) -> Dict:
    model = configure_model(deepcopy(net))
    params, names = collect_params(model)
    opt = RecordingSGD(params, lr=lr, momentum=momentum, dampening=0, weight_decay=0, nesterov=nesterov)
    loss_fn = (lambda out: softmax_entropy(out).mean(0)) if method == 'entropy' else (lambda out: gce(out, out.argmax(dim=1), q=0.8))
    steps = []
    for k, x in enumerate(batches):
        outputs, loss = forward_and_adapt(x, model, opt, loss_fn)
        steps.append({'logits': w.f32(outputs, f'{method}-logits-{k}'), 'loss': float(loss)})
    grads = torch.cat([gr.flatten() for gr in opt.recorded[0]])
    after = torch.cat([p.detach().flatten() for p in params])
    extra = {}
    if float64:
        # The first step's gradients in float64: how far float32 PyTorch itself is from exact on this model.
        model64 = configure_model(deepcopy(net).double())
        params64, _ = collect_params(model64)
        loss = loss_fn(model64(batches[0].double()))
        loss.backward()
        extra['grads_step0_f64'] = w.f32(torch.cat([p.grad.flatten() for p in params64]), f'{method}-grads-0-f64')
    return {
        **extra,
        'lr': lr, 'momentum': momentum, 'nesterov': nesterov,
        'params': [{'name': n, 'size': p.numel()} for n, p in zip(names, params)],
        'steps': steps,
        'grads_step0': w.f32(grads, f'{method}-grads-0'),
        'params_after': w.f32(after, f'{method}-params-after'),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--fixtures', required=True)
    p.add_argument('--out')
    p.add_argument('--arch', default='resnet50', choices=('resnet18', 'resnet50'),
                   help='torchvision ResNet (the unit test uses resnet18: the same operators, a third of the time)')
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--lr', type=float, default=0.05, help='SGD learning rate for both self-learning methods')
    p.add_argument('--calibration-images', type=int, default=16)
    p.add_argument('--float64', action='store_true', help='also the first step gradients in float64 (diagnostics)')
    p.add_argument('--keep-checkpoint', action='store_true')
    p.add_argument('--replay', metavar='DIR', nargs='+',
                   help='only: first-step gradients replaying DIR/replay.json (ReLU masks, MaxPool indices) into DIR/grads.f32')
    args = p.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    if args.replay:
        base = build_model(args.fixtures, 15, 0, args.arch)  # train-mode gradients do not depend on the running statistics
        for d in args.replay:
            replay_gradients(base, d)
        return 0
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    timings = {}

    net = build_model(args.fixtures, 15, args.calibration_images, args.arch)
    timings['model'] = time.time() - t0
    if args.arch == 'resnet50':
        # Through the tool's command line, as a user exports a checkpoint (its layouts are ResNet-50's).
        ckpt = os.path.join(args.out, 'resnet50.pth')
        torch.save(net.state_dict(), ckpt)
        if export_onnx.main([ckpt, '--layout', 'torchvision', '--out', os.path.join(args.out, 'model.onnx'), '--name', 'tta reference']) != 0:
            raise SystemExit('export failed')
        if not args.keep_checkpoint:
            os.remove(ckpt)
    else:
        # The tool's network (backbone → pool → linear, with layer4's map) and exporter (BN kept: TrainingMode.PRESERVE),
        # so the graph is named and shaped as the command line writes it for ResNet-50.
        body = deepcopy(net)
        body.fc = nn.Identity()
        export_onnx.export(ResNetClassifier(body, deepcopy(net.fc)), ['logits', 'features'], os.path.join(args.out, 'model.onnx'))
    timings['export'] = time.time() - t0

    w = Writer(args.out)
    B = args.batch
    cells = {'entropy': 'gaussian_noise/3', 'gce': 'contrast/4', 'bn': 'fog/5'}
    batches = {}
    for key, cell in cells.items():
        paths = cell_paths(args.fixtures, cell)
        if key == 'bn':
            batches['bn'] = [load_batch(paths[:B])]
            batches['bn-last'] = [load_batch(paths[-3:])]  # a smaller last batch: n is read from the input shape
        else:
            batches[key] = [load_batch(paths[k * B:(k + 1) * B]) for k in range(args.steps)]
    inputs = {}
    for key, bs in batches.items():
        inputs[key] = [w.f32(x, f'input-{key.replace("/", "_")}-{k}') for k, x in enumerate(bs)]

    bn = []
    with torch.no_grad():
        for prior_n in (16, 0):
            for key, k in (('bn', 0), ('bn-last', 0)):
                x = batches[key][k]
                n = x.shape[0]
                model = BayesianBatchNorm.adapt_model(deepcopy(net).eval(), prior=float(prior_n) / float(prior_n + n))
                bn.append({'prior': prior_n, 'input': inputs[key][k], 'logits': w.f32(model(x), f'bn-{prior_n}-{key}-{k}')})
        # The source model (eval mode) on the same batch, so the test can tell that adaptation changed something.
        source = [{'input': inputs['bn'][0], 'logits': w.f32(net(batches['bn'][0]), 'source-bn')}]
    timings['bn'] = time.time() - t0

    methods = {
        'entropy': self_learning(net, 'entropy', batches['entropy'], args.lr, 0.9, True, w, args.float64),
        'gce': self_learning(net, 'gce', batches['gce'], args.lr, 0.9, False, w, args.float64),
    }
    for m in methods:
        methods[m]['inputs'] = inputs[m]
    timings['self_learning'] = time.time() - t0
    with open(os.path.join(args.out, 'reference.json'), 'w') as f:
        json.dump({'model': 'model.onnx', 'arch': args.arch, 'cells': cells, 'batch': B, 'bn': bn, 'source': source, 'methods': methods,
                   'torch': torch.__version__, 'timings_s': timings}, f, indent=1)
    print(f'tta reference: {time.time() - t0:.1f} s {timings}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
