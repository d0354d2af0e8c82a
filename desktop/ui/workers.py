"""Run core calls on a thread pool and report back through Qt signals (queued to the GUI)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QObject,
    QRunnable,
    QThreadPool,
    Signal,
    Slot,
)

from desktop.core.cancel import CancelToken, cancellable
from desktop.core.errors import VerificationError
from desktop.ui.wording import error_text, worded

log = logging.getLogger(__name__)


class TaskSignals(QObject):
    """``done(result)`` or ``failed(message)``, emitted exactly once per task."""

    done = Signal(object)
    failed = Signal(str)


class Task(QRunnable):
    """A callable run on a worker thread. Errors meant for users keep their message; any
    other exception is logged with its traceback and reported as an unexpected error."""

    def __init__(self, fn: Callable[..., Any], *args: Any, owner: QObject | None = None,
                 token: CancelToken | None = None) -> None:
        super().__init__()
        self.fn, self.args, self.token = fn, args, token
        # Owned by the (GUI-thread) runner on the C++ side: when the worker thread drops the
        # last Python reference to this task, the QObject is not deleted from that thread;
        # the runner deletes it on its own thread once the task has reported.
        self.signals = TaskSignals(owner)
        self.setAutoDelete(False)  # the owner keeps it until a signal has arrived

    def run(self) -> None:  # noqa: D102 - QRunnable API
        try:
            with cancellable(self.token):  # the core's checkpoints see this request's token
                result = self.fn(*self.args)
        except VerificationError as exc:
            self.signals.failed.emit(error_text(exc))  # in the user's language where coded
        except Exception as exc:  # a worker must never die silently: report every failure
            log.error("background task failed:\n%s", traceback.format_exc())
            self.signals.failed.emit(QCoreApplication.translate(
                "Task", "Unexpected error: {kind}: {error}").format(kind=type(exc).__name__,
                                                                    error=exc))
        else:
            self.signals.done.emit(result)


class TaskRunner(QObject):
    """Owns running tasks until they report, and calls back on the GUI thread.

    The task's signals are connected to this object's own slots (it lives in the GUI thread),
    so delivery is queued to the GUI thread; plain lambdas would run on the worker thread.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._running: dict[TaskSignals, tuple[Task, Callable, Callable]] = {}

    def start(self, fn: Callable[..., Any], *args: Any,
              on_done: Callable[[Any], None], on_failed: Callable[[str], None],
              token: CancelToken | None = None) -> Task:
        """Run ``fn(*args)`` in the pool; ``on_done``/``on_failed`` run on the GUI thread.
        With ``token``, cancelling it stops the work at its next checkpoint."""
        task = Task(fn, *args, owner=self, token=token)
        self._running[task.signals] = (task, on_done, on_failed)
        task.signals.done.connect(self._done)
        task.signals.failed.connect(self._failed)
        self.pool.start(task)
        return task

    # Declared slots: PySide 6.8+ can crash when a signal emitted on a worker thread reaches
    # an undeclared Python method (PYSIDE-3124); a CI run crashed inside this emit once.
    @Slot(object)
    def _done(self, result: Any) -> None:
        _, on_done, _ = self._finish(self.sender())
        on_done(result)

    @Slot(str)
    def _failed(self, message: str) -> None:
        _, _, on_failed = self._finish(self.sender())
        on_failed(message)

    def _finish(self, signals: TaskSignals) -> tuple[Task, Callable, Callable]:
        """Forget a task that has reported; its signals object is deleted on this thread."""
        entry = self._running.pop(signals)
        signals.deleteLater()
        return entry

    def busy(self) -> bool:
        """True while any task has not reported back yet."""
        return bool(self._running)

    def running(self) -> int:
        """How many tasks have not reported back yet."""
        return len(self._running)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every task is finished (used when closing the window)."""
        return self.pool.waitForDone(msecs)


class RequestSlot:
    """The newest request of one kind on a screen (one cheque check, one banknote check, one
    account load). :meth:`next` starts a request and supersedes every earlier one;
    :meth:`cancel` supersedes them all. A result for a superseded request must not reach the
    screen: :meth:`BackgroundHost.run` drops it when given the slot."""

    def __init__(self) -> None:
        self.current = 0

    def next(self) -> int:
        """A ticket for a new request; earlier tickets are superseded."""
        self.current += 1
        return self.current

    def cancel(self) -> None:
        """Supersede every request still running (the screen moved on)."""
        self.current += 1

    def is_current(self, ticket: int) -> bool:
        """Whether ``ticket`` is still the newest request."""
        return ticket == self.current


class BackgroundHost:
    """Mixin for a QMainWindow that runs work on a :class:`TaskRunner`: a busy bar and a
    status message while work runs, and a non-blocking message box for failures.

    The window sets ``self.runner`` (a TaskRunner), calls :meth:`add_busy_indicator` and
    declares an ``error_shown = Signal(str)``. A request run with a slot (a check, a lookup)
    can be cancelled with the status bar's *Cancel* button (or Esc): its result is dropped
    and its work stops at the core's next checkpoint.
    """

    # Translated where shown, in the "BackgroundHost" context (a subclass may set its own).
    error_title = QT_TRANSLATE_NOOP("BackgroundHost", "Cannot use this input")

    def add_busy_indicator(self) -> None:
        """The status bar's busy bar and its Cancel button (shown while work runs)."""
        from PySide6.QtGui import QKeySequence
        from PySide6.QtWidgets import QProgressBar, QPushButton

        self._cancellable: dict[CancelToken, RequestSlot] = {}
        self._draining: set[CancelToken] = set()  # cancelled, still finishing on its thread
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(160)
        self.busy.hide()
        self.scan_requests = RequestSlot()  # a scan is cancellable too (Cancel, Esc)
        self.cancel_button = QPushButton()
        self.word_cancel_button()
        self.cancel_button.setShortcut(QKeySequence("Esc"))
        self.cancel_button.clicked.connect(self.cancel_running)
        self.cancel_button.hide()
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(self.cancel_button)

    def cancel_running(self) -> None:
        """Cancel every cancellable request still running: nothing of them reaches the
        screen, and their work stops at its next checkpoint."""
        for token, slot in list(self._cancellable.items()):
            token.cancel()
            slot.cancel()
            self._draining.add(token)
        self._cancellable.clear()
        self.cancel_button.hide()
        self._idle()
        self.statusBar().showMessage(QCoreApplication.translate("BackgroundHost", "Cancelled."),
                                     5000)

    def word_cancel_button(self) -> None:
        """The Cancel button's words, in the language installed now."""
        # Runs on BranchWindow and MainWindow: an explicit context, not self.tr.
        self.cancel_button.setText(QCoreApplication.translate("BackgroundHost", "Cancel"))
        self.cancel_button.setToolTip(QCoreApplication.translate(
            "BackgroundHost", "Stop the check or scan that is running (Esc)"))

    def run(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None],
            status: str, slot: RequestSlot | None = None,
            on_failed: Callable[[str], None] | None = None) -> None:
        """Run ``fn(*args)`` on a worker; ``on_done(result)`` on the GUI thread, errors shown
        (or given to ``on_failed``). With ``slot`` the call is that slot's newest request, and
        its result or error is dropped if another request has superseded it meanwhile; so are
        those of a screen deleted meanwhile (``on_done`` a method of a deleted widget)."""
        self.statusBar().showMessage(status)
        self.busy.show()
        ticket = slot.next() if slot is not None else 0
        token = CancelToken() if slot is not None else None
        if token is not None:
            self._cancellable[token] = slot
            self.cancel_button.show()

        def forget() -> None:
            if token is not None:
                self._cancellable.pop(token, None)
                self._draining.discard(token)
                self.cancel_button.setVisible(bool(self._cancellable))

        def superseded() -> bool:
            owner = getattr(on_done, "__self__", None)
            if isinstance(owner, QObject) and not shiboken6.isValid(owner):
                # its screen was built again (another user, another language) meanwhile
                log.info("dropped a result for a screen that is gone (%s)", status)
                return True
            if slot is None or slot.is_current(ticket):
                return False
            log.info("dropped a superseded result (%s)", status)
            return True

        def finished(result: Any, cb: Callable[[Any], None] = on_done) -> None:
            forget()
            self._idle()
            if not superseded():
                cb(result)

        def failed(message: str) -> None:
            forget()
            if superseded():
                self._idle()
            elif on_failed is not None:
                self._idle()
                on_failed(message)
            else:
                self._failed(message)

        self.runner.start(fn, *args, on_done=finished, on_failed=failed, token=token)

    def acquire_scan(self, open_fn: Callable[[list[str]], None]) -> None:
        """Scan with the source the settings choose (the newest image in the scan folder, or
        a scanner through SANE) on a worker, then pass the pages' files, first page first,
        to ``open_fn``. A document feeder that still held sheets after the most a scan takes
        is said so."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        from desktop.core.branch.scanner import scan_source
        from desktop.core.imaging.decode import MAX_PAGES

        try:
            source = scan_source(self.config)
        except VerificationError as exc:
            self.show_error(error_text(exc))
            return

        def scanned(pages: list) -> None:
            if len(pages) >= MAX_PAGES:
                box = QMessageBox(QMessageBox.Icon.Information,
                                  QCoreApplication.translate("BackgroundHost", "Scanned pages"),
                                  QCoreApplication.translate(
                                      "BackgroundHost", "A scan takes at most {count} pages: "
                                      "sheets still in the feeder were not scanned.").format(
                                      count=MAX_PAGES), QMessageBox.StandardButton.Ok, self)
                box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                box.open()  # non-blocking, like show_error's box
            open_fn([str(p) for p in pages])

        self.run(source.acquire, on_done=scanned, status=QCoreApplication.translate(
            "BackgroundHost", "Scanning: {source}…").format(source=worded(source.describe())),
            slot=self.scan_requests)

    def _idle(self) -> None:
        # Cancelled work may still be finishing on its thread: for the user the screen is idle
        # once no other work runs.
        if self.runner.running() <= len(self._draining):
            self.busy.hide()
            self.statusBar().clearMessage()

    def _failed(self, message: str) -> None:
        self._idle()
        self.show_error(message)

    def show_error(self, message: str) -> None:
        """Tell the user what went wrong, without blocking the event loop."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        self.statusBar().showMessage(message, 15000)
        title = QCoreApplication.translate("BackgroundHost", self.error_title)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.error_shown.emit(message)
