"""Metric-learning losses for the embedder, built from pytorch-metric-learning.

All losses take a batch of L2-normalised embeddings and integer labels. **Label convention:**
two samples with the *same* label form a "same" (positive, y = 1) pair, different labels a
"different" (negative, y = 0) pair. Skilled forgeries get a label of their own each, so they
only ever serve as negatives for the writer they imitate. **Distance:** Euclidean between
unit vectors, in [0, 2].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from pytorch_metric_learning import distances, losses, miners

LOSSES = ("contrastive", "triplet")


@dataclass
class MetricLoss:
    """A loss with an optional online miner; call it like a function."""

    loss: torch.nn.Module
    miner: torch.nn.Module | None = None

    def __call__(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        pairs = self.miner(embeddings, labels) if self.miner is not None else None
        return self.loss(embeddings, labels, pairs)


def build_loss(name: str, margin: float | None = None) -> MetricLoss:
    """Make a loss by name.

    * ``contrastive`` (Hadsell et al. 2006): over every pair in the batch,
      ``y * d^2``-style pull for same pairs to distance 0 and a hinge push of different pairs
      beyond ``margin`` (default 0.8); pml's form ``[d - 0]_+`` and ``[margin - d]_+``.
    * ``triplet``: ``[d(a, p) - d(a, n) + margin]_+`` (default margin 0.2) on batch-hard
      triplets: for each anchor the farthest positive and the nearest negative in the batch
      (Hermans et al. 2017), mined online.
    """
    dist = distances.LpDistance(normalize_embeddings=True, p=2)
    if name == "contrastive":
        return MetricLoss(
            losses.ContrastiveLoss(pos_margin=0.0, neg_margin=0.8 if margin is None else margin,
                                   distance=dist)
        )
    if name == "triplet":
        return MetricLoss(
            losses.TripletMarginLoss(margin=0.2 if margin is None else margin, distance=dist),
            miners.BatchHardMiner(distance=dist),
        )
    raise ValueError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}")
