"""Writer-independent evaluation with K references, baselines, calibration, report and plots.

Protocol (for each K and each of ``draws`` random choices of references):
for every writer, K genuine signatures are the references; the queries are the writer's
remaining genuine signatures, its skilled forgeries, and the genuine signatures of every
other writer in the same set (random forgeries). A query's score is the app's own
(desktop.core.verification.score). The decision threshold is calibrated on the *validation*
writers and applied unchanged to the *test* writers, who took no part in training or
calibration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from desktop.core.verification import score as model_score
from training import metrics
from training.data import SignatureImages

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
            dg = score(refs, features[rest])
            ds = score(refs, features[forged_idx[w]]) if forged_idx[w] else np.zeros(0)
            dr = score(refs, features[others]) if others else np.zeros(0)
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


def evaluate_features(
    features: dict[str, np.ndarray], val: SignatureImages, test: SignatureImages,
    val_features: dict[str, np.ndarray], ks: list[int], draws: int, seed: int = 0,
) -> tuple[dict, dict, dict]:
    """Evaluate every method (``features[name]`` on test, ``val_features[name]`` on
    validation). Returns (results per K and method, calibration per K of the first method,
    raw test distances of the first method per K for plots)."""
    scorers = {"model": model_score, "pixel_nn": nearest_distance}
    results: dict = {}
    calibration: dict = {}
    raw: dict = {}
    first = next(iter(features))
    for k in ks:
        results[str(k)] = {}
        for name, feats in features.items():
            score = scorers.get(name, model_score)
            dv = protocol_distances(val_features[name], val, k, draws, seed, score)
            dt = protocol_distances(feats, test, k, draws, seed + 1, score)
            cal = metrics.calibrate(dv["genuine"], dv["skilled"], dv["random"], k)
            results[str(k)][name] = summarise(dt, cal["threshold"])
            if name == first:
                calibration[str(k)] = cal
                raw[k] = dt
        # Random baseline: scores drawn uniformly, same query counts as the model's.
        rng = np.random.default_rng(seed + 2)
        n = {key: len(raw[k][key]) for key in ("genuine", "skilled", "random")}
        rand = {key: rng.random(v) for key, v in n.items()}
        rand["writer_auc_skilled"] = [0.5]
        results[str(k)]["random"] = summarise(rand, 0.5)
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


def evaluate_run(run: str | Path, data: str | Path | None = None, ks: list[int] | None = None,
                 draws: int = 10, seed: int = 0) -> dict:
    """Evaluate ``run/best.pt`` on its split; writes ``report.json``, ``calibration.json``
    and plots into the run folder and returns the report."""
    from training.data import read_any
    from training.train import clean_inkmaps, embed_torch, load_model

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

    def pixels(x: np.ndarray) -> np.ndarray:  # raw preprocessed pixels, as a baseline feature
        return x.reshape(len(x), -1)

    features = {"model": embed_torch(model, test_in), "pixel_nn": pixels(test_in)}
    val_features = {"model": embed_torch(model, val_in), "pixel_nn": pixels(val_in)}
    results, calibration, raw = evaluate_features(
        features, val, test, val_features, ks, draws, seed
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
    (run / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (run / "calibration.json").write_text(json.dumps(
        {"per_k": calibration,
         "data": f"validation writers {split['validation']} of {data or split['data']}",
         "draws": draws}, indent=2) + "\n")
    return report
