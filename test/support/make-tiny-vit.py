#!/usr/bin/env python3
"""A tiny synthetic DINO ViT (dim 128, 2 heads, 2 blocks, patch 32 → a 7×7 grid), exported by tools/export-onnx
with --cls-attention, and PyTorch's own [CLS] attention for a fixed input.

    python3 test/support/make-tiny-vit.py OUT_DIR

writes OUT_DIR/{model.onnx, model.card.json, input.f32 (1×3×224×224), cls_attention_mean.f32 (7×7, the mean over
heads of the last block's attention from [CLS] to each patch), reference.json}. The reference comes from
torchvision's VisionTransformer (nn.MultiheadAttention), independent of the exporter's network; its weights are
renamed to DINO's keys for the exporter (as make_synthetic.py does for ViT-S/16).
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'export-onnx'))

import torch  # noqa: E402
import torchvision  # noqa: E402

import export_onnx  # noqa: E402
from make_synthetic import random_linear, random_vit, seeded, vit_reference, vit_to_dino_keys, write_f32  # noqa: E402


def tiny_vit(seed: int) -> torchvision.models.VisionTransformer:
    # The exporter derives heads = dim // 64 and an MLP of 4 × dim; attention far from uniform, so a wrong head,
    # token or grid order shows.
    return random_vit(seed, patch_size=32, num_layers=2, num_heads=2, hidden_dim=128, mlp_dim=512, attention_scale=0.15)


def main() -> int:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    net = tiny_vit(7)
    linear = random_linear(128, 8)  # DINO's probe over the last block's CLS token (n_last_blocks = 1)
    torch.save(vit_to_dino_keys(net), f'{out}/tiny_vit_pretrain.pth')
    torch.save({'state_dict': {'module.linear.weight': linear.weight.data, 'module.linear.bias': linear.bias.data}},
               f'{out}/tiny_vit_linearweights.pth')
    argv = [f'{out}/tiny_vit_pretrain.pth', '--layout', 'dino-vits', '--linear', f'{out}/tiny_vit_linearweights.pth',
            '--cls-attention', '--out', f'{out}/model.onnx', '--name', 'tiny dino vit']
    if export_onnx.main(argv) != 0:
        raise SystemExit('export failed')
    x = torch.randn(1, 3, 224, 224, generator=seeded(99))
    ref = vit_reference(net, x, linear, 1)
    mean = ref['cls_attention'].mean(dim=1).reshape(1, 7, 7)  # [N, heads, 49] → mean over heads → 7×7
    write_f32(f'{out}/input.f32', x)
    write_f32(f'{out}/cls_attention_mean.f32', mean)
    write_f32(f'{out}/logits.f32', ref['logits'])
    with open(f'{out}/reference.json', 'w') as f:
        json.dump({'input': [1, 3, 224, 224], 'cls_attention_mean': [1, 7, 7], 'logits': list(ref['logits'].shape)}, f)
    for file in os.listdir(out):
        if file.endswith('.pth'):
            os.remove(os.path.join(out, file))
    return 0


if __name__ == '__main__':
    sys.exit(main())
