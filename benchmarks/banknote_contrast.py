"""Whether the last search should read a contrast-stretched copy of the picture: validation
figures with and without :func:`desktop.core.banknote.keypoints.stretched`.

Validation pictures only (the euro photos and the EUR scans are the test sets): the BRL
scans (each side enrolled from 1 whole-note scan of one capture condition, every scan of the
other checked, both ways; named right by part), the BRL whole notes of a denomination that
is not enrolled (each left out in turn: the share passed as another denomination), and the
dong photos (1 and 5 photos enrolled per denomination). Each variant runs the app's own
check; ``none`` replaces the stretch with the picture itself.

    python benchmarks/banknote_contrast.py --variant stretch|none [--data ../shared/data/banknotes]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import desktop.core.banknote.register as register
from desktop.core.banknote.model import BanknoteModel
from desktop.core.errors import InputImageError
from desktop.core.paths import default_banknote_model_dir
from training.banknote.folders import load_sample
from training.banknote.real import enrolled_folds, left_out, vnd
from training.banknote.real_sets import eur_brl_folds, value_of


def brl_by_part(model: BanknoteModel, root: Path) -> dict:
    """BRL scans of the other condition: the outcome counts per part of the note."""
    parts: dict[str, Counter] = defaultdict(Counter)
    for enroller, tests in enrolled_folds(model, root, "BRL", 1):
        for s in tests:
            try:
                check = model.check(load_sample(s), s.member or str(s.path), enroller.notes)
            except InputImageError:
                parts[s.part]["refused"] += 1
                continue
            if check.registration is None:
                parts[s.part]["not verified"] += 1
            else:
                right = value_of(check.denomination.key) == s.denomination
                parts[s.part]["right" if right else "wrong"] += 1
    n = sum(sum(c.values()) for c in parts.values())
    return {"pictures": n, "right": sum(c["right"] for c in parts.values()) / n,
            "by_part": {p: dict(c) for p, c in sorted(parts.items())}}


def brl_not_enrolled(model: BanknoteModel, root: Path) -> dict:
    """Whole BRL scans whose denomination is not enrolled: counts of the answers."""
    folds = [left_out(model, [(k, load_sample(s), s.member or str(s.path)) for k, s in enrol],
                      [(s.denomination, load_sample(s), s.member or str(s.path))
                       for s in tests if s.part == "whole"])
             for enrol, tests in eur_brl_folds(root, "BRL", 1)]
    counts = {k: sum(f[k] for f in folds) for k in folds[0]}
    return {**counts, "passed_as_another": counts["named_another_passed"] / counts["pictures"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", choices=("stretch", "none"), required=True)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/banknote"))
    args = ap.parse_args()
    if args.variant == "none":
        register.stretched = lambda gray: gray  # the name the search calls
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    t0 = time.perf_counter()
    report = {"variant": args.variant,
              "brl_scans": brl_by_part(model, args.data / "eur_brl"),
              "brl_not_enrolled": brl_not_enrolled(model, args.data / "eur_brl"),
              "vnd": {f"{k}_per_class": vnd(model, args.data / "vnd", k, 0) for k in (1, 5)}}
    report["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(report, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"contrast_{args.variant}.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
