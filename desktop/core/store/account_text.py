"""How typed account numbers and holders' names are compared, so that one account is one row
whatever way its number was typed or pasted.

* :func:`canonical_account_number`: the form a new account number is stored in. NFKC (full-width
  digits and letters become ASCII), the spaces, tabs, dashes and invisible format characters
  (Unicode category Cf: a zero-width space, a byte-order mark, a soft hyphen) between the
  groups removed, every decimal digit as its ASCII digit, letters in capitals. What is left
  must be letters A-Z and digits: a control character or any other sign is refused, with a
  sentence naming it.
* :func:`account_key`: the same folding without the refusals, for comparing: stores written
  before account numbers were canonical hold them as they were typed (``0012 3456 78``), and
  those rows are found by the key, never rewritten.
* :func:`name_as_stored` and :func:`name_key`: a name in NFC with single spaces (how it is
  stored), and its case-folded form (how names are searched, beyond ASCII: ``HƯƠNG`` finds
  ``Hương``, an NFD ``José`` finds an NFC one).

Plain functions of text (no database), so that SQLite and PostgreSQL compare the same way.
"""

from __future__ import annotations

import unicodedata

from desktop.core.errors import N_, Message, ServiceError

_ASCII_SPACE = "".join(chr(c) for c in range(128) if chr(c).isspace())
# ASCII text folds by one table: whitespace and '-' deleted, then upper case.
_ASCII_DROP = str.maketrans("", "", _ASCII_SPACE + "-")


def _code_point(ch: str) -> str:
    """``ch`` named for a person: ``'/' (U+002F SOLIDUS)``; an invisible one by its code
    alone (``U+000A``)."""
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    if unicodedata.category(ch)[0] in "CZ":
        return f"{code} {name}".strip()
    return f"{ch!r} ({code} {name})" if name else f"{ch!r} ({code})"


def _folded(ch: str) -> str | None:
    """One character of an NFKC account number as compared: ``""`` for a separator (a space,
    a dash, a format character), the ASCII digit of a decimal digit, an ASCII letter in
    capitals; ``None`` for anything else."""
    category = unicodedata.category(ch)
    if ch.isspace() or category in ("Zs", "Pd", "Cf"):
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    if ch.isascii() and ch.isalpha():
        return ch.upper()
    return None


def account_key(text: str) -> str:
    """``text`` folded as account numbers are compared (NFKC, no spaces, dashes or format
    characters, ASCII digits, capitals); never refuses: another sign is kept as it is, so
    that a number stored before the rules (``12/34``) is still equal to itself."""
    if text.isascii():
        return text.translate(_ASCII_DROP).upper()
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        folded = _folded(ch)
        out.append(ch if folded is None else folded)
    return "".join(out)


def canonical_account_number(text: str) -> str:
    """The stored form of a typed account number: NFKC, stripped, the spaces, tabs, dashes
    and format characters (category Cf) removed, decimal digits in ASCII and letters in
    capitals; ``""`` when nothing else was typed. Raises :class:`ServiceError` naming the
    first control character, or any other character that is neither a letter A-Z nor a
    digit (letters of other scripts are refused: a Cyrillic ``А`` looks like a Latin ``A``
    and would make a second account of the same number)."""
    normal = unicodedata.normalize("NFKC", text).strip()
    out = []
    for ch in normal:
        if ch != "\t" and unicodedata.category(ch) == "Cc":
            raise ServiceError(Message(N_(
                "the account number {typed} contains a control character ({char}); type the "
                "number again"), typed=repr(text), char=_code_point(ch)))
        folded = _folded(ch)
        if folded is None:
            raise ServiceError(Message(N_(
                "the account number {typed} contains {char}; an account number is made of "
                "letters A-Z and digits (spaces or dashes between groups are allowed)"),
                typed=repr(text), char=_code_point(ch)))
        out.append(folded)
    return "".join(out)


def name_as_stored(text: str) -> str:
    """A holder's name as stored: NFC (one code for an accented letter, however it was
    typed), single spaces, no space at either end."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def name_key(text: str) -> str:
    """A name as searched: :func:`name_as_stored`, case-folded (every script, not only ASCII),
    in NFC again (folding may decompose)."""
    return unicodedata.normalize("NFC", name_as_stored(text).casefold())
