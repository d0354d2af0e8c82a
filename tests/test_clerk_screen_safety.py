"""The clerk's screen never mixes two checks: late results are dropped, refusals clear the
screen, what is not a cheque is refused with the zone tool, changing the account clears the
check, paying a forged cheque needs a supervisor, and the idle window locks (offscreen)."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.conftest import PASSWORDS
from tests.helpers import read_csv
from tests.test_branch_gui import ACCOUNT, _truth, _window


def _clerk_with_account(qtbot, service, config, cheque_set):
    """The clerk's window with ACCOUNT enrolled (5 references) and loaded."""
    op_session = service.login("olga", PASSWORDS["olga"])
    clerk = _window(qtbot, service, config, "carl")  # loads the model into the service
    for number, name in ((ACCOUNT, "Irene Okafor"), ("1002003000", "Tom Ashby")):
        service.create_account(op_session, number, name)
        refs = sorted((cheque_set / "references" / number).glob("*.png"))
        cands = service.assess_candidates(op_session, service.load_candidates(op_session, refs))
        service.enroll(op_session, number, cands)
    check = clerk.check_screen
    with qtbot.waitSignal(check.references_loaded, timeout=20000):
        check.picker.load(ACCOUNT)
    return clerk, check


def _verifies(service) -> list:
    return [e for e in service.store.audit_entries() if e.action == "verify"]


def test_a_late_result_never_replaces_the_check_on_screen(qtbot, app_parts, cheque_set,
                                                          monkeypatch) -> None:
    service, config = app_parts
    clerk, check = _clerk_with_account(qtbot, service, config, cheque_set)
    slow_path, fast_path = _truth(cheque_set, "genuine"), _truth(cheque_set, "forged")
    gate, real = threading.Event(), service.check_cheque

    def slow_first(session, account, path, zone=None, page=0):
        if path == slow_path:
            gate.wait()  # the first job is held until the second one is on screen
        return real(session, account, path, zone, page=page)

    monkeypatch.setattr(service, "check_cheque", slow_first)
    check.open_cheque(slow_path)
    try:  # the held job is always let go, even when the test fails
        with qtbot.waitSignal(check.check_done, timeout=30000) as done:
            check.open_cheque(fast_path)
    finally:
        gate.set()
    shown = done.args[0]
    assert shown.cheque_path == fast_path
    qtbot.waitUntil(lambda: len(_verifies(service)) == 2 and not clerk.runner.busy(),
                    timeout=30000)
    # The slow result arrived and was dropped: image, title and verdict are the fast one's.
    assert check.check is shown
    assert Path(fast_path).name in check.cheque_frame.title()
    assert check.verdict_label.text() == shown.result.decision.upper()
    with qtbot.waitSignal(check.decision_recorded, timeout=10000) as rec:
        check.record("refer")
    decision = service.store.decisions(shown.account.id)[0]
    assert decision.verification_id == shown.audit_id and rec.args[0] >= 1
    assert decision.cheque_name == Path(fast_path).name


def test_a_refused_file_clears_the_previous_check(qtbot, app_parts, cheque_set,
                                                  tmp_path: Path) -> None:
    service, config = app_parts
    clerk, check = _clerk_with_account(qtbot, service, config, cheque_set)
    with qtbot.waitSignal(check.check_done, timeout=30000):
        check.open_cheque(_truth(cheque_set, "genuine"))
    assert check.cheque_view._pix is not None and "similarity" in check.ref_list.item(0).text()
    bad = tmp_path / "damaged.tif"
    bad.write_bytes(b"II*\x00" + b"\x00" * 10)
    with qtbot.waitSignal(clerk.error_shown, timeout=20000):
        check.open_cheque(str(bad))
    assert check.check is None and check.cheque_view._pix is None
    assert "damaged.tif" in check.cheque_frame.title() and check.verdict_label.text() == "—"
    assert all("similarity" not in check.ref_list.item(i).text()
               for i in range(check.ref_list.count()))
    assert not any(b.isEnabled() for b in check.decision_buttons.values())
    assert check.extracted.pixmap().isNull()


def test_a_photo_or_an_unsigned_cheque_is_a_refusal_with_the_zone_tool(
        qtbot, app_parts, cheque_set, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from training.signature.cheques import make_cheque, save_cheque

    service, config = app_parts
    clerk, check = _clerk_with_account(qtbot, service, config, cheque_set)
    photo = tmp_path / "banknote.jpg"
    rng = np.random.default_rng(4)
    cv2.imwrite(str(photo), rng.integers(0, 255, (640, 640, 3), dtype=np.uint8))
    with qtbot.waitSignal(check.refused, timeout=20000) as got:
        check.open_cheque(str(photo))
    assert got.args[0].kind == "not_a_cheque" and check.verdict_label.text() == "NOT A CHEQUE"
    assert not any(b.isEnabled() for b in check.decision_buttons.values())
    unsigned = tmp_path / "unsigned.png"
    save_cheque(make_cheque(rng, None, with_signature=False, dpi=220), unsigned, "png-gray")
    with qtbot.waitSignal(check.refused, timeout=20000):
        check.open_cheque(str(unsigned))
    assert check.verdict_label.text() == "NO SIGNATURE FOUND"
    assert check.cheque_view._pix is not None and "Drag a rectangle" in \
        check.rules_label.text()
    assert _verifies(service) == []
    assert [e.details["cheque"] for e in service.store.audit_entries()
            if e.action == "verify_refused"] == ["unsigned.png", "banknote.jpg"]


def test_changing_the_account_clears_the_check_and_rechecks_only_when_asked(
        qtbot, app_parts, cheque_set) -> None:
    service, config = app_parts
    clerk, check = _clerk_with_account(qtbot, service, config, cheque_set)
    with qtbot.waitSignal(check.check_done, timeout=30000):
        check.open_cheque(_truth(cheque_set, "genuine"))
    with qtbot.waitSignal(check.references_loaded, timeout=20000):
        check.picker.load("1002003000")
    assert check.check is None and check.verdict_label.text() == "—"
    assert not any(b.isEnabled() for b in check.decision_buttons.values())
    assert len(_verifies(service)) == 1 and check.recheck_btn.isEnabled()
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.recheck_btn.click()
    assert done.args[0].account.account_number == "1002003000"
    assert len(_verifies(service)) == 2


class _SupervisorApproves:
    """A scripted approval dialog: the supervisor types a reason, name and password."""

    def __init__(self, parent, check, reason) -> None:
        self.check = check

    def exec(self):
        from PySide6.QtWidgets import QDialog

        return QDialog.DialogCode.Accepted

    def reason(self) -> str:
        return "holder phoned and confirmed"

    def approver(self) -> tuple[str, str]:
        return "admin", PASSWORDS["admin"]


def test_paying_a_forged_cheque_needs_a_supervisor_in_the_dialog(qtbot, app_parts,
                                                                 cheque_set) -> None:
    service, config = app_parts
    clerk, check = _clerk_with_account(qtbot, service, config, cheque_set)
    other = next(r for r in read_csv(cheque_set / "truth.csv")
                 if r["account_number"] == "1002003000" and r["kind"] == "genuine")
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.open_cheque(str(cheque_set / "cheques" / other["file"]))
    assert done.args[0].result.decision == "forged"
    assert "supervisor's approval" in check.rules_label.text()
    check.approval_dialog_factory = _SupervisorApproves
    with qtbot.waitSignal(check.decision_recorded, timeout=10000):
        check.record("accept")
    entry = next(e for e in service.store.audit_entries() if e.action == "override")
    assert entry.username == "carl" and entry.details["approved_by"] == "admin"
    assert entry.details["decision"] == "accept"


def test_the_idle_window_locks_and_the_same_user_unlocks_it(qtbot, app_parts) -> None:
    service, config = app_parts
    clerk = _window(qtbot, service, config, "carl")
    old = clerk.session
    qtbot.waitUntil(lambda: not clerk.runner.busy(), timeout=30000)  # no lock mid-work
    clerk.last_activity -= service.idle_timeout.total_seconds() + 1
    with qtbot.waitSignal(clerk.locked_changed, timeout=5000):
        clerk.check_idle()
    assert clerk.locked and clerk.pages.currentWidget() is clerk.lock_panel
    clerk.lock_panel.password_edit.setText("not-the-password")
    clerk.lock_panel._unlock()
    assert clerk.locked and "wrong password" in clerk.lock_panel.message.text()
    clerk.lock_panel.password_edit.setText(PASSWORDS["carl"])
    with qtbot.waitSignal(clerk.locked_changed, timeout=5000):
        clerk.lock_panel._unlock()
    assert not clerk.locked and clerk.session.token != old.token
    assert service.search_accounts(clerk.session, "1") == []


def test_the_reference_list_is_the_one_the_check_used(qtbot, app_parts, cheque_set) -> None:
    # An operator on another PC revokes one reference and replaces another after the clerk
    # picked the account: the list beside the verdict is what the check used (and audited),
    # each with its own similarity.
    service, config = app_parts
    clerk, check = _clerk_with_account(qtbot, service, config, cheque_set)
    op = service.login("olga", PASSWORDS["olga"])
    listed = [r.id for r in check.references]
    service.revoke_reference(op, ACCOUNT, listed[0], "smudged scan")
    spare = sorted((cheque_set / "references" / "1002003000").glob("*.png"))[:1]
    (cand,) = service.assess_candidates(op, service.load_candidates(op, spare))
    new = service.replace_reference(op, ACCOUNT, listed[1], cand, "better scan supplied")
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.open_cheque(_truth(cheque_set, "genuine"))
    used = done.args[0]
    assert [r.id for r in used.references] == [*listed[2:], new.id]
    assert [r.id for r in check.references] == [r.id for r in used.references]
    shown = [check.ref_list.item(i).text().splitlines()[-1] for i in range(check.ref_list.count())]
    assert shown == [f"similarity {s:.3f}" for s in used.result.reference_similarities]


def test_a_cheque_accepted_before_is_flagged_and_paying_it_again_needs_a_reason(
        qtbot, app_parts, cheque_set) -> None:
    """The same cheque file checked again: a warning names when, by whom and for which
    account it was accepted; Accept without a reason is refused, with one it is recorded."""
    from desktop.core.branch.decisions import utc_minute

    service, config = app_parts
    clerk, check = _clerk_with_account(qtbot, service, config, cheque_set)
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.open_cheque(_truth(cheque_set, "genuine"))
    assert done.args[0].result.decision == "genuine" and done.args[0].earlier == ()
    assert check.earlier_label.isHidden() and check.earlier_label.text() == ""
    with qtbot.waitSignal(check.decision_recorded, timeout=10000):
        check.record("accept")

    with qtbot.waitSignal(check.check_done, timeout=30000) as again:
        check.recheck()  # the same file presented again
    (earlier,) = again.args[0].earlier
    assert not check.earlier_label.isHidden()
    warning = check.earlier_label.text()
    assert (f"This cheque was already accepted on {utc_minute(earlier.decided_at)} UTC by "
            f"carl for account {ACCOUNT}.") in warning  # the time as the refusal says it
    assert warning.startswith("Check that it is not being presented twice: paying it again "
                              "needs a reason.")  # first, where a small screen shows it
    assert "already accepted" in check.rules_label.text()
    assert "to accept again" in check.reason_box.placeholderText()
    with qtbot.waitSignal(clerk.error_shown, timeout=10000) as refused:
        check.record("accept")
    assert "already accepted" in refused.args[0] and "a reason of at least 10" in refused.args[0]
    account_id = again.args[0].account.id
    assert len(service.store.decisions(account_id)) == 1
    qtbot.waitUntil(lambda: check.decision_buttons["accept"].isEnabled(), timeout=10000)
    with qtbot.waitSignal(check.decision_recorded, timeout=10000):
        check.record("accept", "the holder asked for it to be paid again")
    second = service.store.decisions(account_id)[1]
    assert second.override_reason == "the holder asked for it to be paid again"

    with qtbot.waitSignal(check.check_done, timeout=30000):  # another cheque: no warning
        check.open_cheque(_truth(cheque_set, "forged"))
    assert check.earlier_label.isHidden() and check.earlier_label.text() == ""
