"""Small torch helpers shared by the signature and banknote training: seeding, embedding a
batch in eval mode, and the label range that marks forgeries and counterfeits."""

from __future__ import annotations

import random

import numpy as np
import torch

FORGERY_LABEL_BASE = 1_000_000  # forgeries get unique labels from here: negatives only


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def embed_torch(model: torch.nn.Module, inputs: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Embed (N, 1, H, W) inputs in eval mode; returns (N, D) float32."""
    model.eval()
    device = next(model.parameters()).device
    out = [model(torch.from_numpy(inputs[i : i + batch_size]).to(device)).cpu().numpy()
           for i in range(0, len(inputs), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)
