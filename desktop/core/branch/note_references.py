"""Reference notes an operator offers for enrollment: the candidate picture (the note found,
straightened, upright, embedded), the rules a new denomination side must follow (its key, the
denomination written one way, 1 to 5 pictures, no near-duplicates, a short series label), and
the stored notes read back.
:class:`desktop.core.branch.banknotes.BanknoteService` enrolls them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import cv2
import numpy as np

from desktop.core.banknote.manifest import NoteClass, class_key
from desktop.core.errors import N_, Message, ServiceError
from desktop.core.store.records import BanknoteReference

MIN_NOTE_REFERENCES, MAX_NOTE_REFERENCES = 1, 5
DUPLICATE_DISTANCE = 0.02  # embeddings closer than this are the same picture twice
SIDES = ("front", "back")
MAX_SERIES_CHARS = 40
# A denomination as an operator may write it (50, 50.00, 0.5, .5, 1E2), at most this long:
# far below the 28 digits decimal arithmetic keeps, so nothing is rounded.
DENOMINATION = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
MAX_DENOMINATION_CHARS = 20
MAX_DENOMINATION_DIGITS, MAX_DENOMINATION_DECIMALS = 9, 4


@dataclass(frozen=True)
class NoteCandidate:
    """A picture offered as a reference note: the note found in it, straightened and upright
    (BGR), and its embedding; or, when it cannot be used, ``problem`` says why."""

    name: str
    image: np.ndarray | None
    embedding: np.ndarray | None
    problem: str | None = None
    model_id: str = ""  # the model that made ``embedding``
    embed: Callable[[list[np.ndarray]], np.ndarray] | None = field(
        default=None, repr=False, compare=False)

    @property
    def usable(self) -> bool:
        """True when the candidate can be enrolled."""
        return self.problem is None and self.image is not None and self.embedding is not None

    def turned(self) -> NoteCandidate:
        """The same note turned 180 degrees and embedded again (the operator's "Turn" when
        the detector's upright guess is wrong for a new design). The problem, if any, stays."""
        if self.image is None or self.embed is None:
            raise ServiceError(Message(N_("{name}: there is no note to turn ({problem})"),
                                       name=self.name, problem=self.problem)
                               if self.problem else
                               Message(N_("{name}: there is no note to turn"), name=self.name))
        image = cv2.rotate(self.image, cv2.ROTATE_180)
        return replace(self, image=image, embedding=self.embed([image])[0])

    def png(self) -> bytes:
        """The straightened note as PNG bytes (what the store keeps)."""
        if self.image is None:
            raise ServiceError(Message(N_("{name}: there is no note image to store"),
                                       name=self.name))
        ok, buf = cv2.imencode(".png", self.image)
        if not ok:
            raise ServiceError(Message(N_("{name}: the note image cannot be encoded as PNG"),
                                       name=self.name))
        return buf.tobytes()


def canonical_denomination(denomination: str) -> str:
    """A denomination written the one way a key holds it, so that one note has one key: a
    positive number without trailing zeros or exponent (``50.00`` -> ``50``, ``0.50`` ->
    ``0.5``, ``1E2`` -> ``100``), at most 9 digits before the point and 4 after.
    ``ServiceError`` saying what is wrong otherwise."""
    text = denomination.strip()
    if not DENOMINATION.fullmatch(text):
        raise ServiceError(Message(N_("the denomination must be a number like 20 or 0.50, not "
                                      "{denomination}"), denomination=repr(denomination)))
    value = Decimal(text)
    if value <= 0:
        raise ServiceError(Message(N_("the denomination must be more than 0")))
    # The leading digit's place first (1E999999999 cannot even be normalised); then, with
    # the trailing zeros gone (exact: the text is far shorter than the context's precision),
    # the last decimal's place.
    exponent = (value.normalize().as_tuple().exponent
                if len(text) <= MAX_DENOMINATION_CHARS
                and -MAX_DENOMINATION_DECIMALS <= value.adjusted() < MAX_DENOMINATION_DIGITS
                else None)
    if not isinstance(exponent, int) or exponent < -MAX_DENOMINATION_DECIMALS:
        raise ServiceError(Message(N_("the denomination {denomination} is out of range: at most "
                                      "{digits} digits before the point and {decimals} after"),
                                   denomination=repr(denomination),
                                   digits=MAX_DENOMINATION_DIGITS,
                                   decimals=MAX_DENOMINATION_DECIMALS))
    return f"{value.normalize():f}"


def note_key(currency: str, denomination: str, side: str) -> str:
    """Validate an operator's class and return its key (``ServiceError`` saying what is
    wrong): currency 2-4 letters (upper-cased), denomination a positive number written as
    :func:`canonical_denomination` writes it (``EUR/50`` and ``EUR/50.00`` are one note),
    side front or back."""
    cur = currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{2,4}", cur):
        raise ServiceError(Message(N_("the currency must be 2 to 4 letters (like ARC), not "
                                      "{currency}"), currency=repr(currency)))
    denom = canonical_denomination(denomination)
    if side.strip().lower() not in SIDES:
        raise ServiceError(Message(N_("the side must be front or back, not {side}"),
                                   side=repr(side)))
    return class_key(cur, denom, side)


def stored_key(key: str) -> str:
    """A stored reference's class key with its denomination written as :func:`note_key`
    writes it now (references enrolled before that was so may say ``EUR-50.00-back``: the
    same note as ``EUR-50-front``). A key whose denomination is not a number is kept."""
    parts = key.split("-")
    if len(parts) != 3:
        return key
    try:
        return class_key(parts[0], canonical_denomination(parts[1]), parts[2])
    except ServiceError:
        return key


def class_order(note: NoteClass) -> tuple[str, float, str, str]:
    """Sort key of a denomination side: currency, value, the denomination as written, side."""
    try:
        value = float(note.denomination)
    except ValueError:
        value = float("inf")
    return note.currency, value, note.denomination, note.side


def decode_note(ref: BanknoteReference) -> np.ndarray:
    """A stored reference note's image back to BGR (``ServiceError`` when it cannot be)."""
    image = cv2.imdecode(np.frombuffer(ref.image_png, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ServiceError(Message(N_("banknote reference {ref} ({name}): its stored image "
                                      "cannot be decoded; revoke it and enroll it again"),
                                   ref=ref.id, name=ref.source_name or ref.key))
    return image


def _close(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """True when two embeddings are within :data:`DUPLICATE_DISTANCE` (the same picture)."""
    if a is None or b is None or a.shape != b.shape:
        return False
    return float(np.linalg.norm(a - b)) < DUPLICATE_DISTANCE


def near_duplicates(embeddings: Sequence[np.ndarray | None]) -> dict[int, int]:
    """{index: earlier index} for embeddings within :data:`DUPLICATE_DISTANCE` of an
    earlier one."""
    out: dict[int, int] = {}
    for i, e in enumerate(embeddings):
        for j in range(i):
            if j not in out and _close(e, embeddings[j]):
                out[i] = j
                break
    return out


def duplicates_of(new: Sequence[np.ndarray | None],
                  stored: Sequence[np.ndarray | None]) -> dict[int, int]:
    """{index in ``new``: index in ``stored``} for new embeddings within
    :data:`DUPLICATE_DISTANCE` of a stored one (a picture already enrolled)."""
    out: dict[int, int] = {}
    for i, e in enumerate(new):
        j = next((j for j, other in enumerate(stored) if _close(e, other)), None)
        if j is not None:
            out[i] = j
    return out
