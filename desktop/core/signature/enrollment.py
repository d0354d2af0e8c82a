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

from desktop.core.errors import N_, InputImageError, Message
from desktop.core.signature.preprocess import preprocess_signature
from desktop.core.signature.verification import FORGED, SignatureVerifier

OK, WARNING, REJECTED = "ok", "warning", "rejected"
MIN_REFERENCES, MAX_REFERENCES = 3, 10
# Pixels of ink at scan resolution: the longer side at least ~8 mm at 250 dpi, the shorter
# at least ~1.5 mm (a signature is rarely a straight stroke).
MIN_INK_LONG, MIN_INK_SHORT = 80, 15
NOISE_LIMIT = 10.0  # grey levels of high-frequency noise on the paper
# A signature is a few strokes on paper: at least this share of a scan lies more than 3
# pixels from any ink. Real scans have at least 44% (300 each of CEDAR, BHSig260 Bengali and
# the Chinese set: lowest 55%, 73%, 44%); noise, a photo or a black page has about none, and
# would otherwise be enrolled and widen the references' spread for every later check.
MIN_PAPER_SHARE = 0.2
# Near-duplicates: the same image added twice, re-saved, or the same paper scanned again.
# Measured on CEDAR (12 writers, 8 genuine each, shipped model): different genuine signatures
# of one writer reach at most 0.87 blurred ink-map correlation and no less than 0.10
# embedding distance; re-scans (+-2 deg, +-10% scale, noise) have a median correlation of
# 0.95, exact or re-encoded copies 1.0 and distance ~0. Re-measured on the shipped three-set
# model (validation writers of the three sets, 174 pairs, 124 re-scans): different genuine
# signatures at most 0.88 correlation and at least 0.37 distance; re-scans median 0.97, 0.12.
DUPLICATE_DISTANCE = 0.05
DUPLICATE_CORRELATION = 0.95
DUPLICATE_BLUR = 2.0  # pixels of Gaussian blur before correlating: tolerates 1-2 px shifts


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


@dataclass(frozen=True)
class EnrolledReference:
    """One of the account's active references, as the checks compare candidates with it:
    its name, embedding and (when its stored scan was read) ink map under the model's
    contract. Without the ink map only the embedding distance can find a near-duplicate,
    and a re-scan of the same paper is mostly further than :data:`DUPLICATE_DISTANCE`."""

    name: str
    embedding: np.ndarray
    inkmap: np.ndarray | None = None


def rejected(name: str, problem: str) -> Candidate:
    """A candidate that could not even be read."""
    cand = Candidate(name=name, gray=None)
    cand.flag(REJECTED, problem)
    return cand


def paper_of(gray: np.ndarray) -> np.ndarray:
    """Where a scan is paper: more than 3 pixels from the Otsu ink (boolean, its shape)."""
    blurred = cv2.GaussianBlur(gray, (0, 0), 1.0)
    t, _ = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return cv2.dilate((blurred <= t).astype(np.uint8), np.ones((7, 7), np.uint8)) == 0


def paper_noise(gray: np.ndarray, paper_mask: np.ndarray | None = None) -> float:
    """High-frequency noise on the paper (grey levels): robust spread of gray - median3x3 away
    from the ink (``paper_mask``: :func:`paper_of`, when already found). Scanner grain and
    dust give high values; a clean scan is under 4."""
    paper_mask = paper_of(gray) if paper_mask is None else paper_mask
    resid = gray.astype(np.float32) - cv2.medianBlur(gray, 3).astype(np.float32)
    paper = resid[paper_mask]
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
    existing: Sequence[EnrolledReference] = (),
) -> list[Candidate]:
    """Run every check on ``candidates`` (in place) and return them.

    ``existing`` are the account's active references: a candidate that one of them
    duplicates (the same tests as between candidates: embedding distance, and the blurred
    ink-map correlation where the reference's ink map is given) is rejected too, and the
    leave-one-out consistency check counts them.
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
        if max(w, h) < MIN_INK_LONG or min(w, h) < MIN_INK_SHORT:
            cand.flag(REJECTED, Message(N_("too small: {size} pixels of ink (the longer side "
                                           "needs {long}, the shorter {short}; scan at 200-300 "
                                           "dpi)"), size=f"{w}x{h}", long=MIN_INK_LONG,
                                        short=MIN_INK_SHORT))
        paper = paper_of(cand.gray)
        if paper.mean() < MIN_PAPER_SHARE:
            cand.flag(REJECTED, Message(N_(
                "not a signature on paper: only {share} of the scan is clear of ink (a "
                "signature leaves at least {least}); scan the signature itself"),
                share=f"{paper.mean():.0%}", least=f"{MIN_PAPER_SHARE:.0%}"))
            continue
        noise = paper_noise(cand.gray, paper)
        if noise > NOISE_LIMIT:
            cand.flag(WARNING, Message(N_("too noisy: paper noise {noise} grey levels (clean "
                                          "scans are under {limit}); rescan if you can"),
                                       noise=f"{noise:.0f}", limit=f"{NOISE_LIMIT:.0f}"))
    usable = [c for c in candidates if c.usable and c.inkmap is not None]
    if not usable:
        return list(candidates)
    emb = verifier.embed_inkmaps([c.inkmap for c in usable])
    for cand, e in zip(usable, emb, strict=True):
        cand.embedding = e
    _flag_duplicates(usable, existing)
    _flag_inconsistent(verifier, [c for c in usable if c.usable], existing)
    return list(candidates)


def blurred_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two ink maps after a blur of ``DUPLICATE_BLUR`` pixels: above
    ``DUPLICATE_CORRELATION`` they are the same signature twice."""
    a = cv2.GaussianBlur(a, (0, 0), DUPLICATE_BLUR)
    b = cv2.GaussianBlur(b, (0, 0), DUPLICATE_BLUR)
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def is_duplicate(a_embedding: np.ndarray, a_inkmap: np.ndarray | None,
                 b_embedding: np.ndarray, b_inkmap: np.ndarray | None) -> bool:
    """Whether two signatures are the same one twice (the same image, re-saved, or the same
    paper scanned again): embedding distance under :data:`DUPLICATE_DISTANCE`, or blurred
    ink-map correlation above :data:`DUPLICATE_CORRELATION` when both ink maps are known."""
    if float(np.linalg.norm(a_embedding - b_embedding)) < DUPLICATE_DISTANCE:
        return True
    return (a_inkmap is not None and b_inkmap is not None
            and blurred_correlation(a_inkmap, b_inkmap) > DUPLICATE_CORRELATION)


def _flag_duplicates(cands: list[Candidate], existing: Sequence[EnrolledReference]) -> None:
    """Reject a candidate that duplicates an enrolled reference or an earlier usable
    candidate: both with the same tests, so the same paper re-scanned is caught whether its
    original is in this session or was enrolled before."""
    for i, cand in enumerate(cands):
        for ref in existing:
            if is_duplicate(cand.embedding, cand.inkmap, ref.embedding, ref.inkmap):
                cand.flag(REJECTED, Message(N_("near-duplicate of the enrolled reference "
                                               "{name}"), name=ref.name))
                break
        for other in cands[:i]:
            if not other.usable:
                continue
            if is_duplicate(cand.embedding, cand.inkmap, other.embedding, other.inkmap):
                cand.flag(REJECTED, Message(N_(
                    "near-duplicate of {name} (the same signature scanned twice adds no "
                    "information about the writer's variation)"), name=other.name))
                break


def _flag_inconsistent(verifier: SignatureVerifier, cands: list[Candidate],
                       existing: Sequence[EnrolledReference]) -> None:
    """Leave-one-out: a reference that the others would call forged is inconsistent."""
    pool = [c.embedding for c in cands] + [r.embedding for r in existing]
    if len(pool) < 3:
        return
    for i, cand in enumerate(cands):
        others = np.stack([e for j, e in enumerate(pool) if j != i])
        result = verifier.decide(others, cand.embedding)
        if result.decision == FORGED:
            cand.flag(WARNING, Message(N_("inconsistent with the other references (similarity "
                                          "{similarity} to them); check it is the holder's "
                                          "signature"), similarity=f"{result.similarity:.2f}"))
