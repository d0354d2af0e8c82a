"""Embedding speed on this machine: onnxruntime (the app) vs torch eager (training), CPU.

Prints a table: images/s at batch 1 and 32 for both, and the onnxruntime/torch ratio on the
same batch. The torch model is the shipped model's architecture (from its manifest), with the
run's weights when --checkpoint is given; speed does not depend on the weight values.

    python benchmarks/embedding_speed.py [--model exported_models/signature] [--threads 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def _rate(fn, x: np.ndarray, min_seconds: float = 2.0) -> float:
    fn(x)  # warm-up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        fn(x)
        n += len(x)
    return n / (time.perf_counter() - start)


def main() -> None:
    """Run the benchmark and print the table."""
    import torch

    from desktop.core.paths import default_signature_model
    from desktop.core.runtime import Embedder
    from training.model import SignatureEmbedder

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", type=Path, default=default_signature_model())
    p.add_argument("--checkpoint", type=Path, default=None)
    p.add_argument("--threads", type=int, default=0, help="0: library defaults")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    emb = Embedder(args.model, provider="cpu", batch_size=256)
    cfg = emb.manifest.raw["training"]["config"]
    net = SignatureEmbedder(cfg["embedding_size"], cfg["width"]).eval()
    if args.checkpoint:
        net.load_state_dict(torch.load(args.checkpoint, map_location="cpu")["model"])
    shape = emb.manifest.preprocessing.input_shape

    def torch_embed(x: np.ndarray) -> None:
        with torch.inference_mode():
            net(torch.from_numpy(x))

    rng = np.random.default_rng(0)
    print(f"model {emb.manifest.model_id}, input {shape}, provider {emb.provider.label}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'batch':>5} | {'onnxruntime img/s':>17} | {'torch eager img/s':>17} | "
          f"{'ms/batch ort':>12} | {'ms/batch torch':>14} | {'ort / torch':>11}")
    for b in (1, 32):
        x = (rng.random((b, *shape)) < 0.1).astype(np.float32)
        ort_rate, torch_rate = _rate(emb.embed, x), _rate(torch_embed, x)
        print(f"{b:>5} | {ort_rate:>17.1f} | {torch_rate:>17.1f} | {1000 * b / ort_rate:>12.2f} "
              f"| {1000 * b / torch_rate:>14.2f} | {ort_rate / torch_rate:>10.2f}x")


if __name__ == "__main__":
    main()
