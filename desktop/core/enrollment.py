"""Quality checks on reference signatures before they are enrolled.

Each candidate gets a status: *rejected* (cannot be a reference: unreadable, blank, too small,
or a near-duplicate that would fake the writer's variability), *warning* (the operator may
still save it: noisy scan, or inconsistent with the other references) or *ok*.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from desktop.core.errors import InputImageError
from desktop.core.preprocess import preprocess_signature
from desktop.core.verification import FORGED, SignatureVerifier

OK, WARNING, REJECTED = "ok", "warning", "rejected"
MIN_REFERENCES, MAX_REFERENCES = 3, 10
MIN_INK_WIDTH, MIN_INK_HEIGHT = 80, 25  # pixels of ink at scan resolution (≈ 8 mm at 250 dpi)
NOISE_LIMIT = 10.0  # grey levels of high-frequency noise on the paper
DUPLICATE_DISTANCE = 0.08  # embedding distance below which two references are one image
DUPLICATE_CORRELATION = 0.97  # ink-map correlation above which they are one image


@dataclass
class Candidate:
    """A signature image offered as a reference, with what the checks found."""

    name: str
    gray: np.ndarray | None
    inkmap: np.ndarray | None = None
    embedding: np.ndarray | None = None
    status: str = OK
    problems: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """True unless a check rejected it."""
        return self.status != REJECTED

    def flag(self, status: str, problem: str) -> None:
        """Record a problem; the status only ever gets worse."""
        order = (OK, WARNING, REJECTED)
        if order.index(status) > order.index(self.status):
            self.status = status
        self.problems.append(problem)

    def png(self) -> bytes:
        """The image as PNG bytes (what the store keeps; a new model re-embeds from it)."""
        assert self.gray is not None
        buf = io.BytesIO()
        Image.fromarray(self.gray).save(buf, format="PNG", optimize=True)
        return buf.getvalue()


def rejected(name: str, problem: str) -> Candidate:
    """A candidate that could not even be read."""
    cand = Candidate(name=name, gray=None)
    cand.flag(REJECTED, problem)
    return cand


def paper_noise(gray: np.ndarray) -> float:
    """High-frequency noise on the paper (grey levels): robust spread of gray - median3x3 away
    from the ink. Scanner grain and dust give high values; a clean scan is under 4."""
    blurred = cv2.GaussianBlur(gray, (0, 0), 1.0)
    t, _ = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    near_ink = cv2.dilate((blurred <= t).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    resid = gray.astype(np.float32) - cv2.medianBlur(gray, 3).astype(np.float32)
    paper = resid[~near_ink]
    if paper.size < 100:
        return 0.0
    mad = float(np.median(np.abs(paper - np.median(paper))))
    return 1.4826 * mad + float(np.mean(np.abs(paper) > 60)) * 100.0


def ink_extent(inkmap_gray: np.ndarray) -> tuple[int, int]:
    """Width and height of the ink at scan resolution (Otsu mask bounding box)."""
    blurred = cv2.GaussianBlur(inkmap_gray, (0, 0), 1.0)
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    pts = cv2.findNonZero(mask)
    if pts is None:
        return 0, 0
    _, _, w, h = cv2.boundingRect(pts)
    return int(w), int(h)


def assess(
    verifier: SignatureVerifier, candidates: Sequence[Candidate],
    existing: Sequence[tuple[str, np.ndarray]] = (),
) -> list[Candidate]:
    """Run every check on ``candidates`` (in place) and return them.

    ``existing`` are (name, embedding) of the account's active references: a candidate too
    close to one of them is a near-duplicate too.
    """
    prep = verifier.manifest.preprocessing
    for cand in candidates:
        if cand.gray is None:
            continue  # unreadable: keeps its rejection
        cand.status, cand.problems = OK, []  # assessed afresh (the set may have changed)
        try:
            cand.inkmap = preprocess_signature(cand.gray, prep, path=cand.name)
        except InputImageError as exc:
            cand.flag(REJECTED, exc.problem)
            continue
        w, h = ink_extent(cand.gray)
        if w < MIN_INK_WIDTH or h < MIN_INK_HEIGHT:
            cand.flag(REJECTED, f"too small: {w}x{h} pixels of ink (at least "
                      f"{MIN_INK_WIDTH}x{MIN_INK_HEIGHT}; scan at 200-300 dpi)")
        noise = paper_noise(cand.gray)
        if noise > NOISE_LIMIT:
            cand.flag(WARNING, f"too noisy: paper noise {noise:.0f} grey levels (clean scans "
                      f"are under {NOISE_LIMIT:.0f}); rescan if you can")
    usable = [c for c in candidates if c.usable and c.inkmap is not None]
    if not usable:
        return list(candidates)
    emb = verifier.embed_inkmaps([c.inkmap for c in usable])
    for cand, e in zip(usable, emb, strict=True):
        cand.embedding = e
    _flag_duplicates(usable, existing)
    _flag_inconsistent(verifier, [c for c in usable if c.usable], existing)
    return list(candidates)


def _flag_duplicates(cands: list[Candidate], existing: Sequence[tuple[str, np.ndarray]]) -> None:
    for i, cand in enumerate(cands):
        for name, emb in existing:
            if np.linalg.norm(cand.embedding - emb) < DUPLICATE_DISTANCE:
                cand.flag(REJECTED, f"near-duplicate of the enrolled reference {name}")
                break
        for other in cands[:i]:
            if not other.usable:
                continue
            dist = float(np.linalg.norm(cand.embedding - other.embedding))
            corr = float(np.corrcoef(cand.inkmap.ravel(), other.inkmap.ravel())[0, 1])
            if dist < DUPLICATE_DISTANCE or corr > DUPLICATE_CORRELATION:
                cand.flag(REJECTED, f"near-duplicate of {other.name} (the same signature "
                          "scanned twice adds no information about the writer's variation)")
                break


def _flag_inconsistent(verifier: SignatureVerifier, cands: list[Candidate],
                       existing: Sequence[tuple[str, np.ndarray]]) -> None:
    """Leave-one-out: a reference that the others would call forged is inconsistent."""
    pool = [c.embedding for c in cands] + [e for _, e in existing]
    if len(pool) < 3:
        return
    for i, cand in enumerate(cands):
        others = np.stack([e for j, e in enumerate(pool) if j != i])
        result = verifier.decide(others, cand.embedding)
        if result.decision == FORGED:
            cand.flag(WARNING, f"inconsistent with the other references (similarity "
                      f"{result.similarity:.2f} to them); check it is the holder's signature")
