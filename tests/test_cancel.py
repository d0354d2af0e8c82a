"""Cancelling a long check: the core stops at its next checkpoint and writes nothing; the
clerk's Cancel button drops the result and frees the screen (offscreen)."""

from __future__ import annotations

import threading

import pytest
import shiboken6

from desktop.core.cancel import Cancelled, CancelToken, cancellable, checkpoint
from tests.test_branch_gui import ACCOUNT, _truth
from tests.test_clerk_screen_safety import _clerk_with_account, _verifies


def test_checkpoints_stop_only_the_cancelled_request() -> None:
    checkpoint()  # outside any request: never stops
    token = CancelToken()
    with cancellable(token):
        checkpoint()
        token.cancel()
        with pytest.raises(Cancelled):
            checkpoint()
    checkpoint()  # the token belonged to that block only
    seen: list[str] = []

    def other_thread() -> None:  # another thread's work is not this request's
        try:
            checkpoint()
            seen.append("ran")
        except Cancelled:
            seen.append("stopped")

    with cancellable(token):
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert seen == ["ran"]


def test_a_cancelled_cheque_check_audits_nothing(branch, cheque_set) -> None:
    service, sessions = branch
    op = sessions["operator"]
    service.create_account(op, ACCOUNT, "Irene Okafor")
    refs = sorted((cheque_set / "references" / ACCOUNT).glob("*.png"))
    service.enroll(op, ACCOUNT, service.assess_candidates(op, service.load_candidates(op, refs)))
    rows = len(service.store.audit_entries())
    token = CancelToken()
    token.cancel()
    with cancellable(token), pytest.raises(Cancelled):
        service.check_cheque(sessions["clerk"], ACCOUNT, _truth(cheque_set, "genuine"))
    assert len(service.store.audit_entries()) == rows


def test_cancel_frees_the_screen_and_drops_the_check(qtbot, app_parts, cheque_set,
                                                    monkeypatch) -> None:
    service, config = app_parts
    clerk, check = _clerk_with_account(qtbot, service, config, cheque_set)
    gate, started, real = threading.Event(), threading.Event(), service.check_cheque

    def held(session, account, path, zone=None, page=0):
        started.set()
        gate.wait()  # a long check: held until the clerk has cancelled it
        return real(session, account, path, zone, page=page)

    monkeypatch.setattr(service, "check_cheque", held)
    before = len(_verifies(service))
    done: list[object] = []
    check.check_done.connect(done.append)
    check.open_cheque(_truth(cheque_set, "genuine"))
    try:
        qtbot.waitUntil(started.is_set, timeout=10000)
        qtbot.waitUntil(lambda: clerk.runner.running() == 1, timeout=30000)  # models loaded
        assert clerk.cancel_button.isVisible() and clerk.busy.isVisible()
        clerk.cancel_button.click()
        assert clerk.cancel_button.isHidden() and clerk.busy.isHidden()
        assert "Cancelled" in clerk.statusBar().currentMessage()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not clerk.runner.busy(), timeout=30000)
    # The work stopped at its first checkpoint: no verdict on screen, none in the audit log.
    assert done == [] and check.check is None and check.verdict_label.text() == "—"
    assert len(_verifies(service)) == before
    # The screen is usable at once: the next check runs and shows its verdict.
    monkeypatch.setattr(service, "check_cheque", real)
    with qtbot.waitSignal(check.check_done, timeout=30000):
        check.recheck()
    assert check.verdict_label.text() != "—" and clerk.cancel_button.isHidden()


def test_a_result_for_a_screen_that_is_gone_is_dropped(qtbot, app_parts) -> None:
    """A task finishing after its screen was built again (a log-out, a language change)
    reaches nothing and raises nothing (it once touched a deleted table)."""
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    from desktop.ui.branch_window import BranchWindow
    from tests.conftest import PASSWORDS

    service, config = app_parts
    win = BranchWindow(service, service.login("admin", PASSWORDS["admin"]), config)
    qtbot.addWidget(win)
    gate = threading.Event()

    class Screen(QWidget):
        def __init__(self) -> None:
            super().__init__()
            self.label = QLabel("")
            QVBoxLayout(self).addWidget(self.label)

        def show_result(self, text: str) -> None:
            self.label.setText(text)

    screen, kept = Screen(), Screen()
    win.run(lambda: gate.wait(30) and "late", on_done=screen.show_result, status="held")
    win.run(lambda: gate.wait(30) and "on time", on_done=kept.show_result, status="kept")
    screen.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(screen), timeout=5000)
    gate.set()
    qtbot.waitUntil(lambda: not win.runner.busy(), timeout=30000)
    assert kept.label.text() == "on time"  # (a raising callback would fail the test here)
