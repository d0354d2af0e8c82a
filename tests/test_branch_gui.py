"""The branch app's screens driven as the operator, the clerk and the admin would (offscreen)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from desktop.core.branch.config import AppConfig
from desktop.core.branch.service import BranchService
from desktop.core.store.backends import SQLiteStore
from desktop.ui.branch_window import BranchWindow, LoginDialog
from tests.conftest import PASSWORDS
from tests.helpers import read_csv

ACCOUNT = "1002003001"


@pytest.fixture()
def app_parts(tmp_path: Path, shipped_model: Path):
    """A store with the three users, a service whose model each window loads itself."""
    service = BranchService(SQLiteStore(tmp_path / "gui.sqlite"), None)
    admin = service.create_first_admin("admin", PASSWORDS["admin"])
    service.create_user(admin, "olga", "operator", PASSWORDS["olga"])
    service.create_user(admin, "carl", "clerk", PASSWORDS["carl"])
    config = AppConfig(model_dir=str(shipped_model), provider="cpu")
    yield service, config
    service.store.close()


def _window(qtbot, service, config, user: str) -> BranchWindow:
    win = BranchWindow(service, service.login(user, PASSWORDS[user]), config)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_ready, timeout=30000):
        win.show()
    return win


def _truth(cheque_set: Path, kind: str) -> str:
    row = next(r for r in read_csv(cheque_set / "truth.csv")
               if r["account_number"] == ACCOUNT and r["kind"] == kind)
    return str(cheque_set / "cheques" / row["file"])


def test_login_dialog_first_run_and_wrong_password(qtbot, tmp_path: Path) -> None:
    service = BranchService(SQLiteStore(tmp_path / "first.sqlite"), None)
    dialog = LoginDialog(service)
    qtbot.addWidget(dialog)
    assert dialog.first_run and dialog.windowTitle() == "Create the administrator"
    dialog.user_edit.setText("root")
    dialog.password_edit.setText("a-long-password")
    dialog.confirm_edit.setText("a-different-one")
    dialog.submit()
    assert "differ" in dialog.message.text() and dialog.session is None
    dialog.password_edit.setText("a-long-password")
    dialog.confirm_edit.setText("a-long-password")
    dialog.submit()
    assert dialog.session is not None and dialog.session.role == "admin"
    again = LoginDialog(service)
    qtbot.addWidget(again)
    assert not again.first_run
    again.user_edit.setText("root")
    again.password_edit.setText("wrong-password")
    again.submit()
    assert "wrong password" in again.message.text() and again.session is None
    service.store.close()


def test_enroll_then_check_genuine_and_forged_cheques(qtbot, app_parts, cheque_set) -> None:
    service, config = app_parts
    # The operator creates the holder and enrolls five references.
    op = _window(qtbot, service, config, "olga")
    tabs = [op.tabs.tabText(i) for i in range(op.tabs.count())]
    assert tabs == ["Enrollment", "Banknote references"]
    screen = op.enroll_screen
    with qtbot.waitSignal(screen.account_loaded, timeout=20000):
        screen.create_account(ACCOUNT, "Irene Okafor")
    refs = sorted((cheque_set / "references" / ACCOUNT).glob("*.png"))
    with qtbot.waitSignal(screen.assessed, timeout=30000) as got:
        screen.add_files([str(p) for p in refs])
    assert len(got.args[0]) == 5 and screen.table.rowCount() == 5
    qtbot.waitUntil(screen.save_button.isEnabled, timeout=5000)
    with qtbot.waitSignal(screen.enrolled, timeout=20000) as saved:
        screen.save()
    assert len(saved.args[0]) == 5
    qtbot.waitUntil(lambda: screen.ref_list.count() == 5, timeout=10000)
    op.close()

    # The clerk checks a genuine and a forged cheque and records both decisions.
    clerk = _window(qtbot, service, config, "carl")
    tabs = [clerk.tabs.tabText(i) for i in range(clerk.tabs.count())]
    assert tabs == ["Cheque check", "Banknotes"]
    check = clerk.check_screen
    with qtbot.waitSignal(check.references_loaded, timeout=20000):
        check.picker.search(ACCOUNT[-4:])
        qtbot.waitUntil(lambda: check.picker.list.count() == 1, timeout=10000)
        item = check.picker.list.item(0)  # the clerk clicks the one account found
        check.picker.list.itemClicked.emit(item)
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.open_cheque(_truth(cheque_set, "genuine"))
    genuine = done.args[0]
    assert check.verdict_label.text() == genuine.result.decision.upper()
    assert "Irene Okafor" in check.picker.label.text()
    assert "similarity" in check.ref_list.item(0).text()
    assert not check.extracted.pixmap().isNull()
    with qtbot.waitSignal(check.decision_recorded, timeout=10000):
        check.record({"genuine": "accept", "forged": "reject"}.get(genuine.result.decision,
                                                                   "refer"))
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.open_cheque(_truth(cheque_set, "forged"))
    forged = done.args[0]
    assert forged.result.similarity < genuine.result.similarity
    # Rejecting against the verdict without a reason is refused with a message (the rule is
    # on screen beforehand)...
    against = "reject" if forged.result.decision == "genuine" else "refer"
    if forged.result.decision == "needs review":
        against = "reject"
    if against == "reject":
        assert "needs a reason" in check.rules_label.text()
        with qtbot.waitSignal(clerk.error_shown, timeout=10000) as err:
            check.record(against)
        assert "reason" in err.args[0]
    # ...and recorded once a reason is given (refer needs none).
    with qtbot.waitSignal(check.decision_recorded, timeout=10000):
        check.reason_box.setText("holder confirmed by phone")
        check.record(against, check.reason_box.text())
    # Dragging a new zone re-runs the check with that zone.
    view = check.cheque_view
    view.resize(800, 400)
    page = view._page_rect()
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        view.set_zone_from_widget_rect(QRectF(page.x() + 0.5 * page.width(),
                                              page.y() + 0.5 * page.height(),
                                              0.48 * page.width(), 0.4 * page.height()))
    assert done.args[0].settings.zone.x == pytest.approx(0.5, abs=0.01)
    clerk.close()

    # The admin reads both decisions in the audit log, and the chain is intact.
    admin = _window(qtbot, service, config, "admin")
    audit = admin.audit_screen
    with qtbot.waitSignal(audit.loaded, timeout=10000) as loaded:
        audit.refresh()
    actions = [e.action for e in loaded.args[0]]
    assert actions.count("verify") == 3 and "decision" in actions and "override" in actions
    assert "enroll" in actions and audit.table.rowCount() == len(actions)
    with qtbot.waitSignal(audit.chain_checked, timeout=10000) as checked:
        audit.verify_chain()
    assert checked.args[0].ok and "intact" in audit.chain_label.text()
    service.store._conn.execute("UPDATE audit_log SET username = 'someone' WHERE action = "
                                "'override'")
    with qtbot.waitSignal(audit.chain_checked, timeout=10000) as checked:
        audit.verify_chain()
    assert not checked.args[0].ok and "BROKEN" in audit.chain_label.text()


def test_bad_cheque_shows_a_message_naming_the_file(qtbot, app_parts, cheque_set,
                                                    tmp_path: Path) -> None:
    service, config = app_parts
    op_session = service.login("olga", PASSWORDS["olga"])
    admin = _window(qtbot, service, config, "admin")  # loads the model into the service
    service.create_account(op_session, ACCOUNT, "Irene Okafor")
    refs = sorted((cheque_set / "references" / ACCOUNT).glob("*.png"))
    cands = service.assess_candidates(op_session, service.load_candidates(op_session, refs))
    service.enroll(op_session, ACCOUNT, cands)
    check = admin.check_screen
    with qtbot.waitSignal(check.references_loaded, timeout=20000):
        check.picker.load(ACCOUNT)
    bad = tmp_path / "scan.tif"
    bad.write_bytes(b"II*\x00" + b"\x00" * 10)
    rows = len(service.store.audit_entries())
    with qtbot.waitSignal(admin.error_shown, timeout=20000) as err:
        check.open_cheque(str(bad))
    assert "scan.tif" in err.args[0] and "damaged or truncated" in err.args[0]
    assert len(service.store.audit_entries()) == rows and check.check is None


def test_settings_change_security_level_is_saved_and_audited(qtbot, app_parts, tmp_path,
                                                             monkeypatch) -> None:
    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path / "home"))
    service, config = app_parts
    admin = _window(qtbot, service, config, "admin")
    settings = admin.settings_screen
    assert settings.level_box.count() >= 3
    shown = settings.provider_info.text()
    assert "CUDA disabled in the settings" in shown and "onnxruntime 1." in shown
    assert "CPU: CUDA disabled" in admin.status_provider.text()
    index = settings.level_box.findData(0.01)
    assert index >= 0
    settings.level_box.setCurrentIndex(index)
    with qtbot.waitSignal(settings.saved, timeout=10000):
        settings.save()
    from desktop.core.branch.config import load_config

    assert load_config().target_far == 0.01 and service.settings.target_far == 0.01
    # The idle lock's minutes are a setting too, applied to the core's sessions at once.
    settings.idle_spin.setValue(5)
    with qtbot.waitSignal(settings.saved, timeout=10000):
        settings.save()
    assert load_config().idle_timeout_minutes == 5
    assert service.idle_timeout.total_seconds() == 300
    assert service.store.audit_entries()[0].details["idle_timeout_minutes"] == 5
    entry = next(e for e in service.store.audit_entries() if "target_far" in e.details)
    assert entry.action == "settings_changed" and entry.details["target_far"] == 0.01


# ---- issue 12: the clerk's screen never mixes two checks -------------------------------------
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

    def slow_first(session, account, path, zone=None):
        if path == slow_path:
            gate.wait(60)  # the first job is held until the second one is on screen
        return real(session, account, path, zone)

    monkeypatch.setattr(service, "check_cheque", slow_first)
    check.open_cheque(slow_path)
    with qtbot.waitSignal(check.check_done, timeout=30000) as done:
        check.open_cheque(fast_path)
    shown = done.args[0]
    assert shown.cheque_path == fast_path
    gate.set()
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


def test_admin_changes_a_role_and_removes_a_user_in_the_users_tab(qtbot, app_parts) -> None:
    from desktop.core.errors import PermissionDenied

    service, config = app_parts
    carl = service.login("carl", PASSWORDS["carl"])
    olga = service.login("olga", PASSWORDS["olga"])
    admin = _window(qtbot, service, config, "admin")
    screen = admin.users_screen
    qtbot.waitUntil(lambda: screen.table.rowCount() == 3, timeout=10000)
    state = {screen.table.item(r, 0).text(): screen.table.item(r, 2).text()
             for r in range(3)}
    assert state == {"admin": "active", "carl": "active", "olga": "active"}
    assert not screen.change_role_btn.isEnabled()  # nothing selected yet
    # The clerk becomes a supervisor: his open session ends at once.
    screen.select_user("carl")
    assert screen.new_role_box.currentText() == "clerk" and screen.change_role_btn.isEnabled()
    screen.new_role_box.setCurrentText("supervisor")
    with qtbot.waitSignal(screen.loaded, timeout=10000):
        screen.change_role_btn.click()
    row = next(r for r in range(3) if screen.table.item(r, 0).text() == "carl")
    assert screen.table.item(row, 1).text() == "supervisor"
    assert service.store.get_user("carl").role == "supervisor"
    with pytest.raises(PermissionDenied, match="role changed to supervisor"):
        service.search_accounts(carl, "1")
    # Removing asks first: declined, nothing happens; confirmed, the user is removed.
    screen.select_user("olga")
    asked = []
    screen.confirm = lambda title, question: asked.append(question) or False
    screen.remove_btn.click()
    assert len(asked) == 1 and "olga" in asked[0] and service.store.get_user("olga").active
    screen.confirm = lambda title, question: True
    with qtbot.waitSignal(screen.loaded, timeout=10000):
        screen.remove_btn.click()
    row = next(r for r in range(3) if screen.table.item(r, 0).text() == "olga")
    assert screen.table.item(row, 2).text() == "removed"
    assert screen.restore_btn.isEnabled() and not screen.remove_btn.isEnabled()
    assert not service.store.get_user("olga").active
    with pytest.raises(PermissionDenied, match="the user was removed"):
        service.search_accounts(olga, "1")
    actions = [e.action for e in service.store.audit_entries()]
    assert "role_changed" in actions and "user_removed" in actions
    # The admin cannot remove themself: the core refuses and the window says why.
    screen.select_user("admin")
    with qtbot.waitSignal(admin.error_shown, timeout=10000) as err:
        screen.remove_btn.click()
    assert "cannot remove yourself" in err.args[0]
    # Restoring the removed user shows them as active again.
    screen.select_user("olga")
    with qtbot.waitSignal(screen.loaded, timeout=10000):
        screen.restore_btn.click()
    assert screen.table.item(row, 2).text() == "active" and service.store.get_user("olga").active
