"""Banknote detection, rectification and orientation on synthetic captures: accuracy and speed.

Generates ``--n`` captures (training.banknote.synthetic: random currency, denomination and side, any
rotation, perspective, uneven light, blur, noise, folds and thumbs over an edge; genuine
notes) and times :func:`desktop.core.banknote.detect.read_note` on each (find, rectify, orient,
preprocess). Prints, overall and per condition: the mean and 95th-percentile corner error in
pixels (the mean distance of the four found corners to the true ones, named in the note's
own orientation: a wrong rotation counts as a large error), the same error up to a half turn
(geometry alone), the share of captures within 5 px, orientation accuracy (rotation and side
both right), failures (no note found) and milliseconds per capture.

    python benchmarks/banknote_rectification.py [--n 200] [--seed 0] [--size 480x640]
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np


def corner_errors(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(mean corner distance as named, the same allowing a half turn) in pixels."""
    named = float(np.linalg.norm(pred - truth, axis=1).mean())
    turned = float(np.linalg.norm(np.roll(pred, 2, axis=0) - truth, axis=1).mean())
    return named, min(named, turned)


def main() -> None:
    """Run the benchmark and print the table."""
    from desktop.core.banknote.detect import read_note
    from desktop.core.errors import InputImageError
    from training.banknote.capture import capture
    from training.banknote.synthetic import SIDES, catalogue, render_note

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", default="480x640", help="capture height x width")
    args = p.parse_args()
    h, w = (int(v) for v in args.size.lower().split("x"))
    cv2.setNumThreads(1)
    specs = [s for group in catalogue().values() for s in group]
    rng = np.random.default_rng(args.seed)
    rows: dict[str, list[tuple[float, float, bool, float]]] = {"all": []}
    fails: dict[str, int] = {"all": 0}
    for i in range(args.n):
        spec = specs[int(rng.integers(len(specs)))]
        side = SIDES[i % 2]
        note = render_note(spec, side, rng)
        image, truth = capture(note, rng, size=(h, w))
        conds = ["all", "upside down" if _upside_down(truth) else "upright-ish"]
        start = time.perf_counter()
        try:
            reading = read_note(image, f"capture{i}")
        except InputImageError:
            for c in conds:
                fails[c] = fails.get(c, 0) + 1
            continue
        ms = (time.perf_counter() - start) * 1000
        named, geom = corner_errors(reading.quad.corners, truth)
        ok = reading.orientation.side == side and named <= geom + 1e-6
        for c in conds:
            rows.setdefault(c, []).append((named, geom, ok, ms))
    print(f"{args.n} synthetic captures of {w}x{h} (width x height), seed {args.seed}; "
          "corner error in pixels")
    head = (f"{'subset':<14}{'n':>5}{'mean err':>10}{'p95 err':>9}{'geom mean':>11}"
            f"{'<=5 px':>8}{'orient':>8}{'failed':>8}{'ms/img':>8}")
    print(head)
    print("-" * len(head))
    for name, r in rows.items():
        if not r:
            continue
        a = np.array(r, dtype=np.float64)
        n = len(r) + fails.get(name, 0)
        print(f"{name:<14}{n:>5}{a[:, 0].mean():>10.2f}{np.percentile(a[:, 0], 95):>9.2f}"
              f"{a[:, 1].mean():>11.2f}{(a[:, 0] <= 5).mean():>8.1%}{a[:, 2].mean():>8.1%}"
              f"{fails.get(name, 0):>8}{a[:, 3].mean():>8.1f}")


def _upside_down(truth: np.ndarray) -> bool:
    """True when the note's own top edge lies below its bottom edge in the picture."""
    return bool(truth[0, 1] + truth[1, 1] > truth[2, 1] + truth[3, 1])


if __name__ == "__main__":
    main()
