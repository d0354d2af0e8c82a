"""How the banknote check scales with the number of enrolled sides: time and accuracy.

Enrolls the 16 euro reference pictures (``eur_photos/references``) plus filler sides up to
``--sides`` enrolled sides in all (whole-note scans of the Brazilian real notes, then
Vietnamese dong box crops, each under a key of its own: real printed detail of other
currencies, so the shortlist has real rivals),
then checks the euro photos of one note through :meth:`BanknoteModel.check` (the model's own
52 shipped reference sides are searched too, as in the app). Prints, per size, the share of
photos named right and verified and the time per check.

    python benchmarks/banknote_sides.py [--data ../shared/data/banknotes] [--sides 30 100 300]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.manifest import class_key
from desktop.core.banknote.model import BanknoteModel
from desktop.core.errors import InputImageError
from desktop.core.paths import default_banknote_model_dir
from training.banknote.folders import load_sample, read_eur_brl
from training.banknote.real import Enroller
from training.banknote.real_sets import EUR_BRL_ZIPS, eur_reference_key, vnd_box


def filler(data: Path, searched: str = "EUR") -> list[tuple[str, np.ndarray]]:
    """Pictures of other notes than the ``searched`` currency's, each enrolled under a key
    of its own: whole-note scans of the other of EUR and BRL, then dong box crops."""
    out = []
    scans = read_eur_brl([data / "eur_brl" / z for z in EUR_BRL_ZIPS
                          if (data / "eur_brl" / z).is_file()])
    # Never the searched currency's scans: they would be the right note under a wrong name.
    whole = [x for x in scans if x.part == "whole" and x.currency != searched]
    out += [(class_key("XS", str(i + 1), "front"), load_sample(s)) for i, s in enumerate(whole)]
    for i, path in enumerate(sorted((data / "vnd").glob("*/*.jpg"))[::7]):
        out.append((class_key("XV", str(i + 1), "front"),
                    vnd_box(path, cv2.imread(str(path)))))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    ap.add_argument("--sides", type=int, nargs="+", default=[30, 100, 300])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/banknote/sides.json"))
    args = ap.parse_args()
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    refs = sorted((args.data / "eur_photos" / "references").glob("*.jpg"))
    photos = [(p.stem.split("___")[0], cv2.imread(str(p)))
              for p in sorted((args.data / "eur_photos" / "photos").iterdir())
              if "-" not in p.stem.split("___")[0]]
    extra = filler(args.data)
    rows = []
    for n in args.sides:
        enroller = Enroller(model)
        for p in refs:
            enroller.add(eur_reference_key(p), cv2.imread(str(p)), p.name)
        for key, image in extra:
            if len(enroller.notes) >= n:
                break
            enroller.add(key, image, key)
        model.check(photos[0][1], "warm-up", enroller.notes)  # features of the new sides
        right, ms = 0, []
        for value, image in photos:
            t = time.perf_counter()
            try:
                check = model.check(image, value, enroller.notes)
                right += check.registration is not None and check.denomination.key == \
                    check.registration.key and check.denomination.key.startswith(f"EUR-{value}-")
            except InputImageError:
                pass
            ms.append((time.perf_counter() - t) * 1000)
        row = {"enrolled_sides": len(enroller.notes),
               "searched_sides": len(enroller.notes) + len(model.manifest.reference_keys),
               "photos": len(photos), "top1": right / len(photos),
               "ms_mean": float(np.mean(ms)), "ms_p95": float(np.percentile(ms, 95))}
        rows.append(row)
        print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
