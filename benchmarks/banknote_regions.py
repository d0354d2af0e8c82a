"""Can aligned regions tell an enrolled real note from a copy of it? A measurement of region-by-
region comparison against the enrolled reference, which decides whether the app may judge the
authenticity of a denomination enrolled at a branch (today it says "not judged").

Real genuine notes: the whole-note EUR and BRL scans; each side is enrolled from its first
scan of one capture condition, and every whole scan of the other condition is a query (both
ways). Counterfeits are made from those same queries, one defect each (the real notes have
no counterfeits in the data): ``pasted`` (a quarter-sized region from another denomination's
same side), ``colour_patch`` (a region's hue turned 24-40 degrees), ``colour_all`` (hue and
saturation of the whole note off), ``halftone`` (a CMY dot-screen reprint), ``blur`` (a soft
inkjet copy). Each query is registered onto its reference by the app's local-feature search;
on a 4 x 2 grid of the registered note (256 pixels wide) three things are compared with the
reference: structure (gradient correlation), colour (CIELAB difference after a global colour
map, which takes out lighting and white balance) and sharpness (log ratio of Laplacian
energy). A note is flagged when any region's score passes a threshold set at ``--false-alarm``
of the BRL genuine queries (validation); the EUR figures are for a currency the thresholds
never saw.

    python benchmarks/banknote_regions.py [--data ../shared/data/banknotes]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.model import BanknoteModel
from desktop.core.banknote.register import ReferenceSide, Registration, SideIndex
from desktop.core.paths import default_banknote_model_dir
from training.banknote.counterfeits import halftone
from training.banknote.folders import load_sample
from training.banknote.real_sets import eur_brl_folds

WIDTH = 256  # the registered note is compared at this width
GRID = (4, 2)  # columns, rows
SCORES = ("structure", "colour", "blur", "sharpen")  # each: higher is more suspect
Fake = Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def _region(image: np.ndarray, rng: np.random.Generator) -> tuple[slice, slice]:
    h, w = image.shape[:2]
    x, y = int(rng.integers(0, w - w // 4)), int(rng.integers(0, h - h // 2))
    return slice(y, y + h // 2), slice(x, x + w // 4)


def _hue(image: np.ndarray, turn: int, saturation: float = 1.0) -> np.ndarray:
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + turn) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)


def pasted(note: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out, (ys, xs) = note.copy(), _region(note, rng)
    out[ys, xs] = cv2.resize(other, (note.shape[1], note.shape[0]))[ys, xs]
    return out


def colour_patch(note: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out, (ys, xs) = note.copy(), _region(note, rng)
    out[ys, xs] = _hue(note[ys, xs], int(rng.integers(12, 20)))
    return out


def reprint(note: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    big = cv2.resize(note, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    return cv2.resize(halftone(big), (note.shape[1], note.shape[0]),
                      interpolation=cv2.INTER_AREA)


FAKES: dict[str, Fake] = {
    "pasted": pasted, "colour_patch": colour_patch,
    "colour_all": lambda n, o, r: _hue(n, 10, 0.7),
    "halftone": reprint, "blur": lambda n, o, r: cv2.GaussianBlur(n, (0, 0), 1.5)}


def region_scores(reg: Registration, picture: np.ndarray) -> np.ndarray:
    """(regions, 3): structure correlation, colour difference and sharpness log ratio of each
    region with enough of the note in the picture."""
    h, w = reg.side.image.shape[:2]
    size = (WIDTH, round(h * WIDTH / w))
    a = cv2.resize(reg.registered(picture), size, interpolation=cv2.INTER_AREA)
    b = cv2.resize(reg.side.image, size, interpolation=cv2.INTER_AREA)
    inside = cv2.resize(reg.inside(picture.shape).astype(np.uint8), size,
                        interpolation=cv2.INTER_NEAREST)
    valid = cv2.erode(inside, np.ones((5, 5), np.uint8)) > 0
    la, lb = (cv2.cvtColor(x, cv2.COLOR_BGR2LAB).astype(np.float32) for x in (a, b))
    for c in range(3):  # a global affine colour map: lighting and white balance out
        x, y = la[..., c][valid], lb[..., c][valid]
        slope = float(np.cov(x, y)[0, 1] / max(float(x.var()), 1e-6))
        la[..., c] = (la[..., c] - x.mean()) * slope + y.mean()
    ga, gb = (cv2.cvtColor(x, cv2.COLOR_BGR2GRAY).astype(np.float32) for x in (a, b))
    grad = [cv2.magnitude(cv2.Sobel(s, cv2.CV_32F, 1, 0), cv2.Sobel(s, cv2.CV_32F, 0, 1))
            for s in (cv2.GaussianBlur(g, (0, 0), 1.0) for g in (ga, gb))]
    lap = [np.abs(cv2.Laplacian(g, cv2.CV_32F)) for g in (ga, gb)]
    rows, (hh, ww) = [], valid.shape
    for j in range(GRID[1]):
        for i in range(GRID[0]):
            cell = (slice(j * hh // GRID[1], (j + 1) * hh // GRID[1]),
                    slice(i * ww // GRID[0], (i + 1) * ww // GRID[0]))
            v = valid[cell]
            if v.mean() < 0.5:
                continue
            p, q = (g[cell][v] - g[cell][v].mean() for g in grad)
            corr = float((p * q).sum() / max(np.sqrt((p * p).sum() * (q * q).sum()), 1e-9))
            de = float(np.linalg.norm((la[cell] - lb[cell])[v], axis=1).mean())
            sharp = float(np.log(lap[0][cell][v].mean() + 1e-3)
                          - np.log(lap[1][cell][v].mean() + 1e-3))
            rows.append((corr, de, sharp))
    return np.array(rows).reshape(-1, 3)


def note_scores(regions: np.ndarray) -> list[float]:
    """The note's most suspect region per :data:`SCORES` (higher is more suspect)."""
    return [-regions[:, 0].min(), regions[:, 1].max(), -regions[:, 2].min(),
            regions[:, 2].max()]


def queries(model: BanknoteModel, root: Path, currency: str, seed: int) -> dict[str, list]:
    """Note scores per kind (genuine and each fake) for one currency's whole scans."""
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {k: [] for k in ("genuine", *FAKES)}
    for enrol, tests in eur_brl_folds(root, currency, 1):
        notes = {key: model.reference_note(load_sample(s)) for key, s in enrol}
        index = SideIndex([ReferenceSide.from_image(k, "enrolled", n) for k, n in notes.items()])
        for s in tests:
            if s.part != "whole":
                continue
            key = f"{currency}-{s.denomination}-{s.side}"
            rivals = [k for k in notes if k.endswith(f"-{s.side}") and k != key]
            other = notes[rivals[int(rng.integers(len(rivals)))]]
            note = load_sample(s)
            for kind in out:
                picture = note if kind == "genuine" else FAKES[kind](note, other, rng)
                attempts = index.search(picture)
                reg = attempts[0].registration if attempts else None
                if reg is not None and reg.key == key:
                    out[kind].append(note_scores(region_scores(reg, picture)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    ap.add_argument("--false-alarm", type=float, default=0.01,
                    help="per score, on the BRL genuine queries")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/banknote/regions.json"))
    args = ap.parse_args()
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    sets = {c: queries(model, args.data / "eur_brl", c, seed=5) for c in ("BRL", "EUR")}
    threshold = np.quantile(np.array(sets["BRL"]["genuine"]), 1 - args.false_alarm, axis=0)
    report = {"false_alarm_per_score": args.false_alarm,
              "thresholds": dict(zip(SCORES, threshold.round(4).tolist(), strict=True)),
              "flagged": {}}
    for cur, kinds in sets.items():
        for kind, scores in kinds.items():
            flags = np.array(scores) > threshold
            row = {"registered": len(scores), "flagged_any": float(flags.any(axis=1).mean()),
                   **{s: float(f) for s, f in zip(SCORES, flags.mean(axis=0), strict=True)}}
            report["flagged"][f"{cur} {kind}"] = row
            print(cur, kind, json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
