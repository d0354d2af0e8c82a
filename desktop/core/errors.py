"""Error types whose messages are meant to be shown to a user as they are."""

from __future__ import annotations

from pathlib import Path


class Message(str):
    """A sentence for a person, in English (what logs, the audit log and the command line
    show), carrying a ``code`` and the ``values`` it names, from which a window words it in
    the user's language (``desktop/ui/wording.py``). It is a ``str`` everywhere else."""

    code: str
    values: dict[str, str]

    def __new__(cls, code: str, text: str, **values: object) -> Message:
        """``text`` is the English sentence; ``values`` are what it names, as shown."""
        message = super().__new__(cls, text)
        message.code, message.values = code, {k: str(v) for k, v in values.items()}
        return message


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
