"""Banknote training data as contract tensors: synthetic captures made in memory, or a folder.

Every image goes through the app's own contract (:func:`preprocess_banknote`) after
rectification: with the true corners for synthetic captures (the detector's error, 0.7 px on
average, is measured in ``benchmarks/banknote_rectification.py``), or with the app's detector
and orientation cue for folders without ``truth.csv``. Tensors are kept as uint8 (a tenth of
the memory of float32; the contract's output is in [0, 1]).

Class keys are ``"<currency>-<denomination>-<side>"`` (see
:func:`desktop.core.banknote.manifest.class_key`).
``mismatched_pair`` counterfeits are left out of single-side sets: one side of them *is* a
genuine side of another denomination, so only a check of both sides can catch them.
"""

from __future__ import annotations

import csv
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.core.banknote.detect import NoteQuad, find_note, read_note, rectify
from desktop.core.banknote.manifest import class_key
from desktop.core.banknote.preprocess import BanknotePreprocessing, preprocess_banknote
from training.banknote.capture import capture as photograph
from training.banknote.counterfeits import COUNTERFEIT_KINDS, counterfeit
from training.banknote.folders import load_sample, read_folder
from training.banknote.synthetic import SIDES, NoteSpec, catalogue, render_note

SINGLE_SIDE_KINDS = tuple(k for k in COUNTERFEIT_KINDS if k != "mismatched_pair")


@dataclass
class NoteTensors:
    """Preprocessed notes: ``x`` uint8 (N, 3, H, W) (divide by 255 for the contract's floats),
    their class keys, genuine flags and counterfeit kinds ("" for genuine)."""

    x: np.ndarray
    keys: list[str]
    genuine: np.ndarray
    kinds: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)

    def floats(self, idx: np.ndarray | list[int] | None = None) -> np.ndarray:
        """The contract's float32 tensors for ``idx`` (all when None)."""
        x = self.x if idx is None else self.x[np.asarray(idx, dtype=int)]
        return x.astype(np.float32) / np.float32(255.0)

    def subset(self, mask: np.ndarray) -> NoteTensors:
        """The samples where ``mask`` is true."""
        idx = np.flatnonzero(mask)
        return NoteTensors(self.x[idx], [self.keys[i] for i in idx], self.genuine[idx],
                           [self.kinds[i] for i in idx])

    @staticmethod
    def concat(parts: list[NoteTensors]) -> NoteTensors:
        """One set from several."""
        return NoteTensors(np.concatenate([p.x for p in parts]),
                           [k for p in parts for k in p.keys],
                           np.concatenate([p.genuine for p in parts]),
                           [k for p in parts for k in p.kinds])


def to_uint8(tensor: np.ndarray) -> np.ndarray:
    """A contract tensor (float32 in [0, 1]) as uint8."""
    return np.clip(tensor * 255.0 + 0.5, 0, 255).astype(np.uint8)


def all_specs(currencies: list[str] | None = None) -> list[NoteSpec]:
    """Every denomination of the invented currencies (all of them when None)."""
    cat = catalogue()
    return [s for cur in (currencies or list(cat)) for s in cat[cur]]


def spec_key(spec: NoteSpec, side: str) -> str:
    """The class key of one side of a catalogue note."""
    return class_key(spec.currency, str(spec.denomination), side)


def synthetic_note(spec: NoteSpec, side: str, kind: str, seed: int, index: int) -> np.ndarray:
    """One genuine (``kind`` "") or counterfeit rendering; the same for the same arguments."""
    rng = np.random.default_rng([seed, spec.design_seed, SIDES.index(side), index,
                                 COUNTERFEIT_KINDS.index(kind) + 1 if kind else 0])
    return render_note(spec, side, rng) if not kind else counterfeit(spec, side, kind, rng)


def synthetic_capture(spec: NoteSpec, side: str, kind: str, seed: int, index: int,
                      size: tuple[int, int] = (480, 640)) -> tuple[np.ndarray, np.ndarray]:
    """A photographed note (BGR) and its true corners (note's TL, TR, BR, BL)."""
    note = synthetic_note(spec, side, kind, seed, index)
    rng = np.random.default_rng([seed, spec.design_seed, SIDES.index(side), index, 99])
    return photograph(note, rng, size=size)


def _one(job: tuple) -> np.ndarray:
    spec, side, kind, seed, index, prep, detect = job
    image, corners = synthetic_capture(spec, side, kind, seed, index)
    quad = NoteQuad(corners)
    if detect:  # the app's detector; the true corners only say which way up the note is
        found = find_note(image)
        turned = found.rotated180()
        quad = min((found, turned), key=lambda q: float(np.abs(q.corners - corners).sum()))
    # The aspect ratio from the corners, as the app estimates it (it cannot know the currency
    # before reading the note).
    flat = rectify(image, quad, None, prep.rectified_height)
    return to_uint8(preprocess_banknote(flat, prep))


def synthetic_tensors(specs: list[NoteSpec], genuine: int, counterfeits: int, seed: int,
                      prep: BanknotePreprocessing | None = None,
                      workers: int | None = None, detect: bool = False) -> NoteTensors:
    """``genuine`` captures and ``counterfeits`` counterfeit captures (kinds cycling through
    :data:`SINGLE_SIDE_KINDS`) of both sides of every spec, rendered and photographed in
    ``workers`` processes; deterministic for a seed. ``detect`` rectifies with the app's
    detector instead of the true corners (what calibration needs: its errors are part of
    what a genuine note looks like to the app)."""
    prep = prep or BanknotePreprocessing()
    jobs, keys, flags, kinds = [], [], [], []
    for spec in specs:
        for side in SIDES:
            for i in range(genuine + counterfeits):
                kind = "" if i < genuine else SINGLE_SIDE_KINDS[
                    (i - genuine + spec.design_seed) % len(SINGLE_SIDE_KINDS)]
                jobs.append((spec, side, kind, seed, i, prep, detect))
                keys.append(spec_key(spec, side))
                flags.append(not kind)
                kinds.append(kind)
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 8:
        with ProcessPoolExecutor(workers) as pool:
            xs = list(pool.map(_one, jobs, chunksize=8))
    else:
        xs = [_one(j) for j in jobs]
    shape = (0, *prep.input_shape)
    return NoteTensors(np.stack(xs) if xs else np.zeros(shape, np.uint8), keys,
                       np.array(flags, bool), kinds)


def _truth_corners(root: Path) -> dict[str, np.ndarray]:
    path = root / "truth.csv"
    if not path.is_file():
        return {}
    with open(path, newline="") as fh:
        return {row["path"]: np.float32([row[f"{a}{i}"] for i in range(4) for a in "xy"])
                .reshape(4, 2) for row in csv.DictReader(fh)}


def folder_tensors(root: str | Path, prep: BanknotePreprocessing | None = None) -> NoteTensors:
    """Every image of a ``<currency>/<denomination>/<side>/{genuine,counterfeit}/`` folder
    (:func:`training.banknote.folders.read_folder`), rectified with ``truth.csv``'s corners when
    the folder has them, else found and oriented by the app's detector."""
    root, prep = Path(root), prep or BanknotePreprocessing()
    truth = _truth_corners(root)
    xs, keys, flags = [], [], []
    for s in read_folder(root):
        image = load_sample(s)
        corners = truth.get(s.path.relative_to(root).as_posix())
        if corners is not None:
            flat = rectify(image, NoteQuad(corners), None, prep.rectified_height)
            xs.append(to_uint8(preprocess_banknote(flat, prep, s.path)))
        else:
            xs.append(to_uint8(read_note(image, s.path, prep).candidates[0]))
        keys.append(class_key(s.currency, s.denomination, s.side))
        flags.append(s.genuine)
    if not xs:
        raise ValueError(f"no images in the <currency>/<denomination>/<side>/<label>/ layout "
                         f"under {root}")
    return NoteTensors(np.stack(xs), keys, np.array(flags, bool),
                       ["" if g else "counterfeit" for g in flags])
