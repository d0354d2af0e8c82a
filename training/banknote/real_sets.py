"""Where the real banknote sets keep what: their files, class keys, boxes and folds.

The layouts of ``../shared/data/banknotes`` (see its README) and of the pictures without a note
that the real-note evaluation (:mod:`training.banknote.real`), the real notes' enrolment
(:mod:`training.banknote.real_notes`) and the banknote benchmarks all read: one reading of each
set, so that a benchmark's validation fold is the evaluation's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.manifest import class_key
from training.banknote.folders import NoteSample, read_eur_brl

EUR_BRL_ZIPS = ("eur_blurring.zip", "eur_increase_lighting.zip", "brl_blurring.zip",
                "brl_increase_lighting.zip")
VND_TESTS_PER_CLASS = 40  # photos checked per dong denomination (of 49 to 103)


def value_of(key: str) -> str:
    """The denomination's value in a class key (``"EUR-50-front"`` -> ``"50"``)."""
    return key.split("-")[1]


def eur_reference_key(path: Path) -> str:
    """The class key of a euro reference picture (``<value>eu_<side>[_<series>].jpg``)."""
    value, rest = path.stem.split("eu_", 1)
    return class_key("EUR", value, rest.split("_")[0])


def eur_brl_folds(root: Path, currency: str, per_side: int
                  ) -> Iterator[tuple[list[tuple[str, NoteSample]], list[NoteSample]]]:
    """Per capture condition of one currency's scans: (``per_side`` whole-note scans per side
    of that condition to enroll, as (key, sample); every scan of the other conditions)."""
    samples = read_eur_brl([root / z for z in EUR_BRL_ZIPS if (root / z).is_file()])
    mine = [s for s in samples if s.currency == currency and s.side != "unknown"]
    for cond in sorted({s.condition for s in mine}):
        enrol = [(key, s) for key, group in by_class(s for s in mine if s.condition == cond
                                                     and s.part == "whole")
                 for s in group[:per_side]]
        yield enrol, [s for s in mine if s.condition != cond]


def by_class(samples: Iterable[NoteSample]) -> list[tuple[str, list[NoteSample]]]:
    """Samples grouped by class key (currency, denomination, side), in key order."""
    groups: dict[str, list[NoteSample]] = {}
    for s in samples:
        groups.setdefault(class_key(s.currency, s.denomination, s.side), []).append(s)
    return sorted(groups.items())


def vnd_box(path: Path, image: np.ndarray) -> np.ndarray:
    """The note of a dong photo cut out by its labelled box (the last box in its ``.txt``)."""
    h, w = image.shape[:2]
    cx, cy, bw, bh = map(float, path.with_suffix(".txt").read_text().split()[-4:])
    x0, x1 = max(0, int((cx - bw / 2) * w)), min(w, int((cx + bw / 2) * w))
    y0, y1 = max(0, int((cy - bh / 2) * h)), min(h, int((cy + bh / 2) * h))
    return image[y0:y1, x0:x1]


def vnd_split(root: Path, per_class: int, seed: int
              ) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """Dong photos drawn per denomination: (``per_class`` to enroll, up to
    ``VND_TESTS_PER_CLASS`` others to check), each as (denomination, path)."""
    rng = np.random.default_rng(seed)
    enrol, tests = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        photos = sorted(p for p in folder.glob("*.jpg") if p.with_suffix(".txt").is_file())
        order = rng.permutation(len(photos))
        enrol += [(folder.name, photos[i]) for i in order[:per_class]]
        tests += [(folder.name, photos[i])
                  for i in order[per_class:per_class + VND_TESTS_PER_CLASS]]
    return enrol, tests


def no_note_pictures(seed: int, count: int = 30) -> list[tuple[str, np.ndarray]]:
    """Pictures with no banknote: wood and cloth tables, blank desks, and printed pages (lines
    of text and a ruled form on paper, as a cheque or a letter on the counter)."""
    from training.banknote.capture import background

    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        kind = ("wood", "cloth", "plain")[i % 3]
        table = background(rng, 480, 640, kind if kind != "plain" else None)
        out.append((f"{kind}-{i}", np.clip(table, 0, 255).astype(np.uint8)))
    for i in range(count // 3):
        page = np.full((480, 640, 3), rng.uniform(215, 250), np.uint8)
        for row in range(40, 440, int(rng.integers(22, 40))):
            words = " ".join("".join(chr(int(c)) for c in rng.integers(97, 123, int(n)))
                             for n in rng.integers(2, 9, 8))
            cv2.putText(page, words, (30, row), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (40, 40, 40), 1,
                        cv2.LINE_AA)
        if i % 2:
            cv2.rectangle(page, (360, 300), (610, 360), (60, 60, 60), 1)
        out.append((f"page-{i}", page))
    return out


def paper_scans(signatures: Path, per_set: int = 40) -> list[tuple[str, np.ndarray]]:
    """Real scans of paper without a banknote: signature images of each set under
    ``signatures`` (``../shared/data/signatures``: ink on paper, as on a cheque), the first
    ``per_set`` files in name order of each set."""
    out = []
    for folder in sorted(p for p in signatures.iterdir() if p.is_dir()) \
            if signatures.is_dir() else ():
        for path in sorted(folder.rglob("*.png"))[:per_set]:
            image = cv2.imread(str(path))
            if image is not None:
                out.append((f"{folder.name}/{path.name}", image))
    return out
