"""The learned note finder's training pictures and their note masks.

Training pictures (no euro note is used: the euro photos are the test):

- the Vietnamese dong photos (``vnd/``): notes held in hands in front of people and rooms, the
  labelled box as the target (the box of a turned note holds some background: the target is
  coarse there);
- composites: 0 to 3 notes pasted in perspective, turned, folded, thumbed, partly out of the
  picture, on table and cloth textures or on the parts of dong photos outside their note: the
  invented notes, the Brazilian real scans and dong notes cut from their boxes; and printed
  pages (text, ruled forms) and handwriting on paper (a signature, a payee line) with no
  note, so that paperwork is not a note.

Every picture is squeezed to a square of :data:`SIDE` pixels whatever its shape, as the app's
finder squeezes what it reads (:mod:`desktop.core.banknote.finder`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from desktop.core.banknote.finder import SIDE
from training.banknote.capture import background
from training.banknote.data import all_specs, synthetic_note
from training.banknote.folders import load_sample, read_eur_brl

if TYPE_CHECKING:
    from training.banknote.detector import DetectorConfig


def _vnd(root: Path) -> list[tuple[Path, np.ndarray]]:
    """(photo, boxes as (x0, y0, x1, y1) fractions) of the dong set."""
    out = []
    for path in sorted(root.glob("*/*.jpg")):
        label = path.with_suffix(".txt")
        if not label.is_file():
            continue
        boxes = []
        for line in label.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4:
                cx, cy, w, h = map(float, parts[-4:])
                boxes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        out.append((path, np.array(boxes, np.float32)))
    return out


def _square(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_AREA)


def _box_mask(boxes: np.ndarray) -> np.ndarray:
    m = np.zeros((SIDE, SIDE), np.uint8)
    for x0, y0, x1, y1 in boxes:
        cv2.rectangle(m, (int(x0 * SIDE), int(y0 * SIDE)), (int(x1 * SIDE) - 1,
                                                           int(y1 * SIDE) - 1), 1, -1)
    return m


def _outside_box(image: np.ndarray, boxes: np.ndarray) -> np.ndarray | None:
    """The largest strip of a photo beside its note boxes (a real room or hand-free scene)."""
    h, w = image.shape[:2]
    if not len(boxes):
        return image
    x0, y0 = (boxes[:, :2].min(0) * [w, h]).astype(int)
    x1, y1 = (boxes[:, 2:].max(0) * [w, h]).astype(int)
    strips = [image[:, :max(0, x0)], image[:, min(w, x1):], image[:max(0, y0)],
              image[min(h, y1):]]
    best = max(strips, key=lambda s: s.shape[0] * s.shape[1])
    return best if min(best.shape[:2]) >= 48 else None


def _paste(canvas: np.ndarray, mask: np.ndarray, note: np.ndarray,
           rng: np.random.Generator) -> None:
    """Paste a note in perspective, any turn, possibly partly outside, with a thumb."""
    nh, nw = note.shape[:2]
    width = rng.uniform(0.25, 0.85) * SIDE
    height = width * nh / nw
    a = rng.uniform(0, 2 * np.pi)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    unit = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) * [width, height]
    pts = unit @ rot.T + rng.uniform(-0.12, 0.12, (4, 2)) * height
    pts += rng.uniform(0.1, 0.9, 2) * SIDE
    src = np.float32([[0, 0], [nw, 0], [nw, nh], [0, nh]])
    m = cv2.getPerspectiveTransform(src, pts.astype(np.float32))
    img = note.astype(np.float32) * rng.uniform(0.7, 1.15)
    if rng.random() < 0.3:  # a fold: one half darker
        half = np.ones((nh, nw, 1), np.float32)
        half[:, : nw // 2] = rng.uniform(0.75, 0.95)
        img = img * half
    warped = cv2.warpPerspective(img, m, (SIDE, SIDE), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(np.ones((nh, nw), np.float32), m, (SIDE, SIDE))
    canvas[:] = canvas * (1 - alpha[..., None]) + warped * alpha[..., None]
    mask[alpha > 0.5] = 1
    if rng.random() < 0.4:  # a thumb or fingers over the note
        c = pts[int(rng.integers(4))] * 0.6 + pts.mean(0) * 0.4
        axes = (int(rng.uniform(0.12, 0.25) * height), int(rng.uniform(0.3, 0.5) * height))
        skin = np.array([rng.uniform(80, 170), rng.uniform(110, 190), rng.uniform(160, 235)])
        cv2.ellipse(canvas, (int(c[0]), int(c[1])), axes, rng.uniform(0, 180), 0, 360,
                    skin.tolist(), -1, cv2.LINE_AA)


def _page(rng: np.random.Generator) -> np.ndarray:
    """A printed page or form: text lines, rules, a box; no note."""
    page = np.full((SIDE, SIDE, 3), rng.uniform(200, 250), np.float32)
    for row in range(10, SIDE - 5, int(rng.integers(9, 16))):
        x = int(rng.integers(5, 30))
        while x < SIDE - 20:
            w = int(rng.integers(6, 30))
            cv2.line(page, (x, row), (x + w, row), (40, 40, 40), int(rng.integers(1, 3)))
            x += w + int(rng.integers(3, 8))
    if rng.random() < 0.5:
        x0, y0 = rng.integers(10, SIDE // 2, 2)
        cv2.rectangle(page, (int(x0), int(y0)), (int(x0) + 80, int(y0) + 30), (60, 60, 60), 1)
    return page


def _handwriting(rng: np.random.Generator) -> np.ndarray:
    """Paper with handwriting and no note, as a cropped signature or a cheque's payee line: a
    few words in ink (loopy pen strokes, or short strokes in character boxes), sometimes a
    printed rule or a tinted paper; squeezed to a square as any picture is."""
    page = np.full((SIDE, SIDE, 3), rng.uniform(205, 252), np.float32)
    if rng.random() < 0.3:
        page += rng.uniform(-14, 6, 3).astype(np.float32)
    ink = (rng.uniform([0, 0, 0], [140, 60, 60]) if rng.random() < 0.5
           else rng.uniform(10, 60, 3)).tolist()
    width = int(rng.integers(1, 5))
    for _ in range(int(rng.integers(1, 4))):
        x0, y0 = rng.uniform(5, SIDE * 0.5), rng.uniform(SIDE * 0.15, SIDE * 0.85)
        span = rng.uniform(SIDE * 0.25, SIDE * 0.9)
        if rng.random() < 0.6:  # cursive: a stroke that loops along the line
            t = np.linspace(0, 1, 240)
            f, g = rng.uniform(3, 12), rng.uniform(2, 9)
            x = x0 + span * t + rng.uniform(3, 12) * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3))
            y = (y0 + rng.uniform(4, SIDE * 0.2) * np.sin(2 * np.pi * g * t + rng.uniform(0, 6.3))
                 + rng.uniform(-15, 15) * t)
            cv2.polylines(page, [np.stack([x, y], 1).astype(np.int32)], False, ink, width,
                          cv2.LINE_AA)
        else:  # characters: a few short strokes in each box
            size = rng.uniform(SIDE * 0.08, SIDE * 0.3)
            for k in range(int(rng.integers(2, 6))):
                cx = x0 + k * size * 1.1
                for _ in range(int(rng.integers(3, 9))):
                    a = rng.uniform([cx, y0 - size / 2], [cx + size, y0 + size / 2])
                    b = a + rng.uniform(-size / 2, size / 2, 2)
                    cv2.line(page, tuple(int(v) for v in a), tuple(int(v) for v in b), ink,
                             width, cv2.LINE_AA)
    if rng.random() < 0.4:
        y = int(rng.uniform(SIDE * 0.6, SIDE * 0.95))
        cv2.line(page, (0, y), (SIDE - 1, y), (90, 90, 90), 1)
    return page


def make_pictures(data: Path, cfg: DetectorConfig) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(pictures (N, SIDE, SIDE, 3) uint8 BGR, masks (N, SIDE, SIDE) uint8, source per row)."""
    rng = np.random.default_rng(cfg.seed)
    xs, ms, src = [], [], []
    dong = _vnd(data / "vnd") if (data / "vnd").is_dir() else []
    notes: list[np.ndarray] = []
    scenes: list[np.ndarray] = []
    for path, boxes in dong:
        image = cv2.imread(str(path))
        if image is None:
            continue
        xs.append(_square(image))
        ms.append(_box_mask(boxes))
        src.append(f"vnd:{path.parent.name}/{path.name}")
        h, w = image.shape[:2]
        if len(boxes) == 1 and rng.random() < 0.3:
            x0, y0, x1, y1 = (boxes[0] * [w, h, w, h]).astype(int)
            crop = image[max(0, y0):y1, max(0, x0):x1]
            if min(crop.shape[:2]) >= 32:
                notes.append(crop)
        scene = _outside_box(image, boxes)
        if scene is not None:
            scenes.append(scene)
    brl = [s for s in read_eur_brl(sorted((data / "eur_brl").glob("brl_*.zip")))
           if s.part == "whole"] if (data / "eur_brl").is_dir() else []
    notes += [load_sample(s) for s in brl]
    specs = all_specs()
    for i in range(cfg.composites):
        kind = rng.random()
        if kind < 0.08:
            canvas, mask = _page(rng), np.zeros((SIDE, SIDE), np.uint8)
            src.append("page")
        elif kind < 0.16:
            canvas, mask = _handwriting(rng), np.zeros((SIDE, SIDE), np.uint8)
            src.append("handwriting")
        else:
            if scenes and rng.random() < 0.5:
                canvas = _square(scenes[int(rng.integers(len(scenes)))]).astype(np.float32)
            else:
                canvas = background(rng, SIDE, SIDE)
            mask = np.zeros((SIDE, SIDE), np.uint8)
            for _ in range(int(rng.choice([0, 1, 1, 1, 2, 2, 3]))):
                if notes and rng.random() < 0.5:
                    note = notes[int(rng.integers(len(notes)))]
                else:
                    spec = specs[int(rng.integers(len(specs)))]
                    note = synthetic_note(spec, ("front", "back")[int(rng.integers(2))], "",
                                          cfg.seed + 17, i)
                _paste(canvas, mask, note, rng)
            src.append("composite")
        canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(0.3, 1.2))
        canvas += rng.standard_normal(canvas.shape).astype(np.float32) * rng.uniform(1, 6)
        xs.append(np.clip(canvas, 0, 255).astype(np.uint8))
        ms.append(mask)
    return np.stack(xs), np.stack(ms), src
