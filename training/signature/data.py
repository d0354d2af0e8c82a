"""Signature data sets: readers for CEDAR, BHSig260, the Chinese cross-media set and a generic
folder layout; writer-disjoint splits made data set by data set.

Every reader returns :class:`Sample` records; images are decoded (through the app's own
loader) only when a :class:`SignatureImages` set is built from them.

Vocabulary: a **writer** is what references are enrolled under (an account's signature: a
CEDAR writer, or one Chinese volunteer writing one of the ten names); a **person** is the human
behind it (splits never put one person on both sides); a **group** is the text written (the
Chinese set's name): another person's genuine signature of the same group is a skilled-like
negative, the closest that set has to a forgery.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from desktop.core.imaging.decode import load_gray

MIRRORED = "~mirrored"  # the name suffix of a writer made by SignatureImages.with_mirrored_writers
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}


@dataclass(frozen=True)
class Sample:
    """One signature image: whose signature it claims to be, and whether it is genuine."""

    path: Path
    writer: str
    genuine: bool
    dataset: str = ""
    person: str = ""  # "" = the writer
    group: str = ""  # "" = no shared text with other writers

    @property
    def who(self) -> str:
        """The person behind the signature (the unit of a split)."""
        return self.person or self.writer


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


CROSS_MEDIA_NAMES = 10  # every volunteer wrote the same ten names
PEN_MEDIA = (0, 1)  # crops 01-20: pen-like strokes; 21-40 are thin stylus strokes


def read_cross_media(root: str | Path, media: Sequence[int] = PEN_MEDIA) -> list[Sample]:
    """Read the Chinese cross-media layout ``root/<volunteer>/NN.png`` (NN = 01-40; name
    ``(NN-1) % 10``, medium ``(NN-1) // 10``). Writer = volunteer and name, person = the
    volunteer, group = the name; only ``media`` are kept (by default the two pen-like ones:
    the stylus media are another domain)."""
    root = Path(root)
    samples = []
    for vol in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(vol.glob("*.png")):
            if not path.stem.isdigit() or not 1 <= int(path.stem) <= 40:
                continue
            medium, name = divmod(int(path.stem) - 1, CROSS_MEDIA_NAMES)
            if medium in media:
                samples.append(Sample(path, f"{vol.name}:{name}", True, person=vol.name,
                                      group=str(name)))
    if not samples:
        raise FileNotFoundError(f"{root}: no <volunteer>/NN.png cross-media crops found")
    return samples


def _is_cross_media(root: Path) -> bool:
    first = next((p for p in sorted(root.iterdir()) if p.is_dir()), None)
    return first is not None and (first / "01.png").is_file() and not (first / "genuine").is_dir()


def read_any(root: str | Path) -> list[Sample]:
    """CEDAR, the cross-media layout or the generic layout, whichever the folder looks like;
    every sample's ``dataset`` is the folder's name."""
    root = Path(root)
    if (root / "full_org").is_dir() or (root / "manifest.csv").is_file():
        samples = read_cedar(root)
    elif _is_cross_media(root):
        samples = read_cross_media(root)
    else:
        samples = read_folder(root)
    return [replace(s, dataset=root.name) for s in samples]


def read_many(roots: str | Path | Sequence[str | Path]) -> list[Sample]:
    """Read one data set or several. With several, writer, person and group names are
    prefixed by the data set's folder name so that they are unique across sets."""
    if isinstance(roots, (str, Path)):
        return read_any(roots)
    names = [Path(r).name for r in roots]
    if len(set(names)) != len(names):
        raise ValueError(f"data sets need distinct folder names, got {names}")
    if len(roots) == 1:
        return read_any(roots[0])
    out = []
    for root in roots:
        for s in read_any(root):
            out.append(replace(s, writer=f"{s.dataset}/{s.writer}",
                               person=f"{s.dataset}/{s.who}",
                               group=f"{s.dataset}/{s.group}" if s.group else ""))
    return out


def split_count(value: float, n: int) -> int:
    """``value`` writers if it is at least 1, else that fraction of ``n`` (rounded)."""
    return int(value) if value >= 1 else int(round(value * n))


def split_per_dataset(
    samples: Sequence[Sample], n_val: float, n_test: float, seed: int = 0
) -> tuple[list[str], list[str], list[str]]:
    """Disjoint (train, validation, test) *writer* lists, drawn data set by data set over
    persons (``n_val``/``n_test``: counts, or fractions of each set's persons below 1), so
    that every set has held-out people and nobody is on two sides."""
    by_set: dict[str, set[str]] = {}
    writers_of: dict[str, set[str]] = {}
    for s in samples:
        by_set.setdefault(s.dataset, set()).add(s.who)
        writers_of.setdefault(s.who, set()).add(s.writer)
    parts: list[list[str]] = [[], [], []]
    for name in sorted(by_set):
        people = by_set[name]
        split = split_writers(people, split_count(n_val, len(people)),
                              split_count(n_test, len(people)), seed)
        for part, chosen in zip(parts, split, strict=True):
            part += [w for who in chosen for w in writers_of[who]]
    key = lambda w: (len(w), w)  # noqa: E731
    return sorted(parts[0], key=key), sorted(parts[1], key=key), sorted(parts[2], key=key)


BACKGROUND_PER_SET = 240  # background signatures per data set (CEDAR alone had 576)


def background_samples(samples: Sequence[Sample], train_writers: Iterable[str],
                       per_set: int = BACKGROUND_PER_SET) -> list[Sample]:
    """The training writers' genuine signatures that serve as background (the writer SVM's
    negatives, the score-normalisation cohort): at most ``per_set`` of each data set, spread
    evenly over its writers, so that every script is there and the app's SVM, fitted at
    check time, stays small. Deterministic: the same split gives the same rows."""
    keep = set(train_writers)
    by_set: dict[str, dict[str, list[Sample]]] = {}
    for s in samples:
        if s.genuine and s.writer in keep:
            by_set.setdefault(s.dataset, {}).setdefault(s.writer, []).append(s)
    out: list[Sample] = []
    for name in sorted(by_set):
        writers = by_set[name]
        order = sorted(writers, key=lambda w: (len(w), w))
        # round-robin over writers: one signature from each in turn until the quota is met
        chosen: list[Sample] = []
        depth = 0
        while len(chosen) < per_set and any(depth < len(writers[w]) for w in order):
            chosen += [writers[w][depth] for w in order if depth < len(writers[w])]
            depth += 1
        out += chosen[:per_set]
    return out


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
        self._index()

    def _index(self) -> None:
        self.writers = sorted({s.writer for s in self.samples}, key=lambda w: (len(w), w))
        self.writer_index = {w: i for i, w in enumerate(self.writers)}
        self.dataset_of = {s.writer: s.dataset for s in self.samples}
        self.group_of = {s.writer: s.group for s in self.samples}
        self.person_of = {s.writer: s.who for s in self.samples}
        self.datasets = sorted(set(self.dataset_of.values()))

    def __len__(self) -> int:
        return len(self.samples)

    def indices(self, writer: str, genuine: bool) -> list[int]:
        """Indices of one writer's genuine (or forged) samples."""
        return [
            i for i, s in enumerate(self.samples) if s.writer == writer and s.genuine == genuine
        ]

    def skilled_indices(self, writer: str) -> list[int]:
        """A writer's skilled negatives: its forgeries, and other persons' genuine signatures
        of the same group (the same name written by someone else)."""
        group, who = self.group_of.get(writer, ""), self.person_of.get(writer)
        return [i for i, s in enumerate(self.samples)
                if s.writer == writer and not s.genuine
                or group and s.group == group and s.genuine and s.who != who]

    def with_mirrored_writers(self) -> SignatureImages:
        """These writers and, as writers of their own, their signatures mirrored left to
        right (a mirrored hand writes nothing the real one does, so each is a new identity:
        training sees twice as many). A writer's forgeries are mirrored with it, and mirrored
        persons of one group share that group's mirrored text, so the same-name negatives
        stay among mirrored signatures. The originals' images are shared, not copied."""
        out = SignatureImages.__new__(SignatureImages)
        out.samples = self.samples + [
            replace(s, writer=s.writer + MIRRORED, person=s.who + MIRRORED,
                    group=s.group + MIRRORED if s.group else "") for s in self.samples]
        out.images = self.images + [np.ascontiguousarray(im[:, ::-1]) for im in self.images]
        out._index()
        return out

    def of_dataset(self, dataset: str) -> SignatureImages:
        """The writers of one data set."""
        return self.subset(w for w in self.writers if self.dataset_of[w] == dataset)

    def subset(self, writers: Iterable[str]) -> SignatureImages:
        """A view restricted to some writers (images are shared, not decoded again)."""
        keep = set(writers)
        out = SignatureImages.__new__(SignatureImages)
        idx = [i for i, s in enumerate(self.samples) if s.writer in keep]
        out.samples = [self.samples[i] for i in idx]
        out.images = [self.images[i] for i in idx]
        out._index()
        return out
