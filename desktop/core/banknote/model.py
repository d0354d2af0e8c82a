"""Banknote check at run time: find the note, embed it, name its denomination, judge it.

Steps (:meth:`BanknoteModel.check`): the app's detector finds and rectifies the note
(:func:`desktop.core.banknote.detect.read_note`); both 0 and 180 degree turns are embedded, and the
numeral cue's turn is kept unless only the other fits a genuine cluster (see
:meth:`BanknoteModel.pick_turn`); distances to every
class centroid (the shipped ones and those enrolled from 1-5 images, through one ONNX graph)
give the denomination and a confidence (softmax of minus distance over the manifest's
temperature); the multi-class SVM gives a second reading; authenticity is the distance to the
class's genuine centroid against the threshold calibrated for that many references, plus the
class's genuine-vs-counterfeit SVM where one was trained.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.detect import NoteReading, read_note
from desktop.core.banknote.manifest import (
    BanknoteManifest,
    NoteClass,
    class_key,
    load_banknote_manifest,
)
from desktop.core.banknote.preprocess import preprocess_banknote
from desktop.core.errors import ModelError
from desktop.core.models.keys import TrustStore
from desktop.core.models.runtime import create_session

__all__ = ["BanknoteCheck", "BanknoteModel", "Centroid", "ClassScore", "EnrolledNote",
           "NoteClass", "class_key", "compare_sides"]

GENUINE, SUSPECT = "genuine", "suspect"  # a note's verdicts
MIN_CONFIDENCE = 0.5  # below this the denomination itself is in doubt: the clerk looks


@dataclass(frozen=True)
class EnrolledNote:
    """A reference note enrolled by an operator (from the store): its class, series label,
    rectified image (PNG bytes) and embedding."""

    id: int
    key: str
    series: str
    embedding: np.ndarray
    image_png: bytes  # the rectified note as enrolled: shown next to checks it is near to


@dataclass(frozen=True)
class Centroid:
    """One genuine cluster: a shipped class centroid (``n_references`` None) or the mean of
    one enrolled series' references."""

    key: str
    vector: np.ndarray
    n_references: int | None = None
    series: str = ""


@dataclass(frozen=True)
class ClassScore:
    """A denomination reading: the class, its confidence and distance to its centroid."""

    note: NoteClass
    confidence: float
    distance: float
    centroid: Centroid


@dataclass(frozen=True)
class NearestReference:
    """A reference note near the query: shipped (``enrolled_id`` None) or enrolled."""

    key: str
    distance: float
    image: np.ndarray  # BGR, rectified
    enrolled_id: int | None = None


@dataclass
class BanknoteCheck:
    """Everything a clerk sees about one checked note."""

    reading: NoteReading
    turned: bool  # the note was read turned 180 degrees from the detector's upright guess
    note_image: np.ndarray  # rectified, as read (BGR)
    embedding: np.ndarray
    top: list[ClassScore]  # best first, at most 3
    svm_class: NoteClass | None  # the multi-class SVM's reading (shipped classes only)
    verdict: str  # "genuine" or "suspect"
    distance: float
    threshold: float
    counterfeit_score: float | None  # the class's counterfeit SVM, when it has one
    counterfeit_threshold: float | None
    reasons: list[str]
    nearest: list[NearestReference]
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def denomination(self) -> NoteClass:
        """The best reading."""
        return self.top[0].note


def compare_sides(first: BanknoteCheck, second: BanknoteCheck) -> list[str]:
    """Problems between two checks of the two sides of one note (empty when consistent): the
    same side twice, or sides of different notes (a front glued to another note's back)."""
    a, b = first.denomination, second.denomination
    problems = []
    if a.side == b.side:
        problems.append(f"both pictures show the {a.side}; the other side was not checked")
    if (a.currency, a.denomination) != (b.currency, b.denomination):
        problems.append(f"the sides belong to different notes ({a.currency} {a.denomination} "
                        f"and {b.currency} {b.denomination}): a glued counterfeit")
    return problems


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


class BanknoteModel:
    """A loaded banknote model folder: embedder, centroid graph, SVMs and references.

    The folder must be signed by a key in ``trust`` (default: the app's trusted keys)."""

    def __init__(self, folder: str | Path, provider: str = "auto",
                 trust: TrustStore | None = None) -> None:
        self.manifest: BanknoteManifest = load_banknote_manifest(folder, trust=trust)
        m = self.manifest
        # Each graph is run from the bytes checked against the signed manifest's hash.
        self.session, self.provider = create_session(m.embedder.path, provider,
                                                     expected_sha256=m.embedder.sha256)
        # The classifiers are a few kilobytes of arithmetic: the CPU is faster than a transfer.
        self._centroids, _ = create_session(m.centroids.path, "cpu",
                                            expected_sha256=m.centroids.sha256)
        self._svm, _ = create_session(m.svm.path, "cpu", expected_sha256=m.svm.sha256)
        self._auth: dict[str, object] = {}
        self._check_graphs()
        self.shipped = [Centroid(c.key, v) for c, v in
                        zip(m.classes, self._default_centroids(), strict=True)]
        self._ref_images: dict[int, np.ndarray] = {}

    @property
    def model_id(self) -> str:
        """The embedder's identity; enrolled embeddings are tied to it."""
        return self.manifest.model_id

    def _check_graphs(self) -> None:
        m = self.manifest
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or list(inputs[0].shape[1:]) != list(m.preprocessing.input_shape):
            raise ModelError(m.embedder.path, "the embedder's input does not match the manifest")
        names = {i.name for i in [*self._centroids.get_inputs(),
                                  *self._centroids.get_overridable_initializers()]}
        if names != {"embeddings", "centroids"}:
            raise ModelError(m.centroids.path, "the centroid graph needs inputs 'embeddings' "
                             "and 'centroids'")

    def _default_centroids(self) -> np.ndarray:
        """The shipped centroids, read from the graph itself (its ``centroid_table`` output
        echoes the centroids in use), so the graph is their one source."""
        dim = self.manifest.embedding_size
        (table,) = self._centroids.run(["centroid_table"],
                                       {"embeddings": np.zeros((1, dim), np.float32)})
        if table.shape != (len(self.manifest.classes), dim):
            raise ModelError(self.manifest.centroids.path,
                             f"the graph holds {table.shape[0]} centroids of size "
                             f"{table.shape[1]}, the manifest {len(self.manifest.classes)} "
                             f"classes of size {dim}")
        return table.astype(np.float32)

    # ---- embedding and classification ----------------------------------------------------
    def embed(self, tensors: np.ndarray) -> np.ndarray:
        """Contract tensors (N, 3, H, W) -> L2-normalised embeddings (N, D)."""
        m = self.manifest
        (emb,) = self.session.run([m.output_name],
                                  {m.input_name: np.ascontiguousarray(tensors, np.float32)})
        return emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)

    def embed_notes(self, images: Sequence[np.ndarray], path: str | Path | None = None
                    ) -> np.ndarray:
        """Embed rectified, upright notes (BGR) through the contract."""
        prep = self.manifest.preprocessing
        return self.embed(np.stack([preprocess_banknote(i, prep, path) for i in images]))

    def centroids(self, enrolled: Sequence[EnrolledNote] = ()) -> list[Centroid]:
        """The shipped centroids plus one per enrolled (class, series): the mean of its
        references, re-normalised."""
        groups: dict[tuple[str, str], list[np.ndarray]] = {}
        for note in enrolled:
            groups.setdefault((note.key, note.series), []).append(note.embedding)
        extra = []
        for (key, series), embs in sorted(groups.items()):
            v = np.mean(embs, axis=0)
            extra.append(Centroid(key, (v / max(np.linalg.norm(v), 1e-12)).astype(np.float32),
                                  len(embs), series))
        return [*self.shipped, *extra]

    def centroid_distances(self, embeddings: np.ndarray,
                           centroids: np.ndarray | None = None) -> np.ndarray:
        """Euclidean distances (N, C) from embeddings to centroids (the shipped ones when
        ``centroids`` is None), computed by the exported centroid graph."""
        feed = {"embeddings": np.ascontiguousarray(embeddings, np.float32)}
        if centroids is not None:
            feed["centroids"] = np.ascontiguousarray(centroids, np.float32)
        (d,) = self._centroids.run(["distances"], feed)
        return d

    def svm_scores(self, embeddings: np.ndarray) -> np.ndarray:
        """The multi-class SVM's one-vs-rest decision values (N, classes of the manifest)."""
        name = self._svm.get_inputs()[0].name
        _, scores = self._svm.run(None, {name: np.ascontiguousarray(embeddings, np.float32)})
        return np.asarray(scores)

    def counterfeit_score(self, key: str, embedding: np.ndarray) -> float | None:
        """The class's genuine-vs-counterfeit SVM decision (higher: more counterfeit-like),
        None when the class has no such model."""
        model = self.manifest.authenticity.get(key)
        if model is None:
            return None
        if key not in self._auth:
            self._auth[key] = create_session(model.file.path, "cpu",
                                             expected_sha256=model.file.sha256)[0]
        sess = self._auth[key]
        _, scores = sess.run(None, {sess.get_inputs()[0].name:
                                    np.ascontiguousarray(embedding[None], np.float32)})
        return float(np.asarray(scores)[0, model.column])

    # ---- reference notes -----------------------------------------------------------------
    def reference_image(self, index: int) -> np.ndarray:
        """The shipped reference note ``index`` (rectified BGR), decoded once."""
        if index not in self._ref_images:
            path = self.manifest.reference_files[index]
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise ModelError(path, "a reference note image of the model cannot be read")
            self._ref_images[index] = image
        return self._ref_images[index]

    def nearest_references(self, embedding: np.ndarray, enrolled: Sequence[EnrolledNote] = (),
                           count: int = 3) -> list[NearestReference]:
        """The ``count`` reference notes (shipped and enrolled) nearest to ``embedding``."""
        m = self.manifest
        found: list[tuple[float, int, EnrolledNote | None]] = []
        if len(m.reference_keys):
            d = np.linalg.norm(m.reference_embeddings - embedding[None], axis=1)
            found += [(float(v), i, None) for i, v in enumerate(d)]
        found += [(float(np.linalg.norm(n.embedding - embedding)), -1, n) for n in enrolled]
        out = []
        for dist, index, note in sorted(found, key=lambda t: t[0])[:count]:
            if note is None:
                out.append(NearestReference(m.reference_keys[index], dist,
                                            self.reference_image(index)))
            else:
                image = cv2.imdecode(np.frombuffer(note.image_png, np.uint8), cv2.IMREAD_COLOR)
                out.append(NearestReference(note.key, dist, image, note.id))
        return out

    # ---- the check -----------------------------------------------------------------------
    def rank(self, embedding: np.ndarray, centroids: Sequence[Centroid]) -> list[ClassScore]:
        """Every class for one embedding, nearest first, with softmax confidences (a class's
        distance is that of its nearest centroid)."""
        d = self.centroid_distances(embedding[None],
                                    np.stack([c.vector for c in centroids]))[0]
        best: dict[str, int] = {}
        for j, c in enumerate(centroids):
            if c.key not in best or d[j] < d[best[c.key]]:
                best[c.key] = j
        keys = list(best)
        dist = np.array([d[best[k]] for k in keys])
        conf = _softmax(-dist / self.manifest.temperature)
        return [ClassScore(self.manifest.class_for(keys[i]) or NoteClass.from_key(keys[i]),
                           float(conf[i]), float(dist[i]), centroids[best[keys[i]]])
                for i in np.argsort(dist)]

    def _within(self, score: ClassScore) -> bool:
        return score.distance <= self.manifest.distance_threshold(score.centroid.n_references)

    def pick_turn(self, upright: list[ClassScore], turned: list[ClassScore],
                  cue_unsure: bool) -> bool:
        """Whether to read the note turned round from the detector's upright guess. The
        numeral cue's guess stands unless it fits no genuine cluster while the turn does, or
        the cue was unsure and the turn is nearer. (Taking the nearer turn always would let a
        front without its thread pass as the turned back it then resembles.)"""
        if cue_unsure:
            return turned[0].distance < upright[0].distance
        return not self._within(upright[0]) and self._within(turned[0])

    def check(self, image: np.ndarray, path: str | Path | None = None,
              enrolled: Sequence[EnrolledNote] = ()) -> BanknoteCheck:
        """Check the banknote in a decoded picture (BGR); ``enrolled`` adds the operator's
        reference notes. Raises :class:`InputImageError` (naming ``path``) when no single
        note can be found."""
        m = self.manifest
        times: dict[str, float] = {}
        t = time.perf_counter()
        reading = read_note(image, path, m.preprocessing)
        turned_img = cv2.rotate(reading.upright, cv2.ROTATE_180)
        times["find and rectify"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        tensors = np.stack([preprocess_banknote(reading.upright, m.preprocessing, path),
                            preprocess_banknote(turned_img, m.preprocessing, path)])
        times["preprocess"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        emb = self.embed(tensors)
        times["embed"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        centroids = self.centroids(enrolled)
        upright, turned = self.rank(emb[0], centroids), self.rank(emb[1], centroids)
        turn = self.pick_turn(upright, turned, reading.orientation.unsure)
        ranked, q = (turned, emb[1]) if turn else (upright, emb[0])
        top = ranked[0]
        shipped_keys = [c.key for c in m.classes]
        svm_class = m.classes[int(np.argmax(self.svm_scores(q[None])[0]))] if shipped_keys \
            else None
        threshold = m.distance_threshold(top.centroid.n_references)
        cscore = self.counterfeit_score(top.note.key, q)
        auth = m.authenticity.get(top.note.key)
        reasons = []
        if top.distance > threshold:
            reasons.append(f"{top.distance:.3f} from the genuine {top.note.label} cluster, "
                           f"beyond the threshold {threshold:.3f}")
        if cscore is not None and auth is not None and cscore > auth.threshold:
            reasons.append(f"the counterfeit model scores it {cscore:.2f} (threshold "
                           f"{auth.threshold:.2f})")
        if top.confidence < MIN_CONFIDENCE:
            reasons.append(f"the denomination is uncertain ({top.confidence:.0%})")
        if svm_class is not None and top.note.key in shipped_keys and svm_class.key != top.note.key:
            reasons.append(f"the SVM reads it as {svm_class.label}")
        nearest = self.nearest_references(q, enrolled)
        times["classify and judge"] = (time.perf_counter() - t) * 1000
        return BanknoteCheck(
            reading=reading, turned=turn,
            note_image=turned_img if turn else reading.upright, embedding=q,
            top=ranked[:3], svm_class=svm_class, verdict=SUSPECT if reasons else GENUINE,
            distance=top.distance, threshold=threshold, counterfeit_score=cscore,
            counterfeit_threshold=auth.threshold if auth else None, reasons=reasons,
            nearest=nearest, timings_ms=times)
