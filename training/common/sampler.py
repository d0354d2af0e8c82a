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


class _SeededEpochs:
    """Batches drawn from ``(seed, epoch)``: any epoch can be drawn again (resumable)."""

    def __init__(self, batches_per_epoch: int, seed: int) -> None:
        self.batches_per_epoch = batches_per_epoch
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make the batches of ``epoch`` reproducible (and resumable) from the seed."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.batches_per_epoch

    def _draw(self, writer: Hashable, rng: np.random.Generator) -> list[int]:
        """``m`` genuine samples of ``writer`` (again when it has fewer) and up to ``f`` of
        its forgeries; the subclass sets ``genuine``, ``forged``, ``m`` and ``f``."""
        g = self.genuine[writer]
        out = list(rng.choice(g, size=self.m, replace=len(g) < self.m))
        fg = self.forged[writer]
        if fg and self.f:
            out += list(rng.choice(fg, size=min(self.f, len(fg)), replace=False))
        return [int(i) for i in out]


class WriterBatchSampler(_SeededEpochs):
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
        super().__init__(batches_per_epoch, seed)

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        for _ in range(self.batches_per_epoch):
            yield [i for w in rng.choice(self.writers, size=self.p, replace=False)
                   for i in self._draw(w, rng)]


class DataSetBalancedSampler(_SeededEpochs):
    """Yields batches with the same make-up from every data set: ``writers_per_set`` writers
    of each set, each with ``genuine_per_writer`` genuine samples (drawn with replacement
    when a writer has fewer: augmentation makes the copies differ) and up to
    ``forged_per_writer`` skilled forgeries. In a set whose writers share texts (``group_of``,
    e.g. ten names written by every volunteer) writers come ``group_size`` to a text, so
    that the batch holds same-text negatives from other hands.

    A large set cannot crowd out a small one, which is what made pooled batch-hard training
    drift towards one set's look.
    """

    def __init__(
        self, data: LabelledSamples, dataset_of: dict, group_of: dict, writers_per_set: int = 6,
        genuine_per_writer: int = 4, forged_per_writer: int = 2, group_size: int = 3,
        batches_per_epoch: int = 40, seed: int = 0,
    ) -> None:
        self.genuine = {w: data.indices(w, True) for w in data.writers}
        self.forged = {w: data.indices(w, False) for w in data.writers}
        self.sets: dict[Hashable, list] = {}
        for w in data.writers:
            if self.genuine[w]:
                self.sets.setdefault(dataset_of[w], []).append(w)
        if not self.sets:
            raise ValueError("no writer has a genuine signature")
        self.groups: dict[Hashable, dict[Hashable, list]] = {}
        for name, writers in self.sets.items():
            by_group: dict[Hashable, list] = {}
            for w in writers:
                if group_of.get(w):
                    by_group.setdefault(group_of[w], []).append(w)
            if by_group:
                self.groups[name] = by_group
        self.p, self.m, self.f, self.g = writers_per_set, genuine_per_writer, \
            forged_per_writer, max(group_size, 1)
        super().__init__(batches_per_epoch, seed)

    def _writers(self, name: Hashable, rng: np.random.Generator) -> list:
        writers = self.sets[name]
        p = min(self.p, len(writers))
        groups = self.groups.get(name)
        if not groups:
            return list(rng.choice(writers, size=p, replace=False))
        chosen: list = []
        keys = list(groups)
        for gi in rng.permutation(len(keys)):
            members = groups[keys[gi]]
            take = min(self.g, len(members), p - len(chosen))
            chosen += list(rng.choice(members, size=take, replace=False))
            if len(chosen) >= p:
                break
        return chosen

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        for _ in range(self.batches_per_epoch):
            yield [i for name in sorted(self.sets, key=str) for w in self._writers(name, rng)
                   for i in self._draw(w, rng)]
