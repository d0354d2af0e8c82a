"""The banknote model at run time: its graphs, its reference sides, finding a note.

A signed model folder (:func:`load_banknote_manifest`) holds the embedder, the centroid graph,
the multi-class and counterfeit SVMs (ONNX, each run from the bytes its manifest hash names),
the shipped reference sides and the learned note finder. :class:`BanknoteModel` runs them:
embeddings, distances to class centroids, SVM readings, the local-feature index of the shipped
and enrolled sides, and the note's outline. What a check makes of them, naming and judging a
note, is :mod:`desktop.core.banknote.check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.check import check_note
from desktop.core.banknote.detect import (
    NoteReading,
    as_bgr,
    check_picture,
    read_note,
    read_quad,
)
from desktop.core.banknote.finder import FoundNote, NoteFinder, quad_iou
from desktop.core.banknote.manifest import (
    BanknoteManifest,
    NoteClass,
    class_key,
    load_banknote_manifest,
)
from desktop.core.banknote.preprocess import preprocess_banknote
from desktop.core.banknote.register import REFERENCE_WIDTH, Registration, SideIndex
from desktop.core.banknote.results import (
    GENUINE,
    SUSPECT,
    BanknoteCheck,
    Centroid,
    ClassScore,
    EnrolledNote,
    NearestReference,
    compare_sides,
)
from desktop.core.banknote.sides import ReferenceSides
from desktop.core.errors import N_, InputImageError, Message, ModelError
from desktop.core.models.keys import TrustStore
from desktop.core.models.runtime import create_session

# The check's result types live in results.py; they are re-exported for the callers.
__all__ = ["GENUINE", "SUSPECT", "BanknoteCheck", "BanknoteModel", "Centroid", "ClassScore",
           "EnrolledNote", "NearestReference", "NoteClass", "class_key", "compare_sides"]


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
        self.reference_sides = ReferenceSides(m)
        self.finder = NoteFinder(m.finder.path, m.finder.sha256) if m.finder else None

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
                                            self.reference_sides.shipped_image(index)))
            else:
                side = self.reference_sides.enrolled_side(note)
                out.append(NearestReference(note.key, dist, side.image, note.id))
        return out

    def side_index(self, enrolled: Sequence[EnrolledNote] = ()) -> SideIndex:
        """The local-feature index of every reference side: the shipped reference notes and
        the enrolled ones (:class:`ReferenceSides`: each prepared once)."""
        return self.reference_sides.index(enrolled)

    def found_notes(self, image: np.ndarray) -> list[FoundNote]:
        """The notes the learned finder marks in a picture (none without a finder)."""
        return self.finder.find(image) if self.finder is not None else []

    def locate(self, image: np.ndarray, path: str | Path | None = None,
               height: int | None = None, cropped_ok: bool = False,
               found: Sequence[FoundNote] | None = None) -> NoteReading:
        """The one note in a picture, by its outline; the learned finder's note replaces an
        outline it does not agree with (a hand, a patterned table), and is taken when no
        outline stands out (``found``: the finder's notes, when already run). Raises
        :class:`InputImageError` (naming ``path``) when neither finds a note, or when the
        finder marks two notes and no outline was found."""
        prep = self.manifest.preprocessing
        image = as_bgr(image)
        check_picture(image, path)  # a refusal the finder's box must not overrule
        found = self.found_notes(image) if found is None else list(found)
        try:
            reading = read_note(image, path, prep, height=height, cropped_ok=cropped_ok)
        except InputImageError:
            if not found:
                raise
            if len(found) > 1 and found[1].area >= 0.5 * found[0].area:
                raise InputImageError(path, Message(N_(
                    "{n} banknotes are in the picture: photograph one note at a time"),
                    n=len(found))) from None
            return read_quad(image, found[0].quad, path, prep, height=height)
        h, w = image.shape[:2]
        whole = abs(float(cv2.contourArea(reading.quad.corners))) >= 0.98 * h * w
        if found and not whole and quad_iou(reading.quad, found[0].quad) < 0.5:
            return read_quad(image, found[0].quad, path, prep, height=height)
        return reading

    def reference_note(self, image: np.ndarray, path: str | Path | None = None) -> np.ndarray:
        """The note an operator enrolls from a picture: found (:meth:`locate`), straightened
        and upright (BGR), larger than the embedder needs since its printed detail is what
        checks are matched against; a scan already cropped to the note is taken whole. Raises
        :class:`InputImageError` (naming ``path``) when no note can be found."""
        return self.locate(image, path, REFERENCE_WIDTH // 2, cropped_ok=True).upright

    def find_notes(self, image: np.ndarray, enrolled: Sequence[EnrolledNote] = ()
                   ) -> list[Registration]:
        """Every enrolled or shipped note side found in a picture, largest first."""
        return self.side_index(enrolled).find_notes(image)

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

    def check(self, image: np.ndarray, path: str | Path | None = None,
              enrolled: Sequence[EnrolledNote] = ()) -> BanknoteCheck:
        """Check the banknote in a decoded picture (BGR); ``enrolled`` adds the operator's
        reference notes. The decision flow is :func:`desktop.core.banknote.check.check_note`;
        raises :class:`InputImageError` (naming ``path``) when no note can be found, or when
        the picture holds more than one note."""
        return check_note(self, image, path, enrolled)

    def svm_class(self, q: np.ndarray) -> NoteClass | None:
        """The multi-class SVM's reading of one embedding (None without shipped classes)."""
        m = self.manifest
        return m.classes[int(np.argmax(self.svm_scores(q[None])[0]))] if m.classes else None
