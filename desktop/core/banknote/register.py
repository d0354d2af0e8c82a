"""Find a banknote by its printed detail: local features matched against reference sides.

A reference side is one upright picture of one side of one denomination (a shipped reference
or an operator's enrolled note), normalised to :data:`REFERENCE_WIDTH` pixels wide. Its
RootSIFT keypoints (:mod:`desktop.core.banknote.keypoints`) go into a :class:`SideIndex`.
A picture to check is searched as a whole (no detector has to find the note first):

1. **Shortlist.** The picture's keypoints are looked up in a kd-tree over every side's
   descriptors: a quick lookup first, a wide one (more neighbours, more of the trees
   visited) only when the quick one verified no side, and last, when neither did, the wide
   one on finer keypoints (``FINE_CONTRAST``). Each keypoint votes for the side
   holding its nearest descriptor when that neighbour passes Lowe's ratio test against the
   nearest neighbour of *another* denomination side; the :data:`SHORTLIST` sides with most
   votes go on.
2. **Verify.** Each shortlisted side's matches are read from the same neighbours (ratio test
   between that side's two nearest descriptors), and a homography from the reference to the
   picture is fitted with MAGSAC. It must pass sanity checks: enough
   inliers, spread over the note (not one logo), a convex outline with plausible angles and
   scale, and the picture warped back into the reference frame must correlate with the
   reference (gradient images; this rejects a fit made of repeated patterns).
3. **Register.** The best verified side names the denomination and the side; its homography
   gives the note's outline in the picture and warps the note upright into the reference's
   frame, which settles its orientation and lets later checks compare it region by region.

Several notes in one picture are found one after the other: the keypoints inside a found
note are removed and the search runs again (:meth:`SideIndex.find_notes`).

Only numpy and OpenCV: no Qt, no torch.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import cv2
import numpy as np

from desktop.core.banknote.keypoints import (
    FINE_CONTRAST,
    LocalFeatures,
    gray_of,
    local_features,
    stretched,
)
from desktop.core.banknote.regions import (
    CORR_WIDTH,
    aligned_gradients,
    gradient_image,
    pearson,
)
from desktop.core.cancel import checkpoint

REFERENCE_WIDTH = 640  # a reference side's picture is resized to this width
RATIO = 0.8  # Lowe's ratio test
# Sides verified by a homography per search. A longer one changes nothing on validation
# (BRL scans, 30-300 enrolled sides, 2 to 16: benchmarks/banknote_shortlist.py): what
# loses notes as sides grow is the neighbour lookup: with more sides, a side's own
# descriptors drop out of a short list of neighbours.
SHORTLIST = 4
# Lookups as (neighbours per keypoint, leaves of the kd-trees visited). On validation (same
# sweep) the quick one named 58% / 51% / 47% of the scans right at 30 / 100 / 300 enrolled
# sides, the wide one 66% / 60% / 56%, with 0.3-0.9% named wrong either way (96 / 384 gained
# 1-1.5 points more at 100 and 300 sides, lost 2 at 30). The wide one costs about 65 ms more
# per picture at 30 sides, so it runs only where the quick one verified nothing.
QUICK_LOOKUP = (16, 48)
WIDE_LOOKUP = (64, 192)
# Chosen on validation pictures (EUR/BRL scans of the other capture condition, dong photos,
# pictures without a note; `python benchmarks/banknote_register_sweep.py`): 15 inliers name no
# wrong scan (12 named 2-4% of BRL halves wrong), and a spread measured over the visible part
# lets a quarter of a note through.
MIN_INLIERS = 15
MIN_SPREAD = 0.15  # inliers' hull over the part of the reference inside the picture
MIN_CORRELATION = 0.25  # gradient correlation of the registered note with its reference
MIN_VISIBLE = 0.15  # share of the reference inside the picture (a quarter of a note passes)
MAX_STRETCH = 5.0  # largest over smallest scale of the homography at the note's centre
MAX_NOTES = 6
FLANN_SEED = 20261201
# OpenCV FLANN index: four randomised kd-trees. Hierarchical k-means (branching 32) finds more
# of the true nearest neighbours in less time (the right first neighbour for 90% of a dong
# photo's keypoints against 73% with the wide lookup) but on validation named fewer dong
# photos right (19.2% / 54.2% against 20.8% / 57.1%) and let twice as many BRL notes not
# enrolled pass as another (11.5% against 5.2%): the ratio test and the lookups were chosen
# with these trees (scratch run through `banknote-evaluate --real`, 2026-12-07).
FLANN_INDEX = {"algorithm": 1, "trees": 4}
# A picture's keypoints are looked up in this many parts at once (the kd-tree lookup is most
# of a check's time and OpenCV lets go of Python's lock while it searches; each keypoint's
# neighbours are the same however the keypoints are split). A part has at least
# LOOKUP_PART keypoints: fewer are not worth a thread.
LOOKUP_THREADS = min(4, os.cpu_count() or 1)
LOOKUP_PART = 128


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """The threads that share a picture's lookup (made at first use, kept for the process)."""
    return ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="side-lookup")


def reference_picture(image: np.ndarray) -> np.ndarray:
    """An upright note (BGR) resized to :data:`REFERENCE_WIDTH` wide, landscape."""
    if image.shape[0] > image.shape[1]:
        image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    h, w = image.shape[:2]
    height = max(1, round(h * REFERENCE_WIDTH / w))
    interp = cv2.INTER_AREA if w > REFERENCE_WIDTH else cv2.INTER_CUBIC
    return cv2.resize(image, (REFERENCE_WIDTH, height), interpolation=interp)


@dataclass(frozen=True)
class ReferenceSide:
    """One reference side: its class key, where it comes from (``"shipped:<i>"`` or
    ``"enrolled:<id>"``), its picture (BGR, :data:`REFERENCE_WIDTH` wide) and keypoints."""

    key: str
    source: str
    image: np.ndarray
    features: LocalFeatures
    gradient: np.ndarray  # at the correlation's width

    @classmethod
    def from_image(cls, key: str, source: str, image: np.ndarray) -> ReferenceSide:
        """Normalise an upright note picture and find its keypoints."""
        picture = reference_picture(image)
        h, w = picture.shape[:2]
        small = cv2.resize(gray_of(picture), (CORR_WIDTH, max(1, round(h * CORR_WIDTH / w))),
                           interpolation=cv2.INTER_AREA)
        return cls(key, source, picture, local_features(picture, REFERENCE_WIDTH),
                   gradient_image(small))

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the reference picture."""
        return self.image.shape[1], self.image.shape[0]


@dataclass(frozen=True)
class Registration:
    """A reference side verified in a picture.

    ``homography`` maps reference pixels to picture pixels; ``quad`` is the note's outline in
    the picture (the reference's TL, TR, BR, BL corners); ``inliers`` and ``matches`` count
    the homography's inliers and the ratio-test matches it was fitted to; ``spread`` is the
    inliers' hull over the reference's area; ``correlation`` that of the registered note's
    gradients with the reference's; ``visible`` the share of the note inside the picture."""

    side: ReferenceSide
    homography: np.ndarray
    quad: np.ndarray
    inliers: int
    matches: int
    spread: float
    correlation: float
    visible: float

    @property
    def key(self) -> str:
        """The class key of the verified side."""
        return self.side.key

    def registered(self, picture: np.ndarray) -> np.ndarray:
        """The note warped upright into its reference's frame (BGR; outside the picture is
        black)."""
        w, h = self.side.size
        return cv2.warpPerspective(picture, self.homography, (w, h),
                                   flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_CONSTANT)

    def inside(self, picture_shape: tuple[int, ...]) -> np.ndarray:
        """Which pixels of the registered note (bool, reference frame) lie in the picture."""
        w, h = self.side.size
        ones = np.full(picture_shape[:2], 255, np.uint8)
        return cv2.warpPerspective(ones, self.homography, (w, h),
                                   flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP) > 0


@dataclass(frozen=True)
class Attempt:
    """One shortlisted side and why it was or was not verified (for reports and tests)."""

    side: ReferenceSide
    votes: int
    registration: Registration | None
    problem: str | None


def _convex_quad_ok(quad: np.ndarray) -> str | None:
    """None when the outline is a convex quadrilateral with corner angles in 25-155 degrees."""
    cross = []
    for i in range(4):
        a, b, c = quad[i], quad[(i + 1) % 4], quad[(i + 2) % 4]
        u, v = b - a, c - b
        cross.append(float(u[0] * v[1] - u[1] * v[0]))
        cos = float(np.dot(-u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9))
        if not -0.906 <= cos <= 0.906:  # cos 25 degrees
            return "the fitted outline has a corner sharper than 25 degrees"
    if not (all(c > 0 for c in cross) or all(c < 0 for c in cross)):
        return "the fitted outline is not convex"
    return None


def _stretch(h: np.ndarray, point: np.ndarray) -> float:
    """Largest over smallest singular value of the homography's Jacobian at ``point``."""
    x, y = float(point[0]), float(point[1])
    p = h @ np.array([x, y, 1.0])
    w = p[2]
    if abs(w) < 1e-9:
        return float("inf")
    jac = (h[:2, :2] * w - np.outer(p[:2], h[2, :2])) / (w * w)
    s = np.linalg.svd(jac, compute_uv=False)
    return float(s[0] / max(s[1], 1e-9))


@dataclass(frozen=True)
class _Neighbours:
    """The ``k`` nearest reference descriptors of each query keypoint, over every side:
    indices into the index's descriptor table and L2 distances, both (N, k)."""

    index: np.ndarray
    distance: np.ndarray

    def subset(self, keep: np.ndarray) -> _Neighbours:
        return _Neighbours(self.index[keep], self.distance[keep])


class SideIndex:
    """The reference sides to search pictures for, with one nearest-neighbour index over all
    their descriptors. The picture's keypoints are looked up once; the shortlist's votes and
    every side's matches are read from those neighbours."""


    def __init__(self, sides: Sequence[ReferenceSide]) -> None:
        self.sides = [s for s in sides if len(s.features) >= MIN_INLIERS]
        counts = [len(s.features) for s in self.sides]
        self._owner = np.repeat(np.arange(len(self.sides), dtype=np.int32), counts)
        self._start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        keys = sorted({s.key for s in self.sides})
        self._key_of_side = np.array([keys.index(s.key) for s in self.sides], np.int32)
        self._all = np.concatenate([s.features.descriptors for s in self.sides]) \
            if self.sides else np.zeros((0, 128), np.float32)
        self._flann: cv2.flann_Index | None = None

    def __len__(self) -> int:
        return len(self.sides)

    def neighbours(self, query: LocalFeatures, lookup: tuple[int, int] = QUICK_LOOKUP
                   ) -> _Neighbours:
        """Each query keypoint's nearest reference descriptors (approximate: kd-trees);
        ``lookup`` is (neighbours per keypoint, leaves visited)."""
        k = min(lookup[0], len(self._all))
        if len(query) == 0 or k < 2:
            return _Neighbours(np.zeros((len(query), 0), np.int32),
                               np.zeros((len(query), 0), np.float32))
        if self._flann is None:
            # The kd-trees split at random (OpenCV's per-thread generator, which other work
            # advances): seeded, the same references give the same index and so the same
            # result for the same picture, whatever ran before.
            cv2.setRNGSeed(FLANN_SEED)
            self._flann = cv2.flann_Index(self._all, FLANN_INDEX)
        flann, params = self._flann, {"checks": lookup[1]}
        parts = min(LOOKUP_THREADS, len(query) // LOOKUP_PART)
        if parts <= 1:
            idx, sq = flann.knnSearch(query.descriptors, k, params=params)
        else:
            found = list(_pool().map(lambda d: flann.knnSearch(d, k, params=params),
                                     np.array_split(query.descriptors, parts)))
            idx = np.concatenate([f[0] for f in found])
            sq = np.concatenate([f[1] for f in found])
        return _Neighbours(idx.astype(np.int64), np.sqrt(np.maximum(sq, 0.0)))

    def _votes(self, nb: _Neighbours) -> np.ndarray:
        """Votes per side: a keypoint's nearest descriptor, when it passes the ratio test
        against the nearest descriptor of another denomination side."""
        votes = np.zeros(len(self.sides), np.int64)
        if nb.index.shape[1] < 2:
            return votes
        owner = self._owner[nb.index]
        key = self._key_of_side[owner]
        other = key != key[:, :1]
        has_other = other.any(axis=1)
        d_other = nb.distance[np.arange(len(key)), other.argmax(axis=1)]
        vote = ~has_other | (nb.distance[:, 0] < RATIO * d_other)
        return np.bincount(owner[vote, 0], minlength=len(self.sides))

    def _matches(self, nb: _Neighbours, side: int) -> tuple[np.ndarray, np.ndarray]:
        """(query keypoint, reference keypoint) pairs for one side that pass the ratio test
        between the side's two nearest descriptors. When the side's second one is not among
        the k neighbours, the k-th distance stands for it (it can only be farther, so the
        test is then stricter, never looser)."""
        mine = self._owner[nb.index] == side
        n, k = mine.shape
        rows = np.arange(n)
        has = mine.any(axis=1)
        first = mine.argmax(axis=1)
        rest = mine.copy()
        rest[rows, first] = False
        second = np.where(rest.any(axis=1), rest.argmax(axis=1), k - 1)
        d1, d2 = nb.distance[rows, first], nb.distance[rows, second]
        good = has & (d1 < RATIO * d2)
        q = rows[good]
        return q, nb.index[q, first[good]] - self._start[side]

    def verify(self, query: LocalFeatures, nb: _Neighbours, side_no: int
               ) -> tuple[Registration | None, str | None]:
        """Fit one side to the picture's keypoints and run the sanity checks:
        (registration or None, the problem)."""
        side = self.sides[side_no]
        q_idx, r_idx = self._matches(nb, side_no)
        if len(q_idx) < MIN_INLIERS:
            return None, f"{len(q_idx)} keypoint matches (at least {MIN_INLIERS} needed)"
        src = side.features.points[r_idx]
        dst = query.points[q_idx]
        threshold = 0.01 * max(query.size)  # about 6 pixels on a 640-pixel picture
        h, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, threshold)
        if h is None or mask is None:
            return None, "no homography fits the matches"
        inl = mask.ravel().astype(bool)
        n_in = int(inl.sum())
        if n_in < MIN_INLIERS:
            return None, f"{n_in} matches agree (at least {MIN_INLIERS} needed)"
        w, hh = side.size
        corners = np.float32([[0, 0], [w, 0], [w, hh], [0, hh]])
        quad = cv2.perspectiveTransform(corners[None], h)[0]
        problem = _convex_quad_ok(quad)
        if problem:
            return None, problem
        stretch = _stretch(h, np.array([w / 2, hh / 2]))
        if stretch > MAX_STRETCH:
            return None, f"the fitted view is stretched {stretch:.1f} times"
        qw, qh = query.size
        frame = np.float32([[0, 0], [qw, 0], [qw, qh], [0, qh]])
        inside, _ = cv2.intersectConvexConvex(quad.astype(np.float32), frame)
        visible = min(1.0, float(inside) / max(float(cv2.contourArea(quad)), 1e-9))
        if visible < MIN_VISIBLE:
            return None, f"only {visible:.0%} of the note would be in the picture"
        # Spread over the part of the note in the picture (a quarter of a note is a quarter).
        hull = cv2.convexHull(src[inl].astype(np.float32))
        spread = float(cv2.contourArea(hull)) / (float(w * hh) * visible)
        if spread < MIN_SPREAD:
            return None, f"the agreeing matches cover {spread:.0%} of the note's visible part"
        return Registration(side, h, quad, n_in, len(q_idx), spread, 0.0, visible), None

    def correlation(self, picture_gray: np.ndarray, reg: Registration) -> float:
        """Correlation of the registered note's gradients with the reference's, over the
        part of the note inside the picture."""
        a, b, valid = aligned_gradients(picture_gray, reg)
        if valid.sum() < 0.1 * valid.size:
            return 0.0
        return pearson(a[valid], b[valid])

    def search(self, picture: np.ndarray, query: LocalFeatures | None = None,
               picture_gray: np.ndarray | None = None,
               neighbours: _Neighbours | None = None) -> list[Attempt]:
        """Shortlist and verify sides for one picture (BGR or grey); every attempt, the
        verified ones first (most inliers first). ``query`` and ``neighbours`` may be given
        (a subset of a picture's keypoints, already looked up)."""
        gray = gray_of(picture) if picture_gray is None else picture_gray
        query = local_features(gray) if query is None else query
        if not self.sides or len(query) < MIN_INLIERS:
            return []
        nb = self.neighbours(query) if neighbours is None else neighbours
        votes = self._votes(nb)
        attempts = []
        for i in np.argsort(-votes, kind="stable")[:SHORTLIST]:
            checkpoint()  # each side is a RANSAC fit: a cancelled check stops between them
            reg, problem = self.verify(query, nb, int(i))
            if reg is not None:
                corr = self.correlation(gray, reg)
                reg = replace(reg, correlation=corr)
                if corr < MIN_CORRELATION:
                    problem = (f"the note does not look like the reference once aligned "
                               f"(correlation {corr:.2f}, at least {MIN_CORRELATION})")
            attempts.append(Attempt(self.sides[int(i)], int(votes[i]),
                                    reg if problem is None else None, problem))
        attempts.sort(key=lambda a: (a.registration is None,
                                     -(a.registration.inliers if a.registration else a.votes)))
        return attempts

    def search_picture(self, picture: np.ndarray, gray: np.ndarray, query: LocalFeatures
                       ) -> tuple[list[Attempt], _Neighbours, LocalFeatures]:
        """:meth:`search` with the quick lookup, again with the wide one when the quick one
        verified no side, and once more on finer keypoints (:data:`FINE_CONTRAST`, on the
        picture's contrast :func:`stretched`) when neither did; the attempts, and the
        neighbours and keypoints they came from."""
        tries = ((query, QUICK_LOOKUP), (query, WIDE_LOOKUP), (None, WIDE_LOOKUP))
        for keypoints, lookup in tries:
            if keypoints is None:
                keypoints = local_features(stretched(gray), contrast=FINE_CONTRAST)
            nb = self.neighbours(keypoints, lookup)
            attempts = self.search(picture, keypoints, gray, nb)
            if attempts and attempts[0].registration is not None:
                break
        return attempts, nb, keypoints

    def find_notes(self, picture: np.ndarray, max_notes: int = MAX_NOTES) -> list[Registration]:
        """Every note found in a picture, one search after another (the keypoints inside a
        found note are set aside before the next search; the wide lookup once the quick one
        finds no more), largest first."""
        gray = gray_of(picture)
        query = local_features(gray)
        nb, wide = self.neighbours(query, QUICK_LOOKUP), False
        found: list[Registration] = []
        while len(found) < max_notes and len(query) >= MIN_INLIERS:
            attempts = self.search(picture, query, gray, nb)
            if not attempts or attempts[0].registration is None:
                if wide:
                    break
                nb, wide = self.neighbours(query, WIDE_LOOKUP), True
                continue
            reg = attempts[0].registration
            found.append(reg)
            outside = ~inside_outline(reg.quad, query.points)
            query, nb = query.subset(outside), nb.subset(outside)
        return sorted(found, key=lambda r: -abs(cv2.contourArea(r.quad.astype(np.float32))))


def inside_outline(quad: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Which points (N, 2) lie inside or on a note's outline (4, 2)."""
    outline = quad.reshape(-1, 1, 2).astype(np.float32)
    return np.array([cv2.pointPolygonTest(outline, (float(x), float(y)), False) >= 0
                     for x, y in points], bool)
