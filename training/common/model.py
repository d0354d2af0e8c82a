"""The shared-weight embedder: a compact CNN mapping an ink map to an L2-normalised vector.

A Siamese network is this one module applied to both images of a pair (or all images of a
batch); weights are shared by construction because there is only one module. Other
backbones (Koch et al.'s net, a small ResNet) and the two-branch wrappers are in
:mod:`training.common.backbones`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class SignatureEmbedder(nn.Module):
    """Compact CNN (about 0.5 M parameters, ~0.13 GMAC at 128x192) with a spatial head.

    The head keeps a coarse 2x3 layout of the features rather than a global average, since
    where strokes lie relative to each other is much of what makes a signature.
    """

    def __init__(self, embedding_size: int = 128, width: int = 24, dropout: float = 0.2,
                 in_channels: int = 1) -> None:
        super().__init__()
        c1, c2, c3, c4 = width, 2 * width, 4 * width, 6 * width
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm2d(c1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            _block(c1, c2), _block(c2, c2), nn.MaxPool2d(2),
            _block(c2, c3), _block(c3, c3), nn.MaxPool2d(2),
            _block(c3, c4), _block(c4, c4),
            nn.AdaptiveAvgPool2d((2, 3)),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c4 * 6, embedding_size)
        )
        self.embedding_size = embedding_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, H, W) ink maps -> (N, D) unit-length embeddings."""
        return F.normalize(self.head(self.features(x)), dim=1)
