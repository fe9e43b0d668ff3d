"""PyTorch CPU throughput of a torchvision model with random weights, for `npm run bench`.

Prints one JSON object: {"model", "imagesPerSec", "batch", "threads", "torch"}.
Usage: python3 bench/pytorch_bench.py resnet50|mobilenet_v2 BATCH THREADS SECONDS [INPUT.f32]
INPUT.f32: raw little-endian float32 [BATCH, 3, 224, 224] (real decoded images); random when absent.
"""
import json
import sys
import time

import torch
import torchvision


def main() -> None:
    name, batch, threads, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    if len(sys.argv) > 5:
        with open(sys.argv[5], "rb") as f:
            x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(batch, 3, 224, 224)
    else:
        x = torch.randn(batch, 3, 224, 224)
    with torch.inference_mode():
        for _ in range(2):  # warm-up
            model(x)
        images = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            model(x)
            images += batch
        elapsed = time.perf_counter() - t0
    print(json.dumps({"model": f"torchvision {name} (random weights, fp32)", "imagesPerSec": images / elapsed,
                      "batch": batch, "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
