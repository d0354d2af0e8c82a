"""Cheque signature extraction on synthetic cheques: accuracy against the true ink, and speed.

Generates ``--n`` cheques (training.signature.cheques; genuine and forged signatures of random
writers,
200-300 dpi, skew within +-2.5 degrees), encodes each in one of the scanner formats (rotating),
then times decoding from memory (desktop.core.imaging.decode.load_pages, as extract_from_file does
after reading the file) plus extraction (desktop.core.signature.cheque). Prints, per
format: mean pixel precision / recall / F1 of the extracted ink against the signature's true
ink (with a ``--tol``-pixel tolerance), the share of cheques with F1 >= 0.9, the mean and worst
skew error, failures, and milliseconds per cheque (load + extract).

    python benchmarks/cheque_extraction.py [--n 200] [--seed 0] [--tol 2]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import cv2
import numpy as np


def mask_scores(pred: np.ndarray, truth: np.ndarray, tol: int = 2) -> tuple[float, float, float]:
    """Pixel precision, recall and F1 of ``pred`` against ``truth``, each allowed ``tol`` px."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    t_grown = cv2.dilate(truth.astype(np.uint8), k) > 0
    p_grown = cv2.dilate(pred.astype(np.uint8), k) > 0
    p = float((pred & t_grown).sum()) / max(1, int(pred.sum()))
    r = float((truth & p_grown).sum()) / max(1, int(truth.sum()))
    return p, r, (2 * p * r / (p + r) if p + r > 0 else 0.0)


def main() -> None:
    """Run the benchmark and print the table."""
    from desktop.core.errors import InputImageError
    from desktop.core.imaging.decode import load_pages
    from desktop.core.signature.cheque import extract_signature
    from training.signature.cheques import FORMATS, encode_cheque, make_cheque
    from training.signature.synthetic import make_writer

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tol", type=int, default=2)
    args = p.parse_args()
    cv2.setNumThreads(1)

    rng = np.random.default_rng(args.seed)
    rows: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for i in range(args.n):
        fmt = FORMATS[i % len(FORMATS)]
        style = make_writer(rng)
        cheque = make_cheque(rng, style, forgery=bool(rng.random() < 0.5),
                             colour=fmt.endswith("colour"))
        data = encode_cheque(cheque, fmt)
        start = time.perf_counter()
        try:
            front = load_pages(f"cheque{i}", data=data)[0]
            ext = extract_signature(front)
        except InputImageError:
            failures[fmt] += 1
            continue
        ms = 1000 * (time.perf_counter() - start)
        prec, rec, f1 = mask_scores(ext.mask_in_page, cheque.signature_mask, args.tol)
        rows[fmt].append((prec, rec, f1, abs(ext.angle - cheque.angle), ms))

    print(f"{args.n} synthetic cheques, seed {args.seed}, tolerance {args.tol} px, "
          f"1 OpenCV thread")
    head = (f"{'format':<12} | {'n':>3} | {'precision':>9} | {'recall':>6} | {'F1':>5} | "
            f"{'F1>=0.9':>7} | {'angle err':>9} | {'worst':>5} | {'failed':>6} | {'ms/cheque':>9}")
    print(head)
    print("-" * len(head))
    every: list[tuple[float, ...]] = []
    for fmt in (*FORMATS, "all"):
        r = np.array(every if fmt == "all" else rows[fmt], dtype=np.float64).reshape(-1, 5)
        fails = sum(failures.values()) if fmt == "all" else failures[fmt]
        if fmt != "all":
            every.extend(rows[fmt])
        if len(r) == 0:
            print(f"{fmt:<12} | {0:>3} | {'':>9} | {'':>6} | {'':>5} | {'':>7} | {'':>9} | "
                  f"{'':>5} | {fails:>6} |")
            continue
        print(f"{fmt:<12} | {len(r):>3} | {r[:, 0].mean():>9.3f} | {r[:, 1].mean():>6.3f} | "
              f"{r[:, 2].mean():>5.3f} | {100 * (r[:, 2] >= 0.9).mean():>6.0f}% | "
              f"{r[:, 3].mean():>8.3f}° | {r[:, 3].max():>4.2f}° | {fails:>6} | "
              f"{r[:, 4].mean():>9.1f}")


if __name__ == "__main__":
    main()
