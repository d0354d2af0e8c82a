"""Synthetic signatures for tests and demos (never a substitute for real evaluation data).

Each writer owns a random cursive path (a few strokes of spline control points, a slant, a
size and a pen). Genuine samples redraw that path with small variation in shape, slant and
pen pressure and fluent dynamics (thin fast strokes, thicker slow turns). Skilled forgeries
imitate the same path but with the dynamics of copying: larger shape error, tremor, a
heavier and more even line, blunt stroke ends and occasional pen lifts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class WriterStyle:
    """The stable traits of one synthetic writer."""

    strokes: tuple[np.ndarray, ...]  # control points in a unit box, one array per stroke
    slant: float
    pen: float
    width: int
    height: int


def make_writer(rng: np.random.Generator) -> WriterStyle:
    """Draw a new writer: 1-3 strokes of cursive-like loops plus an optional flourish."""
    strokes = []
    n_strokes = int(rng.integers(1, 4))
    x = 0.05
    for _ in range(n_strokes):
        n = int(rng.integers(6, 14))
        span = rng.uniform(0.2, 0.9 / n_strokes + 0.2)
        xs = x + np.sort(rng.uniform(0, span, n)) + rng.normal(0, 0.03, n)
        ys = 0.5 + rng.normal(0, 0.18, n) * np.sign(np.sin(np.arange(n) * rng.uniform(1, 3)))
        strokes.append(np.stack([xs, np.clip(ys, 0.1, 0.9)], axis=1))
        x = min(xs.max() + rng.uniform(0.02, 0.1), 0.8)
    if rng.random() < 0.5:  # underline flourish
        fx = np.linspace(rng.uniform(0, 0.3), rng.uniform(0.6, 1.0), 4)
        fy = 0.85 + rng.normal(0, 0.04, 4)
        strokes.append(np.stack([fx, fy], axis=1))
    return WriterStyle(
        strokes=tuple(strokes),
        slant=float(rng.uniform(-0.35, 0.35)),
        pen=float(rng.uniform(1.6, 3.2)),
        width=int(rng.integers(260, 360)),
        height=int(rng.integers(110, 170)),
    )


def _spline(points: np.ndarray, per_segment: int = 16) -> np.ndarray:
    """Catmull-Rom spline through the control points."""
    p = np.vstack([points[0], points, points[-1]])
    out = []
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                   + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3)
        )
    out.append(p[-2][None, :])
    return np.vstack(out)


def render(
    style: WriterStyle, rng: np.random.Generator, forgery: bool = False,
    background: int | None = None, noise: float | None = None,
) -> np.ndarray:
    """Render one signature of ``style`` as an 8-bit grayscale scan (dark ink, light paper)."""
    shape_sd = 0.035 if forgery else 0.012
    slant = style.slant + rng.normal(0, 0.08 if forgery else 0.03)
    scale = rng.normal(1.0, 0.04)
    w, h = style.width, style.height
    pad = 45
    img = np.full((h + 2 * pad, w + 2 * pad), 255, dtype=np.uint8)
    ink = int(rng.integers(10, 70))
    for stroke in style.strokes:
        pts = stroke + rng.normal(0, shape_sd, stroke.shape)
        curve = _spline(pts)
        if forgery:  # copying is slow: tremor along the line
            curve = curve + rng.normal(0, 0.004, curve.shape)
        xs = (curve[:, 0] + slant * (0.5 - curve[:, 1])) * w * scale + pad
        ys = curve[:, 1] * h * scale + pad
        speed = np.hypot(np.diff(xs), np.diff(ys))
        speed = speed / (speed.mean() + 1e-6)
        if forgery:
            widths = np.full_like(speed, style.pen * 1.35) + rng.normal(0, 0.15, speed.shape)
            lifts = rng.random(speed.shape) < 0.012
        else:
            widths = style.pen * np.clip(1.5 - 0.5 * speed, 0.5, 1.6)
            taper = np.minimum(np.arange(len(speed)), np.arange(len(speed))[::-1])
            widths = widths * np.clip(taper / 6.0, 0.35, 1.0)  # fluent start and end
            lifts = np.zeros(speed.shape, dtype=bool)
        for i in range(len(speed)):
            if lifts[i]:
                continue
            thickness = max(1, int(round(widths[i])))
            cv2.line(
                img, (int(round(xs[i] * 4)), int(round(ys[i] * 4))),
                (int(round(xs[i + 1] * 4)), int(round(ys[i + 1] * 4))),
                ink, thickness, cv2.LINE_AA, shift=2,
            )
    return capture(img, rng, background=background, noise=noise)


def capture(
    img: np.ndarray, rng: np.random.Generator, background: int | None = None,
    noise: float | None = None,
) -> np.ndarray:
    """Simulate scanning: paper tone (multiplicative), slight blur, small rotation, noise."""
    tone = background if background is not None else int(rng.integers(200, 256))
    out = img.astype(np.float32) * (tone / 255.0)
    angle = rng.normal(0, 1.5)
    h, w = out.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(out, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=tone)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.8))
    sd = noise if noise is not None else rng.uniform(0, 4)
    out = out + rng.normal(0, sd, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def generate_dataset(
    root: str | Path, n_writers: int = 12, n_genuine: int = 8, n_forged: int = 4, seed: int = 0
) -> Path:
    """Write ``root/<writer>/{genuine,forged}/*.png`` (the generic folder layout); return root."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    for wi in range(n_writers):
        style = make_writer(rng)
        for kind, count, forged in (("genuine", n_genuine, False), ("forged", n_forged, True)):
            folder = root / f"writer{wi:03d}" / kind
            folder.mkdir(parents=True, exist_ok=True)
            for si in range(count):
                cv2.imwrite(str(folder / f"{si:02d}.png"), render(style, rng, forgery=forged))
    return root
