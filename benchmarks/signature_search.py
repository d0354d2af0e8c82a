"""The signature model search: each row one change to the base recipe, trained on the same
writers for the same short budget and judged on the *validation* writers of each data set.

    python benchmarks/signature_search.py run A B       # train the named rows (runs/search/<row>)
    python benchmarks/signature_search.py robust A B    # their robustness on validation writers
    python benchmarks/signature_search.py collect       # runs/search/* -> results JSON (rows
                                                        # run elsewhere are kept)
    python benchmarks/signature_search.py ensemble shipped N O   # models side by side
    python benchmarks/signature_search.py pen           # the shipped model with and without
                                                        # pen matching (contract version 4)
    python benchmarks/signature_search.py ship --key K  # the shipped row, start to signed folder
    python benchmarks/signature_search.py reship --key K  # the shipped folder re-evaluated
                                                        # and signed with pen matching on

Rows A-C train with ``--threads 1`` so that two rows can share a 2-core machine, later
rows with two threads (each row's text says what shared the cores); the seconds are the
training loop's own (``history.json``), on whatever machine ran it. The
criterion is the best epoch's mean over the data sets of the K = 1 validation EER
(genuine pairs against skilled forgeries, or the same name by another volunteer in the
Chinese set): :func:`training.signature.train.quick_validation_eer`. The test writers are
not read. ``robust`` re-captures the *validation* queries as the evaluation does the test
queries (:func:`training.signature.evaluate.robustness`: ink +-1 px, paper tone, half and
double resolution, 5 degrees) and records the largest move of a set's skilled EER (K = 5 for
CEDAR and Bengali, K = 1 for the Chinese set), so that a row that wins by reading stroke width
can be told apart without looking at the test writers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.signature.data import SignatureImages

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "search"
RESULTS = ROOT / "benchmarks" / "results" / "signature_search.json"
ENSEMBLES = ROOT / "benchmarks" / "results" / "signature_ensembles.json"
PEN_MATCH = ROOT / "benchmarks" / "results" / "signature_pen_match.json"
SHIPPED_FOLDER = ROOT / "exported_models" / "signature"

SHIPPED = "D"  # the row exported_models/signature/ was trained by (chosen on validation)

# The budget every row shares (1000 batches); the shipped recipe may train longer.
BASE = ["--epochs", "25", "--batches-per-epoch", "40", "--writers-per-batch", "6",
        "--threads", "1"]

# Row D, the recipe most rows change
D = ["--loss", "multisimilarity", "--width", "32", "--threads", "2"]
ROWS: dict[str, tuple[str, list[str]]] = {
    "A": ("balanced batches, batch-hard triplet (the old loss)", ["--loss", "triplet-hard"]),
    "B": ("balanced batches, multi-similarity loss", ["--loss", "multisimilarity"]),
    "C": ("B with wide capture ranges (resolution x0.5-2, pen +-1 px on 60% of images)",
          ["--loss", "multisimilarity", "--capture", "wide"]),
    "D": ("B with a wider network (compact, width 32; ran alone, two threads)", D),
    "E": ("D with every stroke redrawn by one 3-pixel pen (preprocessing v2), 40 epochs "
          "(two threads, sharing the cores with row F most of the time)",
          [*D, "--pen-width", "3", "--epochs", "40"]),
    "F": ("E with a writer-classification head (normalised softmax over the training writers, "
          "weight 0.1; epochs 1-29 shared the cores with E and the shipping, 30-40 alone)",
          [*D, "--pen-width", "3", "--epochs", "40", "--writer-head", "0.1"]),
    "G": ("D with the writer-classification head of F (no pen step; two threads, epochs 1-6 "
          "sharing the cores, then alone after a resume)",
          [*D, "--writer-head", "0.1"]),
    "H": ("D with C's wide capture ranges (resolution x0.5-2, pen +-1 px on 60% of images), "
          "against D's thin-pen and half-resolution moves (two threads, epochs 1-15 sharing "
          "the cores with the shipping and the tests)",
          [*D, "--capture", "wide"]),
    "I": ("D trained twice as long (50 epochs, 2000 batches; two threads, sharing the cores "
          "with the tests now and then)",
          [*D, "--epochs", "50"]),
    "J": ("D with the supervised contrastive loss (SupCon, temperature 0.1) instead of "
          "multi-similarity (two threads; epochs 2-10 shared the cores with the test suite)",
          ["--loss", "supcon", "--width", "32", "--threads", "2"]),
    "K": ("D with strokes thinner than 3.2 scanned pixels on average thickened to it "
          "(preprocessing v3, the width chosen by a test-time trial on row I's validation "
          "writers; two threads, sharing the cores with tests now and then)",
          [*D, "--min-stroke", "3.2"]),
    "L": ("D with a narrow ResNet (ResNet-18 layout, width 16) instead of the compact network "
          "(two threads, sharing the cores with the banknote work and the tests now and then)",
          ["--loss", "multisimilarity", "--backbone", "resnet", "--width", "16", "--threads",
           "2"]),
    "M": ("D with every training writer also mirrored left to right as a writer of its own "
          "(twice the training identities; two threads, sharing the cores with the tests now "
          "and then)",
          [*D, "--mirror-writers"]),
    "N": ("D with every training ink map bent smoothly (a 3 x 4 grid of control points moved "
          "by 3 canvas pixels, interpolated between; two threads)",
          [*D, "--elastic", "3"]),
    "O": ("D again with another training seed (other first weights, batches and augmentation; "
          "the same writers): how far a row moves by chance (two threads)",
          [*D, "--seed", "1"]),
    "P": ("D again with a third training seed (seed 2; two threads, sharing the cores with the "
          "tests now and then)",
          [*D, "--seed", "2"]),
}


# What the shipped model adds to its row: the contract matches a query's pen to its
# references' (evaluation and the app only; training is the row's).
SHIPPED_EXTRA = ["--match-pen"]


def run(names: list[str], extra: list[str] | None = None) -> None:
    """Train the named rows one after another (a finished row is resumed, i.e. skipped)."""
    for name in names:
        _, args = ROWS[name]
        cmd = [sys.executable, "-m", "training", "train", "--run", str(RUNS / name), *BASE,
               *args, *(extra or []), "--resume"]
        print(" ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True)


def validation_images(split: dict) -> SignatureImages:
    """The validation writers' images of a run's ``split.json`` (the test writers not read)."""
    sys.path.insert(0, str(ROOT))
    from training.signature.data import SignatureImages, read_many

    return SignatureImages([s for s in read_many(split["data"])
                            if s.writer in set(split["validation"])])


def robust(names: list[str], draws: int = 5) -> None:
    """Write ``runs/search/<row>/val_robustness.json`` for the named rows."""
    sys.path.insert(0, str(ROOT))
    from training.common.torch_utils import embed_torch
    from training.signature.robustness import robustness
    from training.signature.train import clean_inkmaps, load_model

    for name in names:
        run = RUNS / name
        val = validation_images(json.loads((run / "split.json").read_text()))
        model, cfg = load_model(run / "best.pt")
        feats = embed_torch(model, clean_inkmaps(val, cfg.prep))
        out = robustness(lambda x, m=model: embed_torch(m, x), val, cfg.prep, feats, [1, 5],
                         draws)
        (run / "val_robustness.json").write_text(json.dumps(out, indent=2) + "\n")
        print(name, "largest move of a set's validation EER:",
              f"{100 * worst_move(out):.1f} points", flush=True)


def worst_move(rob: dict) -> float:
    """The largest |change| of a set's skilled EER over the changes, at K = 5, or K = 1 for
    a set without K = 5 figures (the Chinese set's two pen crops per name)."""
    moves = []
    for row in rob["changes"].values():
        for name in rob["clean"]["1"]:
            k = "5" if name in rob["clean"].get("5", {}) else "1"
            moves.append(abs(row[k]["delta"][name]))
    return max(moves)


def ship(key: Path, out: Path = ROOT / "exported_models" / "signature") -> None:
    """The shipped model in one command: train row :data:`SHIPPED` (resumed if it exists),
    evaluate it (K = 1, 3, 5, 10; 10 draws), export the float32 folder, quantise it and,
    if int8 passes its rule, write the signed int8 folder to ``out``."""
    run([SHIPPED], SHIPPED_EXTRA)
    folder = RUNS / SHIPPED
    for cmd in (["-m", "training", "evaluate", "--run", str(folder), "--k", "1", "3", "5", "10"],
                ["-m", "training", "export", "--run", str(folder), "--out",
                 str(folder / "fp32")],
                ["-m", "training.signature.quantize", "--model", str(folder / "fp32"),
                 "--out", str(folder / "int8"), "--ship", str(out), "--key", str(key)]):
        print(" ".join(cmd), flush=True)
        subprocess.run([sys.executable, *cmd], cwd=ROOT, check=True)


def collect() -> dict:
    """The rows whose runs exist, with their best validation epoch and training time; a row
    whose run is not on this machine (another session's, another machine's) is kept as the
    results file has it."""
    earlier = ({r["row"]: r for r in json.loads(RESULTS.read_text())["rows"]}
               if RESULTS.is_file() else {})
    rows = []
    for name, (change, args) in ROWS.items():
        history_file = RUNS / name / "history.json"
        if not history_file.is_file():
            if name in earlier:
                rows.append(earlier[name])
            continue
        history = json.loads(history_file.read_text())
        best = history["epochs"][history["best_epoch"]]
        rows.append({
            "row": name, "change": change, "args": BASE + args,
            "epochs": len(history["epochs"]), "best_epoch": history["best_epoch"] + 1,
            "val_eer_mean": best["val_eer"],
            "val_eer_per_set": best.get("val_eer_per_set", {}),
            "train_minutes": round(history["seconds"] / 60, 1),
        })
        rob = RUNS / name / "val_robustness.json"
        if rob.is_file():
            rows[-1]["val_worst_robustness_move"] = worst_move(json.loads(rob.read_text()))
    return {"doc": __doc__.strip().split("\n\n")[0].replace("\n", " "),
            "criterion": "mean over data sets of the K=1 validation EER (skilled)",
            "shipped": SHIPPED, "rows": rows}


def ensemble(names: list[str]) -> dict:
    """The search's criterion (K = 1 validation EER per set and their mean) for each named
    model and for every combination of two or more of them side by side: their unit-length
    embeddings concatenated and scaled back to unit length, as one embedder running those
    networks would give. ``shipped`` is the exported model (:data:`SHIPPED_FOLDER`, through
    onnxruntime), any other name a row's ``best.pt``. Every model must have been trained on
    the same split (same validation writers)."""
    import itertools

    import numpy as np

    sys.path.insert(0, str(ROOT))
    from desktop.core.signature.embedder import Embedder
    from desktop.core.signature.manifest import load_manifest
    from training.common.torch_utils import embed_torch
    from training.signature.train import clean_inkmaps, load_model, validation_eers

    folders = {n: SHIPPED_FOLDER if n == "shipped" else RUNS / n for n in names}
    splits = {n: json.loads((f / "split.json").read_text()) for n, f in folders.items()}
    first = splits[names[0]]
    for n, split in splits.items():
        if sorted(split["validation"]) != sorted(first["validation"]):
            raise SystemExit(f"{n} was trained on another split than {names[0]}")
    val = validation_images(first)
    emb: dict[str, np.ndarray] = {}
    for n, folder in folders.items():
        if n == "shipped":
            prep = load_manifest(folder).preprocessing  # signature and files verified
            emb[n] = Embedder(folder, provider="cpu").embed(clean_inkmaps(val, prep))
        else:
            model, cfg = load_model(folder / "best.pt")
            emb[n] = embed_torch(model, clean_inkmaps(val, cfg.prep))
    out = {}
    for r in range(1, len(names) + 1):
        for combo in itertools.combinations(names, r):
            joined = np.concatenate([emb[n] for n in combo], axis=1) / np.sqrt(len(combo))
            out["+".join(combo)] = validation_eers(joined, val)
            print("+".join(combo), {k: f"{100 * v:.1f}%" for k, v in out["+".join(combo)].items()},
                  flush=True)
    return {"criterion": "mean over data sets of the K=1 validation EER (skilled)",
            "models": out}


def reship(key: Path, folder: Path = SHIPPED_FOLDER) -> None:
    """The shipped folder with version 4's pen matching on, re-evaluated (K = 1, 3, 5, 10;
    10 draws) and signed (:func:`training.signature.quantize.reship`); what :func:`ship`
    would give without training again."""
    import dataclasses

    sys.path.insert(0, str(ROOT))
    from desktop.core.signature.manifest import load_manifest
    from training.signature.quantize import reship as reship_folder

    prep = dataclasses.replace(load_manifest(folder).preprocessing, match_pen=True)
    reship_folder(folder, prep, key, [1, 3, 5, 10], 10)


def pen_match(draws: int = 5) -> dict:
    """The shipped graph's robustness on the validation writers with its contract as shipped
    and with version 4's pen matching on and off (:func:`robust`'s figures: clean K = 1 and
    K = 5 skilled EER per set, and the move of each under each re-capture). The choice to
    ship pen matching is made on these figures."""
    import dataclasses

    sys.path.insert(0, str(ROOT))
    from desktop.core.signature.embedder import Embedder
    from desktop.core.signature.manifest import load_manifest
    from training.signature.evaluate import pen_for
    from training.signature.robustness import robustness
    from training.signature.train import clean_inkmaps

    val = validation_images(json.loads((SHIPPED_FOLDER / "split.json").read_text()))
    shipped = load_manifest(SHIPPED_FOLDER).preprocessing  # signature and files verified
    embedder = Embedder(SHIPPED_FOLDER, provider="cpu")
    out: dict = {"model": embedder.manifest.model_id, "writers": "validation", "draws": draws}
    for on in (False, True):
        prep = dataclasses.replace(shipped, match_pen=on)
        feats = embedder.embed(clean_inkmaps(val, prep))
        rob = robustness(embedder.embed, val, prep, feats, [1, 5], draws,
                         pen=pen_for(val, prep, embedder.embed, as_scanned=feats))
        rob["largest_move"] = worst_move(rob)
        out["pen_matching" if on else "as_scanned"] = rob
        print("pen matching" if on else "as scanned", "clean:",
              {k: {n: f"{100 * e:.1f}%" for n, e in v.items()} for k, v in rob["clean"].items()},
              f"largest move {100 * rob['largest_move']:.1f} points", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("rows", nargs="+", choices=sorted(ROWS))
    p = sub.add_parser("robust")
    p.add_argument("rows", nargs="+", choices=sorted(ROWS))
    sub.add_parser("collect")
    p = sub.add_parser("ensemble")
    p.add_argument("models", nargs="+", help="'shipped' or rows: " + " ".join(sorted(ROWS)))
    sub.add_parser("pen")
    for name in ("ship", "reship"):
        p = sub.add_parser(name)
        p.add_argument("--key", type=Path, required=True, help="Ed25519 private key (PEM)")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        run(args.rows)
    elif args.cmd == "robust":
        robust(args.rows)
    elif args.cmd == "ship":
        ship(args.key)
    elif args.cmd == "reship":
        reship(args.key)
    elif args.cmd == "ensemble":
        ENSEMBLES.write_text(json.dumps(ensemble(args.models), indent=2) + "\n")
    elif args.cmd == "pen":
        PEN_MATCH.write_text(json.dumps(pen_match(), indent=2) + "\n")
    else:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(collect(), indent=2) + "\n")
        print(RESULTS.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
