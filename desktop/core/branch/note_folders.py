"""A currency folder of reference notes (``<currency>/<denomination>/<side>/`` pictures) as
the folder enrollment reads it, and what enrolling each side did (:class:`FolderSide`).

:func:`side_folders` walks the folder and says what it does not read: Mac litter (names
starting with ``.`` such as ``._x.jpg``, and ``__MACOSX``) is skipped silently; pictures
lying outside a side's folder (in the top folder, a currency's or a denomination's) are
reported with where to put them; a side's sub-folders and files that are not pictures are
listed as left out (other files above the sides, a README say, are not pictures of a side
and pass without a word).
:meth:`desktop.core.branch.banknotes.BanknoteService.enroll_banknote_folder` enrolls the
sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from desktop.core.errors import N_, Message

# The files a side's folder is read for: the formats the banknote checks and the reference
# screen read (a PDF scan's first page, as there).
NOTE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".pdf")
NOTE_FORMATS = ", ".join(NOTE_SUFFIXES)
LITTER_PREFIXES = (".", "__MACOSX")  # hidden files, the Mac's ._x.jpg and __MACOSX/ of a zip


@dataclass(frozen=True)
class FolderSide:
    """What enrolling one side's folder did: the references stored, the pictures left out
    (with why), the pictures already enrolled (stored before: nothing to do, not a
    problem), or the problem that stopped that side."""

    name: str  # "<currency>/<denomination>/<side>" (or "<currency>/<denomination>")
    references: list[int]
    left_out: list[str]
    problem: str | None
    already: list[str] = field(default_factory=list)  # pictures enrolled before

    def summary(self) -> Message:
        """One line for the operator: what was enrolled, what was already enrolled and what
        was left out, or why not."""
        if self.problem:
            return Message(N_("{name}: NOT enrolled: {problem}"), name=self.name,
                           problem=self.problem)
        n = len(self.references)
        line = (Message(N_("{name}: enrolled from 1 picture"), name=self.name) if n == 1 else
                Message(N_("{name}: enrolled from {n} pictures"), name=self.name, n=n))
        if self.already:
            pictures = ", ".join(self.already)
            line = (Message(N_("{enrolled}; already enrolled: {pictures}"), enrolled=line,
                            pictures=pictures) if n else
                    Message(N_("{name}: already enrolled ({pictures}); nothing new"),
                            name=self.name, pictures=pictures))
        if self.left_out:
            return Message(N_("{enrolled}; left out {left_out}"), enrolled=line,
                           left_out="; ".join(self.left_out))
        return line


@dataclass(frozen=True)
class SideFolder:
    """One ``<currency>/<denomination>/<side>/`` folder: its pictures by name and what in it
    is not read (with why); or, for pictures outside any side's folder, ``problem``."""

    name: str  # "<currency>/<denomination>/<side>" as the folders are named
    currency: str
    denomination: str
    side: str
    pictures: list[Path]
    not_read: list[Message]
    problem: Message | None = None


def _litter(path: Path) -> bool:
    """Hidden files and a Mac's leftovers, skipped without a word."""
    return path.name.startswith(LITTER_PREFIXES)


def _entries(folder: Path) -> list[Path]:
    """A folder's entries by name, without litter."""
    return sorted(p for p in folder.iterdir() if not _litter(p))


def _is_picture(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in NOTE_SUFFIXES


def _side_folder(folder: Path, currency: str, denomination: str) -> SideFolder:
    """What one side's folder holds: its pictures, and its sub-folders and other files as
    not read."""
    name = f"{currency}/{denomination}/{folder.name}"
    pictures: list[Path] = []
    not_read: list[Message] = []
    for entry in _entries(folder):
        if entry.is_dir():
            not_read.append(Message(N_("{name}/: a folder in a side's folder is not read; put "
                                       "its pictures in {side}/"), name=entry.name, side=name))
        elif _is_picture(entry):
            pictures.append(entry)
        else:
            not_read.append(Message(N_("{name}: not a picture ({formats})"), name=entry.name,
                                    formats=NOTE_FORMATS))
    return SideFolder(name, currency, denomination, folder.name, pictures, not_read)


def _loose(entries: list[Path], name: str, currency: str = "", denomination: str = ""
           ) -> list[SideFolder]:
    """One entry with a ``problem`` when pictures lie among ``entries`` of the folder
    ``name`` (the top folder, a currency's or a denomination's), saying where they belong."""
    loose = ", ".join(p.name for p in entries if _is_picture(p))
    if not loose:
        return []
    if denomination:
        problem = Message(N_("{pictures}: not in a side's folder; put the pictures of each "
                             "side in {front} or {back}"), pictures=loose,
                          front=f"{name}/front/", back=f"{name}/back/")
    else:
        where = f"{currency}/<denomination>/front/" if currency else \
            "<currency>/<denomination>/front/"
        problem = Message(N_("{pictures}: not in a side's folder; put them in a folder such "
                             "as {where}"), pictures=loose, where=where)
    return [SideFolder(name, currency, denomination, "", [], [], problem)]


def side_folders(root: Path) -> list[SideFolder]:
    """Every ``<currency>/<denomination>/<side>/`` folder under ``root`` by name, and one
    entry with a ``problem`` for each folder above the sides that holds pictures itself
    (they belong in a side's folder). Litter is skipped."""
    top = _entries(root)
    out = _loose(top, root.name)
    for currency in (p for p in top if p.is_dir()):
        entries = _entries(currency)
        out += _loose(entries, currency.name, currency.name)
        for denomination in (p for p in entries if p.is_dir()):
            inside = _entries(denomination)
            name = f"{currency.name}/{denomination.name}"
            out += _loose(inside, name, currency.name, denomination.name)
            out.extend(_side_folder(side, currency.name, denomination.name)
                       for side in inside if side.is_dir())
    return out
