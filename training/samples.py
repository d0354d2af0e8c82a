"""The sample images the installed app checks itself on (``sigdesk --self-test``).

``python -m training samples [--out desktop/samples]`` draws one synthetic account holder
(five reference signatures, a genuine and a forged cheque) and one synthetic banknote (a
genuine and a counterfeit capture), runs the app's self-test on them with the shipped models,
and writes ``expected.json`` with what it observed. The samples are project-generated (never
CEDAR, whose licence is research use only), small, and picked among seeds so that the shipped
models get them right: the self-test then checks that a built app reproduces the source
tree's results, not the models' accuracy (the README's evaluations measure that).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np

from desktop.core.branch.selftest import EXPECTED_NAME, run_self_test
from desktop.core.paths import default_banknote_model_dir, default_signature_model
from training.banknote.data import all_specs, spec_key, synthetic_capture
from training.signature.cheques import make_cheque, save_cheque
from training.signature.synthetic import make_writer, render

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "desktop" / "samples"
NOTE_CLASS = ("CYR", 50)  # one of the shipped (trained-on) denominations
COUNTERFEIT = "missing_thread"


def _draw(out: Path, seed: int) -> dict:
    """Write one candidate sample set into ``out``; return its description (truths only)."""
    rng = np.random.default_rng([seed, 2026])
    style = make_writer(rng)
    (out / "references").mkdir(parents=True)
    (out / "cheques").mkdir()
    (out / "banknotes").mkdir()
    refs = []
    for i in range(5):
        name = f"references/ref_{i:02d}.png"
        cv2.imwrite(str(out / name), render(style, rng))
        refs.append(name)
    cheques = []
    for kind, fmt, ext in (("genuine", "jpeg-colour", ".jpg"), ("forged", "tiff-g4", ".tif")):
        name = f"cheques/{kind}{ext}"
        save_cheque(make_cheque(rng, style, forgery=kind == "forged",
                                colour=fmt.endswith("colour")), out / name, fmt)
        cheques.append({"file": name, "kind": kind, "verdict": kind, "distance": 0.0})
    spec = next(s for s in all_specs() if (s.currency, s.denomination) == NOTE_CLASS)
    notes = []
    for kind, verdict in (("genuine", "genuine"), (COUNTERFEIT, "suspect")):
        picture, _ = synthetic_capture(spec, "front", "" if kind == "genuine" else kind, seed,
                                       0)
        name = f"banknotes/{kind}.jpg"
        cv2.imwrite(str(out / name), picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
        notes.append({"file": name, "kind": kind, "denomination": spec_key(spec, "front"),
                      "verdict": verdict, "distance": 0.0})
    return {"account": {"number": "5550001", "name": "Sample Holder"}, "references": refs,
            "cheques": cheques, "banknotes": notes, "seed": seed}


def write_samples(out: Path | None = None, first_seed: int = 0, tries: int = 40,
                  signature_model: Path | None = None,
                  banknote_model: Path | None = None) -> dict:
    """Find a seed whose samples the shipped models get right; write them and
    ``expected.json`` into ``out`` (replacing what is there); return the description."""
    out = Path(out or DEFAULT_OUT)
    sig = signature_model or default_signature_model()
    note = banknote_model or default_banknote_model_dir()
    for seed in range(first_seed, first_seed + tries):
        trial = out.with_name(out.name + ".trial")
        shutil.rmtree(trial, ignore_errors=True)
        trial.mkdir(parents=True)
        desc = _draw(trial, seed)
        (trial / EXPECTED_NAME).write_text(json.dumps(desc), encoding="utf-8")
        report = run_self_test(trial, sig, note, "cpu")
        seen = report.observed
        items = desc["cheques"] + desc["banknotes"]
        right = all(i["file"] in seen and seen[i["file"]]["verdict"] == i["verdict"]
                    and seen[i["file"]].get("denomination", i.get("denomination"))
                    == i.get("denomination") for i in items)
        if not right:
            print(f"seed {seed}: not all right ({seen}); next seed")
            continue
        for item in items:
            item["distance"] = round(float(seen[item["file"]]["distance"]), 6)
        desc.update(signature_model_id=report.model_ids["signature"],
                    banknote_model_id=report.model_ids["banknote"],
                    generated_by="python -m training samples")
        (trial / EXPECTED_NAME).write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
        check = run_self_test(trial, sig, note, "cpu")
        if not check.ok:
            raise RuntimeError(f"the samples fail their own self-test:\n{check.as_text()}")
        shutil.rmtree(out, ignore_errors=True)
        trial.rename(out)
        print(check.as_text())
        return desc
    raise RuntimeError(f"no seed in {first_seed}..{first_seed + tries - 1} gave samples the "
                       "shipped models get right")
