"""The evaluation of a training run written out: ``report.json``, ``calibration.json``, plots.

:func:`evaluate_run` embeds a run's validation and test writers with its best checkpoint,
scores them by :func:`training.signature.evaluate.evaluate_features` (the protocol and its
figures live there) and writes what the export and the documentation read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from training.common import metrics
from training.signature import evaluate
from training.signature.data import SignatureImages

if TYPE_CHECKING:
    import torch

    from desktop.core.signature.preprocess import SignaturePreprocessing
    from training.signature.data import Sample


def summary_table(results: dict, ks: list[int]) -> dict:
    """The headline figures of each method and K, with the skilled EER of each data set."""
    keys = ("eer_skilled", "auc_skilled", "eer_random", "frr", "far_skilled", "far_random")
    out: dict = {}
    for k in ks:
        out[f"K={k}"] = {}
        for name, r in results[str(k)].items():
            row = {m: round(v, 4) for m, v in r.items() if m in keys}
            if "per_set" in r:
                row["eer_skilled_per_set"] = {n: round(v.get("eer_skilled", float("nan")), 4)
                                              for n, v in r["per_set"].items()}
            if "clerk" in r:
                c = r["clerk"]
                row["clerk"] = {"accepted": round(c["accepted"], 4),
                                "called_forged": round(c["called_forged"], 4),
                                "far_skilled": round(c["far_skilled"], 4),
                                "writer_far_max": round(c["per_writer"]["max"], 4),
                                "writers_far_above_10pct": c["per_writer"]["above_10pct"]}
            out[f"K={k}"][name] = row
    return out


def plot_report(raw: dict, out_dir: Path, k: int, title: str) -> list[str]:
    """ROC curves and histograms of genuine / skilled / random distances (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = raw[k]
    fig, ax = plt.subplots(figsize=(5, 5))
    for key, label in (("skilled", "skilled forgeries"), ("random", "random forgeries")):
        if len(d[key]):
            far, tpr = metrics.roc(d["genuine"], d[key])
            ax.plot(far, tpr, label=f"{label} (AUC {metrics.auc(d['genuine'], d[key]):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(xlabel="FAR", ylabel="1 - FRR", title=f"ROC, {title}, K={k}")
    ax.legend(loc="lower right")
    roc_path = out_dir / f"roc_k{k}.png"
    fig.savefig(roc_path, dpi=110, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, max(float(np.max(np.r_[d["genuine"], d["skilled"], d["random"]])),
                              1e-3), 50)
    for key, colour in (("genuine", "tab:green"), ("skilled", "tab:red"),
                        ("random", "tab:grey")):
        if len(d[key]):
            ax.hist(d[key], bins=bins, alpha=0.55, density=True, color=colour, label=key)
    ax.set(xlabel="score (distance to references / their spread)", ylabel="density",
           title=f"Score histograms, {title}, K={k}")
    ax.legend()
    hist_path = out_dir / f"hist_k{k}.png"
    fig.savefig(hist_path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return [roc_path.name, hist_path.name]


def training_background(
    model: torch.nn.Module, samples: list[Sample], split: dict, prep: SignaturePreprocessing,
) -> np.ndarray:
    """The training writers' genuine signatures embedded by ``model`` (torch), L2-normalised
    like the app's embeddings: the writer SVM's negatives during calibration and evaluation.
    (The export embeds the same images with the exported ONNX model for ``background.npy``.)
    """
    from training.common.torch_utils import embed_torch
    from training.signature.data import background_samples
    from training.signature.train import clean_inkmaps

    train = SignatureImages(background_samples(samples, split["train"]))
    emb = embed_torch(model, clean_inkmaps(train, prep)).astype(np.float32)
    return emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)


def evaluate_run(run: str | Path, data: str | Path | None = None, ks: list[int] | None = None,
                 draws: int = 10, seed: int = 0) -> dict:
    """Evaluate ``run/best.pt`` on its split; writes ``report.json``, ``calibration.json``
    and plots into the run folder and returns the report."""
    from training.common.torch_utils import embed_torch
    from training.signature.data import read_many
    from training.signature.train import clean_inkmaps, load_model

    run = Path(run)
    ks = ks or [1, 5]
    split = json.loads((run / "split.json").read_text())
    samples = read_many(data or split["data"])
    everything = SignatureImages([s for s in samples if s.writer in
                                  set(split["validation"]) | set(split["test"])])
    val, test = everything.subset(split["validation"]), everything.subset(split["test"])
    model, cfg = load_model(run / "best.pt")
    prep = cfg.prep
    val_in, test_in = clean_inkmaps(val, prep), clean_inkmaps(test, prep)
    background = training_background(model, samples, split, prep)

    def pixels(x: np.ndarray) -> np.ndarray:  # raw preprocessed pixels, as a baseline feature
        return x.reshape(len(x), -1)

    def embed(x: np.ndarray) -> np.ndarray:
        return embed_torch(model, x)

    features = {"model": embed(test_in), "pixel_nn": pixels(test_in)}
    val_features = {"model": embed(val_in), "pixel_nn": pixels(val_in)}
    test_pen = evaluate.pen_for(test, prep, embed, as_scanned=features["model"])
    results, calibration, raw = evaluate.evaluate_features(
        features, val, test, val_features, ks, draws, seed, background=background,
        val_pen=evaluate.pen_for(val, prep, embed, as_scanned=val_features["model"]),
        test_pen=test_pen,
    )
    from training.signature.robustness import robustness

    robust = robustness(embed, test, prep, features["model"],
                        [k for k in ks if k in (1, 5)] or ks[:1], draws, seed + 1, pen=test_pen)
    plots = []
    for k in ks:
        plots += plot_report(raw, run, k, "held-out test writers")
    history = json.loads((run / "history.json").read_text()) if (
        run / "history.json").is_file() else {}
    summary = summary_table(results, ks)
    report = {
        "protocol": evaluate.__doc__.strip().split("\n\n")[1].replace("\n", " "),
        "data": data or split["data"],
        "writers": {key: split[key] for key in ("train", "validation", "test")},
        "draws": draws, "seed": seed,
        "training": {"config": {k: v for k, v in vars(cfg).items() if k != "preprocessing"},
                     "best_epoch": history.get("best_epoch"),
                     "train_seconds": history.get("seconds")},
        "results": results, "summary": summary, "robustness": robust, "plots": plots,
    }
    if "svm" in calibration:
        report["writer_svm"] = {
            "method": "model_svm: per-writer SVM, the K references against the training "
                      "writers' genuine signatures (background); score = -decision function",
            **{key: calibration["svm"][key] for key in ("score", "params", "background_size")},
            "background_writers": list(split["train"]),
        }
    (run / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    calibration.update({
        "data": f"validation writers {split['validation']} of {data or split['data']}",
        "draws": draws,
    })
    if "svm" in calibration:
        calibration["svm"]["background_writers"] = list(split["train"])
    (run / "calibration.json").write_text(json.dumps(calibration, indent=2) + "\n")
    return report
