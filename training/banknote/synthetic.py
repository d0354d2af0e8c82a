"""Synthetic banknotes of invented currencies: the catalogue and the rendering of both sides.

Three invented currencies (ARC, BOR, CYR), 5 or 6 denominations each, every denomination in
its own colour. A note is drawn on a canonical canvas ``CANON_H`` pixels high (the width
follows the currency's aspect ratio) with: tinted paper, guilloche waves and rosettes (thin
lines), a watermark window (a light oval), a portrait-like bust (front) or an arcade (back),
a large numeral, small numerals and text, and a security thread.

The layout is a rule shared by every note, which :mod:`desktop.core.banknote.detect` uses to find
orientation and side without knowing the denomination: the large numeral sits in the
**top-right** corner of the front and the **top-left** corner of the back; the thread is left
of centre on the front and, being one physical thread, mirrored (right of centre) on the back;
the watermark window is near the left edge of the front (right edge of the back).

Counterfeits are in :mod:`training.banknote.counterfeits`; :func:`training.banknote.capture.capture`
photographs a note on a table or cloth; :mod:`training.banknote.folders` writes the synthetic data
set and reads banknote folders. Never real banknotes: these exist so that detection,
orientation and counterfeit checks have a measurable truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CANON_H = 240
SIDES = ("front", "back")
# currency -> (aspect ratio width/height, denominations, base hue (OpenCV 0-180), thread x)
_CURRENCIES = {
    "ARC": (2.20, (5, 10, 20, 50, 100), 0, 0.30),
    "BOR": (2.35, (1, 5, 10, 25, 100), 12, 0.36),
    "CYR": (2.10, (2, 10, 20, 50, 200, 500), 25, 0.33),
}
_NAMES = {"ARC": "CENTRAL BANK OF ARCADIA", "BOR": "BOREAL RESERVE", "CYR": "BANK OF CYRENE"}


@dataclass(frozen=True)
class NoteSpec:
    """One denomination's design: everything needed to draw both sides."""

    currency: str
    denomination: int
    aspect: float  # width / height
    hue: int  # OpenCV hue, 0-179
    thread_x: float  # thread centre on the front, relative to the width
    window_x: float  # watermark window centre on the front, relative to the width
    design_seed: int

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the canonical rendering."""
        return CANON_H, round(CANON_H * self.aspect)



def catalogue() -> dict[str, list[NoteSpec]]:
    """Every invented currency and its denominations, in a fixed order."""
    out: dict[str, list[NoteSpec]] = {}
    for ci, (cur, (aspect, denoms, base_hue, thread_x)) in enumerate(_CURRENCIES.items()):
        n = len(denoms)
        out[cur] = [
            NoteSpec(cur, d, aspect, int((base_hue + i * 180 / n) % 180),
                     round(thread_x + 0.012 * i, 3), 0.13, 1000 * ci + i)
            for i, d in enumerate(denoms)
        ]
    return out


def find_spec(currency: str, denomination: int) -> NoteSpec:
    """The catalogue entry for ``currency`` and ``denomination`` (``KeyError`` if none)."""
    for spec in catalogue().get(currency, []):
        if spec.denomination == int(denomination):
            return spec
    raise KeyError(f"no {currency} {denomination} note in the catalogue")


def _bgr(h: float, s: float, v: float) -> np.ndarray:
    hsv = np.uint8([[[int(h) % 180, int(np.clip(s * 255, 0, 255)), int(np.clip(v * 255, 0, 255))]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


def _composite(page: np.ndarray, alpha: np.ndarray, colour: np.ndarray) -> None:
    a = alpha[..., None].astype(np.float32)
    page *= 1 - a
    page += a * colour


def _text(layer: np.ndarray, text: str, x: float, y: float, height: float, thick: int,
          font: int = cv2.FONT_HERSHEY_SIMPLEX, right: bool = False, max_w: float = 1e9) -> None:
    """Draw ``text`` with cap height ``height`` (shrunk to fit ``max_w``), baseline at y."""
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, thick)
    scale = min(height / max(th, 1), max_w / max(tw, 1))
    if right:
        x -= tw * scale
    cv2.putText(layer, text, (int(round(x)), int(round(y))), font, scale, 255, thick, cv2.LINE_AA)


def _guilloche(h: int, w: int, drng: np.random.Generator, side: int) -> np.ndarray:
    """Thin-line security pattern: wave bands and two parametric rosettes (uint8 opacity)."""
    layer = np.zeros((h, w), np.uint8)
    xs = np.arange(0, w, 2, dtype=np.float32)
    lam, amp = drng.uniform(60, 140), drng.uniform(6, 16)
    for k in range(16):
        y = h * (0.06 + 0.058 * k) + amp * np.sin(2 * np.pi * xs / lam + 0.45 * k + side)
        pts = np.stack([xs, y], axis=1).round().astype(np.int32)
        cv2.polylines(layer, [pts], False, 255, 1, cv2.LINE_AA)
    th = np.linspace(0, 2 * np.pi, 720, dtype=np.float32)
    centres = [(0.83, 0.74), (0.5, 0.5)] if side == 0 else [(0.17, 0.74), (0.62, 0.35)]
    for cx, cy in centres:
        lobes, radius = int(drng.integers(5, 11)), h * drng.uniform(0.16, 0.22)
        for m in range(9):
            r = radius * (0.72 + 0.28 * np.cos(lobes * th + m * np.pi / 9))
            pts = np.stack([cx * w + r * np.cos(th), cy * h + r * np.sin(th)], axis=1)
            cv2.polylines(layer, [pts.round().astype(np.int32)], True, 255, 1, cv2.LINE_AA)
    return layer


def _bust(layer: np.ndarray, cx: float, cy: float, s: float) -> None:
    """An abstract face and shoulders from ellipses and strokes (``s``: head half-height)."""
    c = (int(cx), int(cy))
    t = 2
    cv2.ellipse(layer, c, (int(0.78 * s), int(s)), 0, 0, 360, 255, t, cv2.LINE_AA)
    for dx in (-0.32, 0.32):  # eyes and brows
        cv2.ellipse(layer, (int(cx + dx * s), int(cy - 0.15 * s)), (int(0.14 * s), int(0.06 * s)),
                    0, 0, 360, 255, 1, cv2.LINE_AA)
        cv2.ellipse(layer, (int(cx + dx * s), int(cy - 0.3 * s)), (int(0.18 * s), int(0.08 * s)),
                    0, 200, 340, 255, t, cv2.LINE_AA)
    cv2.line(layer, (int(cx), int(cy - 0.1 * s)), (int(cx - 0.08 * s), int(cy + 0.25 * s)), 255,
             1, cv2.LINE_AA)
    cv2.ellipse(layer, (int(cx), int(cy + 0.48 * s)), (int(0.26 * s), int(0.08 * s)), 0, 10, 170,
                255, t, cv2.LINE_AA)
    for k in range(7):  # hair strokes
        cv2.ellipse(layer, (int(cx + (k - 3) * 0.1 * s), int(cy - 0.35 * s)),
                    (int(0.55 * s), int(0.75 * s)), -15 + 5 * k, 190, 330, 255, 1, cv2.LINE_AA)
    for dx in (-0.3, 0.3):  # neck and shoulders
        x = int(cx + dx * s)
        cv2.line(layer, (x, int(cy + 0.9 * s)), (x, int(cy + 1.3 * s)), 255, t, cv2.LINE_AA)
    cv2.ellipse(layer, (int(cx), int(cy + 2.1 * s)), (int(1.7 * s), int(0.85 * s)), 0, 180, 360,
                255, t, cv2.LINE_AA)


def _arcade(layer: np.ndarray, cx: float, base: float, w: float, h: float) -> None:
    """An abstract building: a row of arches on pillars under a pediment."""
    n = 5
    aw = w / n
    for i in range(n):
        x = cx - w / 2 + (i + 0.5) * aw
        cv2.ellipse(layer, (int(x), int(base - 0.55 * h)), (int(0.38 * aw), int(0.3 * h)), 0, 180,
                    360, 255, 2, cv2.LINE_AA)
        for dx in (-0.38, 0.38):
            cv2.line(layer, (int(x + dx * aw), int(base - 0.55 * h)), (int(x + dx * aw), int(base)),
                     255, 2, cv2.LINE_AA)
    cv2.line(layer, (int(cx - w / 2), int(base)), (int(cx + w / 2), int(base)), 255, 2, cv2.LINE_AA)
    top = np.int32([[cx - w / 2, base - 0.9 * h], [cx, base - 1.25 * h],
                    [cx + w / 2, base - 0.9 * h]])
    cv2.polylines(layer, [top], True, 255, 2, cv2.LINE_AA)


def _thread(page: np.ndarray, x: float, front: bool) -> None:
    """Windowed thread: dashes on the front, a fainter solid band seen through on the back."""
    h = page.shape[0]
    alpha = np.zeros(page.shape[:2], np.float32)
    if front:
        half = 3.5
        for y0 in range(4, h, 22):
            alpha[y0: y0 + 14, int(round(x - half)): int(round(x + half))] = 0.92
    else:
        alpha[:, int(round(x - 2)): int(round(x + 2))] = 0.55
    _composite(page, alpha, np.float32([70, 66, 62]))


def render_side(spec: NoteSpec, side: str, serial: str, *, thread_dx: float | None = 0.0,
            blur_lines: bool = False) -> np.ndarray:
    """Draw one side. ``thread_dx``: thread shift (relative width), None for no thread."""
    if side not in SIDES:
        raise ValueError(f"side must be 'front' or 'back', not {side!r}")
    front = side == "front"
    h, w = spec.size
    drng = np.random.default_rng([spec.design_seed, 0 if front else 1])
    hue = spec.hue + (0 if front else 6)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = (xx / w)[..., None]
    page = _bgr(hue, 0.16, 0.97) * (1 - g) + _bgr(hue + 10, 0.24, 0.93) * g

    lines = _guilloche(h, w, drng, 0 if front else 1).astype(np.float32) / 255.0
    if blur_lines:  # a copy that lost the fine lines: smeared and fainter
        lines = cv2.GaussianBlur(lines, (0, 0), 1.8) * 0.8
    _composite(page, lines * 0.6, _bgr(hue + 20, 0.55, 0.6))
    # Watermark window: an unprinted light oval with a faint head in it.
    wx = (spec.window_x if front else 1 - spec.window_x) * w
    win = np.zeros((h, w), np.uint8)
    cv2.ellipse(win, (int(wx), h // 2), (int(0.085 * w), int(0.36 * h)), 0, 0, 360, 255, -1)
    win_a = cv2.GaussianBlur(win.astype(np.float32) / 255.0, (0, 0), 3) * 0.9
    _composite(page, win_a, np.float32([246, 247, 248]))
    head = np.zeros((h, w), np.uint8)
    cv2.ellipse(head, (int(wx), int(0.45 * h)), (int(0.04 * w), int(0.13 * h)), 0, 0, 360, 255, -1)
    _composite(page, cv2.GaussianBlur(head.astype(np.float32), (0, 0), 5) / 255.0 * 0.12,
               _bgr(hue, 0.3, 0.7))

    ink = _bgr(hue, 0.85, 0.32)
    motif = np.zeros((h, w), np.uint8)
    if front:
        _bust(motif, 0.55 * w, 0.42 * h, 0.2 * h)
    else:
        _arcade(motif, 0.5 * w, 0.86 * h, 0.36 * w, 0.42 * h)
    cv2.rectangle(motif, (5, 5), (w - 6, h - 6), 255, 2, cv2.LINE_AA)
    _composite(page, motif / 255.0 * 0.85, ink)

    big, small = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
    num = str(spec.denomination)
    font = cv2.FONT_HERSHEY_TRIPLEX
    if front:
        _text(big, num, 0.95 * w, 0.47 * h, 0.36 * h, 13, font, right=True, max_w=0.3 * w)
        _text(small, num, 0.05 * w, 0.9 * h, 0.1 * h, 2, font, max_w=0.12 * w)
        _text(small, _NAMES[spec.currency], 0.05 * w, 0.12 * h, 0.05 * h, 1, max_w=0.4 * w)
        _text(small, serial, 0.42 * w, 0.93 * h, 0.045 * h, 1)
    else:
        _text(big, num, 0.05 * w, 0.47 * h, 0.36 * h, 13, font, max_w=0.3 * w)
        _text(small, num, 0.95 * w, 0.9 * h, 0.1 * h, 2, font, right=True, max_w=0.12 * w)
        _text(small, f"{num} {spec.currency}", 0.05 * w, 0.9 * h, 0.06 * h, 1, max_w=0.3 * w)
    _composite(page, small / 255.0, ink)
    _composite(page, big / 255.0, _bgr(hue, 0.9, 0.28))

    if thread_dx is not None:
        tx = spec.thread_x + thread_dx
        _thread(page, (tx if front else 1 - tx) * w, front)
    return np.clip(page, 0, 255).round().astype(np.uint8)


def serial_number(rng: np.random.Generator) -> str:
    """A serial number: two letters and eight digits, drawn from ``rng``."""
    letters = "".join(chr(65 + int(v)) for v in rng.integers(0, 26, 2))
    return f"{letters}{int(rng.integers(0, 10**8)):08d}"


def render_note(spec: NoteSpec, side: str, rng: np.random.Generator) -> np.ndarray:
    """Draw one side of a genuine note, BGR uint8 of shape ``spec.size`` (+3 channels).

    The design is fixed by ``spec``; ``rng`` only draws the serial number, so two calls with
    generators in the same state give identical images.
    """
    return render_side(spec, side, serial_number(rng))
