"""Whether the confidence shown for a verified side is calibrated, and whether a refit helps.

Every picture in which the app's own check verifies a side gives one row: the log ratio of
its inliers to the best rival denomination's (what the app's fit,
:data:`desktop.core.banknote.check.CONFIDENCE_FIT`, reads), the share of the note in the
picture, and whether the denomination is right. A logistic regression of *right* on both is
refitted on the **validation** pictures only: the BRL scans (each side enrolled from 1
whole-note scan of one capture condition, the other condition checked, both ways) and the
dong photos (1 and 5 photos enrolled per denomination). The EUR scans (same protocol) and the
euro photos of one note are the **test** pictures: reported, never fitted. For each set (and
the scans by part): the mean confidence against the share named right, by confidence bin,
and the expected calibration error (ECE), for the app's confidence (``app``) and for the
refit's (``refit``).

    python benchmarks/banknote_confidence.py [--data ../shared/data/banknotes]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.check import (
    CONFIDENCE_FIT,
    MATCHES_IN_PART,
    MAX_CONFIDENCE,
    PARTIAL_CONFIDENCE,
    confidence_inputs,
)
from desktop.core.banknote.model import BanknoteModel
from desktop.core.errors import InputImageError
from desktop.core.paths import default_banknote_model_dir
from training.banknote.folders import load_sample
from training.banknote.real import enrolled_folds, euro_references, vnd_enrolled
from training.banknote.real_sets import value_of

BINS = (0.0, 0.5, 0.8, 0.95, 0.99, 1.01)


def _row(check, right: bool, part: str) -> dict | None:
    """One verified check as a row (None when no side was verified)."""
    if check.registration is None:
        return None
    ratio, visible = confidence_inputs(check.registration, check.attempts)
    partial = any(getattr(r, "template", None) == MATCHES_IN_PART for r in check.reasons)
    return {"log_ratio": ratio, "visible": visible, "partial": partial, "right": bool(right),
            "part": part, "confidence": float(check.top[0].confidence)}


def _checked(model: BanknoteModel, image, name: str, notes, right, part: str,
             rows: list[dict]) -> None:
    """Check one picture; add its row when a side is verified (``right``: whether a key
    names the right denomination)."""
    try:
        check = model.check(image, name, notes)
    except InputImageError:
        return
    row = _row(check, right(check.denomination.key), part)
    if row:
        rows.append(row)


def scans(model: BanknoteModel, root: Path, currency: str) -> list[dict]:
    """Rows of one currency's scans of the other capture condition, 1 scan per side."""
    rows: list[dict] = []
    for enroller, tests in enrolled_folds(model, root, currency, 1):
        for s in tests:
            _checked(model, load_sample(s), s.member or str(s.path), enroller.notes,
                     lambda k, d=s.denomination: value_of(k) == d, s.part, rows)
    return rows


def dong(model: BanknoteModel, root: Path, per_class: int) -> list[dict]:
    """Rows of the dong photos, ``per_class`` photos enrolled per denomination."""
    enroller, tests = vnd_enrolled(model, root, per_class, 0)
    rows: list[dict] = []
    for value, path in tests:
        _checked(model, cv2.imread(str(path)), path.name, enroller.notes,
                 lambda k, v=value: value_of(k) == v, "photo", rows)
    return rows


def euro_photos(model: BanknoteModel, root: Path) -> list[dict]:
    """Rows of the euro photos of one note, each side enrolled from its flat picture."""
    enroller = euro_references(model, root)
    rows: list[dict] = []
    for path in sorted((root / "photos").iterdir()):
        value, image = path.stem.split("___")[0], cv2.imread(str(path))
        if "-" not in value and image is not None:
            _checked(model, image, path.name, enroller.notes,
                     lambda k, v=value: value_of(k) == v, "photo", rows)
    return rows


def refitted(rows: list[dict], coef: tuple[float, float, float]) -> list[dict]:
    """The rows with the confidence the app would show with the fit ``coef`` (capped as the
    app caps it: :data:`MAX_CONFIDENCE`, and :data:`PARTIAL_CONFIDENCE` for a note that
    agrees with its reference only in part)."""
    a, b, c = coef
    out = []
    for r in rows:
        conf = min(MAX_CONFIDENCE, 1 / (1 + np.exp(-(a * r["log_ratio"] + b * r["visible"]
                                                     + c))))
        out.append({**r, "confidence": min(conf, PARTIAL_CONFIDENCE) if r["partial"] else conf})
    return out


def calibration(rows: list[dict]) -> dict:
    """Mean confidence against the share right, by bin, and the expected calibration error."""
    conf = np.array([r["confidence"] for r in rows])
    right = np.array([r["right"] for r in rows], float)
    out = {"verified": len(rows), "mean_confidence": float(conf.mean()),
           "right": float(right.mean()), "bins": []}
    ece = 0.0
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        m = (conf >= lo) & (conf < hi)
        if m.any():
            out["bins"].append({"from": lo, "n": int(m.sum()),
                                "mean_confidence": float(conf[m].mean()),
                                "right": float(right[m].mean())})
            ece += m.mean() * abs(conf[m].mean() - right[m].mean())
    out["ece"] = float(ece)
    return out


def fit(rows: list[dict]) -> tuple[float, float, float]:
    """(a, b, c) of P(right) = 1 / (1 + exp(-(a * log_ratio + b * visible + c))), fitted by
    an almost unregularised logistic regression on ``rows``."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[r["log_ratio"], r["visible"]] for r in rows])
    y = np.array([r["right"] for r in rows])
    lr = LogisticRegression(C=1e4, max_iter=1000).fit(x, y)
    return float(lr.coef_[0, 0]), float(lr.coef_[0, 1]), float(lr.intercept_[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    ap.add_argument("--out", type=Path,
                    default=Path("benchmarks/results/banknote/confidence.json"))
    args = ap.parse_args()
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    t0 = time.perf_counter()
    validation = {"BRL scans": scans(model, args.data / "eur_brl", "BRL"),
                  "dong photos, 1 per denomination": dong(model, args.data / "vnd", 1),
                  "dong photos, 5 per denomination": dong(model, args.data / "vnd", 5)}
    test = {"EUR scans": scans(model, args.data / "eur_brl", "EUR"),
            "EUR photos of one note": euro_photos(model, args.data / "eur_photos")}
    coef = fit([r for rows in validation.values() for r in rows])
    sets = {**{f"validation: {k}": v for k, v in validation.items()},
            **{f"test: {k}": v for k, v in test.items()}}
    for name in ("BRL scans", "EUR scans"):
        rows = validation.get(name) or test[name]
        role = "validation" if name in validation else "test"
        for part in ("whole", "half", "quarter"):
            sets[f"{role}: {name}, {part}"] = [r for r in rows if r["part"] == part]
    report = {
        "app_fit": list(CONFIDENCE_FIT),  # the app's fit when this ran
        "fit_on_validation": list(coef),  # (log ratio, share visible, intercept)
        "app": {k: calibration(v) for k, v in sets.items() if v},
        "refit": {k: calibration(refitted(v, coef)) for k, v in sets.items() if v},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(report, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
