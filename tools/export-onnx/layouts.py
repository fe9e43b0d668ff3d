"""Checkpoint layouts: where each family keeps its backbone and linear weights, and how it evaluates.

Key names follow the code that writes the checkpoints:
  mmselfsup     mmcls/mmpretrain ImageClassifier: {'state_dict': {'backbone.<resnet>', 'head.fc.*'}}
                (mmselfsup 0.x ClsHead: 'head.fc_cls.*'); ResNet parameter names equal torchvision's.
  dino-resnet50 backbone: torchvision resnet50 keys without fc (or a full DINO checkpoint: 'teacher'/'student'
                with 'module.backbone.' prefixes); linear (eval_linear.py LinearClassifier under DDP):
                {'state_dict': {'module.linear.weight', 'module.linear.bias'}}.
  dino-vits     backbone: DINO vision_transformer keys (cls_token, pos_embed, patch_embed.proj, blocks.N.*,
                norm); linear: as above, reading the CLS tokens of the last 4 blocks (4 × 384 = 1536).
  lincls        MoCo / SimSiam main_lincls.py: {'state_dict': {'module.<resnet>', 'module.fc.*'}}; pretraining
                checkpoints ('module.encoder_q.' MoCo, 'module.encoder.' SimSiam) with the classifier in --linear.
  torchvision   resnet50 state dict.
  timm          resnet50 (torchvision names) or vit_small_patch16_224 (DINO names + 'head.*').
"""
import pickle
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from networks import ResNetClassifier, ViTClassifier, VisionTransformer, linear_from, resnet50_backbone

LAYOUTS = ('mmselfsup', 'dino-resnet50', 'dino-vits', 'lincls', 'torchvision', 'timm')

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

StateDict = Dict[str, torch.Tensor]


class LayoutError(Exception):
    pass


@dataclass
class Preprocessing:
    mean: List[float]
    std: List[float]
    resize_to: int
    interpolation: str
    #: where these settings come from
    source: str


@dataclass
class Output:
    name: str
    #: 'logits' | 'features' | 'other': the roles the app's card editor knows (src/core/card-proposal.ts)
    role: str
    shape: List[object]
    description: str


@dataclass
class Built:
    network: nn.Module
    backbone: str
    outputs: List[Output]
    preprocessing: Preprocessing
    default_method: Optional[str]
    num_classes: int
    extra: Dict[str, object] = field(default_factory=dict)


@dataclass
class Options:
    linear: Optional[str] = None
    checkpoint_key: Optional[str] = None
    cls_attention: bool = False
    n_last_blocks: Optional[int] = None
    avgpool_patchtokens: bool = False


# Full unpickling runs whatever code a checkpoint names: only with --trust-checkpoint (export_onnx.py sets this).
TRUST_CHECKPOINTS = False


def trust_checkpoints(trust: bool) -> None:
    global TRUST_CHECKPOINTS
    TRUST_CHECKPOINTS = trust


class _TensorsOnlyUnpickler(pickle.Unpickler):
    """PyTorch's weights_only allowlist (tensors, storages, OrderedDict, torch.Size, dtypes) on the standard opcode
    set. PyTorch 1.13's own weights_only unpickler also rejects some plain opcodes (floats: 'Unsupported operand 71'
    for a checkpoint's {'best_acc': 75.3}), fixed in PyTorch 2; this one does not, and still resolves no other global,
    so nothing but those constructors can be called while loading."""

    def find_class(self, module: str, name: str) -> object:
        from torch import _weights_only_unpickler
        allowed = _weights_only_unpickler._get_allowed_globals()
        if f'{module}.{name}' in allowed:
            return allowed[f'{module}.{name}']
        raise pickle.UnpicklingError(f'Unsupported class {module}.{name}')


class _TensorsOnlyPickle:
    """A pickle_module for torch.load."""
    Unpickler = _TensorsOnlyUnpickler

    @staticmethod
    def load(file, **kwargs):  # type: ignore[no-untyped-def]
        return _TensorsOnlyUnpickler(file, **kwargs).load()


def _refused(path: str, e: Exception) -> LayoutError:
    detail = str(e).split('WeightsUnpickler error:')[-1].strip() or str(e)
    return LayoutError(
        f'{path}: this checkpoint holds more than tensors ({detail}). Loading it in full would run code stored '
        f'in the file, so it was not loaded. If you trust where it comes from, pass --trust-checkpoint '
        f'(or re-save only its state dict: torch.save(torch.load(path)["state_dict"], "weights.pth")).'
    )


def load_checkpoint(path: str) -> object:
    """torch.load with weights_only=True (tensors, dicts, lists, numbers and strings only: no code runs), unless
    --trust-checkpoint allows full unpickling. A checkpoint that needs more fails with a message saying so."""
    if TRUST_CHECKPOINTS:
        return torch.load(path, map_location='cpu', weights_only=False)
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        if 'Unsupported operand' not in str(e):
            raise _refused(path, e) from None
    # PyTorch 1.13 only: its weights_only unpickler lacks an opcode a plain checkpoint uses (see _TensorsOnlyUnpickler).
    # torch.load itself cannot take our pickle_module there (1.13 replaces any pickle_module by pickle unless
    # weights_only), so this is torch.load's own body with it.
    from torch import serialization
    try:
        with serialization._open_file_like(path, 'rb') as f:
            if serialization._is_zipfile(f):
                with serialization._open_zipfile_reader(f) as z:
                    return serialization._load(z, 'cpu', _TensorsOnlyPickle, encoding='utf-8')
            return serialization._legacy_load(f, 'cpu', _TensorsOnlyPickle, encoding='utf-8')
    except pickle.UnpicklingError as e:
        raise _refused(path, e) from None


def read_checkpoint(path: str, checkpoint_key: Optional[str] = None) -> StateDict:
    """The tensor dict inside a checkpoint file, however it is wrapped."""
    obj = load_checkpoint(path)
    keys = [checkpoint_key] if checkpoint_key else ['state_dict', 'model', 'teacher']
    for key in keys:
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    else:
        if checkpoint_key:
            raise LayoutError(f'{path}: no "{checkpoint_key}" entry (top-level keys: {sorted(obj)[:10]})')
    if not isinstance(obj, dict) or not any(isinstance(v, torch.Tensor) for v in obj.values()):
        raise LayoutError(f'{path}: no state dict found (expected tensors, or a "state_dict"/"model"/"teacher" entry)')
    return {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def strip(sd: StateDict, prefix: str) -> StateDict:
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


def drop(sd: StateDict, *prefixes: str) -> StateDict:
    return {k: v for k, v in sd.items() if not k.startswith(prefixes)}


def strip_wrappers(sd: StateDict) -> StateDict:
    """Removes DDP's 'module.' prefix where every key has it, and keeps only the backbone of DINO's
    MultiCropWrapper ('backbone.*' beside the projection 'head.*')."""
    if sd and all(k.startswith('module.') for k in sd):
        sd = strip(sd, 'module.')
    if any(k.startswith('backbone.') for k in sd) and all(k.startswith(('backbone.', 'head.')) for k in sd):
        sd = strip(sd, 'backbone.')
    return sd


def load_strict(module: nn.Module, sd: StateDict, what: str) -> None:
    expected = module.state_dict()
    missing = [k for k in expected if k not in sd and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in sd if k not in expected]
    if missing or unexpected:
        raise LayoutError(f'{what}: keys do not match — missing {missing[:5]}{"…" if len(missing) > 5 else ""}, '
                          f'unexpected {unexpected[:5]}{"…" if len(unexpected) > 5 else ""}')
    for k, v in sd.items():
        if v.shape != expected[k].shape:
            raise LayoutError(f'{what}: {k} has shape {list(v.shape)}, expected {list(expected[k].shape)}')
    module.load_state_dict(sd, strict=False)


def take_linear(sd: StateDict, names: Tuple[str, ...], what: str) -> nn.Linear:
    for name in names:
        if f'{name}.weight' in sd and sd[f'{name}.weight'].dim() == 2:
            return linear_from(sd[f'{name}.weight'].float(), sd.get(f'{name}.bias'))
    raise LayoutError(f'{what}: no linear classifier ({" / ".join(n + ".weight" for n in names)}) among keys {sorted(sd)[:8]}…')


def read_linear(path: Optional[str], names: Tuple[str, ...], layout: str) -> nn.Linear:
    if not path:
        raise LayoutError(f'layout {layout} keeps the linear classifier in a separate file: pass --linear LINEAR.pth')
    return take_linear(strip_wrappers(read_checkpoint(path)), names, path)


def resnet(backbone_sd: StateDict, linear: nn.Linear, what: str) -> Tuple[ResNetClassifier, int]:
    backbone = resnet50_backbone()
    load_strict(backbone, backbone_sd, what)
    if linear.in_features != 2048:
        raise LayoutError(f'{what}: the linear classifier takes {linear.in_features} features; ResNet-50 gives 2048')
    return ResNetClassifier(backbone, linear).eval(), linear.out_features


def resnet_outputs(classes: int) -> List[Output]:
    return [Output('logits', 'logits', ['N', classes], 'class logits in label order'),
            Output('features', 'features', ['N', 2048, 7, 7], 'layer4 output (after ReLU), the input of the global average pool')]


def vit(backbone_sd: StateDict, linear: nn.Linear, opts: Options, default_n: Optional[int], what: str) -> Tuple[ViTClassifier, Dict[str, object]]:
    if 'cls_token' not in backbone_sd or 'patch_embed.proj.weight' not in backbone_sd:
        raise LayoutError(f'{what}: not a ViT state dict (no cls_token / patch_embed.proj.weight)')
    dim = backbone_sd['cls_token'].shape[-1]
    depth = len({k.split('.')[1] for k in backbone_sd if k.startswith('blocks.')})
    patch = backbone_sd['patch_embed.proj.weight'].shape[-1]
    tokens = backbone_sd['pos_embed'].shape[1]
    if tokens != (224 // patch) ** 2 + 1:
        raise LayoutError(f'{what}: pos_embed has {tokens} tokens; only 224×224 inputs ({(224 // patch) ** 2 + 1} tokens) are supported')
    model = VisionTransformer(dim=dim, depth=depth, num_heads=dim // 64, patch_size=patch)
    load_strict(model, backbone_sd, what)
    per_block = dim
    n = opts.n_last_blocks or default_n or (1 if opts.avgpool_patchtokens else linear.in_features // per_block)
    if linear.in_features != dim * (n + int(opts.avgpool_patchtokens)):
        raise LayoutError(f'{what}: the linear classifier takes {linear.in_features} features, but {n} CLS token(s) of {dim}'
                          f'{" + pooled patch tokens" if opts.avgpool_patchtokens else ""} give {dim * (n + int(opts.avgpool_patchtokens))}')
    net = ViTClassifier(model, linear, n, opts.avgpool_patchtokens, opts.cls_attention).eval()
    extra = {'linearProbe': {'nLastBlocks': n, 'avgpoolPatchtokens': opts.avgpool_patchtokens, 'inFeatures': linear.in_features}}
    return net, extra


def vit_outputs(net: ViTClassifier) -> List[Output]:
    vit_ = net.vit
    tokens = vit_.pos_embed.shape[1]
    heads = vit_.blocks[0].attn.num_heads
    out = [Output('logits', 'logits', ['N', net.linear.out_features], 'class logits in label order'),
           Output('features', 'features', ['N', tokens, vit_.embed_dim],
                  "tokens of the last block after the final LayerNorm: [CLS], then the patches row by row")]
    if net.cls_attention:
        out.append(Output('cls_attention', 'other', ['N', heads, tokens - 1],
                          "the last block's softmax attention from [CLS] to each patch (row by row), per head"))
    return out


def vit_backbone_name(net: ViTClassifier) -> str:
    names = {192: 'vit_tiny', 384: 'vit_small', 768: 'vit_base'}
    patch = net.vit.patch_embed.proj.kernel_size[0]
    return f'{names.get(net.vit.embed_dim, f"vit_{net.vit.embed_dim}")}_patch{patch}'


def resnet_prefixed(sd: StateDict) -> Tuple[StateDict, Optional[nn.Linear]]:
    """torchvision-named ResNet keys → (backbone keys, the fc when it is a single linear layer)."""
    fc = take_linear(sd, ('fc',), 'fc') if 'fc.weight' in sd and sd['fc.weight'].dim() == 2 else None
    return drop(sd, 'fc.'), fc


def build(layout: str, checkpoint: str, opts: Options) -> Built:
    imagenet_bilinear = Preprocessing(IMAGENET_MEAN, IMAGENET_STD, 256, 'bilinear', 'Resize(256) + CenterCrop(224), bilinear')
    dino_pre = Preprocessing(IMAGENET_MEAN, IMAGENET_STD, 256, 'bicubic', 'DINO eval_linear.py: Resize(256, interpolation=3) + CenterCrop(224)')
    if opts.cls_attention and layout not in ('dino-vits', 'timm'):
        raise LayoutError('--cls-attention needs a ViT')

    if layout == 'mmselfsup':
        sd = read_checkpoint(checkpoint, opts.checkpoint_key)
        other = [k for k in sd if not k.startswith(('backbone.', 'head.', 'neck.', 'data_preprocessor.'))]
        if other:
            raise LayoutError(f'{checkpoint}: not an mmselfsup/mmpretrain classifier state dict (keys {other[:5]})')
        linear = take_linear(strip(sd, 'head.'), ('fc', 'fc_cls'), checkpoint)
        net, classes = resnet(strip(sd, 'backbone.'), linear, checkpoint)
        pre = Preprocessing(IMAGENET_MEAN, IMAGENET_STD, 256, 'bilinear',
                            "mmselfsup linear-eval test pipeline: ResizeEdge(256, edge='short', backend='pillow') + CenterCrop(224)")
        return Built(net, 'resnet50', resnet_outputs(classes), pre, None, classes)

    if layout == 'dino-resnet50':
        sd = drop(strip_wrappers(read_checkpoint(checkpoint, opts.checkpoint_key)), 'head.')
        backbone_sd, _ = resnet_prefixed(sd)
        net, classes = resnet(backbone_sd, read_linear(opts.linear, ('linear',), layout), checkpoint)
        return Built(net, 'resnet50', resnet_outputs(classes), dino_pre, 'dino', classes)

    if layout == 'dino-vits':
        sd = drop(strip_wrappers(read_checkpoint(checkpoint, opts.checkpoint_key)), 'head.')
        linear = read_linear(opts.linear, ('linear',), layout)
        net, extra = vit(sd, linear, opts, None, checkpoint)
        return Built(net, vit_backbone_name(net), vit_outputs(net), dino_pre, 'dino', linear.out_features, extra)

    if layout == 'lincls':
        sd = read_checkpoint(checkpoint, opts.checkpoint_key)
        for prefix in ('module.encoder_q.', 'module.encoder.', 'module.'):
            if any(k.startswith(prefix) for k in sd):
                sd = strip(sd, prefix)
                break
        # Pretraining checkpoints carry an MLP projector as fc.0, fc.2, …: dropped with the rest of fc.*.
        backbone_sd, fc = resnet_prefixed(sd)
        if opts.linear:
            fc = read_linear(opts.linear, ('fc', 'linear'), layout)
        if fc is None:
            raise LayoutError(f'{checkpoint}: no single-layer fc classifier (a pretraining checkpoint?): pass the lincls checkpoint with --linear')
        net, classes = resnet(backbone_sd, fc, checkpoint)
        pre = Preprocessing(IMAGENET_MEAN, IMAGENET_STD, 256, 'bilinear', 'MoCo/SimSiam main_lincls.py: Resize(256) + CenterCrop(224)')
        return Built(net, 'resnet50', resnet_outputs(classes), pre, None, classes)

    if layout == 'torchvision':
        backbone_sd, fc = resnet_prefixed(strip_wrappers(read_checkpoint(checkpoint, opts.checkpoint_key)))
        if fc is None:
            raise LayoutError(f'{checkpoint}: no fc.weight; a backbone without its classifier is the dino-resnet50 layout')
        net, classes = resnet(backbone_sd, fc, checkpoint)
        pre = Preprocessing(IMAGENET_MEAN, IMAGENET_STD, 256, 'bilinear',
                            'torchvision IMAGENET1K_V1 transforms: Resize(256) + CenterCrop(224), bilinear (IMAGENET1K_V2 weights use resize 232)')
        return Built(net, 'resnet50', resnet_outputs(classes), pre, 'supervised', classes)

    if layout == 'timm':
        sd = strip_wrappers(read_checkpoint(checkpoint, opts.checkpoint_key))
        if 'cls_token' in sd:
            head = take_linear(sd, ('head',), checkpoint)
            vit_sd = drop(sd, 'head.', 'fc_norm.', 'norm_pre.')
            net, extra = vit(vit_sd, head, Options(cls_attention=opts.cls_attention), 1, checkpoint)
            # timm vit_small_patch16_224.augreg_in21k_ft_in1k: crop_pct 0.9 → resize floor(224 / 0.9) = 248.
            pre = Preprocessing([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], 248, 'bicubic',
                                'timm vit_small_patch16_224 (augreg_in21k_ft_in1k) pretrained_cfg: mean/std 0.5, crop_pct 0.9, bicubic')
            return Built(net, vit_backbone_name(net), vit_outputs(net), pre, 'supervised', head.out_features, extra)
        backbone_sd, fc = resnet_prefixed(sd)
        if fc is None:
            raise LayoutError(f'{checkpoint}: no fc.weight in a timm ResNet state dict')
        net, classes = resnet(backbone_sd, fc, checkpoint)
        # timm resnet50.a1_in1k: crop_pct 0.95 → resize floor(224 / 0.95) = 235.
        pre = Preprocessing(IMAGENET_MEAN, IMAGENET_STD, 235, 'bicubic', 'timm resnet50 (a1_in1k) pretrained_cfg: crop_pct 0.95, bicubic')
        return Built(net, 'resnet50', resnet_outputs(classes), pre, 'supervised', classes)

    raise LayoutError(f'unknown layout {layout!r} (one of {", ".join(LAYOUTS)}, auto)')


def guess_layout(checkpoint: str) -> Tuple[str, str]:
    """(layout, why) from the state dict's keys. timm ResNets have torchvision's keys and are reported as
    'torchvision' (the weights are the same; only the evaluation preprocessing differs)."""
    sd = read_checkpoint(checkpoint)
    keys = list(sd)
    if any(k.startswith('backbone.') for k in keys) and any(k.startswith(('head.fc.', 'head.fc_cls.')) for k in keys):
        return 'mmselfsup', "'backbone.*' with 'head.fc*' keys (mmcls/mmpretrain ImageClassifier)"
    if any(k.startswith(('module.encoder_q.', 'module.encoder.')) for k in keys) or 'module.conv1.weight' in keys:
        return 'lincls', "'module.' (DDP) ResNet keys as MoCo/SimSiam main_lincls.py writes them"
    sd = strip_wrappers(sd)
    if 'cls_token' in sd:
        if 'head.weight' in sd and sd['head.weight'].dim() == 2:
            return 'timm', 'ViT keys with a classifier head.weight (timm vit_*)'
        return 'dino-vits', 'ViT keys without a classifier (DINO backbone; the linear comes from --linear)'
    if 'conv1.weight' in sd and 'layer4.0.conv1.weight' in sd:
        if 'fc.weight' in sd:
            return 'torchvision', 'torchvision ResNet keys with fc (timm resnet50 has the same keys: use --layout timm for its preprocessing)'
        return 'dino-resnet50', 'torchvision ResNet keys without fc (DINO backbone; the linear comes from --linear)'
    raise LayoutError(f'{checkpoint}: cannot tell the layout from keys {keys[:6]}…; pass --layout')
