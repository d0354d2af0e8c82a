"""Writer-independent verification: a score against K references, similarity and a verdict.

The score of a query against a writer's references is the mean Euclidean distance between
its L2-normalised embedding and each reference's, divided (for K >= 2) by the mean distance
among the references themselves: a writer whose signatures vary a lot gets a wider
tolerance. On CEDAR's held-out writers this cut the test EER from 24% to 19% and kept the
validation threshold usable on new writers. The manifest's calibration (made on validation
writers never used to test) turns the score into a similarity in [0, 1] with a monotone
logistic map and into one of three verdicts.

:meth:`SignatureVerifier.decide` works from embeddings (what a branch stores per reference)
and offers the decision methods of :mod:`desktop.core.signature.decision` ('distance'; 'svm',
'znorm' and 'fusion' when the model ships a background set and their calibrations) at a level
stated as a target skilled-forgery FAR.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any, cast

import numpy as np

from desktop.core.errors import N_, InputImageError, Message, ModelError
from desktop.core.imaging.decode import load_gray
from desktop.core.signature.decision import (
    FUSION_SCORE_NAME,
    METHODS,
    SVM_SCORE_NAME,
    ZNORM_SCORE_NAME,
    fusion_scores,
    level_for,
    security_thresholds,
    writer_svm_scores,
    znorm_scores,
)
from desktop.core.signature.embedder import Embedder
from desktop.core.signature.manifest import Calibration
from desktop.core.signature.preprocess import (
    batch,
    matched_inkmap,
    prepared_signature,
    scanned_stroke_width,
)

GENUINE, REVIEW, FORGED = "genuine", "needs review", "forged"
VERDICT_WORDS = {GENUINE: N_("genuine"), REVIEW: N_("needs review"), FORGED: N_("forged")}
SCORE_NAME = "mean-distance-over-reference-spread"
MIN_SPREAD = 0.05  # floor for the references' spread (two identical references)


def reference_scores(refs: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Per-reference scores (Q, K): distances to each reference over the references' spread.

    ``refs`` (K, D) and ``queries`` (Q, D) are L2-normalised embeddings. With one reference
    the score is the plain Euclidean distance.
    """
    dists = np.linalg.norm(queries[:, None, :] - refs[None, :, :], axis=2)
    k = len(refs)
    if k < 2:
        return dists
    pairwise = np.linalg.norm(refs[:, None, :] - refs[None, :, :], axis=2)
    spread = float(pairwise[np.triu_indices(k, 1)].mean())
    return dists / max(spread, MIN_SPREAD)


def score(refs: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The verification score of each query (lower = more alike): mean per-reference score."""
    return reference_scores(refs, queries).mean(axis=1)


def similarity(distance: float, cal: Calibration) -> float:
    """Map a distance to [0, 1], decreasing; 0.5 exactly at the calibrated threshold."""
    z = cal.slope * (distance - cal.threshold)
    return 1.0 / (1.0 + math.exp(min(z, 700.0)))


def decide(distance: float, cal: Calibration) -> str:
    """Three-way verdict: genuine up to ``accept_distance``, forged above ``reject_distance``."""
    return _verdict(distance, cal.accept_distance, cal.reject_distance)


def _verdict(score: float, accept: float, reject: float) -> str:
    if score <= accept:
        return GENUINE
    if score > reject:
        return FORGED
    return REVIEW


@dataclass(frozen=True)
class PreparedImage:
    """A loaded image and its preprocessed ink map (what the network sees)."""

    path: str
    gray: np.ndarray
    inkmap: np.ndarray
    warning: str | None = None  # e.g. a whole cheque given where a signature crop belongs
    # The scan's stroke width as the contract's pen matching measures it (None when the
    # contract does not match pens, or when not measured).
    width: float | None = None


@dataclass(frozen=True)
class VerificationResult:
    """Everything a clerk (or the JSON CLI) needs to read a verification.

    The ``*distance*`` fields hold scores as :func:`reference_scores` defines them (distances
    relative to the references' spread when there are two or more references). With another
    ``method`` the overall ``distance``, ``similarity``, threshold, accept and reject fields
    are on that method's score scale (for 'svm' minus the SVM's decision function, for
    'fusion' the mean calibrated log-odds; lower = more alike) and its calibration;
    ``reference_distances`` / ``reference_similarities`` stay those of the distance method,
    so each reference's own similarity can still be shown.
    ``target_far`` is the security level applied: the target skilled-forgery FAR on the
    validation writers (the calibration's default, 2%, when none was chosen).
    """

    similarity: float
    distance: float
    decision: str
    reference_distances: list[float]
    reference_similarities: list[float]
    threshold_distance: float
    accept_distance: float
    reject_distance: float
    accept_similarity: float
    reject_similarity: float
    calibrated_k: int
    operating_point: dict[str, Any]
    model_id: str
    provider: str
    provider_reason: str
    method: str = "distance"
    target_far: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


class SignatureVerifier:
    """Loads a model folder once and verifies queries against references."""

    def __init__(self, model_folder: str | Path, provider: str = "auto",
                 threads: int | None = None) -> None:
        self.embedder = Embedder(model_folder, provider=provider, threads=threads)
        self.manifest = self.embedder.manifest
        if self.manifest.raw.get("score") != SCORE_NAME:
            raise ModelError(
                self.manifest.folder / "manifest.json",
                f"the model was calibrated for score {self.manifest.raw.get('score')!r}; "
                f"this app computes {SCORE_NAME!r}",
            )
        self._background: np.ndarray | None = None
        self._unavailable = self._load_background_methods()

    def _load_background_methods(self) -> dict[str, str]:
        """Load the background set when the model calibrated a method that needs it (the
        writer SVM, the z-norm); return why each such method is unavailable, if it is (the
        distance method and its calibration always remain)."""
        m = self.manifest
        computes = {"svm": SVM_SCORE_NAME, "znorm": ZNORM_SCORE_NAME,
                    "fusion": FUSION_SCORE_NAME}
        why = {}
        for method, name in computes.items():
            if m.background is None or not m.method_calibrations.get(method):
                why[method] = f"the model ships no background set and {method} calibration"
            elif m.method_scores.get(method) != name:
                why[method] = (f"its {method} score was calibrated as "
                               f"{m.method_scores.get(method)!r}; this app computes {name!r}")
        if "svm" in why and "fusion" not in why:  # the fusion reads the SVM's calibration
            why["fusion"] = f"it fuses the writer SVM, which is unavailable: {why['svm']}"
        if len(why) < len(computes) and m.background is not None:
            self._background = m.background.load()
        return why

    def prepare(self, path: str | Path, page: int = 0,
                check_crop: bool = False) -> PreparedImage:
        """Load and preprocess one signature image; raises :class:`InputImageError`. With
        ``check_crop`` the result carries a warning when the image looks like a whole cheque
        rather than a signature crop (the comparison window's query)."""
        gray = load_gray(path, page=page)
        inkmap, width = prepared_signature(gray, self.manifest.preprocessing, path)
        warning = None
        if check_crop:
            from desktop.core.signature.cheque import whole_cheque_warning

            warning = whole_cheque_warning(gray)
        return PreparedImage(str(path), gray, inkmap, warning, width)

    def _prepare_or_error(self, path: str | Path) -> PreparedImage | InputImageError:
        try:
            return self.prepare(path)
        except InputImageError as exc:
            return exc

    def prepare_many(self, paths: Sequence[str | Path], workers: int = 2,
                     ahead: int = 64) -> Iterator[PreparedImage | InputImageError]:
        """Load and preprocess files on ``workers`` threads, yielding the results in order.

        Pillow's decoders and OpenCV's filters release the GIL, so two threads use two cores.
        A file that cannot be used yields its :class:`InputImageError` in its place instead of
        stopping the batch. At most ``ahead`` files are in flight, so memory stays bounded
        however long the batch is.
        """
        if workers <= 1:
            for path in paths:
                yield self._prepare_or_error(path)
            return
        it = iter(paths)
        with ThreadPoolExecutor(workers, thread_name_prefix="prepare") as pool:
            pending: deque[Future] = deque(pool.submit(self._prepare_or_error, p)
                                           for p in islice(it, max(ahead, workers)))
            while pending:
                done = pending.popleft().result()
                pending.extend(pool.submit(self._prepare_or_error, p) for p in islice(it, 1))
                yield done

    def verify_batch(
        self, jobs: Sequence[tuple[str | Path, np.ndarray]], method: str = "distance",
        target_far: float | None = None, workers: int = 2, chunk: int = 32,
        widths: Sequence[Sequence[float]] | None = None,
    ) -> list[VerificationResult | InputImageError]:
        """Verify many query files, each against its own reference embeddings.

        ``jobs`` holds (query file, reference embeddings (K, D)) pairs: what the store keeps
        per account; ``widths`` (one list per job: the references' scanned stroke widths,
        :func:`~desktop.core.signature.preprocess.reference_widths`) lets the contract match
        each query's pen to its references'. Files are loaded and preprocessed on
        ``workers`` threads (:meth:`prepare_many`) while this thread embeds them ``chunk`` at
        a time (one onnxruntime call per chunk) and decides each as :meth:`decide` does.
        Returns one result per job, in order: a :class:`VerificationResult`, or the
        :class:`InputImageError` saying why that file (or its references) could not be used.
        """
        self._check_method(method)
        results: list[VerificationResult | InputImageError | None] = [None] * len(jobs)
        waiting: list[tuple[int, PreparedImage]] = []

        def flush() -> None:
            emb = self.embed_inkmaps([
                matched_inkmap(q.gray, self.manifest.preprocessing, q.path, widths[i],
                               q.inkmap, q.width)[0]
                if widths else q.inkmap for i, q in waiting])
            for (i, _), query in zip(waiting, emb, strict=True):
                try:
                    results[i] = self.decide(jobs[i][1], query, method, target_far)
                except InputImageError as exc:
                    results[i] = exc
            waiting.clear()

        prepared = self.prepare_many([path for path, _ in jobs], workers, ahead=2 * chunk)
        for i, item in enumerate(prepared):
            if isinstance(item, InputImageError):
                results[i] = item
                continue
            waiting.append((i, item))
            if len(waiting) >= chunk:
                flush()
        if waiting:
            flush()
        return cast("list[VerificationResult | InputImageError]", results)  # all filled

    def methods(self) -> list[str]:
        """The decision methods this model supports: always 'distance'; 'svm', 'znorm' and
        'fusion' when its manifest ships a background set and their calibration made with this
        app's score."""
        return [m for m in METHODS if m not in self._unavailable]

    def security_levels(self, k: int, method: str = "distance") -> list[dict[str, Any]]:
        """The security levels offered for ``k`` references and ``method`` (settings screen).

        One dict per tabulated target FAR, strictest first: ``target_far``, the validation
        writers' ``frr``, ``far_skilled`` and ``far_random`` at it, the ``accept`` and
        ``reject`` thresholds :meth:`decide` would use, ``calibrated_k`` and ``default``
        (True for the level equal to the calibration's default target). Empty when the model
        has no table (then only the default level, ``target_far=None``, exists).
        """
        self._check_method(method)
        cal = self.manifest.calibration_for(k, method)
        levels = self.manifest.levels_for(k, method)
        default = cal.operating_point.get("target_far")
        out = []
        for level in levels:
            accept, reject = security_thresholds(cal, levels, level.target_far)
            out.append({**level.to_dict(), "accept": accept, "reject": reject,
                        "calibrated_k": cal.k, "method": method,
                        "default": default is not None
                        and abs(level.target_far - float(default)) < 1e-12})
        return out

    def embed_inkmaps(self, inkmaps: Sequence[np.ndarray]) -> np.ndarray:
        """L2-normalised embeddings (N, D) of preprocessed ink maps, run as one batch."""
        if not len(inkmaps):
            return np.zeros((0, self.manifest.embedding_size), dtype=np.float32)
        return self.embedder.embed(batch(list(inkmaps)))

    def decide(
        self, ref_emb: np.ndarray, query_emb: np.ndarray, method: str = "distance",
        target_far: float | None = None,
    ) -> VerificationResult:
        """Verdict for a query embedding against K reference embeddings.

        ``ref_emb`` (K, D) and ``query_emb`` (D,) or (1, D) are L2-normalised embeddings of
        this model (:meth:`embed_inkmaps`). ``method`` is one of :meth:`methods`;
        ``target_far`` a security level (None: the calibration's default, today's accept at a
        validation skilled FAR of 2%; otherwise see
        :func:`desktop.core.signature.decision.security_thresholds`). Raises ``ValueError`` for a
        method or level the model does not offer, :class:`InputImageError` without references.
        """
        self._check_method(method)
        size = self.manifest.embedding_size
        refs = np.asarray(ref_emb, dtype=np.float32)
        query = np.asarray(query_emb, dtype=np.float32)
        query = query.reshape(1, -1) if query.ndim == 1 else query
        if refs.ndim != 2 or not len(refs):
            raise InputImageError(None, Message(N_("at least one reference signature is "
                                                   "needed")))
        if refs.shape[1] != size or query.shape != (1, size):
            raise ValueError(f"expected reference embeddings (K, {size}) and one query "
                             f"embedding ({size},); got {refs.shape} and {query.shape}")
        k = len(refs)
        dist_cal = self.manifest.calibration_for(k)
        dists = reference_scores(refs, query)[0].astype(float)
        if method == "svm":
            cal = self.manifest.calibration_for(k, "svm")
            value = float(writer_svm_scores(refs, self._background, query)[0])
        elif method == "znorm":
            cal = self.manifest.calibration_for(k, "znorm")
            value = float(znorm_scores(refs, self._background, query)[0])
        elif method == "fusion":
            cal = self.manifest.calibration_for(k, "fusion")
            svm = writer_svm_scores(refs, self._background, query)
            value = float(fusion_scores(dists.mean(), svm, dist_cal,
                                        self.manifest.calibration_for(k, "svm"))[0])
        else:
            cal = dist_cal
            value = float(dists.mean())
        levels = self.manifest.levels_for(k, method)
        accept, reject = security_thresholds(cal, levels, target_far)
        # Report the level actually applied (a request between two levels gets the stricter).
        if target_far is not None and levels:
            applied = level_for(levels, target_far).target_far
        else:
            applied = target_far if target_far is not None else \
                cal.operating_point.get("target_far")
        info = self.embedder.provider
        return VerificationResult(
            similarity=similarity(value, cal),
            distance=value,
            decision=_verdict(value, accept, reject),
            reference_distances=[float(d) for d in dists],
            reference_similarities=[similarity(float(d), dist_cal) for d in dists],
            threshold_distance=cal.threshold,
            accept_distance=accept,
            reject_distance=reject,
            accept_similarity=similarity(accept, cal),
            reject_similarity=similarity(reject, cal),
            calibrated_k=cal.k,
            operating_point=cal.operating_point,
            model_id=self.manifest.model_id,
            provider=info.label,
            provider_reason=info.reason,
            method=method,
            target_far=None if applied is None else float(applied),
        )

    def verify(
        self, references: Sequence[PreparedImage], query: PreparedImage,
        method: str = "distance", target_far: float | None = None,
    ) -> VerificationResult:
        """Compare ``query`` with the references (one batch through the network; the query's
        pen matched to theirs when the contract asks); see :meth:`decide` for ``method`` and
        ``target_far``."""
        if not references:
            raise InputImageError(None, Message(N_("at least one reference signature is "
                                                   "needed")))
        prep = self.manifest.preprocessing
        widths = [r.width if r.width is not None else scanned_stroke_width(r.gray, prep, r.path)
                  for r in references] if prep.match_pen else []
        inkmap, _ = matched_inkmap(query.gray, prep, query.path, widths, query.inkmap,
                                   query.width)
        emb = self.embed_inkmaps([r.inkmap for r in references] + [inkmap])
        return self.decide(emb[:-1], emb[-1], method=method, target_far=target_far)

    def _check_method(self, method: str) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown decision method {method!r} (known: {', '.join(METHODS)})")
        if method not in self.methods():
            raise ValueError(f"this model does not support the {method!r} method: "
                             f"{self._unavailable[method]}")

    def verify_files(
        self, reference_paths: Sequence[str | Path], query_path: str | Path,
        method: str = "distance", target_far: float | None = None,
    ) -> tuple[VerificationResult, list[PreparedImage], PreparedImage]:
        """Load, preprocess and verify files; returns the result and the prepared images."""
        refs = [self.prepare(p) for p in reference_paths]
        query = self.prepare(query_path)
        return self.verify(refs, query, method, target_far), refs, query
