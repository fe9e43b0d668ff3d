"""The networks the exporter traces: each returns (logits, features[, cls_attention]).

ResNet-50 is torchvision's (mmcls/mmpretrain, timm, MoCo, SimSiam and DINO all use its parameter names).
The ViT is DINO's vision_transformer.py rebuilt in plain PyTorch with the same parameter names (timm's
vit_small_patch16_224 uses them too), so state dicts load into it unchanged.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class ResNetClassifier(nn.Module):
    """ResNet-50 backbone → global average pool → linear; also returns layer4's map [N, 2048, 7, 7]."""

    def __init__(self, backbone: torchvision.models.ResNet, linear: nn.Linear):
        super().__init__()
        self.backbone = backbone
        self.linear = linear

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        features = b.layer4(b.layer3(b.layer2(b.layer1(x))))
        # adaptive_avg_pool2d(·, 1) exports as GlobalAveragePool → Flatten → Gemm: the 'gap-linear' head the
        # app's Grad-CAM reads its weights from.
        pooled = torch.flatten(F.adaptive_avg_pool2d(features, 1), 1)
        return self.linear(pooled), features


def resnet50_backbone() -> torchvision.models.ResNet:
    net = torchvision.models.resnet50()
    net.fc = nn.Identity()
    return net


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int, tokens: int):
        super().__init__()
        self.num_heads = num_heads
        self.dim = dim
        # Python ints for every axis but the batch (x.shape[0]; a -1 loses the other axes too): the exporter's
        # shape inference then gives the outputs their real shapes ([N, 197, 384]) instead of symbolic ones.
        self.tokens = tokens
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        B = x.shape[0]
        qkv = self.qkv(x).reshape(B, self.tokens, 3, self.num_heads, self.dim // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, self.tokens, self.dim)
        return self.proj(x), attn


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim: int, num_heads: int, tokens: int, mlp_ratio: int = 4):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, tokens)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        y, attn = self.attn(self.norm1(x))
        x = x + y
        return x + self.mlp(self.norm2(x)), attn


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, dim: int, patches: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)
        self.dim = dim
        self.patches = patches

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.proj(x)
        return y.reshape(y.shape[0], self.dim, self.patches).transpose(1, 2)  # static axes: see Attention


class VisionTransformer(nn.Module):
    """DINO's ViT without the head; the position embedding is used as stored (no interpolation: 224 only)."""

    def __init__(self, dim: int = 384, depth: int = 12, num_heads: int = 6, patch_size: int = 16, image_size: int = 224):
        super().__init__()
        self.embed_dim = dim
        tokens = (image_size // patch_size) ** 2 + 1
        self.patch_embed = PatchEmbed(patch_size, dim, tokens - 1)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, dim))
        self.blocks = nn.ModuleList([Block(dim, num_heads, tokens) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def tokens(self, x: torch.Tensor, n_last: int) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """norm(tokens) after each of the last n_last blocks (DINO's get_intermediate_layers), and the last
        block's attention [N, heads, tokens, tokens]."""
        x = self.patch_embed(x)
        B = x.shape[0]
        # The reshape only restores the static axes that ONNX shape inference loses on Expand (see Attention).
        cls = self.cls_token.expand(B, 1, self.embed_dim).reshape(B, 1, self.embed_dim)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        outputs: List[torch.Tensor] = []
        attn = x
        for i, blk in enumerate(self.blocks):
            x, attn = blk(x)
            if len(self.blocks) - i <= n_last:
                outputs.append(self.norm(x))
        return outputs, attn


class ViTClassifier(nn.Module):
    """Linear head over the CLS tokens of the last n blocks, concatenated (DINO eval_linear; n = 1 is timm's
    head); optionally DINO's `avgpool_patchtokens` (n = 1 only). Features: the last block's normed tokens."""

    def __init__(self, vit: VisionTransformer, linear: nn.Linear, n_last_blocks: int, avgpool_patchtokens: bool, cls_attention: bool):
        super().__init__()
        if avgpool_patchtokens and n_last_blocks != 1:
            raise ValueError('avgpool_patchtokens needs n_last_blocks = 1 (DINO concatenates them element-wise)')
        self.vit = vit
        self.linear = linear
        self.n_last_blocks = n_last_blocks
        self.avgpool_patchtokens = avgpool_patchtokens
        self.cls_attention = cls_attention

    def forward(self, x: torch.Tensor):
        outputs, attn = self.vit.tokens(x, self.n_last_blocks)
        pooled = torch.cat([t[:, 0] for t in outputs], dim=-1)
        if self.avgpool_patchtokens:
            mean_patch = torch.mean(outputs[-1][:, 1:], dim=1)
            pooled = torch.cat((pooled.unsqueeze(-1), mean_patch.unsqueeze(-1)), dim=-1).reshape(pooled.shape[0], -1)
        logits = self.linear(pooled)
        if self.cls_attention:
            return logits, outputs[-1], attn[:, :, 0, 1:]
        return logits, outputs[-1]


def linear_from(weight: torch.Tensor, bias: Optional[torch.Tensor]) -> nn.Linear:
    linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        linear.weight.copy_(weight)
        if bias is not None:
            linear.bias.copy_(bias)
    return linear
