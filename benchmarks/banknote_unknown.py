"""A denomination that is not enrolled: how often its notes register as another one, and how
well regional agreement tells those from right registrations (chooses ``PARTIAL_AGREEMENT``,
then ``COLOUR_FLOOR`` and ``COLOUR_LAYOUT`` of ``desktop/core/banknote/check.py``).

Notes of one series share part of their design (the euro's flag, map and signature; the
real's common back), so a note whose own denomination is not enrolled often registers on
those parts as another. For each set, every denomination is left out in turn: its pictures
are searched among the other denominations' sides (``not enrolled``) and among all sides
(``right`` where the right side is found). The agreement of a registration is the lower
quartile of its regions' gradient correlations with the reference
(:func:`desktop.core.banknote.regions.region_correlations`); its colour difference (layout,
cast) is :func:`desktop.core.banknote.regions.colour_difference`. The thresholds are chosen
on the validation sets (BRL scans, dong photos: right kept minus not-enrolled kept,
averaged), the region threshold alone first, then the colour rule's floor and layout with it
(the cast's limit is the app's, not fitted); the EUR scans and photos are the test.

    python benchmarks/banknote_unknown.py [--data ../shared/data/banknotes]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.check import MAX_COLOUR_CAST, agrees_in_full
from desktop.core.banknote.keypoints import local_features
from desktop.core.banknote.manifest import class_key
from desktop.core.banknote.model import BanknoteModel
from desktop.core.banknote.regions import colour_difference, region_correlations
from desktop.core.banknote.register import SideIndex
from desktop.core.paths import default_banknote_model_dir
from training.banknote.folders import load_sample
from training.banknote.real import Enroller
from training.banknote.real_sets import (
    eur_brl_folds,
    eur_reference_key,
    value_of,
    vnd_box,
    vnd_split,
)

VALIDATION = ("BRL scans", "VND photos")
THRESHOLDS = np.round(np.arange(0.20, 0.61, 0.05), 2)
FLOORS = (0.20, 0.25, 0.30, 0.35)
LAYOUTS = (2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
Picture = tuple[str, np.ndarray]  # (denomination value, picture)
Agreement = tuple[list[float], list[float] | None]  # regions; colour (layout, cast) or None


def agreement(index: SideIndex, image: np.ndarray) -> tuple[str, Agreement] | None:
    """The key the search registers, its agreement and its colour difference (None: nothing
    verified)."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    attempts, _, _ = index.search_picture(image, gray, local_features(gray))
    reg = attempts[0].registration if attempts else None
    if reg is None:
        return None
    regions = region_correlations(gray, reg)
    regions = regions[np.isfinite(regions)]  # regions mostly outside the picture left out
    colour = colour_difference(image, reg)
    return reg.key, (regions.tolist(), None if colour is None else list(colour))


def leave_each_out(model: BanknoteModel, pictures: list[Picture],
                   enrol: list[tuple[str, np.ndarray]]) -> dict:
    """Agreements of right registrations (all enrolled) and of registrations of a picture
    whose denomination was left out; the number of pictures."""
    out: dict = {"right": [], "not_enrolled": [], "pictures": 0}
    everything = Enroller(model)
    for key, image in enrol:
        everything.add(key, image, key)
    full = model.side_index(everything.notes)
    for value in sorted({value_of(k) for k, _ in enrol}):
        others = Enroller(model)
        for key, image in enrol:
            if value_of(key) != value:
                others.add(key, image, key)
        partial = model.side_index(others.notes)
        for v, image in pictures:
            if v != value:
                continue
            out["pictures"] += 1
            found = agreement(full, image)
            if found is not None and value_of(found[0]) == v:
                out["right"].append(found[1])
            found = agreement(partial, image)
            if found is not None:
                out["not_enrolled"].append(found[1])
    return out


def sets(model: BanknoteModel, data: Path) -> Iterable[tuple[str, dict]]:
    """Each set's agreements, both capture conditions of the scans pooled."""
    for currency in ("BRL", "EUR"):
        pooled: dict = {"right": [], "not_enrolled": [], "pictures": 0}
        for enrol, tests in eur_brl_folds(data / "eur_brl", currency, 1):
            got = leave_each_out(model, [(s.denomination, load_sample(s)) for s in tests
                                         if s.part == "whole"],
                                 [(k, load_sample(s)) for k, s in enrol])
            for kind, values in got.items():
                pooled[kind] += values
        yield f"{currency} scans", pooled
    enrol, tests = vnd_split(data / "vnd", 5, seed=0)
    yield "VND photos", leave_each_out(
        model, [(v, cv2.imread(str(p))) for v, p in tests],
        [(class_key("VND", v, "front"), vnd_box(p, cv2.imread(str(p)))) for v, p in enrol])
    refs = sorted((data / "eur_photos" / "references").glob("*.jpg"))
    photos = [(p.stem.split("___")[0], cv2.imread(str(p)))
              for p in sorted((data / "eur_photos" / "photos").iterdir())]
    yield "EUR photos", leave_each_out(
        model, [(v, im) for v, im in photos if "-" not in v and im is not None],
        [(eur_reference_key(p), cv2.imread(str(p))) for p in refs])


def kept(values: list[Agreement], threshold: float,
         colour: tuple[float, float] | None = None) -> float:
    """Share of registrations that agree in full (the app's :func:`agrees_in_full`) with
    their regions' lower quartile at ``threshold`` and, with ``colour`` = (floor, layout),
    that colour rule (without: none)."""
    floor, layout = colour if colour is not None else (np.inf, 0.0)
    ok = [agrees_in_full(np.array(regions), lambda c=c: c, threshold, floor, layout)
          for regions, c in values]
    return float(np.mean(ok)) if ok else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    ap.add_argument("--out", type=Path,
                    default=Path("benchmarks/results/banknote/unknown.json"))
    args = ap.parse_args()
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    measured = dict(sets(model, args.data))

    def score(t: float, colour: tuple[float, float] | None = None) -> float:
        return float(np.mean([kept(measured[s]["right"], t, colour)
                              - kept(measured[s]["not_enrolled"], t, colour)
                              for s in VALIDATION]))

    def both(m: dict, t: float, colour: tuple[float, float] | None = None) -> dict:
        return {"right": kept(m["right"], t, colour),
                "not_enrolled": kept(m["not_enrolled"], t, colour)}

    chosen = max(THRESHOLDS, key=score)
    rule = max(((f, c) for f in FLOORS for c in LAYOUTS), key=lambda fc: score(chosen, fc))
    report = {"validation": list(VALIDATION), "chosen": float(chosen),
              "colour": {"floor": rule[0], "layout": rule[1], "max_cast": MAX_COLOUR_CAST,
                         "score": score(chosen, rule), "score_without": score(chosen)},
              "sets": {name: {"pictures": m["pictures"], "right": len(m["right"]),
                              "not_enrolled": len(m["not_enrolled"]),
                              "kept": {f"{t:.2f}": both(m, t) for t in THRESHOLDS},
                              "kept_with_colour": both(m, chosen, rule)}
                       for name, m in measured.items()}}
    for name, row in report["sets"].items():
        print(name, json.dumps(row["kept"][f"{chosen:.2f}"]), "with colour",
              json.dumps(row["kept_with_colour"]), flush=True)
    print("chosen on", VALIDATION, ":", chosen, "colour (floor, layout):", rule)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
