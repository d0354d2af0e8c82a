"""What a banknote check gives the clerk: the readings, the verdict and its reasons, and the
reference notes it is near to; and the comparison of a note's two sides.

Plain data (numpy only): made by :class:`desktop.core.banknote.model.BanknoteModel`, shown by
the banknote screen and written to the audit log by the branch service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from desktop.core.banknote.detect import NoteReading
from desktop.core.banknote.manifest import NoteClass, side_word
from desktop.core.banknote.regions import outline_regions
from desktop.core.banknote.register import Attempt, Registration
from desktop.core.errors import N_, Message

GENUINE, SUSPECT = "genuine", "suspect"  # a note's verdicts


# A reason or caveat shown with a banknote verdict (a sentence a window translates).
Reason = Message


@dataclass(frozen=True)
class EnrolledNote:
    """A reference note enrolled by an operator (from the store): its class, series label,
    rectified image (PNG bytes) and embedding."""

    id: int
    key: str
    series: str
    embedding: np.ndarray
    image_png: bytes  # the rectified note as enrolled: shown next to checks it is near to


@dataclass(frozen=True)
class Centroid:
    """One genuine cluster: a shipped class centroid (``n_references`` None) or the mean of
    one enrolled series' references."""

    key: str
    vector: np.ndarray
    n_references: int | None = None
    series: str = ""


@dataclass(frozen=True)
class ClassScore:
    """A denomination reading: the class, its confidence and distance to its centroid."""

    note: NoteClass
    confidence: float
    distance: float
    centroid: Centroid


@dataclass(frozen=True)
class NearestReference:
    """A reference note near the query: shipped (``enrolled_id`` None) or enrolled."""

    key: str
    distance: float
    image: np.ndarray  # BGR, rectified
    enrolled_id: int | None = None


@dataclass
class BanknoteCheck:
    """Everything a clerk sees about one checked note."""

    reading: NoteReading
    turned: bool  # the note was read turned 180 degrees from the detector's upright guess
    note_image: np.ndarray  # rectified, as read (BGR)
    embedding: np.ndarray
    top: list[ClassScore]  # best first, at most 3
    svm_class: NoteClass | None  # the multi-class SVM's reading; None for enrolled classes
    verdict: str  # "genuine" or "suspect"
    distance: float
    threshold: float
    counterfeit_score: float | None  # the class's counterfeit SVM, when it has one
    counterfeit_threshold: float | None
    reasons: list[Reason]
    nearest: list[NearestReference]
    timings_ms: dict[str, float] = field(default_factory=dict)
    registration: Registration | None = None  # the side verified by local features
    caveats: list[Reason] = field(default_factory=list)  # limits of this verdict, for the clerk
    attempts: list[Attempt] = field(default_factory=list)  # sides tried, verified first
    # Regions (of regions.REGION_GRID, row by row) of a registered note that its reasons name
    # as differing from the reference; the screen outlines them on the note.
    differing_regions: list[int] = field(default_factory=list)

    @property
    def denomination(self) -> NoteClass:
        """The best reading."""
        return self.top[0].note

    def marked_note(self) -> np.ndarray:
        """The note as read, with :attr:`differing_regions` outlined (BGR)."""
        if not self.differing_regions:
            return self.note_image
        return outline_regions(self.note_image, self.differing_regions)


def compare_sides(first: BanknoteCheck, second: BanknoteCheck) -> list[Reason]:
    """Problems between two checks of the two sides of one note (empty when consistent): the
    same side twice, or sides of different notes (a front glued to another note's back)."""
    a, b = first.denomination, second.denomination
    problems = []
    if a.side == b.side:
        problems.append(Reason(N_("both pictures show the {side}; the other side was not "
                                  "checked"), side=side_word(a.side)))
    if (a.currency, a.denomination) != (b.currency, b.denomination):
        first_note, second_note = f"{a.currency} {a.denomination}", f"{b.currency} {b.denomination}"
        problems.append(Reason(N_("the sides belong to different notes ({first} and "
                                  "{second}): a glued counterfeit"), first=first_note,
                               second=second_note))
    return problems
