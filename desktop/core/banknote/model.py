"""Banknote check at run time: find the note, name it, judge it.

Steps (:meth:`BanknoteModel.check`): the whole picture is searched for the printed detail of
every reference side, shipped and enrolled (:mod:`desktop.core.banknote.register`); the side
verified names the note (currency, value, side) with a calibrated confidence and registers it
upright in the reference's frame. The embedder then embeds that note; for a shipped
denomination the distance to its class centroid (through one ONNX graph) against the
threshold calibrated for it, the class's genuine-vs-counterfeit SVM and the multi-class SVM's
second reading judge its authenticity. An enrolled denomination's authenticity is not judged
(the embedder never learned it) and the result says so. A picture where no side is verified
is an unknown note, always suspect: the outline detector or the learned finder
(:mod:`desktop.core.banknote.finder`) finds it, both 0 and 180 degree turns are embedded and
the embedder's nearest class is shown for information only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.detect import (
    NoteOrientation,
    NoteQuad,
    NoteReading,
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
from desktop.core.banknote.regions import region_correlations
from desktop.core.banknote.register import (
    MIN_INLIERS,
    REFERENCE_WIDTH,
    Attempt,
    Registration,
    SideIndex,
    inside_outline,
    local_features,
)
from desktop.core.banknote.results import (
    GENUINE,
    SUSPECT,
    BanknoteCheck,
    Centroid,
    ClassScore,
    EnrolledNote,
    NearestReference,
    Reason,
    compare_sides,
)
from desktop.core.banknote.sides import ReferenceSides
from desktop.core.errors import N_, InputImageError, Message, ModelError
from desktop.core.models.keys import TrustStore
from desktop.core.models.runtime import create_session

# The check's result types live in results.py; they are re-exported for the callers.
__all__ = ["GENUINE", "SUSPECT", "BanknoteCheck", "BanknoteModel", "Centroid", "ClassScore",
           "EnrolledNote", "NearestReference", "NoteClass", "class_key", "compare_sides"]

# The stages a check's timings are reported in (``BanknoteCheck.timings_ms``; words a window
# translates).
FIND, PREPROCESS, EMBED, JUDGE = (N_("find and rectify"), N_("preprocess"), N_("embed"),
                                  N_("classify and judge"))
MIN_CONFIDENCE = 0.5  # below this the denomination itself is in doubt: the clerk looks
UNKNOWN_NOTE = Reason(N_(
    "no enrolled side's printed detail was found in the picture: a denomination that is not "
    "enrolled (enroll it) or a picture too poor to read; the reading below is the embedder's "
    "nearest class only"))
NO_NOTE_SEEN = N_("no banknote found in the picture: no reference side's printed detail "
                  "matches and the note finder sees no note (paper, a cheque or a letter?)")
# Logistic fit of "named right" on log((inliers + 1) / (rival inliers + 1)) over 294 verified
# validation pictures (EUR/BRL scans of the other condition, dong photos; 3 named wrong):
# mean predicted 0.972 where 93.9% were right, 0.985 / 0.998 where all were. With so few
# errors the fit cannot vouch for more than about 99.5%.
CONFIDENCE_FIT = (1.085, 3.185)
MAX_CONFIDENCE = 0.995
# A note is only judged whole: a half or a quarter lacks the thread, watermark or numerals
# elsewhere on the note, and most wrong namings on real scans were of parts (a BRL quarter
# can show only the design the real's notes share). An edge strip may be cut off.
MIN_JUDGED_VISIBLE = 0.9
# A note registered on the design it shares with another denomination (the euro's flag, map
# and signature) agrees with that reference poorly elsewhere. The lower quartile of the
# regions' correlations must reach this; chosen on validation sets (BRL scans, dong photos)
# by benchmarks/banknote_unknown.py: right registrations kept 100% / 72%, those of a
# denomination not enrolled 6% / 3%.
PARTIAL_AGREEMENT = 0.40
# The denomination's confidence when the agreement is partial: no more than even. Of such
# validation registrations, about a quarter were right when each denomination was in turn
# not enrolled; with all enrolled, most were: the share depends on what a branch enrolled.
PARTIAL_CONFIDENCE = 0.5
ENROLLED_CAVEAT = Reason(N_(
    "an enrolled denomination: its printed detail matches the operator's reference, but the "
    "app has no counterfeit model for it and the embedder never learned it, so authenticity "
    "is not judged: check the security features by hand"))
MATCHES_IN_PART = N_(
    "its printed detail matches the {note} only in part ({agree} of {total} regions agree): a "
    "denomination or series that is not enrolled may share that design, or the picture is "
    "poor; compare the note with the reference")


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
        reference notes.

        The picture is first searched for the printed detail of every reference side
        (:mod:`desktop.core.banknote.register`): a verified side names the note and registers
        it upright in the reference's frame, and the embedder then judges that registered
        note; a note less than :data:`MIN_JUDGED_VISIBLE` in the picture, or whose regions
        agree with the reference only in part (:data:`PARTIAL_AGREEMENT`), is never passed.
        When no side is verified, the note found by :meth:`locate` and the embedder's
        nearest class give a reading that is always *suspect* (an unknown note). Raises
        :class:`InputImageError` (naming ``path``) when no note can be found at all (nor,
        with no side verified, by the learned finder), or when the picture holds more than
        one note."""
        times: dict[str, float] = {}
        t = time.perf_counter()
        index = self.side_index(enrolled)
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        query = local_features(gray)
        attempts, nb, query = index.search_picture(image, gray, query)
        reg = attempts[0].registration if attempts else None
        if reg is not None:
            outside = ~inside_outline(reg.quad, query.points)
            if outside.sum() >= MIN_INLIERS:
                more = index.search(image, query.subset(outside), gray, nb.subset(outside))
                if more and more[0].registration is not None:
                    self._refuse_second_note(reg, more[0].registration, path)
        # One stage name for both paths, so that timings stay comparable between checks.
        times[FIND] = (time.perf_counter() - t) * 1000
        if reg is None:
            check = self._check_by_outline(image, path, enrolled, times)
            check.reasons.insert(0, UNKNOWN_NOTE)
            check.verdict = SUSPECT
        else:
            check = self._check_registered(image, gray, path, enrolled, reg, attempts, times)
        check.attempts = attempts
        return check

    def _refuse_second_note(self, first: Registration, second: Registration,
                            path: str | Path | None) -> None:
        """One note per check: name both notes found and refuse the picture."""
        a, b = (self.manifest.class_for(r.key) or NoteClass.from_key(r.key)
                for r in (first, second))
        raise InputImageError(path, Message(N_(
            "two or more banknotes are in the picture ({first} and {second}): photograph one "
            "note at a time"), first=a.label, second=b.label))

    def _local_confidence(self, reg: Registration, attempts: Sequence[Attempt]) -> float:
        """The chance that the verified side names the note right: a logistic function of
        how far its inliers stand above the best rival denomination's (log ratio), fitted
        on validation pictures (see :data:`CONFIDENCE_FIT`); at most :data:`MAX_CONFIDENCE`."""
        rival = max((a.registration.inliers if a.registration else 0
                     for a in attempts if a.side.key != reg.key), default=0)
        a, b = CONFIDENCE_FIT
        z = a * np.log((reg.inliers + 1) / (rival + 1)) + b
        return float(min(MAX_CONFIDENCE, 1.0 / (1.0 + np.exp(-z))))

    def _check_registered(self, image: np.ndarray, gray: np.ndarray, path: str | Path | None,
                          enrolled: Sequence[EnrolledNote], reg: Registration,
                          attempts: Sequence[Attempt], times: dict[str, float]
                          ) -> BanknoteCheck:
        m = self.manifest
        t = time.perf_counter()
        upright = reg.registered(image)
        times[FIND] += (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        note = m.class_for(reg.key) or NoteClass.from_key(reg.key)
        reading = NoteReading(NoteQuad(reg.quad.astype(np.float32)), upright,
                              NoteOrientation(0, note.side, 1.0), m.preprocessing, path)
        tensor = preprocess_banknote(upright, m.preprocessing, path)
        times[PREPROCESS] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        q = self.embed(tensor[None])[0]
        times[EMBED] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        ranked = self.rank(q, self.centroids(enrolled))
        mine = next(s for s in ranked if s.note.key == reg.key)
        others = [s for s in ranked if s.note.key != reg.key]
        regions = region_correlations(gray, reg)
        partial = (float(np.quantile(regions, 0.25)) if len(regions) else 0.0) \
            < PARTIAL_AGREEMENT
        conf = self._local_confidence(reg, attempts)
        if partial:  # the inlier ratio cannot vouch for a registration on a shared design
            conf = min(conf, PARTIAL_CONFIDENCE)
        rest = sum(s.confidence for s in others)
        top = [replace(mine, confidence=conf),
               *(replace(s, confidence=(1 - conf) * s.confidence / rest if rest > 0 else 0.0)
                 for s in others)]
        embedder_best = ranked[0]
        svm_class, cscore = self._second_opinions(reg.key, q)
        caveats = []
        if reg.side.source.startswith("shipped:"):
            # The embedder and the counterfeit models were trained and calibrated on this
            # denomination: their distance and scores judge it.
            reasons = self._authenticity(top[0], svm_class, cscore)
            if embedder_best.note.key != reg.key and self._within(embedder_best):
                reasons.append(Reason(N_("its printed detail matches the {note} but the "
                                         "embedder reads it as {other}"), note=note.label,
                                      other=embedder_best.note.label))
        else:
            # On notes it never learned the embedder's distance says nothing about
            # authenticity (real genuine notes lie 0.5-1.8 from their one-picture centroid,
            # the threshold is 0.39): it would flag most genuine notes, so it is not used.
            reasons = self._uncertain(top[0])
            caveats.append(ENROLLED_CAVEAT)
        if reg.visible < MIN_JUDGED_VISIBLE:
            reasons.append(Reason(N_("only {visible} of the note is in the picture: show the "
                                     "whole note to judge it"), visible=f"{reg.visible:.0%}"))
        if partial:
            agree, total = str(int((regions >= PARTIAL_AGREEMENT).sum())), str(len(regions))
            reasons.append(Reason(MATCHES_IN_PART, note=note.label, agree=agree, total=total))
        times[JUDGE] = (time.perf_counter() - t) * 1000
        check = self._result(reading, False, upright, q, top, reasons, enrolled, times,
                             svm_class, cscore, reg)
        check.caveats = caveats
        return check

    @staticmethod
    def _uncertain(top: ClassScore) -> list[Reason]:
        if top.confidence < MIN_CONFIDENCE:
            return [Reason(N_("the denomination is uncertain ({confidence})"),
                           confidence=f"{top.confidence:.0%}")]
        return []

    def _second_opinions(self, key: str, q: np.ndarray) -> tuple[NoteClass | None, float | None]:
        """The multi-class SVM's reading (for a shipped class only: it knows no others) and
        the class's counterfeit score (None without a counterfeit model), each run once."""
        svm_class = self._svm_class(q) if self.manifest.class_for(key) is not None else None
        return svm_class, self.counterfeit_score(key, q)

    def _authenticity(self, top: ClassScore, svm_class: NoteClass | None,
                      cscore: float | None) -> list[Reason]:
        """Reasons to doubt a note read as ``top``: beyond its genuine cluster, scored as a
        counterfeit, an uncertain denomination, or another reading by the SVM."""
        m = self.manifest
        threshold = m.distance_threshold(top.centroid.n_references)
        auth = m.authenticity.get(top.note.key)
        reasons = []
        if top.distance > threshold:
            reasons.append(Reason(N_("{distance} from the genuine {note} cluster, beyond the "
                                     "threshold {threshold}"), distance=f"{top.distance:.3f}",
                                  note=top.note.label, threshold=f"{threshold:.3f}"))
        if cscore is not None and auth is not None and cscore > auth.threshold:
            reasons.append(Reason(N_("the counterfeit model scores it {score} (threshold "
                                     "{threshold})"), score=f"{cscore:.2f}",
                                  threshold=f"{auth.threshold:.2f}"))
        reasons += self._uncertain(top)
        if svm_class is not None and svm_class.key != top.note.key:
            reasons.append(Reason(N_("the SVM reads it as {other}"), other=svm_class.label))
        return reasons

    def _svm_class(self, q: np.ndarray) -> NoteClass | None:
        m = self.manifest
        return m.classes[int(np.argmax(self.svm_scores(q[None])[0]))] if m.classes else None

    def _result(self, reading: NoteReading, turned: bool, note_image: np.ndarray,
                q: np.ndarray, top: list[ClassScore], reasons: list[str],
                enrolled: Sequence[EnrolledNote], times: dict[str, float],
                svm_class: NoteClass | None, cscore: float | None,
                reg: Registration | None = None) -> BanknoteCheck:
        m = self.manifest
        first = top[0]
        auth = m.authenticity.get(first.note.key)
        return BanknoteCheck(
            reading=reading, turned=turned, note_image=note_image, embedding=q, top=top[:3],
            svm_class=svm_class, verdict=SUSPECT if reasons else GENUINE,
            distance=first.distance, threshold=m.distance_threshold(first.centroid.n_references),
            counterfeit_score=cscore,
            counterfeit_threshold=auth.threshold if auth else None, reasons=reasons,
            nearest=self.nearest_references(q, enrolled), timings_ms=times, registration=reg)

    def _check_by_outline(self, image: np.ndarray, path: str | Path | None,
                          enrolled: Sequence[EnrolledNote], times: dict[str, float]
                          ) -> BanknoteCheck:
        """The reading when no side is verified: the outline detector and the embedder.
        With no printed detail verified, a picture the learned finder marks no note in is
        refused as holding no banknote (paper with writing has an outline, not a note)."""
        m = self.manifest
        t = time.perf_counter()
        found = self.found_notes(image)
        reading = self.locate(image, path, found=found)  # its refusals name the problem
        if self.finder is not None and not found:
            raise InputImageError(path, Message(NO_NOTE_SEEN))
        turned_img = cv2.rotate(reading.upright, cv2.ROTATE_180)
        times[FIND] += (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        tensors = np.stack([preprocess_banknote(reading.upright, m.preprocessing, path),
                            preprocess_banknote(turned_img, m.preprocessing, path)])
        times[PREPROCESS] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        emb = self.embed(tensors)
        times[EMBED] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        centroids = self.centroids(enrolled)
        upright, turned = self.rank(emb[0], centroids), self.rank(emb[1], centroids)
        turn = self.pick_turn(upright, turned, reading.orientation.unsure)
        ranked, q = (turned, emb[1]) if turn else (upright, emb[0])
        svm_class, cscore = self._second_opinions(ranked[0].note.key, q)
        reasons = self._authenticity(ranked[0], svm_class, cscore)
        times[JUDGE] = (time.perf_counter() - t) * 1000
        return self._result(reading, turn, turned_img if turn else reading.upright, q, ranked,
                            reasons, enrolled, times, svm_class, cscore)

