"""Writer-independent evaluation with K references, baselines, calibration, report and plots.

Protocol (for each K and each of ``draws`` random choices of references):
for every writer, K genuine signatures are the references; the queries are the writer's
remaining genuine signatures, its skilled forgeries (in the Chinese set, where there are none:
the same name written by the other volunteers), and up to 200 genuine signatures of other
persons of the same data set (random forgeries). A query's score is the app's own
(desktop.core.signature.verification.score, or desktop.core.signature.decision.writer_svm_scores
for the writer-dependent SVM, whose negatives are the training writers' genuine signatures). The
decision threshold is calibrated on the *validation* writers and applied unchanged to the
*test* writers, who took no part in training or calibration. Under a contract that matches
pens (version 4, :func:`desktop.core.signature.preprocess.pen_growth`) each query is scored
as the app scores it: its strokes grown to the median width of the references drawn
(:class:`PenMatching`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from desktop.core.signature.decision import (
    FUSION_SCORE_NAME,
    SVM_C,
    SVM_GAMMA,
    SVM_KERNEL,
    SVM_NEGATIVES,
    SVM_SCORE_NAME,
    TARGET_FARS,
    ZNORM_COHORT,
    ZNORM_SCORE_NAME,
    fusion_scores,
    writer_svm_scores,
    znorm_scores,
)
from desktop.core.signature.manifest import Calibration
from desktop.core.signature.preprocess import (
    MAX_STROKE_GROWTH,
    SignaturePreprocessing,
    batch,
    pen_growth,
    preprocess_signature,
    scanned_stroke_width,
)
from desktop.core.signature.verification import score as model_score
from training.common import metrics
from training.signature.data import SignatureImages

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]
Embed = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class PenMatching:
    """Queries scored as version 4's pen matching scores them: ``widths`` (N,) are the
    scanned stroke widths of the images as references, ``query_widths`` (N,) those of the
    queries (the same scans, or re-captured ones in the robustness checks), ``grown``
    (G + 1, N, D) the queries' embeddings with their strokes grown by 0..G pixels."""

    prep: SignaturePreprocessing
    widths: np.ndarray
    query_widths: np.ndarray
    grown: np.ndarray

    def queries(self, refs: Sequence[int], queries: Sequence[int]) -> np.ndarray:
        """Embeddings of the ``queries`` (indices) matched to the references ``refs``."""
        asked = np.asarray(queries, dtype=np.int64)
        growth = pen_growth(self.prep, self.query_widths[asked], self.widths[list(refs)])
        return self.grown[growth, asked]


def pen_matching(grays: Sequence[np.ndarray], paths: Sequence[str], prep: SignaturePreprocessing,
                 embed: Embed, widths: np.ndarray | None = None,
                 as_scanned: np.ndarray | None = None) -> PenMatching:
    """:class:`PenMatching` of scans ``grays`` (each one the contract accepts): each
    embedded with its strokes grown by 0..:data:`MAX_STROKE_GROWTH` pixels. ``widths`` are
    the reference widths (default: those of ``grays`` themselves); ``as_scanned``, the
    scans' embeddings as preprocessed without growth by the same ``embed``, spares embedding
    them again."""
    query_widths = np.array([scanned_stroke_width(g, prep, p)
                             for g, p in zip(grays, paths, strict=True)])

    def grown_by(grow: int) -> np.ndarray:
        if grow == 0 and as_scanned is not None:
            return np.asarray(as_scanned)
        return embed(batch([preprocess_signature(g, prep, p, grow=grow)
                            for g, p in zip(grays, paths, strict=True)]))

    grown = np.stack([grown_by(grow) for grow in range(MAX_STROKE_GROWTH + 1)])
    return PenMatching(prep, query_widths if widths is None else np.asarray(widths),
                       query_widths, grown)


def pen_for(data: SignatureImages, prep: SignaturePreprocessing, embed: Embed,
            as_scanned: np.ndarray | None = None) -> PenMatching | None:
    """The pen matching of ``data``'s own scans when ``prep`` matches pens, else None
    (``as_scanned``: their embeddings as preprocessed, see :func:`pen_matching`)."""
    if not prep.match_pen:
        return None
    return pen_matching(data.images, [str(s.path) for s in data.samples], prep, embed,
                        as_scanned=as_scanned)


MAX_RANDOM = 200  # random-forgery queries per writer and draw (a sample of the other persons)


def nearest_distance(refs: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Distance of each query row to its nearest reference row (the pixel-NN baseline)."""
    return np.linalg.norm(queries[:, None, :] - refs[None, :, :], axis=2).min(axis=1)


def protocol_distances(
    features: np.ndarray, data: SignatureImages, k: int, draws: int, seed: int,
    score: Scorer = model_score, query_features: np.ndarray | None = None,
    pen: PenMatching | None = None,
) -> dict:
    """Genuine / skilled / random query scores over writers and draws (see module doc).

    Skilled queries are a writer's forgeries and, in a set whose writers share a text, other
    persons' genuine signatures of the same text; random queries are the genuine signatures
    of the other persons of the *same* data set (another script is no test), at most
    :data:`MAX_RANDOM` of them drawn at random. References
    come from ``features``, queries from ``query_features`` when given (the same images
    after a change of capture: :data:`training.signature.robustness.CHANGES`), or from
    ``pen`` matched to each draw's references when given (version 4 contracts).

    Returns the pooled arrays, ``per_set`` (the same keys for each data set) and
    ``per_writer``: (writer, data set, genuine scores, skilled scores) per draw."""
    queries = features if query_features is None else query_features
    rng = np.random.default_rng(seed)
    genuine_idx = {w: data.indices(w, True) for w in data.writers}
    skilled_idx = {w: data.skilled_indices(w) for w in data.writers}
    per_set: dict[str, dict[str, list]] = {}
    per_writer: list[tuple[str, str, np.ndarray, np.ndarray]] = []
    for _ in range(draws):
        for w in data.writers:
            g = genuine_idx[w]
            if len(g) <= k:
                continue
            name = data.dataset_of[w]
            chosen = rng.choice(len(g), size=k, replace=False)
            refs = features[[g[i] for i in chosen]]
            rest = [g[i] for i in range(len(g)) if i not in set(chosen.tolist())]
            who, group = data.person_of[w], data.group_of[w]
            others = [i for v in data.writers if data.dataset_of[v] == name
                      and data.person_of[v] != who and not (group and data.group_of[v] == group)
                      for i in genuine_idx[v]]
            if len(others) > MAX_RANDOM:
                others = [others[i] for i in sorted(rng.choice(len(others), MAX_RANDOM,
                                                               replace=False))]
            skilled = skilled_idx[w]
            # One call per choice of references: the writer SVM is fitted once, not thrice.
            asked = rest + skilled + others
            scores = score(refs, queries[asked] if pen is None else
                           pen.queries([g[i] for i in chosen], asked))
            dg = scores[: len(rest)]
            ds = scores[len(rest) : len(rest) + len(skilled)]
            dr = scores[len(rest) + len(skilled) :]
            bucket = per_set.setdefault(name, {"genuine": [], "skilled": [], "random": [],
                                               "writer_auc_skilled": []})
            bucket["genuine"].append(dg)
            bucket["skilled"].append(ds)
            bucket["random"].append(dr)
            if len(ds):
                bucket["writer_auc_skilled"].append(metrics.auc(dg, ds))
                per_writer.append((w, name, dg, ds))
    cat = lambda xs: np.concatenate(xs) if xs else np.zeros(0)  # noqa: E731
    sets = {name: {key: cat(b[key]) for key in ("genuine", "skilled", "random")}
            | {"writer_auc_skilled": b["writer_auc_skilled"]} for name, b in per_set.items()}
    pooled = {key: cat([b[key] for b in sets.values()])
              for key in ("genuine", "skilled", "random")}
    pooled["writer_auc_skilled"] = [a for b in sets.values() for a in b["writer_auc_skilled"]]
    return pooled | {"per_set": sets, "per_writer": per_writer}


def _summary(g: np.ndarray, s: np.ndarray, r: np.ndarray, writer_aucs: list,
             threshold: float) -> dict[str, float]:
    far_s, frr = metrics.far_frr(g, s, threshold) if len(s) else (float("nan"), float("nan"))
    far_r, frr_r = metrics.far_frr(g, r, threshold)
    out = {
        "frr": frr if len(s) else frr_r, "far_skilled": far_s, "far_random": far_r,
        "threshold": threshold, "eer_random": metrics.equal_error_rate(g, r).eer,
        "auc_random": metrics.auc(g, r),
        "n_genuine": int(len(g)), "n_skilled": int(len(s)), "n_random": int(len(r)),
    }
    if len(s):
        out.update({
            "eer_skilled": metrics.equal_error_rate(g, s).eer, "auc_skilled": metrics.auc(g, s),
            "mean_writer_auc_skilled": float(np.mean(writer_aucs)),
        })
    return out


def writer_far(test: dict, threshold: float) -> dict:
    """Skilled FAR writer by writer at ``threshold`` (all draws of a writer pooled): what
    a pooled FAR hides. ``worst`` lists the five highest."""
    by_writer: dict[str, list] = {}
    for w, name, _, ds in test["per_writer"]:
        by_writer.setdefault(w, [name, []])[1].append(ds)
    fars = {w: (name, float(np.mean(np.concatenate(ds) <= threshold)))
            for w, (name, ds) in by_writer.items()}
    values = np.array([f for _, f in fars.values()]) if fars else np.zeros(0)
    worst = sorted(fars.items(), key=lambda item: -item[1][1])[:5]
    return {
        "writers": int(len(values)),
        "max": float(values.max()) if len(values) else float("nan"),
        "above_10pct": int((values > 0.10).sum()),
        "median": float(np.median(values)) if len(values) else float("nan"),
        "worst": [{"writer": w, "dataset": name, "far_skilled": f} for w, (name, f) in worst],
    }


def summarise(test: dict, threshold: float, accept: float | None = None,
              reject: float | None = None) -> dict:
    """The field's figures for one method on test scores, at a validation threshold, pooled
    and per data set (``per_set``). With the validation ``accept`` and ``reject`` scores it
    adds what a clerk sees (``clerk``): the share of genuine signatures accepted outright
    and called forged, the skilled and random FAR at the accept point, and the skilled FAR
    writer by writer there (:func:`writer_far`)."""
    def one(d: dict) -> dict:
        return _summary(d["genuine"], d["skilled"], d["random"], d["writer_auc_skilled"],
                        threshold)

    out = one(test)
    if len(test.get("per_set", {})) > 1:
        out["per_set"] = {name: one(d) for name, d in sorted(test["per_set"].items())}
    if accept is not None and reject is not None:
        g = test["genuine"]
        out["clerk"] = {
            "accepted": float(np.mean(g <= accept)), "called_forged": float(np.mean(g > reject)),
            "far_skilled": float(np.mean(test["skilled"] <= accept)) if len(test["skilled"])
            else float("nan"),
            "far_random": float(np.mean(test["random"] <= accept)),
            "per_writer": writer_far(test, accept),
        }
    return out


def skilled_eer_per_set(d: dict) -> dict[str, float]:
    """Skilled EER of each data set of a :func:`protocol_distances` result."""
    return {name: metrics.equal_error_rate(b["genuine"], b["skilled"]).eer
            for name, b in sorted(d["per_set"].items()) if len(b["skilled"])}


def svm_scorer(background: np.ndarray) -> Scorer:
    """The writer-dependent SVM score against ``background`` as a protocol scorer.

    Remembers its answers: the fusion asks again for the very scores the SVM method was
    evaluated on (the same seed draws the same references), and an SVM fit is the slow part.
    """
    seen: dict[bytes, np.ndarray] = {}

    def score(refs: np.ndarray, queries: np.ndarray) -> np.ndarray:
        # the shapes too: the same bytes split differently are another question
        key = hashlib.sha256(repr((refs.shape, queries.shape, refs.dtype.str)).encode()
                             + np.ascontiguousarray(refs).tobytes()
                             + np.ascontiguousarray(queries).tobytes()).digest()
        if key not in seen:
            seen[key] = writer_svm_scores(refs, background, queries)
        return seen[key]

    return score


def fusion_scorer(svm: Scorer, distance_cal: dict, svm_cal: dict) -> Scorer:
    """The fused score (:func:`~desktop.core.signature.decision.fusion_scores`) with one K's
    validation calibrations of the distance and the SVM (``metrics.calibrate`` dicts)."""
    cal_d = Calibration.from_dict(int(distance_cal["k"]), distance_cal)
    cal_s = Calibration.from_dict(int(svm_cal["k"]), svm_cal)
    return lambda refs, queries: fusion_scores(model_score(refs, queries), svm(refs, queries),
                                               cal_d, cal_s)


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
    background: np.ndarray | None = None, val_pen: PenMatching | None = None,
    test_pen: PenMatching | None = None,
) -> tuple[dict, dict, dict]:
    """Evaluate every method (``features[name]`` on test, ``val_features[name]`` on
    validation; the first method's queries pen-matched by ``val_pen`` / ``test_pen`` when
    given, as the app does under a version 4 contract); with a ``background`` (training
    writers' genuine embeddings) the first method's features are also scored by the
    writer-dependent SVM, as ``<first>_svm``, by the z-normalised distance against it, as
    ``<first>_znorm``, and by the fusion of the distance and the SVM (with that K's
    validation calibrations), as ``<first>_fusion``.

    Returns (results per K and method, the calibration -- ``per_k`` of the first method,
    ``svm``, ``znorm`` and ``fusion`` with their own ``per_k`` when there is a background, and
    ``security_levels`` per method and K, all on the validation writers -- and the first
    method's raw test distances per K for plots).
    """
    scorers = {"model": model_score, "pixel_nn": nearest_distance}
    results: dict = {}
    per_k: dict = {}
    method_per_k: dict = {"svm": {}, "znorm": {}, "fusion": {}}
    levels: dict = {"distance": {}}
    raw: dict = {}
    first = next(iter(features))
    methods = [(name, feats, val_features[name], scorers.get(name, model_score))
               for name, feats in features.items()]
    svm = svm_scorer(background) if background is not None else None
    if background is not None:
        levels.update(svm={}, znorm={}, fusion={})
        methods.append((f"{first}_svm", features[first], val_features[first], svm))
        methods.append((f"{first}_znorm", features[first], val_features[first],
                        lambda refs, queries: znorm_scores(refs, background, queries)))
        methods.append((f"{first}_fusion", features[first], val_features[first], None))
    # the methods the app can run
    app_method = {first: "distance", f"{first}_svm": "svm", f"{first}_znorm": "znorm",
                  f"{first}_fusion": "fusion"}
    for k in ks:
        results[str(k)] = {}
        for name, feats, vfeats, score_or_none in methods:
            # the fusion's scorer needs this K's calibrations, made just before it
            score = score_or_none or fusion_scorer(svm, per_k[str(k)],
                                                   method_per_k["svm"][str(k)])
            mine = name in app_method  # the app's methods read the model's own queries
            dv = protocol_distances(vfeats, val, k, draws, seed, score,
                                    pen=val_pen if mine else None)
            dt = protocol_distances(feats, test, k, draws, seed + 1, score,
                                    pen=test_pen if mine else None)
            cal = metrics.calibrate(dv["genuine"], dv["skilled"], dv["random"], k)
            results[str(k)][name] = summarise(dt, cal["threshold"], cal["accept_distance"],
                                              cal["reject_distance"])
            method = app_method.get(name)
            if method is None:
                continue
            # The same clerk's figures on the validation writers, for choosing the app's
            # default method without looking at the test writers (pooled FAR in-sample).
            results[str(k)][name]["validation_clerk"] = summarise(
                dv, cal["threshold"], cal["accept_distance"], cal["reject_distance"])["clerk"]
            table = metrics.security_levels(dv["genuine"], dv["skilled"], dv["random"],
                                            TARGET_FARS)
            levels[method][str(k)] = table
            results[str(k)][name]["security_levels"] = _levels_on_test(table, dt)
            if method == "distance":
                per_k[str(k)] = cal
                raw[k] = dt
            else:
                method_per_k[method][str(k)] = cal
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
                       "class_weight": "balanced", "negatives": f"nearest {SVM_NEGATIVES}"},
            "background_size": int(len(background)),
            "per_k": method_per_k["svm"],
        }
        calibration["znorm"] = {
            "score": ZNORM_SCORE_NAME, "params": {"cohort": "background", "top": ZNORM_COHORT},
            "per_k": method_per_k["znorm"],
        }
        calibration["fusion"] = {
            "score": FUSION_SCORE_NAME,
            "params": {"of": ["distance", "svm"], "weights": [0.5, 0.5],
                       "each": "slope * (score - threshold) of its own calibration for K"},
            "per_k": method_per_k["fusion"],
        }
    calibration["security_levels"] = levels
    return results, calibration, raw
