"""The banknote check's decision flow: find the note, name it, judge it.

Steps (:func:`check_note`, behind :meth:`BanknoteModel.check`): the whole picture is searched
for the printed detail of every reference side, shipped and enrolled
(:mod:`desktop.core.banknote.register`); the side verified names the note (currency, value,
side) with a calibrated confidence and registers it upright in the reference's frame. The
embedder then embeds that note; for a shipped denomination the distance to its class centroid
(through one ONNX graph) against the threshold calibrated for it, the class's
genuine-vs-counterfeit SVM and the multi-class SVM's second reading judge its authenticity. An
enrolled denomination's authenticity is not judged (the embedder never learned it) and the
result says so. A picture where no side is verified is an unknown note, always suspect: the
outline detector or the learned finder (:mod:`desktop.core.banknote.finder`) finds it, both 0
and 180 degree turns are embedded and the embedder's nearest class is shown for information
only. The graphs themselves (embedder, centroids, SVMs) are :class:`BanknoteModel`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from desktop.core.banknote.detect import (
    NoteOrientation,
    NoteQuad,
    NoteReading,
    as_bgr,
    check_picture,
)
from desktop.core.banknote.keypoints import local_features
from desktop.core.banknote.manifest import NoteClass
from desktop.core.banknote.preprocess import preprocess_banknote
from desktop.core.banknote.regions import colour_difference, region_correlations, region_names
from desktop.core.banknote.register import (
    MIN_INLIERS,
    Attempt,
    Registration,
    inside_outline,
)
from desktop.core.banknote.results import (
    GENUINE,
    SUSPECT,
    BanknoteCheck,
    ClassScore,
    EnrolledNote,
    Reason,
)
from desktop.core.errors import N_, InputImageError, Message

if TYPE_CHECKING:
    from desktop.core.banknote.finder import FoundNote
    from desktop.core.banknote.model import BanknoteModel

# The stages a check's timings are reported in (``BanknoteCheck.timings_ms``; words a window
# translates).
FIND, PREPROCESS, EMBED, JUDGE = (N_("find and rectify"), N_("preprocess"), N_("embed"),
                                  N_("classify and judge"))
MIN_CONFIDENCE = 0.5  # below this the denomination itself is in doubt: the clerk looks
UNKNOWN_NOTE = Reason(N_(
    "no enrolled side's printed detail was found in the picture: a denomination that is not "
    "enrolled (enroll it) or a picture too poor to read; the reading below is the embedder's "
    "nearest class only"))
# A half or a quarter of a note that no side is verified in ends here too (the finder learned
# whole notes): the message says what to do about both.
NO_NOTE_SEEN = N_("no banknote found in the picture: no reference side's printed detail "
                  "matches and the note finder sees no note (paper, a cheque or a letter? If "
                  "only part of a note is in the picture, show the whole note)")
# Logistic fit of "named right" on log((inliers + 1) / (rival inliers + 1)) over 294 verified
# validation pictures (EUR/BRL scans of the other condition, dong photos; 3 named wrong):
# mean predicted 0.972 where 93.9% were right, 0.985 / 0.998 where all were. With so few
# errors the fit cannot vouch for more than about 99.5%.
# Checked since (benchmarks/banknote_confidence.py): on the EUR scans (some of which the fit
# saw) mean 99.1% shown where 98.4% were right (expected calibration error 0.95%); on the BRL
# quarters (validation) 98.5% shown where 90.1% were right (99.5% on 222 of them, 93.7%
# right). A refit on the validation pictures with the share of the note in the picture as a
# second input fits those quarters (error 8.3% -> 1.4%) but not the validation sets as a
# whole (BRL 4.9% -> 4.2%, dong photos worse), so it is not used.
CONFIDENCE_FIT = (1.085, 3.185)
MAX_CONFIDENCE = 0.995
# A note is only judged whole: a half or a quarter lacks the thread, watermark or numerals
# elsewhere on the note, and most wrong namings on real scans were of parts (a BRL quarter
# can show only the design the real's notes share). An edge strip may be cut off.
MIN_JUDGED_VISIBLE = 0.9
# A note registered on the design it shares with another denomination (the euro's flag, map
# and signature) agrees with that reference poorly elsewhere. The lower quartile of the
# regions' correlations must reach this (or COLOUR_FLOOR below); chosen on validation sets
# (BRL scans, dong photos) by benchmarks/banknote_unknown.py: alone, right registrations kept
# 100% / 60%, those of a denomination not enrolled 6% / 2%.
PARTIAL_AGREEMENT = 0.40
# A note in a hand, bent or in glare agrees poorly in some regions though it is the right one;
# its colours, laid out region by region as on the reference, still vouch for it
# (:func:`desktop.core.banknote.regions.colour_difference`): a lower quartile of at least
# COLOUR_FLOOR is enough when the colour layout differs by at most COLOUR_LAYOUT (CIELAB
# units, once the cast common to every region is taken off) and the cast is one a camera's
# white balance makes (MAX_COLOUR_CAST, set by hand, not fitted: it changed no validation
# picture; it keeps a grey photo or a note of another colour from agreeing through a
# reference of one colour all over). Chosen on the same validation sets (the same benchmark):
# right registrations kept 100% / 73%, those of a denomination not enrolled 7% / 2%; on the
# test sets (EUR scans, euro photos) 100% / 84% (was 79%), not enrolled 9% / 0% (unchanged).
COLOUR_FLOOR = 0.20
COLOUR_LAYOUT = 4.0
MAX_COLOUR_CAST = 15.0
# The denomination's confidence when the agreement is partial: no more than even. Of such
# validation registrations, about a quarter were right when each denomination was in turn
# not enrolled; with all enrolled, most were: the share depends on what a branch enrolled.
# The same cap holds when a second reading of a shipped denomination (the multi-class SVM,
# or the embedder within its threshold) names another: two readings that disagree cannot
# make the first one sure (on the synthetic test notes the SVM agreed on every genuine one).
PARTIAL_CONFIDENCE = 0.5
# A note the finder marks beside a registered one makes the picture one of two notes when at
# least this share of it lies outside the registered outline and it is at least this large
# against it. On real pictures of one note whose side was verified (62 euro photos, 146 dong
# photos with one box, 157 BRL scans) no finder note passed both; at 0.7 and 0.3, 7 did.
SECOND_NOTE_OUTSIDE = 0.8
SECOND_NOTE_SIZE = 0.25
OUTSIDE_REGIONS = N_("the regions outside the picture")
ENROLLED_CAVEAT = Reason(N_(
    "an enrolled denomination: its printed detail matches the operator's reference, but the "
    "app has no counterfeit model for it and the embedder never learned it, so authenticity "
    "is not judged: check the security features by hand"))
MATCHES_IN_PART = N_(
    "its printed detail matches the {note} only in part ({agree} of {total} regions agree; "
    "it differs at {regions}, outlined on the note): a denomination or series that is not "
    "enrolled may share that design, or the picture is poor; compare the note with the "
    "reference")


def check_note(model: BanknoteModel, image: np.ndarray, path: str | Path | None = None,
               enrolled: Sequence[EnrolledNote] = ()) -> BanknoteCheck:
    """Check the banknote in a decoded picture (BGR); ``enrolled`` adds the operator's
    reference notes.

    The picture is first searched for the printed detail of every reference side
    (:mod:`desktop.core.banknote.register`): a verified side names the note and registers
    it upright in the reference's frame, and the embedder then judges that registered
    note; a note less than :data:`MIN_JUDGED_VISIBLE` in the picture, or whose regions
    agree with the reference only in part (:func:`agrees_in_full`), is never passed.
    When no side is verified, the note found by :meth:`BanknoteModel.locate` and the embedder's
    nearest class give a reading that is always *suspect* (an unknown note). Raises
    :class:`InputImageError` (naming ``path``) when no note can be found at all (nor,
    with no side verified, by the learned finder), or when the picture holds more than
    one note."""
    times: dict[str, float] = {}
    t = time.perf_counter()
    # A grey or BGRA frame is read as BGR, and a picture too small or blank is refused
    # here, before any search (the learned finder's box must not stand in for a refusal).
    image = as_bgr(image)
    check_picture(image, path)
    index = model.side_index(enrolled)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    query = local_features(gray)
    attempts, nb, query = index.search_picture(image, gray, query)
    reg = attempts[0].registration if attempts else None
    if reg is not None:
        outside = ~inside_outline(reg.quad, query.points)
        if outside.sum() >= MIN_INLIERS:
            more = index.search(image, query.subset(outside), gray, nb.subset(outside))
            if more and more[0].registration is not None:
                _refuse_second_note(model, reg, more[0].registration, path)
        # A second note whose printed detail matches nothing (a copy, a worn note, one not
        # enrolled) is still a note: the learned finder sees it, where there is room for one
        # (a scan cropped to the note has none, and pays nothing).
        if _room_beside(reg, image.shape) and any(_beside(reg, f)
                                                  for f in model.found_notes(image)):
            note = model.manifest.class_for(reg.key) or NoteClass.from_key(reg.key)
            raise InputImageError(path, Message(N_(
                "two or more banknotes are in the picture (the {first} and a note that no "
                "enrolled side matches): photograph one note at a time"), first=note.label))
    # One stage name for both paths, so that timings stay comparable between checks.
    times[FIND] = (time.perf_counter() - t) * 1000
    if reg is None:
        check = _check_by_outline(model, image, path, enrolled, times)
        check.reasons.insert(0, UNKNOWN_NOTE)
        check.verdict = SUSPECT
    else:
        check = _check_registered(model, image, gray, path, enrolled, reg, attempts, times)
    check.attempts = attempts
    return check


def within(model: BanknoteModel, score: ClassScore) -> bool:
    """Whether a reading lies within its class's calibrated genuine distance."""
    return score.distance <= model.manifest.distance_threshold(score.centroid.n_references)


def pick_turn(model: BanknoteModel, upright: list[ClassScore], turned: list[ClassScore],
              cue_unsure: bool) -> bool:
    """Whether to read the note turned round from the detector's upright guess. The
    numeral cue's guess stands unless it fits no genuine cluster while the turn does, or
    the cue was unsure and the turn is nearer. (Taking the nearer turn always would let a
    front without its thread pass as the turned back it then resembles.)"""
    if cue_unsure:
        return turned[0].distance < upright[0].distance
    return not within(model, upright[0]) and within(model, turned[0])


def _room_beside(reg: Registration, shape: tuple[int, ...]) -> bool:
    """Whether the picture outside a registered note could hold the part of another note
    that :func:`_beside` asks for."""
    h, w = shape[:2]
    frame = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    inside, _ = cv2.intersectConvexConvex(reg.quad.astype(np.float32).reshape(4, 2), frame)
    return w * h - inside >= SECOND_NOTE_OUTSIDE * SECOND_NOTE_SIZE * inside


def _beside(reg: Registration, found: FoundNote) -> bool:
    """Whether a note the finder marked lies mostly outside a registered note's outline
    (:data:`SECOND_NOTE_OUTSIDE`) and is large enough to be another note
    (:data:`SECOND_NOTE_SIZE`)."""
    mine, theirs = reg.quad.astype(np.float32).reshape(4, 2), found.quad.corners
    inter, _ = cv2.intersectConvexConvex(mine, theirs)
    area = abs(float(cv2.contourArea(theirs)))
    return (area >= SECOND_NOTE_SIZE * abs(float(cv2.contourArea(mine)))
            and 1.0 - inter / max(area, 1e-6) >= SECOND_NOTE_OUTSIDE)


def _refuse_second_note(model: BanknoteModel, first: Registration, second: Registration,
                        path: str | Path | None) -> None:
    """One note per check: name both notes found and refuse the picture."""
    a, b = (model.manifest.class_for(r.key) or NoteClass.from_key(r.key)
            for r in (first, second))
    raise InputImageError(path, Message(N_(
        "two or more banknotes are in the picture ({first} and {second}): photograph one "
        "note at a time"), first=a.label, second=b.label))


def confidence_inputs(reg: Registration, attempts: Sequence[Attempt]) -> tuple[float, float]:
    """How far the verified side's inliers stand above the best rival denomination's (log
    ratio: what :func:`local_confidence` reads), and the share of the note in the picture."""
    rival = max((a.registration.inliers if a.registration else 0
                 for a in attempts if a.side.key != reg.key), default=0)
    return float(np.log((reg.inliers + 1) / (rival + 1))), float(reg.visible)


def local_confidence(reg: Registration, attempts: Sequence[Attempt]) -> float:
    """The chance that the verified side names the note right: a logistic function of
    :func:`confidence_inputs`, fitted on validation pictures (see :data:`CONFIDENCE_FIT`);
    at most :data:`MAX_CONFIDENCE`."""
    a, b = CONFIDENCE_FIT
    z = a * confidence_inputs(reg, attempts)[0] + b
    return float(min(MAX_CONFIDENCE, 1.0 / (1.0 + np.exp(-z))))


def _check_registered(model: BanknoteModel, image: np.ndarray, gray: np.ndarray,
                      path: str | Path | None, enrolled: Sequence[EnrolledNote],
                      reg: Registration, attempts: Sequence[Attempt], times: dict[str, float]
                      ) -> BanknoteCheck:
    """The check of a note whose side was verified and registered: named by that side,
    judged by the embedder (shipped denominations) and the two rules of a registered note."""
    m = model.manifest
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
    q = model.embed(tensor[None])[0]
    times[EMBED] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    ranked = model.rank(q, model.centroids(enrolled))
    mine = next(s for s in ranked if s.note.key == reg.key)
    others = [s for s in ranked if s.note.key != reg.key]
    regions = region_correlations(gray, reg)
    partial = not agrees_in_full(regions, lambda: colour_difference(image, reg))
    embedder_best = ranked[0]
    svm_class, cscore = _second_opinions(model, reg.key, q)
    # The embedder's reading is a second opinion only on a denomination it learned: on an
    # enrolled one its nearest class says little (real notes lie 0.5-1.8 from their own
    # one-picture centroid), and it would cap and hold back notes the print verified.
    shipped = m.class_for(reg.key) is not None
    embedder_differs = (shipped and embedder_best.note.key != reg.key
                        and within(model, embedder_best))
    conf = local_confidence(reg, attempts)
    # The inlier ratio cannot vouch for a registration on a shared design, nor for one that
    # a second reading names otherwise.
    if partial or embedder_differs or (svm_class is not None and svm_class.key != reg.key):
        conf = min(conf, PARTIAL_CONFIDENCE)
    top = _with_confidence(mine, others, conf)
    caveats = []
    if shipped:
        # The embedder and the counterfeit models were trained and calibrated on this
        # denomination: their distance and scores judge it, whichever picture of it the
        # printed detail matched (a series an operator added to it included), so that
        # enrolling a picture cannot switch a shipped denomination's checks off.
        reasons = authenticity(model, top[0], svm_class, cscore)
        if embedder_differs:  # a second reading that disagrees is a reason, not only a cap
            reasons.append(Reason(N_("its printed detail matches the {note} but the "
                                     "embedder reads it as {other}"), note=note.label,
                                  other=embedder_best.note.label))
    else:
        # On notes it never learned the embedder's distance says nothing about
        # authenticity (real genuine notes lie 0.5-1.8 from their one-picture centroid,
        # the threshold is 0.39): it would flag most genuine notes, so it is not used.
        reasons = uncertain(top[0])
        caveats.append(ENROLLED_CAVEAT)
    if reg.visible < MIN_JUDGED_VISIBLE:
        reasons.append(Reason(N_("only {visible} of the note is in the picture: show the "
                                 "whole note to judge it"), visible=f"{reg.visible:.0%}"))
    differing = []
    if partial:
        # NaN (a region mostly outside the picture) is neither agreeing nor differing; a
        # note with no region in the picture to name is one mostly outside it.
        differing = [int(i) for i in np.flatnonzero(regions < PARTIAL_AGREEMENT)]
        agree = int((regions >= PARTIAL_AGREEMENT).sum())
        reasons.append(Reason(MATCHES_IN_PART, note=note.label, agree=str(agree),
                              total=str(int(np.isfinite(regions).sum())),
                              regions=region_names(differing) if differing
                              else Message(OUTSIDE_REGIONS)))
    times[JUDGE] = (time.perf_counter() - t) * 1000
    check = _result(model, reading, False, upright, q, top, reasons, enrolled, times,
                    svm_class, cscore, reg)
    check.caveats = caveats
    check.differing_regions = differing
    return check


def _with_confidence(first: ClassScore, others: Sequence[ClassScore], conf: float
                     ) -> list[ClassScore]:
    """``first`` at confidence ``conf``, the ``others`` sharing the rest as they shared
    theirs."""
    rest = sum(s.confidence for s in others)
    return [replace(first, confidence=conf),
            *(replace(s, confidence=(1 - conf) * s.confidence / rest if rest > 0 else 0.0)
              for s in others)]


def agrees_in_full(regions: np.ndarray, colour: Callable[[], tuple[float, float] | None],
                   threshold: float = PARTIAL_AGREEMENT, floor: float = COLOUR_FLOOR,
                   layout: float = COLOUR_LAYOUT) -> bool:
    """Whether a registered note agrees with its reference beyond a shared design: the lower
    quartile of its ``regions``' correlations reaches ``threshold``, or ``floor`` with its
    colours (``colour()``: layout and cast, measured only then) laid out as the reference's
    (within ``layout`` and :data:`MAX_COLOUR_CAST`). The defaults are the app's rule.
    Regions that are NaN (mostly outside the picture) are left out."""
    regions = np.asarray(regions, np.float64)
    regions = regions[np.isfinite(regions)]
    agreement = float(np.quantile(regions, 0.25)) if len(regions) else 0.0
    if agreement >= threshold:
        return True
    if agreement < floor:
        return False
    measured = colour()
    return measured is not None and measured[0] <= layout and measured[1] <= MAX_COLOUR_CAST


def uncertain(top: ClassScore) -> list[Reason]:
    """The reason to doubt a denomination named with less than :data:`MIN_CONFIDENCE`."""
    if top.confidence < MIN_CONFIDENCE:
        return [Reason(N_("the denomination is uncertain ({confidence})"),
                       confidence=f"{top.confidence:.0%}")]
    return []


def _second_opinions(model: BanknoteModel, key: str, q: np.ndarray
                     ) -> tuple[NoteClass | None, float | None]:
    """The multi-class SVM's reading (for a shipped class only: it knows no others) and
    the class's counterfeit score (None without a counterfeit model), each run once."""
    svm_class = model.svm_class(q) if model.manifest.class_for(key) is not None else None
    return svm_class, model.counterfeit_score(key, q)


def authenticity(model: BanknoteModel, top: ClassScore, svm_class: NoteClass | None,
                 cscore: float | None) -> list[Reason]:
    """Reasons to doubt a note read as ``top``: beyond its genuine cluster, scored as a
    counterfeit, an uncertain denomination, or another reading by the SVM."""
    m = model.manifest
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
    reasons += uncertain(top)
    if svm_class is not None and svm_class.key != top.note.key:
        reasons.append(Reason(N_("the SVM reads it as {other}"), other=svm_class.label))
    return reasons


def _result(model: BanknoteModel, reading: NoteReading, turned: bool, note_image: np.ndarray,
            q: np.ndarray, top: list[ClassScore], reasons: list[str],
            enrolled: Sequence[EnrolledNote], times: dict[str, float],
            svm_class: NoteClass | None, cscore: float | None,
            reg: Registration | None = None) -> BanknoteCheck:
    """The check's result: suspect when there is any reason, the nearest references."""
    m = model.manifest
    first = top[0]
    auth = m.authenticity.get(first.note.key)
    return BanknoteCheck(
        reading=reading, turned=turned, note_image=note_image, embedding=q, top=top[:3],
        svm_class=svm_class, verdict=SUSPECT if reasons else GENUINE,
        distance=first.distance, threshold=m.distance_threshold(first.centroid.n_references),
        counterfeit_score=cscore,
        counterfeit_threshold=auth.threshold if auth else None, reasons=reasons,
        nearest=model.nearest_references(q, enrolled), timings_ms=times, registration=reg)


def _check_by_outline(model: BanknoteModel, image: np.ndarray, path: str | Path | None,
                      enrolled: Sequence[EnrolledNote], times: dict[str, float]
                      ) -> BanknoteCheck:
    """The reading when no side is verified: the outline detector and the embedder.
    With no printed detail verified, a picture the learned finder marks no note in is
    refused as holding no banknote (paper with writing has an outline, not a note)."""
    m = model.manifest
    t = time.perf_counter()
    found = model.found_notes(image)
    reading = model.locate(image, path, found=found)  # its refusals name the problem
    if model.finder is not None and not found:
        raise InputImageError(path, Message(NO_NOTE_SEEN))
    turned_img = cv2.rotate(reading.upright, cv2.ROTATE_180)
    times[FIND] += (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    tensors = np.stack([preprocess_banknote(reading.upright, m.preprocessing, path),
                        preprocess_banknote(turned_img, m.preprocessing, path)])
    times[PREPROCESS] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    emb = model.embed(tensors)
    times[EMBED] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    centroids = model.centroids(enrolled)
    upright, turned = model.rank(emb[0], centroids), model.rank(emb[1], centroids)
    turn = pick_turn(model, upright, turned, reading.orientation.unsure)
    ranked, q = (turned, emb[1]) if turn else (upright, emb[0])
    svm_class, cscore = _second_opinions(model, ranked[0].note.key, q)
    # No side verified: the embedder's nearest class is a guess the check says it is
    # (UNKNOWN_NOTE), so it is never shown surer than even.
    ranked = _with_confidence(ranked[0], ranked[1:],
                              min(ranked[0].confidence, PARTIAL_CONFIDENCE))
    reasons = authenticity(model, ranked[0], svm_class, cscore)
    times[JUDGE] = (time.perf_counter() - t) * 1000
    return _result(model, reading, turn, turned_img if turn else reading.upright, q, ranked,
                   reasons, enrolled, times, svm_class, cscore)
