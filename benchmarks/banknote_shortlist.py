"""What the local-feature search needs as enrolled sides grow: a validation sweep of the
shortlist's length and of the nearest-neighbour lookup (neighbours per keypoint, kd-tree
checks).

Validation pictures only (the euro photos are the test set): the BRL scans. Each BRL side is
enrolled from 1 whole-note scan of one capture condition; filler sides bring the enrolled
total to each ``--sides`` size (whole EUR scans and dong box crops, each under a key of its
own, as in ``banknote_sides.py``); every BRL scan of the other condition (whole notes,
halves, quarters) is searched once with a long shortlist, and the result each shorter
shortlist would have given is read off it: the verified side with the most inliers among
the first ``S`` by votes. Each ``--lookups`` setting (``K:CHECKS``) is a search of its own.
Prints, per size, lookup and shortlist, the share named right and named wrong, and the
search time.

    python benchmarks/banknote_shortlist.py [--data ../shared/data/banknotes]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import desktop.core.banknote.register as register
from desktop.core.banknote.keypoints import local_features
from desktop.core.banknote.manifest import class_key
from desktop.core.banknote.model import BanknoteModel
from desktop.core.paths import default_banknote_model_dir
from training.banknote.folders import load_sample, read_eur_brl
from training.banknote.real import Enroller
from training.banknote.real_sets import EUR_BRL_ZIPS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.banknote_sides import filler  # noqa: E402

LONGEST = 16


def outcome(attempts: list, shortlist: int) -> str | None:
    """The key the search names with a shortlist of ``shortlist`` (None: nothing verified)."""
    first = sorted(attempts, key=lambda a: -a.votes)[:shortlist]
    verified = [a.registration for a in first if a.registration is not None]
    return max(verified, key=lambda r: r.inliers).key if verified else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    ap.add_argument("--sides", type=int, nargs="+", default=[30, 100, 300])
    ap.add_argument("--shortlists", type=int, nargs="+", default=[2, 4, 8, 16])
    ap.add_argument("--lookups", nargs="+", default=["16:48", "32:48", "32:96", "48:128"],
                    help="neighbours per keypoint and kd-tree checks, as K:CHECKS")
    ap.add_argument("--out", type=Path,
                    default=Path("benchmarks/results/banknote/shortlist.json"))
    args = ap.parse_args()
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    brl = [s for s in read_eur_brl([args.data / "eur_brl" / z for z in EUR_BRL_ZIPS
                                    if (args.data / "eur_brl" / z).is_file()])
           if s.currency == "BRL" and s.side != "unknown"]
    enrol = {}
    for s in brl:
        if s.condition == "blurring" and s.part == "whole":
            enrol.setdefault(class_key("BRL", s.denomination, s.side), s)
    queries = [(s.denomination, load_sample(s)) for s in brl if s.condition != "blurring"]
    extra = filler(args.data, "BRL")
    register.SHORTLIST = LONGEST
    rows = []
    for n in args.sides:
        enroller = Enroller(model)
        for key, s in sorted(enrol.items()):
            enroller.add(key, load_sample(s), s.member or key)
        for key, image in extra:
            if len(enroller.notes) >= n:
                break
            enroller.add(key, image, key)
        index = model.side_index(enroller.notes)
        for lookup in args.lookups:
            k_checks = tuple(map(int, lookup.split(":")))
            results, ms = [], []
            for value, image in queries:
                t = time.perf_counter()
                query = local_features(image)
                results.append((value, index.search(image, query, None,
                                                    index.neighbours(query, k_checks))))
                ms.append((time.perf_counter() - t) * 1000)
            for k in args.shortlists:
                named = [(v, outcome(a, k)) for v, a in results]
                right = sum(key is not None and key.startswith(f"BRL-{v}-") for v, key in named)
                wrong = sum(key is not None and not key.startswith(f"BRL-{v}-")
                            for v, key in named)
                row = {"enrolled_sides": len(enroller.notes), "searched_sides": len(index),
                       "neighbours": k_checks[0], "checks": k_checks[1], "shortlist": k,
                       "pictures": len(queries), "right": right / len(queries),
                       "wrong": wrong / len(queries),
                       "ms_mean_longest_shortlist": float(np.mean(ms))}
                rows.append(row)
                print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
