"""Writer-independent evaluation with K references, baselines, calibration, report and plots.

Protocol (for each K and each of ``draws`` random choices of references):
for every writer, K genuine signatures are the references; the queries are the writer's
remaining genuine signatures, its skilled forgeries, and the genuine signatures of every
other writer in the same set (random forgeries). A query's score is the app's own
(desktop.core.signature.verification.score, or desktop.core.signature.decision.writer_svm_scores
for the writer-dependent SVM, whose negatives are the training writers' genuine signatures). The
decision threshold is calibrated on the *validation* writers and applied unchanged to the
*test* writers, who took no part in training or calibration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop.core.signature.decision import (
    SVM_C,
    SVM_GAMMA,
    SVM_KERNEL,
    SVM_SCORE_NAME,
    TARGET_FARS,
    writer_svm_scores,
)
from desktop.core.signature.verification import score as model_score
from training.common import metrics
from training.signature.data import SignatureImages

if TYPE_CHECKING:
    import torch

    from desktop.core.signature.preprocess import SignaturePreprocessing
    from training.signature.data import Sample

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]


def nearest_distance(refs: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Distance of each query row to its nearest reference row (the pixel-NN baseline)."""
    return np.linalg.norm(queries[:, None, :] - refs[None, :, :], axis=2).min(axis=1)


def protocol_distances(
    features: np.ndarray, data: SignatureImages, k: int, draws: int, seed: int,
    score: Scorer = model_score,
) -> dict[str, np.ndarray | list]:
    """Genuine / skilled / random query distances over writers and draws (see module doc)."""
    rng = np.random.default_rng(seed)
    gen, skl, rnd, per_writer = [], [], [], []
    genuine_idx = {w: data.indices(w, True) for w in data.writers}
    forged_idx = {w: data.indices(w, False) for w in data.writers}
    for _ in range(draws):
        for w in data.writers:
            g = genuine_idx[w]
            if len(g) <= k:
                continue
            chosen = rng.choice(len(g), size=k, replace=False)
            refs = features[[g[i] for i in chosen]]
            rest = [g[i] for i in range(len(g)) if i not in set(chosen.tolist())]
            others = [i for v in data.writers if v != w for i in genuine_idx[v]]
            skilled = forged_idx[w]
            # One call per choice of references: the writer SVM is fitted once, not thrice.
            scores = score(refs, features[rest + skilled + others])
            dg = scores[: len(rest)]
            ds = scores[len(rest) : len(rest) + len(skilled)]
            dr = scores[len(rest) + len(skilled) :]
            gen.append(dg)
            skl.append(ds)
            rnd.append(dr)
            if len(ds):
                per_writer.append(metrics.auc(dg, ds))
    cat = lambda xs: np.concatenate(xs) if xs else np.zeros(0)  # noqa: E731
    return {"genuine": cat(gen), "skilled": cat(skl), "random": cat(rnd),
            "writer_auc_skilled": per_writer}


def summarise(test: dict, threshold: float) -> dict[str, float]:
    """The field's figures for one method on test distances, at a validation threshold."""
    g, s, r = test["genuine"], test["skilled"], test["random"]
    far_s, frr = metrics.far_frr(g, s, threshold)
    far_r, _ = metrics.far_frr(g, r, threshold)
    out = {
        "frr": frr, "far_skilled": far_s, "far_random": far_r, "threshold": threshold,
        "eer_random": metrics.equal_error_rate(g, r).eer, "auc_random": metrics.auc(g, r),
        "n_genuine": int(len(g)), "n_skilled": int(len(s)), "n_random": int(len(r)),
    }
    if len(s):
        out.update({
            "eer_skilled": metrics.equal_error_rate(g, s).eer, "auc_skilled": metrics.auc(g, s),
            "mean_writer_auc_skilled": float(np.mean(test["writer_auc_skilled"])),
        })
    return out


def svm_scorer(background: np.ndarray) -> Scorer:
    """The writer-dependent SVM score against ``background`` as a protocol scorer."""
    return lambda refs, queries: writer_svm_scores(refs, background, queries)


def _levels_on_test(levels: list[dict], test: dict) -> list[dict]:
    """Each validation security level with the rates it gives on the test scores."""
    out = []
    for row in levels:
        far_s, frr = metrics.far_frr(test["genuine"], test["skilled"], row["threshold"])
        far_r, _ = metrics.far_frr(test["genuine"], test["random"], row["threshold"])
        out.append({"target_far": row["target_far"], "threshold": row["threshold"],
                    "val_far_skilled": row["far_skilled"], "val_frr": row["frr"],
                    "test_far_skilled": far_s, "test_far_random": far_r, "test_frr": frr})
    return out


def evaluate_features(
    features: dict[str, np.ndarray], val: SignatureImages, test: SignatureImages,
    val_features: dict[str, np.ndarray], ks: list[int], draws: int, seed: int = 0,
    background: np.ndarray | None = None,
) -> tuple[dict, dict, dict]:
    """Evaluate every method (``features[name]`` on test, ``val_features[name]`` on
    validation); with a ``background`` (training writers' genuine embeddings) the first
    method's features are also scored by the writer-dependent SVM, as ``<first>_svm``.

    Returns (results per K and method, the calibration -- ``per_k`` of the first method,
    ``svm`` with its own ``per_k`` when there is a background, and ``security_levels`` per
    method and K, all on the validation writers -- and the first method's raw test distances
    per K for plots).
    """
    scorers = {"model": model_score, "pixel_nn": nearest_distance}
    results: dict = {}
    per_k: dict = {}
    svm_per_k: dict = {}
    levels: dict = {"distance": {}}
    raw: dict = {}
    first = next(iter(features))
    methods = [(name, feats, val_features[name], scorers.get(name, model_score))
               for name, feats in features.items()]
    if background is not None:
        levels["svm"] = {}
        methods.append((f"{first}_svm", features[first], val_features[first],
                        svm_scorer(background)))
    app_method = {first: "distance", f"{first}_svm": "svm"}  # methods the app can run
    for k in ks:
        results[str(k)] = {}
        for name, feats, vfeats, score in methods:
            dv = protocol_distances(vfeats, val, k, draws, seed, score)
            dt = protocol_distances(feats, test, k, draws, seed + 1, score)
            cal = metrics.calibrate(dv["genuine"], dv["skilled"], dv["random"], k)
            results[str(k)][name] = summarise(dt, cal["threshold"])
            method = app_method.get(name)
            if method is None:
                continue
            table = metrics.security_levels(dv["genuine"], dv["skilled"], dv["random"],
                                            TARGET_FARS)
            levels[method][str(k)] = table
            results[str(k)][name]["security_levels"] = _levels_on_test(table, dt)
            if method == "distance":
                per_k[str(k)] = cal
                raw[k] = dt
            else:
                svm_per_k[str(k)] = cal
        # Random baseline: scores drawn uniformly, same query counts as the model's.
        rng = np.random.default_rng(seed + 2)
        n = {key: len(raw[k][key]) for key in ("genuine", "skilled", "random")}
        rand = {key: rng.random(v) for key, v in n.items()}
        rand["writer_auc_skilled"] = [0.5]
        results[str(k)]["random"] = summarise(rand, 0.5)
    calibration: dict = {"per_k": per_k}
    if background is not None:
        calibration["svm"] = {
            "score": SVM_SCORE_NAME,
            "params": {"kernel": SVM_KERNEL, "C": SVM_C, "gamma": SVM_GAMMA,
                       "class_weight": "balanced"},
            "background_size": int(len(background)),
            "per_k": svm_per_k,
        }
    calibration["security_levels"] = levels
    return results, calibration, raw


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
    from training.signature.train import clean_inkmaps

    train = SignatureImages([s for s in samples if s.writer in set(split["train"]) and s.genuine])
    emb = embed_torch(model, clean_inkmaps(train, prep)).astype(np.float32)
    return emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)


def evaluate_run(run: str | Path, data: str | Path | None = None, ks: list[int] | None = None,
                 draws: int = 10, seed: int = 0) -> dict:
    """Evaluate ``run/best.pt`` on its split; writes ``report.json``, ``calibration.json``
    and plots into the run folder and returns the report."""
    from training.common.torch_utils import embed_torch
    from training.signature.data import read_any
    from training.signature.train import clean_inkmaps, load_model

    run = Path(run)
    ks = ks or [1, 5]
    split = json.loads((run / "split.json").read_text())
    samples = read_any(data or split["data"])
    everything = SignatureImages([s for s in samples if s.writer in
                                  set(split["validation"]) | set(split["test"])])
    val, test = everything.subset(split["validation"]), everything.subset(split["test"])
    model, cfg = load_model(run / "best.pt")
    prep = cfg.prep
    val_in, test_in = clean_inkmaps(val, prep), clean_inkmaps(test, prep)
    background = training_background(model, samples, split, prep)

    def pixels(x: np.ndarray) -> np.ndarray:  # raw preprocessed pixels, as a baseline feature
        return x.reshape(len(x), -1)

    features = {"model": embed_torch(model, test_in), "pixel_nn": pixels(test_in)}
    val_features = {"model": embed_torch(model, val_in), "pixel_nn": pixels(val_in)}
    results, calibration, raw = evaluate_features(
        features, val, test, val_features, ks, draws, seed, background=background
    )
    plots = []
    for k in ks:
        plots += plot_report(raw, run, k, "held-out test writers")
    history = json.loads((run / "history.json").read_text()) if (
        run / "history.json").is_file() else {}
    summary = {
        f"K={k}": {name: {m: round(v, 4) for m, v in r.items()
                          if m in ("eer_skilled", "auc_skilled", "eer_random", "frr",
                                   "far_skilled", "far_random")}
                   for name, r in results[str(k)].items()}
        for k in ks
    }
    report = {
        "protocol": __doc__.strip().split("\n\n")[1].replace("\n", " "),
        "data": str(data or split["data"]),
        "writers": {key: split[key] for key in ("train", "validation", "test")},
        "draws": draws, "seed": seed,
        "training": {"config": {k: v for k, v in vars(cfg).items() if k != "preprocessing"},
                     "best_epoch": history.get("best_epoch"),
                     "train_seconds": history.get("seconds")},
        "results": results, "summary": summary, "plots": plots,
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
