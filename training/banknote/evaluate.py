"""Evaluate an exported banknote model through the app's own check, on fresh captures.

Every test picture goes through :meth:`desktop.core.banknote.model.BanknoteModel.check`: note
detection, rectification, both turns embedded, centroid and SVM classification, authenticity.
Test captures use a seed that training, validation and the references never used.

* Denomination accuracy (top-1, top-3, SVM) on genuine captures of the shipped classes.
* Counterfeit detection: the app's verdict on counterfeits (per kind) and on genuine notes (the
  false alarms it was calibrated to keep at 1%), plus, from the test scores themselves, the
  detection each score reaches at exactly 1% false alarms.
* One-shot: the held-out denominations (never trained on) enrolled from 1 and from 5 captures,
  then read among all classes; their counterfeits judged by distance alone.
* Sides from two notes (``mismatched_pair``): caught only by checking both sides.
* Time per check on this machine.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_curve

from desktop.core.banknote.model import BanknoteCheck, BanknoteModel, EnrolledNote, compare_sides
from training.banknote.data import SINGLE_SIDE_KINDS, all_specs, spec_key, synthetic_capture
from training.banknote.real import Enroller
from training.banknote.synthetic import SIDES

ENROLL_SEED_OFFSET = 500


def _capture(job: tuple) -> np.ndarray:
    spec, side, kind, seed, index = job
    return synthetic_capture(spec, side, kind, seed, index)[0]


def _pictures(jobs: list[tuple], workers: int | None) -> list[np.ndarray]:
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        return [_capture(j) for j in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_capture, jobs, chunksize=4))


def _rate(flags: list[bool]) -> float:
    return float(np.mean(flags)) if flags else float("nan")


def detection_at(genuine: np.ndarray, fake: np.ndarray, false_alarm: float = 0.01) -> float:
    """Share of ``fake`` scores above the genuine scores' (1 - false_alarm) quantile."""
    return float((fake > np.quantile(genuine, 1 - false_alarm)).mean())


def _enroll(model: BanknoteModel, specs: list, k: int, seed: int, draw: int) -> list[EnrolledNote]:
    enroller = Enroller(model)  # as the operator's screen enrolls a picture
    for spec in specs:
        for side in SIDES:
            for i in range(k):
                pic = synthetic_capture(spec, side, "", seed, 1000 * draw + i)[0]
                enroller.add(spec_key(spec, side), pic, f"capture {i}")
    return enroller.notes


def evaluate_banknote_model(model_dir: str | Path, out: str | Path, seed: int = 7000,
                            genuine: int = 10, counterfeits: int = 10,
                            workers: int | None = None, provider: str = "cpu") -> dict:
    """Run the whole evaluation; print the table; write ``report.json`` and plots to ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = BanknoteModel(model_dir, provider)
    shipped = {c.key for c in model.manifest.classes}
    specs = all_specs()
    known = [s for s in specs if spec_key(s, "front") in shipped]
    held = [s for s in specs if spec_key(s, "front") not in shipped]
    jobs = [(s, side, "" if i < genuine else SINGLE_SIDE_KINDS[i % len(SINGLE_SIDE_KINDS)],
             seed, i) for s in specs for side in SIDES for i in range(genuine + counterfeits)]
    t0 = time.perf_counter()
    pictures = _pictures(jobs, workers)
    print(f"{len(pictures)} test captures made in {time.perf_counter() - t0:.0f} s", flush=True)

    def run(enrolled: list[EnrolledNote], subset: set[str]) -> list[tuple[tuple, BanknoteCheck]]:
        return [(job, model.check(pic, f"capture {i}", enrolled))
                for i, (job, pic) in enumerate(zip(jobs, pictures, strict=True))
                if spec_key(job[0], job[1]) in subset]

    results = run([], shipped)
    times = np.array([sum(c.timings_ms.values()) for _, c in results])
    stages = {k: float(np.mean([c.timings_ms[k] for _, c in results]))
              for k in results[0][1].timings_ms}
    gen = [(j, c) for j, c in results if not j[2]]
    fake = [(j, c) for j, c in results if j[2]]
    truth = [spec_key(j[0], j[1]) for j, _ in gen]
    report: dict = {
        "model": str(model_dir), "model_id": model.model_id, "seed": seed,
        "test_genuine": len(gen), "test_counterfeit": len(fake),
        "top1": _rate([c.top[0].note.key == t for (_, c), t in zip(gen, truth, strict=True)]),
        "top3": _rate([t in [s.note.key for s in c.top] for (_, c), t in
                       zip(gen, truth, strict=True)]),
        "svm_top1": _rate([c.svm_class is not None and c.svm_class.key == t
                           for (_, c), t in zip(gen, truth, strict=True)]),
        "genuine_flagged": _rate([c.verdict == "suspect" for _, c in gen]),
        "counterfeit_flagged": _rate([c.verdict == "suspect" for _, c in fake]),
        "per_kind": {k: _rate([c.verdict == "suspect" for j, c in fake if j[2] == k])
                     for k in SINGLE_SIDE_KINDS},
        "time_ms": {"mean": float(times.mean()), "median": float(np.median(times)),
                    "p95": float(np.quantile(times, 0.95)), "stages": stages},
    }
    dist_g = np.array([c.distance for _, c in gen])
    dist_f = np.array([c.distance for _, c in fake])
    svm_g = np.array([c.counterfeit_score for _, c in gen], dtype=float)
    svm_f = np.array([c.counterfeit_score for _, c in fake], dtype=float)
    report["detection_at_1pct_oracle"] = {
        "distance": detection_at(dist_g, dist_f),
        "counterfeit_svm": detection_at(svm_g, svm_f)}

    for k in (1, 5):
        runs = []
        for draw in range(3 if k == 1 else 1):
            enrolled = _enroll(model, held, k, seed + ENROLL_SEED_OFFSET, draw)
            res = run(enrolled, {spec_key(s, side) for s in held for side in SIDES})
            g = [(j, c) for j, c in res if not j[2]]
            f = [(j, c) for j, c in res if j[2]]
            runs.append({
                "top1": _rate([c.top[0].note.key == spec_key(j[0], j[1]) for j, c in g]),
                "genuine_flagged": _rate([c.verdict == "suspect" for _, c in g]),
                "counterfeit_flagged": _rate([c.verdict == "suspect" for _, c in f])})
        report[f"one_shot_k{k}"] = {key: float(np.mean([r[key] for r in runs]))
                                    for key in runs[0]} | {"draws": len(runs)}

    by_key = {spec_key(j[0], j[1]): c for j, c in gen if j[4] == 0}
    same, other = [], []
    for s in known:
        front = by_key[spec_key(s, "front")]
        same.append(bool(compare_sides(front, by_key[spec_key(s, "back")])))
        for o in known:
            if o.currency == s.currency and o.denomination != s.denomination:
                other.append(bool(compare_sides(front, by_key[spec_key(o, "back")])))
    report["two_sides"] = {"glued_pairs_caught": _rate(other),
                           "true_pairs_flagged": _rate(same), "pairs": len(other)}
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    _plots(out, dist_g, dist_f, svm_g, svm_f, gen, fake, report)
    print(format_table(report))
    return report


def format_table(r: dict) -> str:
    """The evaluation as a Markdown table."""
    rows = [
        ("Denomination top-1 (centroids), shipped classes", f"{r['top1']:.1%}"),
        ("Denomination top-3", f"{r['top3']:.1%}"),
        ("Denomination top-1 (multi-class SVM)", f"{r['svm_top1']:.1%}"),
        ("Genuine notes flagged suspect (calibrated for 1%)", f"{r['genuine_flagged']:.1%}"),
        ("Counterfeits flagged suspect (all kinds)", f"{r['counterfeit_flagged']:.1%}"),
        *[(f"  {k}", f"{v:.1%}") for k, v in r["per_kind"].items()],
        ("Detection at 1% false alarms, distance alone (test quantile)",
         f"{r['detection_at_1pct_oracle']['distance']:.1%}"),
        ("Detection at 1% false alarms, counterfeit SVM alone (test quantile)",
         f"{r['detection_at_1pct_oracle']['counterfeit_svm']:.1%}"),
        *[(f"New denominations enrolled from {k} image(s): top-1 / genuine flagged / "
           f"counterfeits flagged",
           f"{r[f'one_shot_k{k}']['top1']:.1%} / {r[f'one_shot_k{k}']['genuine_flagged']:.1%}"
           f" / {r[f'one_shot_k{k}']['counterfeit_flagged']:.1%}") for k in (1, 5)],
        ("Front and back of different notes caught (both sides checked)",
         f"{r['two_sides']['glued_pairs_caught']:.1%} of {r['two_sides']['pairs']}"),
        ("Time per check, mean / p95 (ms)",
         f"{r['time_ms']['mean']:.0f} / {r['time_ms']['p95']:.0f}"),
        *[(f"  {k}", f"{v:.1f} ms") for k, v in r["time_ms"]["stages"].items()],
    ]
    lines = ["| Measure | Value |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def _plots(out: Path, dist_g: np.ndarray, dist_f: np.ndarray, svm_g: np.ndarray,
           svm_f: np.ndarray, gen: list, fake: list, report: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    for name, g, f in (("distance to centroid", dist_g, dist_f),
                       ("counterfeit SVM", svm_g, svm_f)):
        y = np.r_[np.zeros(len(g)), np.ones(len(f))]
        flagged, caught, _ = roc_curve(y, np.r_[g, f])  # a counterfeit is the positive
        ax.plot(flagged, caught, label=name)
    ax.axvline(0.01, ls=":", c="grey")
    ax.set(xscale="log", xlabel="genuine notes flagged", ylabel="counterfeits caught",
           title="Counterfeit detection (test captures)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "roc.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.hist(dist_g, bins=40, alpha=0.6, label="genuine")
    ax.hist(dist_f, bins=40, alpha=0.6, label="counterfeit")
    thr = np.median([c.threshold for _, c in gen])
    ax.axvline(thr, c="k", ls="--", label=f"threshold {thr:.3f}")
    ax.set(xlabel="distance to the denomination's genuine centroid", ylabel="captures")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "distances.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3))
    kinds = list(report["per_kind"])
    ax.barh(kinds, [report["per_kind"][k] for k in kinds])
    ax.set(xlim=(0, 1), xlabel="flagged suspect", title="Counterfeits caught, by kind")
    fig.tight_layout()
    fig.savefig(out / "per_kind.png", dpi=120)
    plt.close(fig)
