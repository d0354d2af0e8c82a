"""Cancelling a long check from the screen: a token per request, looked at between stages.

Python cannot stop a thread, so a cancelled request stops at its next :func:`checkpoint`
(after decoding, between the stages of a cheque check, between the candidate sides of a
banknote lookup) by raising :class:`Cancelled`; nothing it had done is kept. The token is
carried in a context variable, so the core's functions need no extra argument, and work run
outside a cancellable request (the CLI, the batch, the tests) never stops.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from desktop.core.errors import VerificationError


class Cancelled(VerificationError):
    """The user cancelled the request this work belongs to."""

    def __init__(self) -> None:
        super().__init__("cancelled")


class CancelToken:
    """Set once by the screen (any thread); read by the worker at its checkpoints."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next checkpoint."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()


_current: ContextVar[CancelToken | None] = ContextVar("sigdesk_cancel_token", default=None)


@contextmanager
def cancellable(token: CancelToken | None) -> Iterator[None]:
    """Run the block as the work of ``token``'s request (in this thread)."""
    reset = _current.set(token)
    try:
        yield
    finally:
        _current.reset(reset)


def current_token() -> CancelToken | None:
    """The token of the request this thread works for (None outside one), for work that
    watches it from another thread."""
    return _current.get()


def checkpoint() -> None:
    """Raise :class:`Cancelled` when the request this thread works for was cancelled."""
    token = _current.get()
    if token is not None and token.cancelled:
        raise Cancelled()
