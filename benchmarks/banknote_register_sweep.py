"""Choose the registration's acceptance thresholds on validation pictures.

Every picture is searched once with permissive thresholds and each verified attempt's
figures (inliers, spread over the visible part, share visible, correlation) are kept; each
combination of thresholds is then applied to them. Validation pictures: the EUR and BRL scans
of the other capture condition (enrolled from one whole scan per side of the first), dong
photos in hands (enrolled from 5 box crops per denomination) and pictures without a note.
The euro photos are the test: they are not printed here.

    python benchmarks/banknote_register_sweep.py [--data ../shared/data/banknotes]

Prints, per combination and group: the share named right / the share named wrong.
"""

from __future__ import annotations

import argparse
import collections
import itertools
from pathlib import Path

import cv2
import numpy as np

import desktop.core.banknote.register as reg
from desktop.core.banknote.model import BanknoteModel
from desktop.core.paths import default_banknote_model_dir
from training.banknote import real, real_sets
from training.banknote.folders import load_sample, read_eur_brl

GRID = {"inliers": (10, 12, 15), "spread": (0.08, 0.15), "visible": (0.15, 0.2)}


def collect(data: Path) -> list[tuple[str, str | None, list[tuple]]]:
    """(group, true key prefix, verified attempts) per validation picture."""
    reg.MIN_INLIERS, reg.MIN_VISIBLE, reg.MIN_SPREAD = 8, 0.1, 0.0
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    rows = []

    def search(group: str, image: np.ndarray, notes: list, truth: str | None) -> None:
        attempts = model.side_index(notes).search(image)
        rows.append((group, truth, [(a.side.key, a.registration.inliers, a.registration.spread,
                                     a.registration.visible, a.registration.correlation)
                                    for a in attempts if a.registration is not None]))

    scans = [s for s in read_eur_brl([data / "eur_brl" / z for z in real_sets.EUR_BRL_ZIPS])
             if s.side != "unknown"]
    for cur in ("EUR", "BRL"):
        mine = [s for s in scans if s.currency == cur]
        first = sorted({s.condition for s in mine})[0]
        enroller = real.Enroller(model)
        for key, group in real_sets.by_class(s for s in mine if s.condition == first
                                         and s.part == "whole"):
            enroller.add(key, load_sample(group[0]), group[0].member)
        for s in mine[::2]:
            if s.condition != first:
                search(f"{cur} scan {s.part}", load_sample(s), enroller.notes,
                       f"{cur}-{s.denomination}-")
    rng = np.random.default_rng(0)
    enroller, tests = real.Enroller(model), []
    for folder in sorted(p for p in (data / "vnd").iterdir() if p.is_dir()):
        photos = sorted(folder.glob("*.jpg"))
        order = rng.permutation(len(photos))
        for i in order[:5]:
            enroller.add(f"VND-{folder.name}-front",
                         real_sets.vnd_box(photos[i], cv2.imread(str(photos[i]))), photos[i].name)
        tests += [(folder.name, photos[i]) for i in order[5:25]]
    for value, path in tests:
        search("VND photo", cv2.imread(str(path)), enroller.notes, f"VND-{value}-")
    for _, image in real_sets.no_note_pictures(5):
        search("no note", image, [], None)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    args = ap.parse_args()
    rows = collect(args.data)
    for inliers, spread, visible in itertools.product(*GRID.values()):
        tally: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
        for group, truth, attempts in rows:
            ok = [a for a in attempts if a[1] >= inliers and a[2] >= spread
                  and a[3] >= visible and a[4] >= reg.MIN_CORRELATION]
            t = tally[group]
            t[2] += 1
            if ok:
                best = max(ok, key=lambda a: a[1])[0]
                t[0 if truth is not None and best.startswith(truth) else 1] += 1
        print(f"inliers {inliers}, spread {spread}, visible {visible}: " + "; ".join(
            f"{g} {t[0] / t[2]:.2f}/{t[1] / t[2]:.3f}" for g, t in sorted(tally.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
