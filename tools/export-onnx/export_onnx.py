#!/usr/bin/env python3
"""PyTorch checkpoint → ONNX (opset 17, dynamic batch; outputs `logits` and `features`) + model card JSON.

    python3 tools/export-onnx/export_onnx.py CHECKPOINT --layout auto --method simclr --out model.onnx

writes model.onnx and model.card.json. Needs only torch and torchvision (see README.md).
"""
import argparse
import os
import sys
from typing import List, Optional

import torch

from layouts import LAYOUTS, LayoutError, Options, build, guess_layout, trust_checkpoints
from model_card import CardError, card_json, class_list, model_card

OPSET = 17
METHODS = ('simclr', 'simsiam', 'byol', 'barlowtwins', 'swav', 'dino', 'mocov2', 'supervised')


def card_path(onnx_path: str) -> str:
    root, ext = os.path.splitext(onnx_path)
    return (root if ext == '.onnx' else onnx_path) + '.card.json'


def triple(text: str) -> List[float]:
    values = [float(v) for v in text.replace(',', ' ').split()]
    if len(values) != 3:
        raise argparse.ArgumentTypeError('three numbers (R G B), on the 0–1 scale')
    return values


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('checkpoint', help='the PyTorch checkpoint (.pth / .pth.tar)')
    p.add_argument('--layout', default='auto', choices=LAYOUTS + ('auto',), help='checkpoint layout (default: guessed from its keys)')
    p.add_argument('--linear', help='separate linear-classifier checkpoint (DINO: {"state_dict": {"module.linear.*"}}; MoCo/SimSiam lincls)')
    p.add_argument('--method', choices=METHODS, help='training method (dino-* default dino; torchvision/timm default supervised)')
    p.add_argument('--name', help='model name in the card (default: the output file name)')
    p.add_argument('--reported-top1', type=float, help='clean ImageNet top-1 the authors report, in percent')
    p.add_argument('--reported-top1-source', help='where that number comes from (paper table, model zoo URL)')
    p.add_argument('--cls-attention', action='store_true', help="ViT: also output the last block's [CLS] attention")
    p.add_argument('--n-last-blocks', type=int, help='ViT linear probe: CLS tokens of this many last blocks (default: from the linear size)')
    p.add_argument('--avgpool-patchtokens', action='store_true', help='ViT linear probe: DINO avgpool_patchtokens (ViT-B)')
    p.add_argument('--checkpoint-key', help='entry of the checkpoint dict holding the weights (default: state_dict / model / teacher)')
    p.add_argument('--labels', help="the model's class order: imagenet_class_index.json or synset file (default: sorted ImageNet wnids)")
    p.add_argument('--resize-to', type=int, help="override the layout's clean resize (shorter side) before the 224 crop")
    p.add_argument('--interpolation', choices=('bilinear', 'bicubic'), help="override the layout's resize filter")
    p.add_argument('--mean', type=triple, help="override mean, e.g. '0.485 0.456 0.406'")
    p.add_argument('--std', type=triple, help="override std, e.g. '0.229 0.224 0.225'")
    p.add_argument('--trust-checkpoint', action='store_true',
                   help='unpickle the checkpoint(s) in full (torch.load weights_only=False): runs any code stored in them; '
                        'only for files from a source you trust. Default: tensors and plain containers only')
    p.add_argument('--out', required=True, help='output .onnx path; the card goes beside it as <name>.card.json')
    return p


def export(network: torch.nn.Module, output_names: List[str], path: str) -> None:
    """Traces the network in eval mode and writes the ONNX file.

    BatchNormalization is kept as a node (inference mode, running statistics as initializers) instead of being
    folded into the convolution before it: the app's test-time adaptation (src/core/tta) rewrites those nodes to
    use the statistics of the test batch, or trains their scale and shift. torch's exporter folds BN when it
    exports with TrainingMode.EVAL (the default for a model in eval mode) or with constant folding on; with
    TrainingMode.PRESERVE on a model in eval mode and no constant folding it writes every BN as it is
    (training_mode = 0), and the outputs are those of the eval-mode network."""
    network.eval()
    dummy = torch.zeros(2, 3, 224, 224)
    batch = {0: 'N'}
    with torch.no_grad():
        torch.onnx.export(
            network, dummy, path,
            input_names=['input'], output_names=output_names,
            dynamic_axes={'input': batch, **{name: batch for name in output_names}},
            opset_version=OPSET, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
        )


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    trust_checkpoints(args.trust_checkpoint)
    if args.trust_checkpoint:
        print('warning: --trust-checkpoint: the checkpoint is unpickled in full and may run code it contains', file=sys.stderr)
    try:
        layout = args.layout
        if layout == 'auto':
            layout, why = guess_layout(args.checkpoint)
            print(f'layout: {layout} ({why})', file=sys.stderr)
        if args.reported_top1 is not None and not args.reported_top1_source:
            raise CardError('--reported-top1 needs --reported-top1-source (the paper table or model-zoo page it comes from)')
        if args.reported_top1 is not None and not 0 <= args.reported_top1 <= 100:
            raise CardError('--reported-top1 is a percentage (0–100)')
        opts = Options(linear=args.linear, checkpoint_key=args.checkpoint_key, cls_attention=args.cls_attention,
                       n_last_blocks=args.n_last_blocks, avgpool_patchtokens=args.avgpool_patchtokens)
        built = build(layout, args.checkpoint, opts)
        method = args.method or built.default_method
        if not method:
            raise CardError(f'layout {layout} holds checkpoints of several methods: pass --method ({", ".join(METHODS)})')
        labels = class_list(args.labels, built.num_classes)
    except (LayoutError, CardError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    export(built.network, [o.name for o in built.outputs], args.out)
    sources = {'checkpoint': args.checkpoint, **({'linear': args.linear} if args.linear else {})}
    card = model_card(
        name=args.name or os.path.splitext(os.path.basename(args.out))[0], method=method, layout=layout, built=built,
        labels=labels, opset=OPSET, reported_top1=args.reported_top1, reported_top1_source=args.reported_top1_source,
        sources=sources,
        overrides={'resizeTo': args.resize_to, 'interpolation': args.interpolation, 'mean': args.mean, 'std': args.std},
    )
    with open(card_path(args.out), 'w', encoding='utf-8') as f:
        f.write(card_json(card))
    print(f'wrote {args.out} and {card_path(args.out)}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
