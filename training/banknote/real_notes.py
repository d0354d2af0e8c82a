"""Real banknotes as embedder training data, and the leave-one-currency-out protocol.

**Flat notes.** Every real picture becomes a flat, upright note the way the app enrolls one:
the euro reference pictures and the whole-note EUR/BRL scans through
:meth:`BanknoteModel.reference_note`, the dong photos through their labelled box. Only whole
notes are used: the embedder reads a located note, and halves and quarters are the local
features' business.

**Captures.** Each flat note is photographed by the capture simulator (pose, perspective, a
fold, a thumb, table or cloth, uneven light, blur, noise), then given a white-balance cast
and JPEG compression, and rectified with its true corners moved by a few pixels (the
detector's error): the same contract tensors the app embeds.

**Leave one currency out** (BankNote-Net's protocol): train without currency X, enroll X's
sides from 1 and from 5 pictures, classify X's other pictures by the nearest enrolled
centroid among X's classes. The figure predicts how a currency enrolled at a branch fares
when the embedder has never seen it. Queries are located as the app locates them:

- EUR: the single-note photos (:meth:`BanknoteModel.locate`), enrolled from the flat
  reference picture (1 per side); and whole scans of one capture condition enrolled from
  the other's (1 and 4 per side: the data has 4);
- BRL: whole scans, across capture conditions as for EUR;
- VND: photos cut by their labelled box, enrolled from 1 and 5 other photos per denomination
  (the sides are not labelled, so a denomination's two sides are one class).

Both turns of a query are embedded and the nearer is taken, as the app does when the
orientation cue is unsure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.detect import NoteQuad, rectify
from desktop.core.banknote.manifest import class_key
from desktop.core.banknote.model import BanknoteModel
from desktop.core.banknote.preprocess import BanknotePreprocessing, preprocess_banknote
from desktop.core.errors import InputImageError
from training.banknote.capture import capture as photograph
from training.banknote.data import NoteTensors, to_uint8
from training.banknote.folders import load_sample, read_eur_brl
from training.banknote.real_sets import EUR_BRL_ZIPS, eur_reference_key, vnd_box

log = logging.getLogger(__name__)

CURRENCIES = ("EUR", "BRL", "VND")
CORNER_JITTER = 0.02  # of the note's height: the outline detector's typical error on photos


@dataclass(frozen=True)
class FlatNote:
    """One whole real note, flat and upright (BGR), with its class and where it came from:
    ``"reference"``, ``"scan:<condition>"`` or ``"photo"``."""

    key: str
    origin: str
    name: str
    image: np.ndarray

    @property
    def currency(self) -> str:
        """The currency code of the note's class."""
        return self.key.split("-", 1)[0]


def _vnd_photos(root: Path) -> list[tuple[str, Path]]:
    return [(folder.name, p) for folder in sorted(q for q in root.iterdir() if q.is_dir())
            for p in sorted(folder.glob("*.jpg")) if p.with_suffix(".txt").is_file()]


def flat_notes(model: BanknoteModel, data: Path, vnd_per_class: int = 60) -> list[FlatNote]:
    """Every whole real note under ``data`` (``../shared/data/banknotes``) as a flat note;
    pictures where the app finds no note are skipped (and logged). ``vnd_per_class`` dong
    photos per denomination, spread over each folder's sorted list."""
    out: list[FlatNote] = []

    def add(key: str, origin: str, name: str, image: np.ndarray | None) -> None:
        if image is None:
            return
        try:
            out.append(FlatNote(key, origin, name, model.reference_note(image, name)))
        except InputImageError as exc:
            log.info("skipped: %s", exc)

    refs = data / "eur_photos" / "references"
    for path in sorted(refs.glob("*.jpg")) if refs.is_dir() else []:
        add(eur_reference_key(path), "reference", path.name, cv2.imread(str(path)))
    zips = [data / "eur_brl" / z for z in EUR_BRL_ZIPS if (data / "eur_brl" / z).is_file()]
    for s in read_eur_brl(zips):
        if s.part == "whole" and s.side != "unknown":
            add(class_key(s.currency, s.denomination, s.side), f"scan:{s.condition}",
                s.member or str(s.path), load_sample(s))
    vnd = data / "vnd"
    if vnd.is_dir():
        photos = _vnd_photos(vnd)
        for value in sorted({v for v, _ in photos}):
            mine = [p for v, p in photos if v == value]
            step = max(1, len(mine) // vnd_per_class)
            for p in mine[::step][:vnd_per_class]:
                image = cv2.imread(str(p))
                if image is not None:
                    out.append(FlatNote(class_key("VND", value, "front"), "photo", p.name,
                                        vnd_box(p, image)))
    return out


def _jitter(corners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h = float(np.linalg.norm(corners[3] - corners[0]))
    return (corners + rng.normal(0, CORNER_JITTER * h, corners.shape)).astype(np.float32)


def _camera(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A white-balance cast and JPEG compression, as a phone or a webcam gives them."""
    cast = rng.uniform(0.85, 1.15, 3).astype(np.float32)
    cast /= cast.mean()
    out = np.clip(image.astype(np.float32) * cast, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else out


def captured(flat: FlatNote, rng: np.random.Generator, prep: BanknotePreprocessing
             ) -> np.ndarray:
    """One simulated capture of a flat note, rectified as the app would: a uint8 tensor."""
    image, corners = photograph(flat.image, rng)
    image = _camera(image, rng)
    note = rectify(image, NoteQuad(_jitter(corners, rng)), None, prep.rectified_height)
    return to_uint8(preprocess_banknote(note, prep))


def _by_class(flats: list[FlatNote]) -> dict[str, list[FlatNote]]:
    out: dict[str, list[FlatNote]] = {}
    for f in flats:
        out.setdefault(f.key, []).append(f)
    return out


def real_tensors(flats: list[FlatNote], per_class: int, seed: int,
                 prep: BanknotePreprocessing | None = None) -> NoteTensors:
    """``per_class`` captures of every class, cycling through its flat notes; deterministic
    for a seed. All real notes are genuine."""
    prep = prep or BanknotePreprocessing()
    by_key = _by_class(flats)
    xs, keys = [], []
    for c, key in enumerate(sorted(by_key)):
        group = by_key[key]
        for i in range(per_class):
            xs.append(captured(group[i % len(group)], np.random.default_rng([seed, c, i]), prep))
            keys.append(key)
    if not xs:
        return NoteTensors(np.zeros((0, *prep.input_shape), np.uint8), [], np.zeros(0, bool), [])
    return NoteTensors(np.stack(xs), keys, np.ones(len(keys), bool), [""] * len(keys))


# ---- leave-one-currency-out -------------------------------------------------------------------
Embed = Callable[[np.ndarray], np.ndarray]  # contract tensors (float32) -> unit embeddings


def _tensors(images: list[np.ndarray], prep: BanknotePreprocessing, turns: bool) -> np.ndarray:
    xs = [preprocess_banknote(i, prep) for i in images]
    if turns:
        xs += [preprocess_banknote(cv2.rotate(i, cv2.ROTATE_180), prep) for i in images]
    return np.stack(xs).astype(np.float32)


def denomination(key: str) -> str:
    """``"<currency>-<value>"`` of a class key or of a denomination."""
    return "-".join(key.split("-")[:2])


def _accuracy(embed: Embed, prep: BanknotePreprocessing, enroll: dict[str, list[np.ndarray]],
              queries: list[tuple[str, np.ndarray]]) -> float:
    """Share of queries (both turns, the nearer taken) whose nearest centroid of ``enroll``
    is of their denomination (the side is not scored: the dong's sides are unlabelled, the
    euro photos' too)."""
    keys = sorted(enroll)
    cents = np.stack([embed(_tensors(enroll[k], prep, False)).mean(0) for k in keys])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    q = embed(_tensors([im for _, im in queries], prep, True))
    d = np.linalg.norm(q[:, None] - cents[None], axis=2)
    n = len(queries)
    d = np.minimum(d[:n], d[n:])
    named = [denomination(keys[j]) for j in d.argmin(1)]
    return float(np.mean([a == denomination(k) for a, (k, _) in zip(named, queries,
                                                                     strict=True)]))


def _draws(flats: list[FlatNote], k: int, draws: int, seed: int
           ) -> list[tuple[dict[str, list[np.ndarray]], list[tuple[str, np.ndarray]]]]:
    """``draws`` splits of ``flats``: ``k`` per class enrolled, the rest queried."""
    by_key = _by_class(flats)
    out = []
    for d in range(draws):
        rng = np.random.default_rng([seed, k, d])
        enroll, queries = {}, []
        for key, group in sorted(by_key.items()):
            if len(group) <= k:
                continue
            order = rng.permutation(len(group))
            enroll[key] = [group[i].image for i in order[:k]]
            queries += [(key, group[i].image) for i in order[k:]]
        out.append((enroll, queries))
    return out


def _across_conditions(flats: list[FlatNote], k: int, draws: int, seed: int
                       ) -> list[tuple[dict[str, list[np.ndarray]], list[tuple[str, np.ndarray]]]]:
    """Scans: ``k`` per side of one condition enrolled, every scan of the other queried."""
    conditions = sorted({f.origin for f in flats})
    out = []
    for enrol_cond in conditions:
        mine = [f for f in flats if f.origin == enrol_cond]
        others = [(f.key, f.image) for f in flats if f.origin != enrol_cond]
        for d in range(draws):
            rng = np.random.default_rng([seed, k, d, conditions.index(enrol_cond)])
            enroll = {key: [group[i].image for i in rng.permutation(len(group))[:k]]
                      for key, group in sorted(_by_class(mine).items())}
            out.append((enroll, [(key, im) for key, im in others if key in enroll]))
    return out


def loco_scores(embed: Embed, model: BanknoteModel, flats: list[FlatNote], currency: str,
                data: Path, draws: int = 5, seed: int = 0) -> dict[str, float]:
    """Leave-one-currency-out top-1 of ``currency`` for an embedder that never saw it:
    ``{"<protocol>_k<K>": accuracy}`` averaged over ``draws`` enrolment draws."""
    prep = model.manifest.preprocessing
    mine = [f for f in flats if f.currency == currency]
    out: dict[str, float] = {}
    scans = [f for f in mine if f.origin.startswith("scan:")]
    for k in (1, 4) if scans else ():  # 4 whole scans per side and condition
        out[f"scans_k{k}"] = float(np.mean([_accuracy(embed, prep, e, q)
                                            for e, q in _across_conditions(scans, k, draws,
                                                                           seed)]))
    photos = [f for f in mine if f.origin == "photo"]
    for k in (1, 5) if photos else ():
        splits = [(e, q) for e, q in _draws(photos, k, draws, seed) if len(e) > 1 and q]
        if splits:  # at least two classes with more than k pictures
            out[f"photos_k{k}"] = float(np.mean([_accuracy(embed, prep, e, q)
                                                 for e, q in splits]))
    refs = [f for f in mine if f.origin == "reference"]
    if refs and currency == "EUR":
        enroll = {k: [f.image for f in g] for k, g in _by_class(refs).items()}
        out["eur_photos_k1"] = _accuracy(embed, prep, enroll, eur_photo_queries(model, data))
    return out


def eur_photo_queries(model: BanknoteModel, data: Path) -> list[tuple[str, np.ndarray]]:
    """The single-note euro photos as the app locates them (pictures where it finds no note
    are queried whole), keyed by denomination."""
    out = []
    for path in sorted((data / "eur_photos" / "photos").iterdir()):
        values = path.stem.split("___")[0].split("-")
        image = cv2.imread(str(path))
        if image is None or len(values) != 1:
            continue
        try:
            note = model.locate(image, path).upright
        except InputImageError:
            note = image
        out.append((f"EUR-{values[0]}", note))
    return out
