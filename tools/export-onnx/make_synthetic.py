#!/usr/bin/env python3
"""Synthetic checkpoints of every layout, exported, with PyTorch reference outputs to compare the ONNX against.

    python3 tools/export-onnx/make_synthetic.py --out DIR [--layouts torchvision,dino-vits,…]

For each case writes DIR/<case>/{model.onnx, model.card.json, input.f32, <output>.f32, reference.json}
(raw little-endian float32, shapes in reference.json). Random weights, real architectures (so the key names
are the real ones). The references come from implementations independent of the exporter's networks:
torchvision's resnet50 forward for the ResNets, and torchvision's VisionTransformer (nn.MultiheadAttention,
its own parameter names, mapped here to DINO's/timm's) for the ViTs.
"""
import argparse
import json
import os
import sys
import time
from typing import Callable, Dict, List, Tuple

import numpy as np
import torch
import torch.nn as nn
import torchvision

import export_onnx

Outputs = Dict[str, torch.Tensor]


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_resnet50(seed: int) -> torchvision.models.ResNet:
    """torchvision resnet50 with random BN affine parameters and running statistics calibrated on random
    images, so activations stay O(1) through all 16 blocks and the logits are spread out.

    The last BN of each residual branch (bn3) gets a small gain, as trained ResNets have: with gains near 1 a
    random ResNet-50 is so ill-conditioned that float32 PyTorch itself is 1e-3 off float64 on layer4, which
    would hide export errors below that; at 0.25× it is 3e-5 off."""
    torch.manual_seed(seed)
    net = torchvision.models.resnet50()
    g = seeded(seed + 1)
    with torch.no_grad():
        for name, m in net.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_((0.5 + torch.rand(m.weight.shape, generator=g)) * (0.25 if name.endswith('bn3') else 1))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                m.momentum = None  # cumulative average over the calibration pass
        net.fc.weight.copy_(0.03 * torch.randn(net.fc.weight.shape, generator=g))
        net.fc.bias.copy_(0.1 * torch.randn(net.fc.bias.shape, generator=g))
        net.train()
        net(torch.randn(4, 3, 160, 160, generator=g))
    return net.eval()


def random_vit(seed: int, *, patch_size: int = 16, num_layers: int = 12, num_heads: int = 6, hidden_dim: int = 384,
               mlp_dim: int = 1536, attention_scale: float = 0.08) -> torchvision.models.VisionTransformer:
    """A torchvision ViT with random weights that exercise every part (defaults: ViT-S/16)."""
    torch.manual_seed(seed)
    net = torchvision.models.VisionTransformer(image_size=224, patch_size=patch_size, num_layers=num_layers, num_heads=num_heads,
                                               hidden_dim=hidden_dim, mlp_dim=mlp_dim, num_classes=1000)
    g = seeded(seed + 1)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith(('ln_1.weight', 'ln_2.weight', 'ln.weight')):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(('ln_1.bias', 'ln_2.bias', 'ln.bias', 'in_proj_bias', 'out_proj.bias')):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            elif name in ('class_token', 'encoder.pos_embedding'):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif name.startswith('heads.'):
                p.copy_((0.05 if name.endswith('weight') else 0.1) * torch.randn(p.shape, generator=g))
            elif name.endswith('in_proj_weight'):
                # Larger than xavier so that attention is far from uniform (the cls_attention check means something).
                p.copy_(attention_scale * torch.randn(p.shape, generator=g))
    return net.eval()


def random_vit_s16(seed: int) -> torchvision.models.VisionTransformer:
    return random_vit(seed)


def resnet_reference(net: torchvision.models.ResNet, x: torch.Tensor) -> Outputs:
    features: List[torch.Tensor] = []
    hook = net.layer4.register_forward_hook(lambda _m, _i, out: features.append(out))
    with torch.no_grad():
        logits = net(x)
    hook.remove()
    return {'logits': logits, 'features': features[0]}


def vit_reference(net: torchvision.models.VisionTransformer, x: torch.Tensor, linear: nn.Linear, n_last: int) -> Outputs:
    """DINO's linear probe on torchvision's ViT: norm(tokens) of the last n_last blocks, their CLS tokens
    concatenated, then the linear; plus the last block's per-head attention from CLS to the patches."""
    with torch.no_grad():
        t = net._process_input(x)
        t = torch.cat([net.class_token.expand(t.shape[0], -1, -1), t], dim=1) + net.encoder.pos_embedding
        layers = list(net.encoder.layers)
        normed: List[torch.Tensor] = []
        attention = None
        for i, layer in enumerate(layers):
            if i == len(layers) - 1:
                y = layer.ln_1(t)
                _, attention = layer.self_attention(y, y, y, need_weights=True, average_attn_weights=False)
            t = layer(t)
            if len(layers) - i <= n_last:
                normed.append(net.encoder.ln(t))
        logits = linear(torch.cat([o[:, 0] for o in normed], dim=-1))
    return {'logits': logits, 'features': normed[-1], 'cls_attention': attention[:, :, 0, 1:]}


def vit_to_dino_keys(net: torchvision.models.VisionTransformer) -> Dict[str, torch.Tensor]:
    sd = net.state_dict()
    out = {'cls_token': sd['class_token'], 'pos_embed': sd['encoder.pos_embedding'],
           'patch_embed.proj.weight': sd['conv_proj.weight'], 'patch_embed.proj.bias': sd['conv_proj.bias'],
           'norm.weight': sd['encoder.ln.weight'], 'norm.bias': sd['encoder.ln.bias']}
    names = {'ln_1': 'norm1', 'self_attention.in_proj_weight': 'attn.qkv.weight', 'self_attention.in_proj_bias': 'attn.qkv.bias',
             'self_attention.out_proj': 'attn.proj', 'ln_2': 'norm2', 'mlp.0': 'mlp.fc1', 'mlp.3': 'mlp.fc2'}
    for key, value in sd.items():
        if not key.startswith('encoder.layers.encoder_layer_'):
            continue
        index, rest = key[len('encoder.layers.encoder_layer_'):].split('.', 1)
        for tv, dino in names.items():
            if rest == tv or rest.startswith(tv + '.'):
                out[f'blocks.{index}.{dino}{rest[len(tv):]}'] = value
                break
        else:
            raise KeyError(key)
    return out


def random_linear(in_features: int, seed: int) -> nn.Linear:
    g = seeded(seed)
    linear = nn.Linear(in_features, 1000)
    with torch.no_grad():
        linear.weight.copy_(0.05 * torch.randn(linear.weight.shape, generator=g))
        linear.bias.copy_(0.1 * torch.randn(linear.bias.shape, generator=g))
    return linear


def prefixed(sd: Dict[str, torch.Tensor], prefix: str, skip: Tuple[str, ...] = ()) -> Dict[str, torch.Tensor]:
    return {prefix + k: v for k, v in sd.items() if not k.startswith(skip)}


# Each case: writes its checkpoint file(s) into a folder and returns (exporter arguments, reference outputs).
Case = Callable[[str, torch.Tensor], Tuple[List[str], Outputs]]


def cases() -> Dict[str, Case]:
    resnet_cache: Dict[str, object] = {}

    def resnet() -> Tuple[Dict[str, torch.Tensor], Callable[[torch.Tensor], Outputs]]:
        # One random ResNet-50 serves every ResNet layout: only the key layout differs between them.
        if 'net' not in resnet_cache:
            resnet_cache['net'] = random_resnet50(50)
        net = resnet_cache['net']
        return net.state_dict(), lambda x: resnet_reference(net, x)

    def mmselfsup(d: str, x: torch.Tensor):
        sd, ref = resnet()
        state = {**prefixed(sd, 'backbone.', ('fc.',)), 'head.fc.weight': sd['fc.weight'], 'head.fc.bias': sd['fc.bias']}
        torch.save({'meta': {'mmselfsup_version': '1.0.0'}, 'state_dict': state}, f'{d}/simclr_linear.pth')
        return [f'{d}/simclr_linear.pth', '--layout', 'mmselfsup', '--method', 'simclr'], ref(x)

    def dino_resnet50(d: str, x: torch.Tensor):
        # A DINO training checkpoint (main_dino.py): student and teacher MultiCropWrappers, the teacher under DDP
        # (ResNets have BN), each a backbone (fc = Identity, so no fc keys) plus the DINO projection head.
        sd, ref = resnet()
        g = seeded(4)
        head = {'head.mlp.0.weight': torch.randn(2048, 2048, generator=g), 'head.mlp.0.bias': torch.zeros(2048),
                'head.last_layer.weight_g': torch.ones(4096, 1), 'head.last_layer.weight_v': torch.randn(4096, 256, generator=g)}
        wrapper = {**prefixed(sd, 'backbone.', ('fc.',)), **head}
        torch.save({'student': prefixed(wrapper, 'module.'), 'teacher': prefixed(wrapper, 'module.'), 'epoch': 800},
                   f'{d}/checkpoint.pth')
        linear = {'module.linear.weight': sd['fc.weight'], 'module.linear.bias': sd['fc.bias']}
        torch.save({'epoch': 100, 'state_dict': linear, 'best_acc': 75.3}, f'{d}/dino_resnet50_linearweights.pth')
        return [f'{d}/checkpoint.pth', '--layout', 'auto', '--linear', f'{d}/dino_resnet50_linearweights.pth',
                '--reported-top1', '75.3', '--reported-top1-source', 'DINO README, linear evaluation table (ResNet-50)'], ref(x)

    def lincls(d: str, x: torch.Tensor):
        sd, ref = resnet()
        torch.save({'epoch': 100, 'arch': 'resnet50', 'state_dict': prefixed(sd, 'module.'), 'best_acc1': 68.1},
                   f'{d}/simsiam_lincls.pth.tar')
        return [f'{d}/simsiam_lincls.pth.tar', '--layout', 'lincls', '--method', 'simsiam'], ref(x)

    def lincls_moco(d: str, x: torch.Tensor):
        # A MoCo v2 pretraining checkpoint (query/key encoders with MLP projectors, queue) + the lincls classifier.
        sd, ref = resnet()
        g = seeded(3)
        mlp = {'fc.0.weight': torch.randn(2048, 2048, generator=g), 'fc.0.bias': torch.zeros(2048),
               'fc.2.weight': torch.randn(128, 2048, generator=g), 'fc.2.bias': torch.zeros(128)}
        backbone = prefixed(sd, '', ('fc.',))
        state = {**prefixed({**backbone, **mlp}, 'module.encoder_q.'), **prefixed({**backbone, **mlp}, 'module.encoder_k.'),
                 'module.queue': torch.randn(128, 65536, generator=g), 'module.queue_ptr': torch.zeros(1, dtype=torch.long)}
        torch.save({'epoch': 200, 'arch': 'resnet50', 'state_dict': state}, f'{d}/moco_v2_pretrain.pth.tar')
        torch.save({'state_dict': prefixed(sd, 'module.')}, f'{d}/moco_v2_lincls.pth.tar')
        return [f'{d}/moco_v2_pretrain.pth.tar', '--layout', 'auto', '--method', 'mocov2', '--linear', f'{d}/moco_v2_lincls.pth.tar'], ref(x)

    def torchvision_resnet50(d: str, x: torch.Tensor):
        sd, ref = resnet()
        torch.save(sd, f'{d}/resnet50.pth')
        return [f'{d}/resnet50.pth', '--layout', 'auto', '--reported-top1', '76.13',
                '--reported-top1-source', 'torchvision ResNet50_Weights.IMAGENET1K_V1'], ref(x)

    def timm_resnet50(d: str, x: torch.Tensor):
        sd, ref = resnet()
        torch.save(dict(sd), f'{d}/timm_resnet50.pth')
        return [f'{d}/timm_resnet50.pth', '--layout', 'timm'], ref(x)

    def dino_vits(d: str, x: torch.Tensor):
        net = random_vit_s16(16)
        linear = random_linear(4 * 384, 17)
        # DINO's released backbone has no head; the full training checkpoint would add 'teacher'/'student'.
        torch.save(vit_to_dino_keys(net), f'{d}/dino_deitsmall16_pretrain.pth')
        torch.save({'state_dict': {'module.linear.weight': linear.weight.data, 'module.linear.bias': linear.bias.data}},
                   f'{d}/dino_deitsmall16_linearweights.pth')
        return [f'{d}/dino_deitsmall16_pretrain.pth', '--layout', 'dino-vits', '--linear', f'{d}/dino_deitsmall16_linearweights.pth',
                '--cls-attention'], vit_reference(net, x, linear, 4)

    def timm_vit_small(d: str, x: torch.Tensor):
        net = random_vit_s16(26)
        sd = {**vit_to_dino_keys(net), 'head.weight': net.heads.head.weight.data, 'head.bias': net.heads.head.bias.data}
        torch.save(sd, f'{d}/vit_small_patch16_224.pth')
        ref = vit_reference(net, x, net.heads.head, 1)
        with torch.no_grad():
            ref['logits_torchvision_forward'] = net(x)
        del ref['cls_attention']
        return [f'{d}/vit_small_patch16_224.pth', '--layout', 'auto'], ref

    return {'mmselfsup': mmselfsup, 'dino-resnet50': dino_resnet50, 'lincls': lincls, 'lincls-moco': lincls_moco,
            'torchvision': torchvision_resnet50, 'timm-resnet50': timm_resnet50, 'dino-vits': dino_vits,
            'timm-vit-small': timm_vit_small}


def write_f32(path: str, t: torch.Tensor) -> None:
    np.ascontiguousarray(t.detach().numpy(), dtype='<f4').tofile(path)


def run_case(name: str, case: Case, root: str, x: torch.Tensor, keep_checkpoints: bool) -> None:
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    start = time.time()
    args, reference = case(d, x)
    argv = args + ['--out', f'{d}/model.onnx', '--name', f'synthetic {name}']
    if export_onnx.main(argv) != 0:
        raise SystemExit(f'{name}: export failed')
    write_f32(f'{d}/input.f32', x)
    outputs = {}
    for key, value in reference.items():
        write_f32(f'{d}/{key}.f32', value)
        outputs[key] = {'file': f'{key}.f32', 'shape': list(value.shape)}
    with open(f'{d}/reference.json', 'w') as f:
        json.dump({'case': name, 'argv': argv, 'input': {'file': 'input.f32', 'shape': list(x.shape)}, 'outputs': outputs}, f, indent=1)
    if not keep_checkpoints:
        for file in os.listdir(d):
            if file.endswith(('.pth', '.pth.tar')):
                os.remove(os.path.join(d, file))
    print(f'{name}: {time.time() - start:.1f} s', file=sys.stderr)


def main() -> int:
    all_cases = cases()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True)
    p.add_argument('--cases', default=','.join(all_cases), help=f'comma-separated, from {", ".join(all_cases)}')
    p.add_argument('--keep-checkpoints', action='store_true')
    args = p.parse_args()
    x = torch.randn(2, 3, 224, 224, generator=seeded(2024))
    for name in args.cases.split(','):
        if name not in all_cases:
            raise SystemExit(f'unknown case {name}')
        run_case(name, all_cases[name], args.out, x, args.keep_checkpoints)
    return 0


if __name__ == '__main__':
    sys.exit(main())
