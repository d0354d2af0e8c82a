"""The learned note finder on real pictures: does it see the notes, and only the notes?

For one or more ``finder.onnx`` graphs (``--finders``; default: the shipped one), on pictures
none of them was trained on:

- euro photos of one note: the finder's largest note overlaps the outline the local-feature
  search registered (IoU >= 0.5), where a side was registered with all euro sides enrolled;
- whole EUR scans (the finders saw BRL scans and dong photos, never a euro): a note found;
- pictures without a note: tables, blank desks and printed pages (made here), and real scans
  of paper with ink (the signature sets beside the banknotes): no note found.

    python benchmarks/banknote_finder.py [--data ../shared/data/banknotes]
        [--finders exported_models/banknote/finder.onnx runs/detector/finder.onnx]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.detect import NoteQuad
from desktop.core.banknote.finder import NoteFinder, quad_iou
from desktop.core.banknote.model import BanknoteModel
from desktop.core.paths import default_banknote_model_dir
from training.banknote.folders import load_sample, read_eur_brl
from training.banknote.real import Enroller
from training.banknote.real_sets import (
    EUR_BRL_ZIPS,
    eur_reference_key,
    no_note_pictures,
    paper_scans,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/banknotes"))
    ap.add_argument("--finders", type=Path, nargs="+",
                    default=[default_banknote_model_dir() / "finder.onnx"])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/banknote/finder.json"))
    args = ap.parse_args()
    model = BanknoteModel(default_banknote_model_dir(), "cpu")
    enroller = Enroller(model)
    for path in sorted((args.data / "eur_photos" / "references").glob("*.jpg")):
        enroller.add(eur_reference_key(path), cv2.imread(str(path)), path.name)
    index = model.side_index(enroller.notes)
    registered = []  # (picture, the registered outline)
    for path in sorted((args.data / "eur_photos" / "photos").iterdir()):
        image = cv2.imread(str(path))
        if image is None or "-" in path.stem.split("___")[0]:
            continue
        attempts = index.search(image)
        if attempts and attempts[0].registration is not None:
            registered.append((image, NoteQuad(attempts[0].registration.quad)))
    scans = [load_sample(s) for s in read_eur_brl([args.data / "eur_brl" / z
                                                   for z in EUR_BRL_ZIPS[:2]])
             if s.part == "whole"]
    empty = [im for _, im in no_note_pictures(seed=0)]
    paper = [im for _, im in paper_scans(args.data.parent / "signatures")]
    report = {}
    for finder_path in args.finders:
        finder = NoteFinder(finder_path)
        overlap = [bool(found) and quad_iou(found[0].quad, quad) >= 0.5
                   for found, quad in ((finder.find(im), q) for im, q in registered)]
        row = {"eur_photos_registered": len(registered),
               "eur_photos_overlap": float(np.mean(overlap)),
               "eur_scans": len(scans),
               "eur_scans_found": float(np.mean([bool(finder.find(im)) for im in scans])),
               "no_note": len(empty),
               "no_note_marked": float(np.mean([bool(finder.find(im)) for im in empty])),
               "paper": len(paper),
               "paper_marked": float(np.mean([bool(finder.find(im)) for im in paper]))
               if paper else None}
        name = finder_path.resolve()
        name = name.relative_to(Path.cwd()) if name.is_relative_to(Path.cwd()) else name
        report[str(name)] = row
        print(finder_path, json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
