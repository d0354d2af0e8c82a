"""The banknote check on real notes, through the app's own model (``banknote-evaluate --real``).

Every protocol enrolls reference notes the way an operator does
(:meth:`BanknoteModel.reference_note`, then an enrolled note per picture) and checks pictures
the way a clerk does (:meth:`BanknoteModel.check`). No figure here comes from a picture that was
used to enroll, and nothing in the app was fitted to these sets: the local-feature search needs
no training, and the embedder never saw a real note. Each currency is therefore a "new
currency enrolled at a branch".

Protocols (``../shared/data/banknotes``, see its README):

- ``eur_photos``: each euro side enrolled from its one flat reference picture; the 66 photos
  of a single note on tables, in hands, in wallets are checked; the 13 photos of several notes
  are searched note by note (:meth:`BanknoteModel.find_notes`).
- ``eur_brl``: the EUR and BRL scans, each side enrolled from 1 (or 4) whole-note scans of one
  capture condition; every scan of the other condition (whole notes, halves and quarters) is
  checked; both directions.
- ``vnd``: Vietnamese dong photos in hands (sides not labelled): each denomination enrolled
  from 1 or 5 photos (the labelled box, as an operator's crop), other photos checked.
- ``not_enrolled``: each denomination left out of the enrolled ones in turn, its euro photos
  and whole EUR/BRL scans checked: a note of a series shares part of its design with the
  others and must not be passed as one of them.
- ``no_note``: pictures without a banknote (wood and cloth tables, blank desks, printed
  pages): the share refused as "no banknote" and the share where no side is verified;
  ``no_note_paper`` the same for real scans of paper with ink (the signature sets beside
  the banknotes, ``../shared/data/signatures``), with the euro sides enrolled.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.manifest import class_key
from desktop.core.banknote.model import GENUINE, BanknoteModel, EnrolledNote
from desktop.core.errors import InputImageError
from training.banknote.folders import NoteSample, load_sample
from training.banknote.real_sets import (
    eur_brl_folds,
    eur_reference_key,
    no_note_pictures,
    paper_scans,
    value_of,
    vnd_box,
    vnd_split,
)

log = logging.getLogger(__name__)

@dataclass
class Tally:
    """Outcomes of checks of genuine notes: right denomination, passed as genuine, verified
    by printed detail, refused, time."""

    n: int = 0
    right: int = 0
    passed: int = 0  # named right and judged genuine
    verified: int = 0
    refused: int = 0
    ms: list[float] = field(default_factory=list)

    def add(self, right: bool, genuine: bool, verified: bool, ms: float) -> None:
        """Count one check."""
        self.n += 1
        self.right += right
        self.passed += right and genuine
        self.verified += verified
        self.ms.append(ms)

    def refuse(self, ms: float) -> None:
        """Count one picture refused (no note found)."""
        self.n += 1
        self.refused += 1
        self.ms.append(ms)

    def row(self) -> dict:
        """The figures as fractions of all pictures."""
        n = max(self.n, 1)
        ms = np.array(self.ms or [0.0])
        return {"pictures": self.n, "top1": self.right / n, "passed_genuine": self.passed / n,
                "not_passed": 1 - self.passed / n, "verified": self.verified / n,
                "refused": self.refused / n, "ms_mean": float(ms.mean()),
                "ms_p95": float(np.percentile(ms, 95))}


class Enroller:
    """Enrolled notes built the way the operator's screen builds them."""

    def __init__(self, model: BanknoteModel) -> None:
        self.model = model
        self.notes: list[EnrolledNote] = []

    def add(self, key: str, image: np.ndarray, name: str) -> bool:
        """Enroll one picture under ``key``; False (and logged) when no note is found."""
        try:
            upright = self.model.reference_note(image, name)
        except InputImageError as exc:
            log.info("not enrolled: %s", exc)
            return False
        png = cv2.imencode(".png", upright)[1].tobytes()
        emb = self.model.embed_notes([upright], name)[0]
        self.notes.append(EnrolledNote(len(self.notes) + 1, key, "", emb, png))
        return True


def _check(model: BanknoteModel, tally: Tally, image: np.ndarray, name: str,
           notes: Sequence[EnrolledNote], right: Callable[[str], bool]) -> None:
    t = time.perf_counter()
    try:
        check = model.check(image, name, notes)
    except InputImageError:
        tally.refuse((time.perf_counter() - t) * 1000)
        return
    ok = right(check.denomination.key) and check.registration is not None
    tally.add(ok, check.verdict == GENUINE, check.registration is not None,
              (time.perf_counter() - t) * 1000)


def euro_references(model: BanknoteModel, root: Path) -> Enroller:
    """The euro sides enrolled from the flat reference pictures of ``root``
    (``eur_photos/``)."""
    enroller = Enroller(model)
    for path in sorted((root / "references").glob("*.jpg")):
        enroller.add(eur_reference_key(path), cv2.imread(str(path)), path.name)
    return enroller


def eur_photos(model: BanknoteModel, root: Path) -> dict:
    """Euro sides enrolled from the flat reference pictures; single-note photos checked,
    several-note photos searched note by note."""
    enroller = euro_references(model, root)
    single, found, wrong, notes_total, ms = Tally(), 0, 0, 0, []
    per_photo = []
    for path in sorted((root / "photos").iterdir()):
        values = path.stem.split("___")[0].split("-")
        image = cv2.imread(str(path))
        if image is None:
            continue
        if len(values) == 1:
            _check(model, single, image, path.name, enroller.notes,
                   lambda k, v=values[0]: k.startswith("EUR-") and value_of(k) == v)
            continue
        t = time.perf_counter()
        regs = model.find_notes(image, enroller.notes)
        ms.append((time.perf_counter() - t) * 1000)
        named = [value_of(r.key) for r in regs if r.key.startswith("EUR-")]
        left = list(values)
        for v in named:
            if v in left:
                left.remove(v)
                found += 1
            else:
                wrong += 1
        notes_total += len(values)
        per_photo.append({"photo": path.name, "notes": values, "named": named})
    return {"enrolled_sides": len(enroller.notes), "single": single.row(),
            "several": {"photos": len(per_photo), "notes": notes_total, "found_and_named": found,
                        "extra_or_wrong": wrong, "ms_mean": float(np.mean(ms)) if ms else 0.0,
                        "per_photo": per_photo}}


def enrolled_folds(model: BanknoteModel, root: Path, currency: str, per_side: int
                   ) -> Iterator[tuple[Enroller, list[NoteSample]]]:
    """:func:`eur_brl_folds` with each fold's scans to enroll already enrolled: (the
    enroller, the scans of the other conditions to check)."""
    for enrol, tests in eur_brl_folds(root, currency, per_side):
        enroller = Enroller(model)
        for key, s in enrol:
            enroller.add(key, load_sample(s), s.member or str(s.path))
        yield enroller, tests


def eur_brl(model: BanknoteModel, root: Path, per_side: int) -> dict:
    """Enroll ``per_side`` whole-note scans per side from one capture condition, check every
    scan of the other, both ways; per currency."""
    out: dict[str, dict] = {}
    for currency in ("EUR", "BRL"):
        total = Tally()
        for enroller, tests in enrolled_folds(model, root, currency, per_side):
            for s in tests:
                _check(model, total, load_sample(s), s.member or str(s.path), enroller.notes,
                       lambda k, d=s.denomination, c=currency: k.startswith(c + "-")
                       and value_of(k) == d)
        out[currency] = total.row()
    return out


def vnd_enrolled(model: BanknoteModel, root: Path, per_class: int, seed: int
                 ) -> tuple[Enroller, list[tuple[str, Path]]]:
    """Each dong denomination enrolled from ``per_class`` photos (the labelled box, as the
    operator's crop; sides unlabelled, so all are enrolled as the front): (the enroller, the
    other photos to check as (denomination, path))."""
    enrol, tests = vnd_split(root, per_class, seed)
    enroller = Enroller(model)
    for value, path in enrol:
        enroller.add(class_key("VND", value, "front"), vnd_box(path, cv2.imread(str(path))),
                     path.name)
    return enroller, tests


def vnd(model: BanknoteModel, root: Path, per_class: int, seed: int) -> dict:
    """The dong photos (:func:`vnd_enrolled`) checked by denomination."""
    enroller, tests = vnd_enrolled(model, root, per_class, seed)
    tally = Tally()
    for value, path in tests:
        _check(model, tally, cv2.imread(str(path)), path.name, enroller.notes,
               lambda k, v=value: k.startswith("VND-") and value_of(k) == v)
    return {"enrolled": len(enroller.notes), **tally.row()}


def no_note(model: BanknoteModel, notes: Sequence[EnrolledNote],
            pictures: Sequence[tuple[str, np.ndarray]]) -> dict:
    """How pictures without a note fare: refused, or at least not verified as a note."""
    refused = unverified = 0
    for name, image in pictures:
        try:
            check = model.check(image, name, notes)
        except InputImageError:
            refused += 1
            continue
        unverified += check.registration is None
    n = max(len(pictures), 1)
    return {"pictures": len(pictures), "no_banknote": refused / n,
            "no_side_verified": (refused + unverified) / n}


def left_out(model: BanknoteModel, enrol: Sequence[tuple[str, np.ndarray, str]],
             pictures: Sequence[tuple[str, np.ndarray, str]]) -> dict:
    """Each denomination of ``enrol`` (key, picture, name) left out in turn, its
    ``pictures`` (value, picture, name) checked against the others: counts of the answers."""
    counts = {"pictures": 0, "no_banknote": 0, "unknown_note": 0, "named_another_suspect": 0,
              "named_another_passed": 0}
    for value in sorted({value_of(k) for k, _, _ in enrol}):
        enroller = Enroller(model)
        for key, image, name in enrol:
            if value_of(key) != value:
                enroller.add(key, image, name)
        for v, image, name in pictures:
            if v != value:
                continue
            counts["pictures"] += 1
            try:
                check = model.check(image, name, enroller.notes)
            except InputImageError:
                counts["no_banknote"] += 1
                continue
            if check.registration is None:
                counts["unknown_note"] += 1
            elif check.verdict == GENUINE:
                counts["named_another_passed"] += 1
            else:
                counts["named_another_suspect"] += 1
    return counts


def _shares(counts: dict) -> dict:
    n = max(counts["pictures"], 1)
    return {k: c if k == "pictures" else c / n for k, c in counts.items()}


def not_enrolled(model: BanknoteModel, data: Path) -> dict:
    """Notes of a denomination that is not enrolled: each denomination left out in turn,
    the euro photos of one note (sides from the reference pictures) and the whole EUR and
    BRL scans (1 scan per side of one condition, the other condition checked)."""
    out = {}
    refs = sorted((data / "eur_photos" / "references").glob("*.jpg"))
    if refs:
        photos = [(path.stem.split("___")[0], cv2.imread(str(path)), path.name)
                  for path in sorted((data / "eur_photos" / "photos").iterdir())]
        out["EUR photos"] = _shares(left_out(
            model, [(eur_reference_key(p), cv2.imread(str(p)), p.name) for p in refs],
            [(v, im, n) for v, im, n in photos if "-" not in v and im is not None]))
    if (data / "eur_brl").is_dir():
        for currency in ("EUR", "BRL"):
            folds = [left_out(model, [(k, load_sample(s), s.member or str(s.path))
                                      for k, s in enrol],
                              [(s.denomination, load_sample(s), s.member or str(s.path))
                               for s in tests if s.part == "whole"])
                     for enrol, tests in eur_brl_folds(data / "eur_brl", currency, 1)]
            out[f"{currency} scans"] = _shares({k: sum(f[k] for f in folds)
                                                for k in folds[0]})
    return out


def evaluate_real(model: BanknoteModel, data: Path, out: Path, seed: int = 0) -> dict:
    """Run every protocol whose data is present; write ``real.json`` into ``out``."""
    report: dict = {"model_id": model.model_id, "data": str(data)}
    t0 = time.perf_counter()
    if (data / "eur_photos").is_dir():
        report["eur_photos"] = eur_photos(model, data / "eur_photos")
        log.info("eur_photos done (%.0f s)", time.perf_counter() - t0)
    if (data / "eur_brl").is_dir():
        report["eur_brl"] = {f"{k}_per_side": eur_brl(model, data / "eur_brl", k)
                             for k in (1, 4)}
        log.info("eur_brl done (%.0f s)", time.perf_counter() - t0)
    if (data / "vnd").is_dir():
        report["vnd"] = {f"{k}_per_class": vnd(model, data / "vnd", k, seed) for k in (1, 5)}
        log.info("vnd done (%.0f s)", time.perf_counter() - t0)
    report["not_enrolled"] = not_enrolled(model, data)
    log.info("not_enrolled done (%.0f s)", time.perf_counter() - t0)
    report["no_note"] = no_note(model, [], no_note_pictures(seed))
    paper = paper_scans(data.parent / "signatures")
    if paper:  # searched with the euro sides enrolled too: more sides to match falsely
        euro = euro_references(model, data / "eur_photos")
        report["no_note_paper"] = no_note(model, euro.notes, paper)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "real.json").write_text(json.dumps(report, indent=2) + "\n")
    return report

