"""The reference sides a banknote check searches pictures for, each prepared once.

The model's shipped reference pictures and the operator's enrolled notes (from the store) are
decoded and their keypoints found the first time a check needs them, and kept with one
nearest-neighbour index over all of them (:class:`desktop.core.banknote.register.SideIndex`),
built again only when the enrolled notes change. A store row is trusted no further than its
bytes: an enrolled note whose stored image changed is a new side, under a new digest.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

import cv2
import numpy as np

from desktop.core.banknote.manifest import BanknoteManifest, listed_bytes
from desktop.core.banknote.register import ReferenceSide, SideIndex
from desktop.core.banknote.results import EnrolledNote
from desktop.core.errors import N_, InputImageError, Message, ModelError


def decode_enrolled(note: EnrolledNote) -> np.ndarray:
    """An enrolled note's stored image (BGR); raises naming the note when it cannot be read."""
    image = cv2.imdecode(np.frombuffer(note.image_png, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise InputImageError(f"enrolled note {note.id}", Message(N_(
            "its stored image cannot be decoded; revoke it and enroll it again")))
    return image


class ReferenceSides:
    """The shipped and enrolled reference sides of one model, prepared once each."""

    def __init__(self, manifest: BanknoteManifest) -> None:
        self.manifest = manifest
        self._images: dict[int, np.ndarray] = {}
        self._shipped: dict[int, ReferenceSide] = {}
        # enrolled note id -> (its stored image as last seen, its side)
        self._enrolled: dict[int, tuple[bytes, ReferenceSide]] = {}
        self._index: tuple[tuple[str, ...], SideIndex] | None = None
        # Checks run on worker threads, and an operator may enroll while one runs: each
        # call gets the index of the notes it was given, never another thread's.
        self._lock = threading.RLock()

    @property
    def indexed(self) -> tuple[str, ...]:
        """The sources (``shipped:<i>``, ``enrolled:<id>:<digest>``) of the index built last;
        empty before the first."""
        return self._index[0] if self._index is not None else ()

    def shipped_image(self, index: int) -> np.ndarray:
        """The shipped reference note ``index`` (rectified BGR), decoded once."""
        if index not in self._images:
            path = self.manifest.reference_files[index]
            # Hashed as read (the first check may come hours after the model loaded): a
            # picture swapped since is refused, not searched for.
            m = self.manifest
            data = listed_bytes(m.folder, path, m.raw, bool(m.raw.get("files")))
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if image is None:
                raise ModelError(path, "a reference note image of the model cannot be read")
            self._images[index] = image
        return self._images[index]

    def shipped_side(self, index: int) -> ReferenceSide:
        """The shipped reference note ``index`` as a side to search for."""
        if index not in self._shipped:
            self._shipped[index] = ReferenceSide.from_image(
                self.manifest.reference_keys[index], f"shipped:{index}",
                self.shipped_image(index))
        return self._shipped[index]

    def enrolled_side(self, note: EnrolledNote) -> ReferenceSide:
        """An enrolled note's side. The stored image's digest is part of its name (and so of
        the audit's verified side): a row whose image changed is a new side. Comparing the
        bytes with those last seen is a memory compare, where hashing every enrolled image
        at every check cost 12 ms with 30 sides."""
        hit = self._enrolled.get(note.id)
        if hit is None or hit[1].key != note.key or hit[0] != note.image_png:
            digest = hashlib.sha256(note.image_png).hexdigest()[:16]
            side = ReferenceSide.from_image(note.key, f"enrolled:{note.id}:{digest}",
                                            decode_enrolled(note))
            hit = self._enrolled[note.id] = (note.image_png, side)
        return hit[1]

    def index(self, enrolled: Sequence[EnrolledNote] = ()) -> SideIndex:
        """The local-feature index of every shipped side and of the ``enrolled`` notes."""
        with self._lock:
            sides = [self.shipped_side(i) for i in range(len(self.manifest.reference_keys))]
            sides += [self.enrolled_side(note) for note in enrolled]
            sources = tuple(side.source for side in sides)
            built = self._index
            if built is None or built[0] != sources:
                built = self._index = (sources, SideIndex(sides))
                ids = {note.id for note in enrolled}  # forget revoked notes
                self._enrolled = {i: v for i, v in self._enrolled.items() if i in ids}
            return built[1]
