"""A note photographed on a table: backgrounds, pose, lighting, folds, fingers, blur, noise.

:func:`capture` returns the capture and the note's true corners in it, ordered top-left,
top-right, bottom-right, bottom-left **of the note's own design** (so an upside-down note has
its top-left corner at the bottom right of the picture). Corners are in OpenCV pixel-centre
coordinates: the note's outer edge, half a pixel outside its first and last pixel centres.
"""

from __future__ import annotations

import cv2
import numpy as np

BACKGROUNDS = ("wood", "cloth", "mottled", "plain")


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Value noise in [-1, 1]: a coarse random grid resized smoothly to (h, w)."""
    g = rng.uniform(-1, 1, (max(2, h // cell + 2), max(2, w // cell + 2))).astype(np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)


def background(rng: np.random.Generator, h: int, w: int, kind: str | None = None,
               colour: np.ndarray | None = None) -> np.ndarray:
    """A table or cloth texture of a random colour, float32 BGR (h, w, 3)."""
    kind = kind or str(rng.choice(BACKGROUNDS))
    base = (rng.uniform(20, 235, 3) if colour is None else colour).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "wood":
        a = rng.uniform(0, np.pi)
        u = xx * np.cos(a) + yy * np.sin(a) + 25 * _smooth_noise(rng, h, w, 60)
        tex = 0.6 * np.sin(u / rng.uniform(3, 9)) + 0.4 * _smooth_noise(rng, h, w, 12)
        amp = rng.uniform(8, 22)
    elif kind == "cloth":
        p = rng.uniform(2.5, 5)
        tex = 0.5 * (np.sin(xx * np.pi / p) * np.sin(yy * np.pi / p)) + 0.5 * _smooth_noise(
            rng, h, w, 40)
        amp = rng.uniform(8, 20)
    elif kind == "mottled":
        tex = 0.7 * _smooth_noise(rng, h, w, 50) + 0.3 * _smooth_noise(rng, h, w, 8)
        amp = rng.uniform(10, 25)
    else:
        tex, amp = np.zeros((h, w), np.float32), 0.0
    return np.clip(base + amp * tex[..., None], 0, 255).astype(np.float32)


def _note_colour_far(rng: np.random.Generator, note: np.ndarray) -> np.ndarray:
    """A background colour that contrasts with the note (else no detector could find it)."""
    mean = note.reshape(-1, 3).mean(axis=0)
    for _ in range(50):
        c = rng.uniform(20, 235, 3)
        if np.abs(c.mean() - mean.mean()) > 45 or np.linalg.norm(c - mean) > 90:
            return c
    return np.clip(mean - 120, 0, 255)


def _fold(note: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A crease across the note: a dark or bright line, one half shaded and shifted 1-2 px."""
    h, w = note.shape[:2]
    x0, x1 = rng.uniform(0.3, 0.7, 2) * w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = (xx - (x0 + (x1 - x0) * yy / h)) / np.hypot(1.0, (x1 - x0) / h)  # signed distance
    out = note.astype(np.float32)
    right = d > 0
    shift = float(rng.uniform(1, 2)) * (1 if rng.random() < 0.5 else -1)
    moved = cv2.remap(out, xx, yy - shift, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out[right] = moved[right]
    out[right] *= rng.uniform(0.88, 1.08)
    crease = np.exp(-(d / rng.uniform(0.8, 1.6)) ** 2)[..., None]
    out *= 1 + crease * rng.choice([-0.25, 0.15])
    return np.clip(out, 0, 255)


def _pose(rng: np.random.Generator, nh: int, nw: int, h: int, w: int, perspective: float,
          scale: tuple[float, float], angle: float | None) -> np.ndarray:
    """Destination corners (TL, TR, BR, BL of the note) inside an (h, w) frame."""
    angle = float(rng.uniform(0, 360) if angle is None else angle)
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    for _ in range(20):
        width = rng.uniform(*scale) * min(h, w) * 1.1
        unit = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
        rect = unit * [width, width * nh / nw]
        pts = rect @ rot.T + rng.uniform(-perspective, perspective, (4, 2)) * width * nh / nw
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        margin = 0.04 * min(h, w)
        room = np.array([w, h]) - (hi - lo) - 2 * margin
        if (room > 0).all():
            off = margin - lo + rng.uniform(0, 1, 2) * room
            return (pts + off).astype(np.float32)
        scale = (scale[0] * 0.9, scale[1] * 0.9)
    raise ValueError("the note does not fit in the frame")


def capture(note: np.ndarray, rng: np.random.Generator, size: tuple[int, int] = (480, 640), *,
            angle: float | None = None, perspective: float = 0.08,
            scale: tuple[float, float] = (0.55, 0.8), fold: float = 0.3,
            occlusion: float = 0.35, kind: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Photograph ``note`` (BGR uint8) on a random background; return (capture, corners).

    ``size`` is the capture's (height, width); ``angle`` the in-plane rotation in degrees
    (random in 0-360 when None, so upside-down notes are common); ``perspective`` how far each
    corner moves, relative to the note's height; ``scale`` the note's width relative to the
    frame's shorter side; ``fold`` and ``occlusion`` the chances of a crease and of a thumb
    over an edge. ``corners`` is float32 (4, 2): the note's own TL, TR, BR, BL, in the capture.
    """
    h, w = size
    nh, nw = note.shape[:2]
    src = np.float32([[-0.5, -0.5], [nw - 0.5, -0.5], [nw - 0.5, nh - 0.5], [-0.5, nh - 0.5]])
    dst = _pose(rng, nh, nw, h, w, perspective, scale, angle)
    img = note.astype(np.float32)
    if rng.random() < fold:
        img = _fold(img, rng)
    m = cv2.getPerspectiveTransform(src, dst)
    bg = background(rng, h, w, kind, _note_colour_far(rng, note.astype(np.float32)))
    # Warp at 2x and reduce, so the note's edge is anti-aliased like a camera's.
    # 1x pixel centre p lies at 2p + 0.5 in the 2x image.
    m2 = np.array([[2.0, 0, 0.5], [0, 2.0, 0.5], [0, 0, 1]]) @ m
    big = cv2.warpPerspective(img, m2, (2 * w, 2 * h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((nh, nw), np.float32), m2, (2 * w, 2 * h),
                               flags=cv2.INTER_LINEAR)
    warped = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)[..., None]
    out = bg * (1 - alpha) + warped * alpha

    if rng.random() < occlusion:  # a thumb holding the note at one edge
        k = int(rng.integers(4))
        p0, p1 = dst[k], dst[(k + 1) % 4]
        t = rng.uniform(0.25, 0.75)
        edge = p1 - p0
        normal = np.array([edge[1], -edge[0]]) / (np.linalg.norm(edge) + 1e-9)
        centre = dst.mean(axis=0)
        if np.dot(normal, (p0 + p1) / 2 - centre) < 0:
            normal = -normal  # point outwards
        note_h = np.linalg.norm(dst[3] - dst[0])
        length, width = rng.uniform(0.35, 0.5) * note_h, rng.uniform(0.14, 0.2) * note_h
        c = p0 + t * edge + normal * 0.25 * length
        ang = np.degrees(np.arctan2(normal[1], normal[0]))
        thumb = np.zeros((h, w), np.uint8)
        cv2.ellipse(thumb, (int(c[0]), int(c[1])), (int(length / 2), int(width / 2)), ang, 0,
                    360, 255, -1, cv2.LINE_AA)
        ta = cv2.GaussianBlur(thumb.astype(np.float32) / 255.0, (0, 0), 1.5)[..., None]
        skin = np.array([rng.uniform(90, 170), rng.uniform(120, 190), rng.uniform(170, 235)])
        out = out * (1 - ta) + skin.astype(np.float32) * ta * rng.uniform(0.8, 1.0)

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = rng.uniform(-1, 1, 2)
    light = 1 + 0.25 * (g[0] * (xx / w - 0.5) + g[1] * (yy / h - 0.5)) * 2
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    light -= rng.uniform(0, 0.25) * (((xx - cx) ** 2 + (yy - cy) ** 2) / (w * w + h * h))
    out *= np.clip(light, 0.5, 1.4)[..., None] * rng.uniform(0.85, 1.1)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.3))
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(rng.uniform(1, 5))
    return np.clip(out, 0, 255).round().astype(np.uint8), dst
