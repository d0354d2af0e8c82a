"""CSV cells that a spreadsheet will not run as formulas (CSV / formula injection).

Every CSV file the app writes (the audit export, the batch report) goes through
:func:`safe_cell`, as OWASP's "CSV Injection" page advises: a cell that starts with ``=``,
``+``, ``-``, ``@``, a TAB, a CR or an LF gets a single quote in front, so that Excel,
LibreOffice and Google Sheets show it as text instead of evaluating it. Quotes and
separators inside a cell are escaped by the :mod:`csv` module itself.

Two choices, so that the file stays both safe and readable back:

* **Plain negative numbers stay as they are.** A cell that is only an optional ``-``, digits,
  an optional fraction and an optional exponent (``-0.3127``, ``-2``, ``-1e-05``) is read by
  every spreadsheet as a number, never as a formula, and quoting it would turn the report's
  negative scores into text. Anything else that starts with a trigger character, ``+1234``
  included, is quoted.
* **The rule can be undone exactly.** A cell whose text after its leading quotes starts with a
  trigger character gets one more quote (``'=x`` is written ``''=x``), so
  :func:`restore_cell` (strip one quote from such a cell) gives back the original text for
  every value. The app reads its own files back (the batch resumes from its report) with
  :func:`read_rows`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

#: Characters that make a spreadsheet treat a cell as a formula (or hide its start).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _text(value: Any) -> str:
    """What :mod:`csv` would write for ``value`` (None is an empty cell)."""
    return "" if value is None else str(value)


def _needs_quote(text: str) -> bool:
    rest = text.lstrip("'")
    if not rest.startswith(FORMULA_TRIGGERS):
        return False
    # A plain negative number (no quote in front) is harmless and stays a number.
    return rest != text or _PLAIN_NUMBER.fullmatch(text) is None


def safe_cell(value: Any) -> str:
    """``value`` as CSV cell text that a spreadsheet shows as text, never runs as a formula:
    a single quote is put in front when the text starts with ``= + - @`` TAB CR or LF
    (see the module's notes for plain negative numbers and cells already quoted)."""
    text = _text(value)
    return "'" + text if _needs_quote(text) else text


def restore_cell(text: str) -> str:
    """The original value of a cell written by :func:`safe_cell` (its exact inverse)."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


class SafeCsvWriter:
    """A :func:`csv.writer` whose every cell goes through :func:`safe_cell`.

    Python's writer (with minimal quoting) leaves a CR or LF that is not part of
    ``lineterminator`` unquoted, so that with ``lineterminator="\\n"`` a cell holding a CR
    would split the record when read back; a row with such a cell is written with every cell
    quoted."""

    def __init__(self, fh: IO[str], **fmtparams: Any) -> None:
        self._writer = csv.writer(fh, **fmtparams)
        self._quote_all = csv.writer(fh, **{**fmtparams, "quoting": csv.QUOTE_ALL})
        minimal = fmtparams.get("quoting", csv.QUOTE_MINIMAL) == csv.QUOTE_MINIMAL
        self._bare_breaks = "".join(c for c in "\r\n"
                                    if minimal and c not in self._writer.dialect.lineterminator)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, each cell neutralised."""
        cells = [safe_cell(v) for v in row]
        if any(c in cell for cell in cells for c in self._bare_breaks):
            return self._quote_all.writerow(cells)
        return self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write several rows, each cell neutralised."""
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """A :class:`csv.DictWriter` lookalike whose every cell goes through :func:`safe_cell`.
    Keys missing from a row are empty cells; keys not in ``fieldnames`` are refused."""

    def __init__(self, fh: IO[str], fieldnames: Sequence[str], **fmtparams: Any) -> None:
        self.fieldnames = list(fieldnames)
        self._writer = SafeCsvWriter(fh, **fmtparams)

    def writeheader(self) -> Any:
        """Write the field names as the first row."""
        return self._writer.writerow(self.fieldnames)

    def writerow(self, row: Mapping[str, Any]) -> Any:
        """Write one dict as a row in ``fieldnames`` order."""
        extra = set(row) - set(self.fieldnames)
        if extra:
            raise ValueError(f"fields not in the header: {', '.join(sorted(extra))}")
        return self._writer.writerow([row.get(k, "") for k in self.fieldnames])

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Write several dicts."""
        for row in rows:
            self.writerow(row)


def read_rows(fh: IO[str], **fmtparams: Any) -> Iterator[list[str]]:
    """The records of a CSV file written with :class:`SafeCsvWriter`, cells restored
    (``fh`` opened with ``newline=""`` so that line breaks inside cells survive)."""
    for row in csv.reader(fh, **fmtparams):
        yield [restore_cell(c) for c in row]
