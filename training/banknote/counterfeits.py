"""Counterfeits of the synthetic notes: one defect each (:data:`COUNTERFEIT_KINDS`)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from training.banknote.synthetic import NoteSpec, catalogue, render_side, serial_number

COUNTERFEIT_KINDS = ("colour_shift", "missing_thread", "misplaced_thread", "blurred_lines",
                     "halftone", "mismatched_pair")


def counterfeit(spec: NoteSpec, side: str, kind: str, rng: np.random.Generator,
                other: NoteSpec | None = None) -> np.ndarray:
    """Draw a counterfeit of ``spec``'s ``side``, of one of :data:`COUNTERFEIT_KINDS`.

    It takes the serial from ``rng`` first, exactly as
    :func:`training.banknote.synthetic.render_note` does, so with a generator in the same
    state it differs from the genuine note only by the defect:
    ``colour_shift`` (hue and saturation off), ``missing_thread``, ``misplaced_thread`` (moved
    10-20% of the width towards the centre), ``blurred_lines`` (guilloche smeared),
    ``halftone`` (a printed copy: CMY dot screens), ``mismatched_pair`` (this side taken from
    ``other``, another denomination of the same currency: a front of one note glued to the
    back of another).
    """
    serial = serial_number(rng)
    if kind == "missing_thread":
        return render_side(spec, side, serial, thread_dx=None)
    if kind == "misplaced_thread":
        return render_side(spec, side, serial, thread_dx=float(rng.uniform(0.10, 0.20)))
    if kind == "blurred_lines":
        return render_side(spec, side, serial, blur_lines=True)
    if kind == "mismatched_pair":
        if other is None:
            others = [s for s in catalogue()[spec.currency] if s.denomination != spec.denomination]
            other = others[int(rng.integers(len(others)))]
        return render_side(replace(other, aspect=spec.aspect), side, serial)
    note = render_side(spec, side, serial)
    if kind == "colour_shift":
        hsv = cv2.cvtColor(note, cv2.COLOR_BGR2HSV).astype(np.int32)
        shift = int(rng.integers(14, 30)) * (1 if rng.random() < 0.5 else -1)
        hsv[..., 0] = (hsv[..., 0] + shift) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(1.2, 1.6), 0, 255)
        return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
    if kind == "halftone":
        return halftone(note)
    raise ValueError(
        f"unknown counterfeit kind {kind!r}; use one of {', '.join(COUNTERFEIT_KINDS)}")


def halftone(note: np.ndarray, period: float = 4.0) -> np.ndarray:
    """Reprint ``note`` with cyan, magenta and yellow dot screens (15, 75, 0 degrees)."""
    h, w = note.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cmy = 1.0 - note.astype(np.float32) / 255.0  # B,G,R -> Y,M,C coverage
    out = np.empty_like(cmy)
    for ch, angle in enumerate((0.0, 75.0, 15.0)):
        a = np.deg2rad(angle)
        u = (xx * np.cos(a) + yy * np.sin(a)) * 2 * np.pi / period
        v = (-xx * np.sin(a) + yy * np.cos(a)) * 2 * np.pi / period
        screen = (np.cos(u) + np.cos(v) + 2) / 4  # 0..1 threshold pattern
        out[..., ch] = (cmy[..., ch] > screen).astype(np.float32)
    printed = 255.0 * (1.0 - 0.92 * out)
    return np.clip(cv2.GaussianBlur(printed, (0, 0), 0.5), 0, 255).round().astype(np.uint8)
