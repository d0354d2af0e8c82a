"""Error types whose messages are meant to be shown to a user as they are."""

from __future__ import annotations

from pathlib import Path


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
