"""Signature data sets: readers for CEDAR and a generic folder layout, writer-disjoint splits.

Every reader returns :class:`Sample` records; images are decoded (through the app's own
loader) only when a :class:`SignatureImages` set is built from them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.core.imaging.decode import load_gray

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}


@dataclass(frozen=True)
class Sample:
    """One signature image: whose signature it claims to be, and whether it is genuine."""

    path: Path
    writer: str
    genuine: bool


def read_cedar(root: str | Path) -> list[Sample]:
    """Read the CEDAR layout (``manifest.csv`` or ``full_org``/``full_forg`` file names)."""
    root = Path(root)
    manifest = root / "manifest.csv"
    samples: list[Sample] = []
    if manifest.is_file():
        with manifest.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                samples.append(
                    Sample(root / row["path"], str(row["writer"]), row["label"] == "genuine")
                )
        return samples
    pattern = re.compile(r"^(original|forgeries)_(\d+)_(\d+)\.png$", re.IGNORECASE)
    for sub in ("full_org", "full_forg"):
        for path in sorted((root / sub).glob("*.png")):
            m = pattern.match(path.name)
            if m:
                samples.append(Sample(path, m.group(2), m.group(1).lower() == "original"))
    if not samples:
        raise FileNotFoundError(f"{root}: no CEDAR images (full_org/, full_forg/) found")
    return samples


def read_folder(root: str | Path) -> list[Sample]:
    """Read the generic layout ``root/<writer>/{genuine,forged}/<image>``."""
    root = Path(root)
    samples = []
    for writer_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for kind, genuine in (("genuine", True), ("forged", False)):
            for path in sorted((writer_dir / kind).glob("*")):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    samples.append(Sample(path, writer_dir.name, genuine))
    if not samples:
        raise FileNotFoundError(f"{root}: no <writer>/genuine/ or <writer>/forged/ images found")
    return samples


def read_any(root: str | Path) -> list[Sample]:
    """CEDAR if the folder looks like it, else the generic layout."""
    root = Path(root)
    if (root / "full_org").is_dir() or (root / "manifest.csv").is_file():
        return read_cedar(root)
    return read_folder(root)


def split_writers(
    writers: Iterable[str], n_val: int, n_test: int, seed: int = 0
) -> tuple[list[str], list[str], list[str]]:
    """Shuffle writers with ``seed`` and return disjoint (train, validation, test) lists."""
    ws = sorted(set(writers), key=lambda w: (len(w), w))
    rng = np.random.default_rng(seed)
    order = [ws[i] for i in rng.permutation(len(ws))]
    if n_val + n_test >= len(order):
        raise ValueError(f"{len(order)} writers cannot give {n_val} validation + {n_test} test")
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return sorted(train), sorted(val), sorted(test)


class SignatureImages:
    """Decoded grayscale images of a list of samples, kept in memory (CEDAR: ~90 MB)."""

    def __init__(self, samples: Sequence[Sample]) -> None:
        self.samples = list(samples)
        self.images = [load_gray(s.path) for s in self.samples]
        self.writers = sorted({s.writer for s in self.samples}, key=lambda w: (len(w), w))
        self.writer_index = {w: i for i, w in enumerate(self.writers)}

    def __len__(self) -> int:
        return len(self.samples)

    def indices(self, writer: str, genuine: bool) -> list[int]:
        """Indices of one writer's genuine (or forged) samples."""
        return [
            i for i, s in enumerate(self.samples) if s.writer == writer and s.genuine == genuine
        ]

    def subset(self, writers: Iterable[str]) -> SignatureImages:
        """A view restricted to some writers (images are shared, not decoded again)."""
        keep = set(writers)
        out = SignatureImages.__new__(SignatureImages)
        idx = [i for i, s in enumerate(self.samples) if s.writer in keep]
        out.samples = [self.samples[i] for i in idx]
        out.images = [self.images[i] for i in idx]
        out.writers = sorted({s.writer for s in out.samples}, key=lambda w: (len(w), w))
        out.writer_index = {w: i for i, w in enumerate(out.writers)}
        return out
