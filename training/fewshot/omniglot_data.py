"""Omniglot data: zip readers and Koch et al.'s random affine distortions.

Data (Lake et al. 2015, MIT licence), read straight from the zips:

* ``images_background_small{1,2}.zip``: ``<set>/<alphabet>/<character>/<id>_<drawer>.png``,
  105x105 1-bit, black ink on white. **The two small sets share two alphabets (Greek and
  Latin, byte-identical files)**, so together they hold 8 distinct alphabets, 242 characters;
  duplicates are dropped on reading (keyed by alphabet/character/file).
* ``all_runs.zip``: the official 20-way one-shot test, ``runXX/training/classYY.png`` (one
  image per class), ``runXX/test/itemYY.png`` and ``runXX/class_labels.txt`` with lines
  ``runXX/test/itemYY.png runXX/training/classZZ.png``. Each test image is matched to the
  nearest of its run's 20 training images; 20 runs x 20 = 400 trials.

Images are inverted (ink = 1) and downscaled with area interpolation to ``size`` x ``size``.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

from training.fewshot.harness import FewShotData

ORIGINAL_SIZE = 105


def decode_png(data: bytes) -> np.ndarray:
    """Decode PNG bytes to an ink map in [0, 1] at full size (ink high, paper 0)."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise ValueError("not a decodable image")
    return 1.0 - img.astype(np.float32) / 255.0


def downscale(ink: np.ndarray, size: int) -> np.ndarray:
    """Area-interpolated resize of a square ink map to ``size`` x ``size`` (float32)."""
    if ink.shape == (size, size):
        return ink.astype(np.float32, copy=False)
    return cv2.resize(ink.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)


@dataclass
class OmniglotSet:
    """Drawings with their alphabet and character; ``images`` are full-size ink maps
    (M, 105, 105) uint8 in {0..255} (ink high) so that distortions act at the original
    resolution."""

    images: np.ndarray
    alphabets: list[str]
    characters: list[str]  # "alphabet/character", unique per character
    files: list[str]
    duplicates: int = 0

    def character_names(self) -> list[str]:
        """Distinct characters, in first-seen order."""
        return list(dict.fromkeys(self.characters))

    def subset(self, characters: set[str]) -> OmniglotSet:
        """Only the drawings of ``characters``."""
        keep = [i for i, c in enumerate(self.characters) if c in characters]
        return OmniglotSet(self.images[keep], [self.alphabets[i] for i in keep],
                           [self.characters[i] for i in keep], [self.files[i] for i in keep])

    def to_fewshot(self, size: int) -> FewShotData:
        """Downscaled float images grouped by character, each character's group its
        alphabet."""
        names = self.character_names()
        index = {c: i for i, c in enumerate(names)}
        small = np.stack([downscale(im.astype(np.float32) / 255.0, size) for im in self.images])
        groups = {c: c.split("/")[0] for c in names}
        return FewShotData(small, np.array([index[c] for c in self.characters], np.int64),
                           names, [groups[c] for c in names])


def read_background(paths: Sequence[str | Path]) -> OmniglotSet:
    """Read background zips (``<set>/<alphabet>/<character>/<file>.png``) into memory,
    dropping files already read from an earlier zip (same alphabet/character/file)."""
    images, alphabets, characters, files = [], [], [], []
    seen: set[str] = set()
    duplicates = 0
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                parts = PurePosixPath(name).parts
                if not name.lower().endswith(".png") or len(parts) < 4:
                    continue
                alphabet, character, file = parts[-3], parts[-2], parts[-1]
                key = f"{alphabet}/{character}/{file}"
                if key in seen:
                    duplicates += 1
                    continue
                seen.add(key)
                ink = decode_png(zf.read(name))
                if ink.shape != (ORIGINAL_SIZE, ORIGINAL_SIZE):
                    ink = cv2.resize(ink, (ORIGINAL_SIZE, ORIGINAL_SIZE),
                                     interpolation=cv2.INTER_AREA)
                images.append(np.round(ink * 255).astype(np.uint8))
                alphabets.append(alphabet)
                characters.append(f"{alphabet}/{character}")
                files.append(key)
    if not images:
        raise ValueError(f"no drawings found in {', '.join(map(str, paths))}")
    return OmniglotSet(np.stack(images), alphabets, characters, files, duplicates)


@dataclass
class OneShotRun:
    """One official run: ``train`` (20, S, S) one image per class, ``test`` (T, S, S), and
    ``answer[t]`` the index in ``train`` of test image t's class, as class_labels.txt says."""

    name: str
    train_files: list[str]
    test_files: list[str]
    train: np.ndarray
    test: np.ndarray
    answer: np.ndarray


def read_runs(path: str | Path, size: int = ORIGINAL_SIZE) -> list[OneShotRun]:
    """Read ``all_runs.zip``: every ``runXX/class_labels.txt`` pairs a test image with its
    class's training image; the candidates of a run are all files in ``runXX/training/``."""
    runs = []
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        labels = sorted(n for n in names if PurePosixPath(n).name == "class_labels.txt")
        for lab in labels:
            run = str(PurePosixPath(lab).parent)
            prefix = "" if run == "." else run + "/"
            train_files = sorted(n for n in names if n.startswith(prefix + "training/")
                                 and n.lower().endswith(".png"))
            pairs = [line.split() for line in zf.read(lab).decode().splitlines()
                     if line.strip()]
            if any(len(p) != 2 for p in pairs):
                raise ValueError(f"{lab}: every line must be 'test_image training_image'")
            # The file's paths may or may not carry the run folder: resolve both ways.
            def resolve(p: str, prefix: str = prefix, lab: str = lab) -> str:
                if p in names:
                    return p
                if prefix + p in names:
                    return prefix + p
                raise ValueError(f"{lab}: {p} is not in the zip")

            test_files = [resolve(t) for t, _ in pairs]
            truth = [resolve(c) for _, c in pairs]
            index = {f: i for i, f in enumerate(train_files)}
            missing = [c for c in truth if c not in index]
            if missing:
                raise ValueError(f"{lab}: {missing[0]} is not a training image of the run")
            load = lambda fs: np.stack([downscale(decode_png(zf.read(f)), size)  # noqa: E731
                                        for f in fs])
            runs.append(OneShotRun(run, train_files, test_files, load(train_files),
                                   load(test_files), np.array([index[c] for c in truth])))
    if not runs:
        raise ValueError(f"{path}: no runXX/class_labels.txt found")
    return runs


def koch_affine(
    image: np.ndarray, rng: np.random.Generator, p: float = 0.5, rotation: float = 10.0,
    shear: float = 0.3, scale: tuple[float, float] = (0.8, 1.2), translate: float = 2.0,
) -> np.ndarray:
    """Koch et al. (2015)'s random affine distortion: rotation in +-``rotation`` degrees,
    shears rho_x, rho_y in +-``shear``, scales s_x, s_y in ``scale``, translations t_x, t_y in
    +-``translate`` pixels (of this image), each of the seven components applied with
    probability ``p``; about the image centre, empty border. Same shape, dtype and range
    as the input (up to interpolation, which stays within the input's range)."""
    def pick(lo: float, hi: float, neutral: float) -> float:
        return float(rng.uniform(lo, hi)) if rng.random() < p else neutral

    theta = math.radians(pick(-rotation, rotation, 0.0))
    rx, ry = pick(-shear, shear, 0.0), pick(-shear, shear, 0.0)
    sx, sy = pick(*scale, 1.0), pick(*scale, 1.0)
    tx, ty = pick(-translate, translate, 0.0), pick(-translate, translate, 0.0)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    a = rot @ np.array([[1.0, rx], [ry, 1.0]]) @ np.diag([sx, sy])
    h, w = image.shape[:2]
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    m = np.hstack([a, (c - a @ c + [tx, ty])[:, None]]).astype(np.float32)
    out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out.reshape(image.shape)


def png_bytes(ink: np.ndarray) -> bytes:
    """Encode an ink map in [0, 1] as an Omniglot-style PNG (black ink on white)."""
    ok, buf = cv2.imencode(".png", np.round(255 * (1 - np.clip(ink, 0, 1))).astype(np.uint8))
    if not ok:
        raise ValueError("PNG encoding failed")
    return io.BytesIO(buf.tobytes()).getvalue()
