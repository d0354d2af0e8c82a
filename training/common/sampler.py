"""Batches built for verification: several writers (or classes), each with genuine and forged
(or counterfeit) samples. Used by the signature and the banknote training."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Protocol

import numpy as np


class LabelledSamples(Protocol):
    """What the sampler needs of a data set: its writers (classes) and, for each, the indices
    of its genuine or of its forged samples."""

    writers: Sequence[Hashable]

    def indices(self, writer: Hashable, genuine: bool) -> list[int]: ...


class WriterBatchSampler:
    """Yields index lists of ``writers_per_batch`` writers, each with ``genuine_per_writer``
    genuine samples and up to ``forged_per_writer`` of that writer's skilled forgeries, so
    that the miner always finds same-writer positives and hard negatives in one batch.

    The ratio of positive to negative pairs follows from these three numbers.
    """

    def __init__(
        self, data: LabelledSamples, writers_per_batch: int = 8, genuine_per_writer: int = 4,
        forged_per_writer: int = 2, batches_per_epoch: int = 40, seed: int = 0,
    ) -> None:
        self.genuine = {w: data.indices(w, True) for w in data.writers}
        self.forged = {w: data.indices(w, False) for w in data.writers}
        self.writers = [w for w in data.writers if len(self.genuine[w]) >= 2]
        if not self.writers:
            raise ValueError("no writer has two genuine signatures to form a positive pair")
        self.p = min(writers_per_batch, len(self.writers))
        self.m, self.f = genuine_per_writer, forged_per_writer
        self.batches_per_epoch = batches_per_epoch
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make the batches of ``epoch`` reproducible (and resumable) from the seed."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        for _ in range(self.batches_per_epoch):
            batch: list[int] = []
            for w in rng.choice(self.writers, size=self.p, replace=False):
                g = self.genuine[w]
                batch += list(rng.choice(g, size=self.m, replace=len(g) < self.m))
                fg = self.forged[w]
                if fg and self.f:
                    batch += list(rng.choice(fg, size=min(self.f, len(fg)), replace=False))
            yield [int(i) for i in batch]
