"""The model card written beside the .onnx: what the file itself does not say (the app's parseModelCard reads it)."""
import hashlib
import json
import os
from typing import Dict, List, Optional

import torch

from layouts import Built

EXPORTER_NAME = 'shiftlens-export-onnx'
EXPORTER_VERSION = '1.0.0'

#: The 1000 ILSVRC-2012 wnids in sorted order: the output order of every standard ImageNet classifier.
IMAGENET_WNIDS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'imagenet_wnids.txt')


class CardError(Exception):
    pass


def imagenet_wnids() -> List[str]:
    with open(IMAGENET_WNIDS_FILE) as f:
        return [line.strip() for line in f if line.strip()]


def read_labels(path: str) -> List[str]:
    """wnids in output order from imagenet_class_index.json ({"0": ["n01440764", "tench"], …}), a JSON list
    of wnids or [wnid, name] pairs, or a synset text file (`<wnid> <names>` per line)."""
    with open(path, encoding='utf-8-sig') as f:
        text = f.read().strip()
    if text.startswith('{'):
        data = json.loads(text)
        try:
            wnids = [data[str(i)][0] for i in range(len(data))]
        except (KeyError, IndexError, TypeError):
            raise CardError(f'{path}: expected {{"0": [wnid, name], "1": …}} with consecutive indices')
    elif text.startswith('['):
        wnids = [e[0] if isinstance(e, list) else e for e in json.loads(text)]
    else:
        wnids = [line.split()[0] for line in text.splitlines() if line.strip()]
    if not all(isinstance(w, str) and w for w in wnids):
        raise CardError(f'{path}: every class needs a wnid string')
    if len(set(wnids)) != len(wnids):
        raise CardError(f'{path}: the class list repeats wnids')
    return wnids


def class_list(labels_path: Optional[str], classes: int) -> List[str]:
    wnids = read_labels(labels_path) if labels_path else imagenet_wnids()
    if len(wnids) != classes:
        source = labels_path or 'the standard ImageNet class list'
        raise CardError(f'{source} has {len(wnids)} classes; the model outputs {classes} (pass --labels with the model\'s class order)')
    return wnids


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def model_card(*, name: str, method: str, layout: str, built: Built, labels: List[str], opset: int,
               reported_top1: Optional[float], reported_top1_source: Optional[str],
               sources: Dict[str, str], overrides: Dict[str, object]) -> Dict[str, object]:
    pre = built.preprocessing
    card: Dict[str, object] = {
        'name': name,
        'method': method,
        'backbone': built.backbone,
        'layout': layout,
        'inputName': 'input',
        'inputSize': 224,
        'resizeTo': pre.resize_to,
        'interpolation': pre.interpolation,
        'mean': pre.mean,
        'std': pre.std,
        'preprocessingSource': pre.source,
        'logitsOutput': 'logits',
        'featureOutput': 'features',
        'outputs': [{'name': o.name, 'role': o.role, 'shape': o.shape, 'description': o.description} for o in built.outputs],
        'labels': labels,
    }
    overridden = [key for key, value in overrides.items() if value is not None]
    for key in overridden:
        card[key] = overrides[key]
    if overridden:
        card['preprocessingSource'] = f'{pre.source}; overridden on the command line: {", ".join(overridden)}'
    if reported_top1 is not None:
        card['reportedTop1'] = reported_top1
        card['reportedTop1Source'] = reported_top1_source
    card.update(built.extra)
    card['source'] = {role: {'file': os.path.basename(path), 'sha256': sha256(path)} for role, path in sources.items()}
    card['opset'] = opset
    card['exporter'] = {'name': EXPORTER_NAME, 'version': EXPORTER_VERSION, 'torch': torch.__version__}
    return card


def card_json(card: Dict[str, object]) -> str:
    """Indented JSON with the 1000 labels on one line, so the card stays readable."""
    text = json.dumps({**card, 'labels': '@labels@'}, indent=1, ensure_ascii=False)
    return text.replace('"@labels@"', json.dumps(card['labels'])) + '\n'
