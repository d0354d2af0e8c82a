"""What the local-feature search's acceptance rules name right and wrong: the two lookups and
the correlation a registered note must reach.

Validation pictures only (the euro photos are the test set): the EUR and BRL scans (each side
enrolled from 1 whole-note scan of one capture condition, the other condition checked, both
ways; halves and quarters included) and the Vietnamese dong photos in hands (1 and 5 box crops
per denomination enrolled). Each picture is searched as the app's check searches it
(:meth:`SideIndex.search_picture`: the quick lookup, the wide one only where the quick one
verified nothing); the side with the most inliers names it. Prints, per set and per
``--correlations`` threshold, the share named right and named wrong, and what the wide lookup
added.

    python benchmarks/banknote_acceptance.py [--data ../shared/data/banknotes]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2

from desktop.core.banknote.keypoints import local_features
from desktop.core.banknote.model import BanknoteModel
from desktop.core.banknote.register import (
    MIN_CORRELATION,
    QUICK_LOOKUP,
    SideIndex,
)
from desktop.core.paths import default_banknote_model_dir
from training.banknote.folders import load_sample
from training.banknote.real import enrolled_folds, vnd_enrolled


def searched(index: SideIndex, image, value: str, currency: str) -> dict:
    """One picture searched as the app searches it: which lookup verified a side (0: none),
    whether its denomination is right, and its correlation."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    query = local_features(gray)
    attempts, nb, query = index.search_picture(image, gray, query)
    reg = attempts[0].registration if attempts else None
    if reg is None:
        return {"lookup": 0}
    wide = nb.index.shape[1] > QUICK_LOOKUP[0]  # the neighbours it was verified from
    return {"lookup": 2 if wide else 1, "right": reg.key.split("-")[:2] == [currency, value],
            "correlation": reg.correlation}


def scans(model: BanknoteModel, root: Path, currency: str) -> list[dict]:
    """Every scan of the other capture condition, 1 scan per side enrolled, both ways."""
    rows = []
    for enroller, tests in enrolled_folds(model, root, currency, 1):
        index = model.side_index(enroller.notes)
        rows += [searched(index, load_sample(s), s.denomination, currency) for s in tests]
    return rows


def dong(model: BanknoteModel, root: Path, per_class: int) -> list[dict]:
    """Dong photos in hands, ``per_class`` box crops per denomination enrolled."""
    enroller, tests = vnd_enrolled(model, root, per_class, 0)
    index = model.side_index(enroller.notes)
    return [searched(index, cv2.imread(str(path)), value, "VND") for value, path in tests]


def summary(rows: list[dict], threshold: float) -> dict:
    """Shares named right and wrong when a registration needs ``threshold`` correlation, and
    those the wide lookup named (right, wrong)."""
    kept = [r for r in rows if r["lookup"] and r["correlation"] >= threshold]
    n = max(len(rows), 1)
    return {"min_correlation": threshold, "pictures": len(rows),
            "right": sum(r["right"] for r in kept) / n,
            "wrong": sum(not r["right"] for r in kept) / n,
            "wide_right": sum(r["right"] for r in kept if r["lookup"] == 2) / n,
            "wide_wrong": sum(not r["right"] for r in kept if r["lookup"] == 2) / n}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    ap.add_argument("--correlations", type=float, nargs="+",
                    default=[MIN_CORRELATION, 0.35, 0.45, 0.55])
    ap.add_argument("--out", type=Path,
                    default=Path("benchmarks/results/banknote/acceptance.json"))
    args = ap.parse_args()
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    sets = {"EUR scans, 1 per side": scans(model, args.data / "eur_brl", "EUR"),
            "BRL scans, 1 per side": scans(model, args.data / "eur_brl", "BRL"),
            "VND photos, 1 per denomination": dong(model, args.data / "vnd", 1),
            "VND photos, 5 per denomination": dong(model, args.data / "vnd", 5)}
    report = []
    for name, rows in sets.items():
        for t in args.correlations:
            row = {"set": name, **summary(rows, t)}
            report.append(row)
            print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
