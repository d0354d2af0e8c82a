"""Error types whose messages are meant to be shown to a user as they are."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def N_(text: str) -> str:  # noqa: N802 - gettext's name for a no-op translation marker
    """Mark an English sentence for translation without importing Qt: the app's ``lupdate``
    run (``scripts/update_translations.py``) takes ``N_`` as Qt's ``QT_TR_NOOP`` and puts
    ``text``, with its ``{name}`` fields, in the ``.ts``; a window translates it
    (``desktop/ui/wording.py``); ``--check`` there fails on one without a translation.
    Returns ``text`` unchanged."""
    return text


class Message(str):
    """A sentence for a person: in English (what logs, the audit log and the command line
    show) and, from its marked ``template`` and the ``values`` it names, in the user's
    language where a window shows it (``desktop/ui/wording.py``). A value may itself be a
    :class:`Message` (a word such as a note's side), worded in turn. It is a ``str``
    everywhere else."""

    template: str
    values: dict[str, str]

    def __new__(cls, template: str, **values: object) -> Message:
        """``template``: a sentence marked with :func:`N_`; ``values``: its
        fields, as shown."""
        shown = {k: v if isinstance(v, Message) else str(v) for k, v in values.items()}
        message = super().__new__(cls, template.format(**shown))
        message.template, message.values = template, shown
        return message

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, str]]:
        """Copied and pickled with its template and values, not as plain text."""
        return (self.template,), dict(self.values)


def word_for(words: Mapping[str, str], code: str) -> Message | str:
    """The marked word ``words[code]`` (a role, a note's side, a verdict) as a
    :class:`Message`; a code without one as it is."""
    return Message(words[code]) if code in words else code


class VerificationError(Exception):
    """Base class for errors a user can act on; ``str(err)`` is a complete sentence."""


class InputImageError(VerificationError):
    """An input image cannot be used: unreadable, too large, blank, too small..."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        where = f"{self.path}: " if self.path else ""
        super().__init__(f"{where}{problem}")


class ModelError(VerificationError):
    """A model folder cannot be used: missing files, manifest mismatch, changed bytes."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class PermissionDenied(VerificationError):
    """The logged-in user's role does not allow the action."""


class AuthError(VerificationError):
    """Login refused: unknown user, wrong password, or locked out."""


class ServiceError(VerificationError):
    """An action cannot be done as asked (the message says why)."""
