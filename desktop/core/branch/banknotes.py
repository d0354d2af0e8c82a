"""The branch service's banknote actions: check a note, enroll new denominations, revoke.

:class:`BanknoteService` is composed by :class:`desktop.core.branch.service.BranchService` with the
shared access control, so every action goes through the same sessions, role checks and
hash-chained audit log as the signature work. Clerks check notes (permission ``verify``);
operators enroll reference notes from 1 to 5 pictures (``enroll``) and revoke them
(``revoke``). Enrolled notes are centroids
next to the shipped ones from the moment they are saved (:meth:`BanknoteModel.check` is given
the active enrolled notes on every check); when the model changes, they are re-embedded from
their stored images and the re-embedding is audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core.access.sessions import AccessControl, Session
from desktop.core.banknote.detect import load_bgr
from desktop.core.banknote.manifest import NoteClass
from desktop.core.banknote.model import (
    GENUINE,
    SUSPECT,
    BanknoteCheck,
    BanknoteModel,
    EnrolledNote,
    compare_sides,
)
from desktop.core.branch.files import check_stored
from desktop.core.branch.note_folders import NOTE_FORMATS, FolderSide, SideFolder, side_folders
from desktop.core.branch.note_references import (
    MAX_NOTE_REFERENCES,
    MAX_SERIES_CHARS,
    MIN_NOTE_REFERENCES,
    NoteCandidate,
    class_order,
    decode_note,
    duplicates_of,
    near_duplicates,
    note_key,
    stored_key,
)
from desktop.core.cancel import checkpoint
from desktop.core.errors import N_, InputImageError, Message, ServiceError
from desktop.core.imaging.decode import read_input_file
from desktop.core.store.records import BanknoteReference, NewBanknoteReference, ReferenceStore


@dataclass(frozen=True)
class NoteCheck:
    """One checked banknote and its audit entry."""

    check: BanknoteCheck
    name: str  # the file's name, or "camera frame <UTC time>"
    sha256: str  # of the file's bytes, or of a camera frame's pixels
    audit_id: int
    mirrored: bool = False  # a camera frame read left-right mirrored (a selfie-style camera)


@dataclass(frozen=True)
class SidesCheck:
    """Both sides of one note: each side's check, what the comparison found, and the one
    headline verdict (*suspect* when either side is, or when any cross-check failed)."""

    first: NoteCheck
    second: NoteCheck
    problems: list[str]
    verdict: str
    audit_id: int


MIRRORED = Message(N_("the camera's picture was mirrored (left and right swapped); it was read "
                      "the right way round"))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _file_bytes(path: str | Path) -> bytes:
    """A picture file's bytes: regular files only, bounded (one reader for every entry)."""
    return read_input_file(path)


class BanknoteService:
    """Banknote checks and reference notes. Composed by the branch service with the shared
    access control (sessions, roles), which also gives the store (with its audit chain) and the
    clock; ``model`` is the loaded banknote model (None until the app has loaded it)."""

    def __init__(self, access: AccessControl, model: BanknoteModel | None = None) -> None:
        self.access = access
        self.model = model

    @property
    def store(self) -> ReferenceStore:
        """The store of the access control this service works with."""
        return self.access.store

    def require(self, session: Session, permission: str) -> None:
        """The access control's check of the session and its role."""
        self.access.require(session, permission)

    def clock(self) -> datetime:
        """Now, by the access control's clock (tests move it)."""
        return self.access.clock()

    @property
    def loaded(self) -> BanknoteModel:
        """The loaded banknote model (the app loads it in the background after login)."""
        if self.model is None:
            raise ServiceError(Message(N_("the banknote model is not loaded yet; wait a moment "
                                          "(or see the message on the banknote tab)")))
        return self.model

    # ---- enrolled notes and re-embedding ------------------------------------------------
    def _enrolled(self, model: BanknoteModel
                  ) -> tuple[list[EnrolledNote], list[BanknoteReference], list[np.ndarray]]:
        """The active enrolled notes under ``model``; those embedded by another model are
        re-embedded in memory: (notes, stale references, their new embeddings). A key stored
        as ``EUR-50.00-back`` is read as ``EUR-50-back`` (:func:`stored_key`)."""
        refs = self.store.banknote_references()
        stale = [r for r in refs if r.model_id != model.model_id]
        size = model.manifest.embedding_size
        for r in refs:  # the image is checked when its side is prepared (decode_enrolled)
            check_stored(r.id, Message(N_("the reference note {key}"), key=r.key),
                         r.embedding if r.model_id == model.model_id else None, size)
        fresh: dict[int, np.ndarray] = {}
        new: list[np.ndarray] = []
        if stale:
            new = list(model.embed_notes([decode_note(r) for r in stale]))
            fresh = {r.id: e for r, e in zip(stale, new, strict=True)}
        notes = [EnrolledNote(r.id, stored_key(r.key), r.series, fresh.get(r.id, r.embedding),
                              r.image_png) for r in refs]
        return notes, stale, new

    def warm_up(self, model: BanknoteModel) -> BanknoteModel:
        """Find the keypoints of every reference side, shipped and enrolled, before the first
        check needs them (run where the model is loaded, off the GUI thread); returns it.
        A stored note that cannot be read is left for the checks to report."""
        try:
            model.side_index(self._enrolled(model)[0])
        except (ServiceError, InputImageError):
            model.side_index()
        return model

    def _save_reembedded(self, session: Session, model: BanknoteModel,
                         stale: Sequence[BanknoteReference], new: Sequence[np.ndarray]) -> None:
        """Store re-embedded notes and audit it (inside the caller's transaction)."""
        if not stale:
            return
        self.store.update_banknote_embeddings(
            [(r.id, e, model.model_id) for r, e in zip(stale, new, strict=True)])
        self.store.append_audit(session.username, "banknote_reembed", model_id=model.model_id,
                                details={"references": [r.id for r in stale],
                                         "from_models": sorted({r.model_id for r in stale})})

    def _refresh_banknotes(self, session: Session, model: BanknoteModel) -> None:
        _, stale, new = self._enrolled(model)
        if stale:
            with self.store.transaction():
                self._save_reembedded(session, model, stale, new)

    # ---- checks ---------------------------------------------------------------------------
    def check_banknote(self, session: Session, path: str | Path,
                       source: str = "clerk") -> NoteCheck:
        """Clerk: find the note in a picture file, name its denomination, judge it and audit
        the result. Unusable input raises :class:`InputImageError` naming the file, and
        nothing is written (not even the audit entry)."""
        self.require(session, "verify")
        model = self.loaded
        data = _file_bytes(path)
        image = load_bgr(path, data)
        checkpoint()
        return self._check(session, model, image, path, Path(path).name,
                           hashlib.sha256(data).hexdigest(), source)

    def check_banknote_frame(self, session: Session, image_bgr: np.ndarray,
                             source: str = "camera") -> NoteCheck:
        """Clerk: check a camera frame (BGR uint8). It is named "camera frame <UTC time>" and
        its SHA-256 is that of its pixels; a frame with no single note raises
        :class:`InputImageError` and nothing is written."""
        self.require(session, "verify")
        model = self.loaded
        name = f"camera frame {self.clock().isoformat(timespec='seconds')}"
        if (not isinstance(image_bgr, np.ndarray) or image_bgr.dtype != np.uint8
                or image_bgr.ndim not in (2, 3) or image_bgr.size == 0):
            raise InputImageError(name, Message(N_("the camera gave no usable picture "
                                                   "(expected 8-bit pixels)")))
        frame = np.ascontiguousarray(image_bgr)
        digest = hashlib.sha256(frame.tobytes()).hexdigest()
        return self._check(session, model, frame, name, name, digest, source)

    def compare_note_sides(self, session: Session, first: NoteCheck,
                           second: NoteCheck) -> SidesCheck:
        """Clerk: judge two checked pictures as the two sides of one note. Any failed
        cross-check (the same side twice, sides of different notes) makes the note suspect,
        whatever each side's own verdict; the comparison is audited. Both checks must be this
        user's audited banknote checks."""
        self.require(session, "verify")
        for note in (first, second):
            entry = self.store.audit_entry(note.audit_id)
            if (entry is None or entry.action != "banknote_check"
                    or entry.username != session.username
                    or entry.details.get("denomination") != note.check.denomination.key
                    or entry.details.get("verdict") != note.check.verdict):
                raise ServiceError(Message(N_("{name}: this check is not one of yours: check "
                                              "the note again"), name=note.name))
        if first.audit_id == second.audit_id:
            raise ServiceError(Message(N_("the same check was given as both sides: picture "
                                          "the other side")))
        problems = compare_sides(first.check, second.check)
        verdict = SUSPECT if problems or SUSPECT in (first.check.verdict,
                                                     second.check.verdict) else GENUINE
        entry = self.store.append_audit(
            session.username, "banknote_sides", model_id=self.loaded.model_id,
            details={"first_audit_id": first.audit_id, "second_audit_id": second.audit_id,
                     "first": first.check.denomination.key,
                     "second": second.check.denomination.key,
                     "problems": problems, "verdict": verdict})
        return SidesCheck(first, second, problems, verdict, entry.id)

    def _check(self, session: Session, model: BanknoteModel, image: np.ndarray,
               path: str | Path, name: str, digest: str, source: str) -> NoteCheck:
        notes, stale, new = self._enrolled(model)
        check, mirrored = self._read(model, image, path, notes, source)
        checkpoint()  # cancelled before the verdict is audited: nothing is written
        details: dict[str, Any] = {
            "file": name, "sha256": digest, "source": source,
            "denomination": check.denomination.key,
            "confidence": _rounded(check.top[0].confidence),
            "top3": [[s.note.key, _rounded(s.confidence)] for s in check.top[:3]],
            "svm": check.svm_class.key if check.svm_class is not None else None,
            "verdict": check.verdict, "distance": _rounded(check.distance),
            "threshold": _rounded(check.threshold),
            "counterfeit_score": _rounded(check.counterfeit_score),
            "counterfeit_threshold": _rounded(check.counterfeit_threshold),
            "reasons": list(check.reasons), "caveats": list(check.caveats),
            "turned": bool(check.turned), "mirrored": mirrored,
            "verified_side": (None if check.registration is None else
                              [check.registration.side.source, check.registration.inliers]),
            "enrolled_references": [n.id for n in notes],
            "nearest": [[n.key, _rounded(n.distance), n.enrolled_id] for n in check.nearest],
        }
        with self.store.transaction():
            self._save_reembedded(session, model, stale, new)
            entry = self.store.append_audit(session.username, "banknote_check",
                                            model_id=model.model_id, details=details)
        return NoteCheck(check, name, digest, entry.id, mirrored)

    @staticmethod
    def _read(model: BanknoteModel, image: np.ndarray, path: str | Path,
              notes: Sequence[EnrolledNote], source: str) -> tuple[BanknoteCheck, bool]:
        """The model's check of the picture, and whether it was read mirrored: a camera that
        mirrors its picture (as selfie and some document cameras do) shows no enrolled side's
        printed detail the right way round, so a camera frame in which no side is verified is
        read once more mirrored, and that reading is kept when it verifies one. A file is
        never mirrored (a scan or a photo is the right way round)."""
        try:
            check, problem = model.check(image, path, notes), None
        except InputImageError as exc:
            check, problem = None, exc
        if source != "camera" or (check is not None and check.registration is not None):
            if problem is not None:
                raise problem
            return check, False
        checkpoint()
        try:
            flipped = model.check(np.ascontiguousarray(image[:, ::-1]), path, notes)
        except InputImageError:
            flipped = None
        if flipped is not None and flipped.registration is not None:
            flipped.caveats.append(MIRRORED)
            return flipped, True
        if problem is not None:
            raise problem
        return check, False

    def banknote_classes(self, session: Session) -> list[NoteClass]:
        """The denominations the app can name: the model's classes and the enrolled ones
        (distinct keys, sorted by currency, value and side)."""
        self.require(session, "search")
        model = self.loaded
        classes = {c.key: c for c in model.manifest.classes}
        for key in {stored_key(ref.key) for ref in self.store.banknote_references()}:
            classes.setdefault(key, NoteClass.from_key(key))
        return sorted(classes.values(), key=class_order)

    # ---- reference notes ------------------------------------------------------------------
    def prepare_banknote_references(self, session: Session,
                                    paths: Sequence[str | Path]) -> list[NoteCandidate]:
        """Operator: read pictures as reference-note candidates: the note found, straightened
        and upright, and its embedding. A file that cannot be used (unreadable, no note, two
        notes) or a near-duplicate of an earlier candidate gets a ``problem``; nothing is
        stored and one bad file does not stop the others."""
        self.require(session, "enroll")
        model = self.loaded
        out: list[NoteCandidate] = []
        for path in paths:
            name = Path(path).name
            try:
                image = load_bgr(path, _file_bytes(path))
                upright = model.reference_note(image, path)
                emb = model.embed_notes([upright], path)[0]
            except InputImageError as exc:  # the row names the file: its problem is enough
                out.append(NoteCandidate(name, None, None, exc.problem))
                continue
            out.append(NoteCandidate(name, upright, emb, None, model.model_id,
                                     lambda images, p=path: model.embed_notes(images, p)))
        dups = near_duplicates([c.embedding for c in out])
        return [replace(c, problem=Message(N_("a near-duplicate of {other} (the same picture "
                                              "twice?)"), other=out[dups[i]].name))
                if i in dups else c
                for i, c in enumerate(out)]

    def _stored_duplicates(self, model: BanknoteModel, key: str,
                           embeddings: Sequence[np.ndarray | None]
                           ) -> tuple[list[BanknoteReference], dict[int, BanknoteReference]]:
        """The active stored references of ``key``, and {index: stored reference} for the
        ``embeddings`` (under ``model``) that are near-duplicates of one of them: pictures
        already enrolled. References embedded by another model are re-embedded (in memory)
        from their stored images to be compared."""
        stored = [r for r in self.store.banknote_references() if stored_key(r.key) == key]
        stale = [r for r in stored if r.model_id != model.model_id]
        fresh: dict[int, np.ndarray] = {}
        if stale:
            fresh = dict(zip([r.id for r in stale],
                             model.embed_notes([decode_note(r) for r in stale]), strict=True))
        known = [fresh.get(r.id, r.embedding) for r in stored]
        return stored, {i: stored[j] for i, j in duplicates_of(embeddings, known).items()}

    def enroll_banknotes(self, session: Session, currency: str, denomination: str, side: str,
                         series: str, candidates: Sequence[NoteCandidate]
                         ) -> list[BanknoteReference]:
        """Operator: store 1 to 5 candidates without problems as reference notes of one
        denomination side, all or none, audited. A picture already enrolled for that side (a
        near-duplicate of an active stored reference) is refused, and so are more than 5
        active references a side, stored and new together: enrolling the same pictures
        again stores nothing. The new centroid is used by the next check."""
        self.require(session, "enroll")
        model = self.loaded
        key = note_key(currency, denomination, side)
        series = " ".join(series.split())
        if len(series) > MAX_SERIES_CHARS:
            raise ServiceError(Message(N_("the series label is too long ({n} characters; at "
                                          "most {most})"), n=len(series),
                                       most=MAX_SERIES_CHARS))
        n = len(candidates)
        if not MIN_NOTE_REFERENCES <= n <= MAX_NOTE_REFERENCES:
            raise ServiceError(Message(N_("a denomination is enrolled from {least} to {most} "
                                          "pictures; {n} were given"),
                                       least=MIN_NOTE_REFERENCES, most=MAX_NOTE_REFERENCES,
                                       n=n))
        for c in candidates:
            if c.problem is not None:
                raise ServiceError(Message(N_("{name}: {problem}; remove it before saving"),
                                           name=c.name, problem=c.problem))
            if c.image is None or c.embedding is None:
                raise ServiceError(Message(N_("{name}: the picture has not been read; add it "
                                              "again"), name=c.name))
        if any(c.model_id != model.model_id for c in candidates):  # the model was reloaded
            embeddings = list(model.embed_notes([c.image for c in candidates]))
        else:
            embeddings = [np.asarray(c.embedding, np.float32) for c in candidates]
        dups = near_duplicates(embeddings)
        if dups:
            i, j = next(iter(dups.items()))
            raise ServiceError(Message(N_("{name} is a near-duplicate of {other}; remove one "
                                          "of them"), name=candidates[i].name,
                                       other=candidates[j].name))
        new = [NewBanknoteReference(key, series, c.png(), e, model.model_id, c.name)
               for c, e in zip(candidates, embeddings, strict=True)]
        with self.store.transaction():  # read and written under one lock: no race
            stored, already = self._stored_duplicates(model, key, embeddings)
            if already:
                i, ref = next(iter(already.items()))
                raise ServiceError(Message(
                    N_("{name}: already enrolled: a near-duplicate of reference {ref} ({source}) "
                       "of {key}"), name=candidates[i].name, ref=ref.id,
                    source=ref.source_name or ref.key, key=key))
            if len(stored) + n > MAX_NOTE_REFERENCES:
                raise ServiceError(Message(
                    N_("{key} already has {have} references; at most {most} a side: revoke "
                       "one before adding {n}"), key=key, have=len(stored),
                    most=MAX_NOTE_REFERENCES, n=n))
            refs = self.store.add_banknote_references(new, session.username)
            self.store.append_audit(
                session.username, "banknote_enroll", model_id=model.model_id,
                details={"key": key, "series": series, "references": [r.id for r in refs],
                         "sources": [c.name for c in candidates]})
        return refs

    def enroll_banknote_folder(self, session: Session, root: str | Path,
                               series: str = "") -> list[FolderSide]:
        """Operator: enroll a whole currency from ``root/<currency>/<denomination>/<side>/``
        (pictures in each side's folder, the first 5 by name). Each side is enrolled on its
        own, all or none, as :meth:`enroll_banknotes` does; a side whose pictures all have a
        problem, or whose folder names are not a currency, a value and a side, is reported
        and left out, and so are pictures outside a side's folder. Nothing else stops the
        others. Pictures already enrolled for their side are left out and said so, not as a
        problem: enrolling the same folder again (after fixing one bad side) stores nothing
        twice. What is not read is said (:func:`side_folders`), Mac litter excepted."""
        self.require(session, "enroll")
        root = Path(root)
        if not root.is_dir():
            raise ServiceError(Message(N_("{folder}: is not a folder"), folder=root))
        out: list[FolderSide] = []
        for folder in side_folders(root):
            try:
                out.append(self._enroll_side(session, folder, series))
            except ServiceError as exc:
                out.append(FolderSide(folder.name, [], [], exc.args[0]))
        if not out:
            raise ServiceError(Message(N_("{folder}: no <currency>/<denomination>/<side>/ "
                                          "folders in it"), folder=root))
        return out

    def _enroll_side(self, session: Session, folder: SideFolder, series: str) -> FolderSide:
        """Enroll one side's folder (``ServiceError`` with why when nothing can be)."""
        if folder.problem is not None:
            raise ServiceError(folder.problem)
        key = note_key(folder.currency, folder.denomination, folder.side)
        not_read = list(folder.not_read) + [
            Message(N_("{name}: only the first {most} pictures of a side are read"),
                    name=p.name, most=MAX_NOTE_REFERENCES)
            for p in folder.pictures[MAX_NOTE_REFERENCES:]]
        if not folder.pictures:
            problem = Message(N_("no pictures ({formats}) in the folder"), formats=NOTE_FORMATS)
            raise ServiceError(Message(N_("{problem}; left out {left_out}"), problem=problem,
                                       left_out="; ".join(not_read)) if not_read else problem)
        cands = self.prepare_banknote_references(session,
                                                 folder.pictures[:MAX_NOTE_REFERENCES])
        usable = [c for c in cands if c.usable]
        left_out = [Message(N_("{name}: {problem}"), name=c.name, problem=c.problem)
                    for c in cands if not c.usable] + not_read
        if not usable:
            raise ServiceError(Message(N_("no picture could be used: {problems}"),
                                       problems="; ".join(left_out)))
        _, stored = self._stored_duplicates(self.loaded, key, [c.embedding for c in usable])
        already = [c.name for i, c in enumerate(usable) if i in stored]
        usable = [c for i, c in enumerate(usable) if i not in stored]
        refs = (self.enroll_banknotes(session, folder.currency, folder.denomination,
                                      folder.side, series, usable) if usable else [])
        return FolderSide(folder.name, [r.id for r in refs], left_out, None, already)

    def enrolled_banknotes(self, session: Session,
                           include_revoked: bool = False) -> list[BanknoteReference]:
        """The enrolled reference notes, re-embedded first when the model changed."""
        self.require(session, "search")
        if self.model is not None:
            try:
                self._refresh_banknotes(session, self.model)
            except ServiceError:
                pass  # a stored image that cannot be decoded: list it so it can be revoked
        return self.store.banknote_references(include_revoked=include_revoked)

    def revoke_banknote(self, session: Session, ref_id: int,
                        reason: str) -> BanknoteReference:
        """Operator: withdraw a reference note (kept in the store, no longer a centroid)."""
        self.require(session, "revoke")
        reason = reason.strip()
        if not reason:
            raise ServiceError(Message(N_("a reason is needed to revoke a reference note")))
        active = {r.id: r for r in self.store.banknote_references()}
        if ref_id not in active:
            raise ServiceError(Message(N_("banknote reference {ref} does not exist or is "
                                          "already revoked"), ref=ref_id))
        with self.store.transaction():
            ref = self.store.revoke_banknote_reference(ref_id, session.username, reason)
            self.store.append_audit(session.username, "banknote_revoke", model_id=ref.model_id,
                                    details={"reference": ref_id, "key": ref.key,
                                             "series": ref.series, "reason": reason})
        return ref
