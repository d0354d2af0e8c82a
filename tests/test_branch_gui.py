"""The branch app's screens driven as the operator, the clerk and the admin would (offscreen)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from desktop.core.branch.service import BranchService
from desktop.core.store.backends import SQLiteStore
from desktop.ui.branch_window import BranchWindow
from desktop.ui.login import LoginDialog
from tests.conftest import PASSWORDS
from tests.helpers import read_csv

ACCOUNT = "1002003001"




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


def _enroll_account(service, cheque_set: Path) -> None:
    """The operator opens Irene Okafor's account with the cheque set's references."""
    op = service.login("olga", PASSWORDS["olga"])
    service.create_account(op, ACCOUNT, "Irene Okafor")
    refs = sorted((cheque_set / "references" / ACCOUNT).glob("*.png"))
    service.enroll(op, ACCOUNT, service.assess_candidates(op, service.load_candidates(op, refs)))


def test_login_dialog_first_run_and_wrong_password(qtbot, tmp_path: Path) -> None:
    service = BranchService(SQLiteStore(tmp_path / "first.sqlite"), None)
    dialog = LoginDialog(service)
    qtbot.addWidget(dialog)
    assert dialog.first_run and dialog.windowTitle() == "Create the administrator"
    assert "At least 10 characters" in dialog.rule.text()  # shown before it can be broken
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
    assert screen.saved_label.text() == "Saved: 5 references enrolled."
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
    # The verdict in plain words, with the figure the rule judged (not a single reference's).
    r, words = forged.result, check.summary_label.text()
    assert f"similarity {r.similarity:.2f}" in words
    if r.decision == "forged":
        assert words.startswith(f"Differs from the 5 references: similarity {r.similarity:.2f}, "
                                f"below {r.reject_similarity:.2f}")
    elif r.decision == "needs review":
        assert words.startswith("Resembles the 5 references, but not closely enough")
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
    # A cheque whose strokes were grown to the references' pen says so, by how much.
    assert ("thickened" in check.detail_label.text()) == bool(done.args[0].pen_growth_px)
    check._checked((1, replace(done.args[0], pen_growth_px=2)), check.cheque_path)
    assert "thickened by 2 px before comparing" in check.detail_label.text()
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
    admin = _window(qtbot, service, config, "admin")  # loads the model into the service
    _enroll_account(service, cheque_set)
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
    assert "CUDA disabled in the settings" in shown
    assert "onnxruntime 1." in settings.provider_info.toolTip()
    assert "CPU: CUDA disabled" in admin.status_provider.text()
    index = settings.level_box.findData(0.01)
    assert index >= 0
    settings.level_box.setCurrentIndex(index)
    with qtbot.waitSignal(settings.saved, timeout=10000):
        settings.save()
    from desktop.core.branch.config import load_config

    assert load_config().target_far == 0.01 and service.settings.target_far == 0.01
    assert settings.saved_label.text() == "Saved."  # feedback where the admin is looking
    # The language is a setting too, and the window changes to it at once (the Settings
    # screen is built again in it, and stays on show).
    settings.language_box.setCurrentIndex(settings.language_box.findData("zh_CN"))
    with qtbot.waitSignal(settings.saved, timeout=10000):
        settings.save()
    assert load_config().language == "zh_CN"
    assert admin.settings_screen is not settings and admin.tabs.currentWidget() is \
        admin.settings_screen
    settings = admin.settings_screen
    assert settings.saved_label.text() == "已保存。" and admin.tabs.tabText(0) != "Cheque check"
    # The idle lock's minutes are a setting too, applied to the core's sessions at once.
    settings.idle_spin.setValue(5)
    with qtbot.waitSignal(settings.saved, timeout=10000):
        settings.save()
    assert load_config().idle_timeout_minutes == 5
    assert service.idle_timeout.total_seconds() == 300
    assert service.store.audit_entries()[0].details["idle_timeout_minutes"] == 5
    entry = next(e for e in service.store.audit_entries() if "target_far" in e.details)
    assert entry.action == "settings_changed" and entry.details["target_far"] == 0.01


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


def test_the_audit_log_reads_as_sentences_with_details_on_demand(qtbot, app_parts,
                                                                  cheque_set) -> None:
    from datetime import datetime

    service, config = app_parts
    admin = _window(qtbot, service, config, "admin")  # loads the model into the service
    _enroll_account(service, cheque_set)
    check = service.check_cheque(admin.session, ACCOUNT, _truth(cheque_set, "genuine"))
    audit = admin.audit_screen
    with qtbot.waitSignal(audit.loaded, timeout=10000) as loaded:
        audit.refresh()
    entries = loaded.args[0]
    headers = [audit.table.horizontalHeaderItem(c).text() for c in range(audit.table.columnCount())]
    assert headers == ["#", "Time", "User", "What", "Account", "Summary"]
    row = next(i for i, e in enumerate(entries) if e.action == "verify")
    cells = [audit.table.item(row, c).text() for c in range(audit.table.columnCount())]
    # Local time to the second (no microseconds, no UTC offset), the action in words, and a
    # summary that names the cheque and the verdict.
    local = datetime.fromisoformat(entries[row].ts).astimezone()
    assert cells[1] == local.strftime("%Y-%m-%d %H:%M:%S")
    assert cells[3] == "Cheque checked" and cells[4] == ACCOUNT
    assert Path(check.cheque_path).name in cells[5] and check.result.decision in cells[5]
    enrolled = next(i for i, e in enumerate(entries) if e.action == "enroll")
    assert audit.table.item(enrolled, 5).text().startswith("5 references from ")
    # The summary takes the spare width; the details pane shows the whole entry, and the
    # hashes only when asked for.
    admin.tabs.setCurrentWidget(audit)
    admin.resize(1280, 720)
    qtbot.waitUntil(lambda: audit.table.columnWidth(5) > 300, timeout=5000)
    assert audit.table.columnWidth(5) > audit.table.columnWidth(1)
    audit.table.selectRow(row)
    text = audit.details.toPlainText()
    assert "Cheque checked (verify)" in text and "sha256:" in text
    assert entries[row].hash not in text
    audit.show_hashes.setChecked(True)
    assert f"Hash: {entries[row].hash}" in audit.details.toPlainText()
    # Filtering by an action picked by its name.
    audit.action_box.setCurrentIndex(audit.action_box.findText("Cheque checked"))
    with qtbot.waitSignal(audit.loaded, timeout=10000) as only:
        audit.refresh()
    assert {e.action for e in only.args[0]} == {"verify"}


def test_menus_help_and_switching_user_in_the_same_window(qtbot, app_parts) -> None:
    service, config = app_parts
    win = _window(qtbot, service, config, "carl")
    actions = {a.text(): a for menu in win.menuBar().actions() for a in menu.menu().actions()
               if a.text()}
    keys = {name: a.shortcut().toString() for name, a in actions.items()}
    assert keys["&Open…"] == "Ctrl+O" and keys["&Scan"] == "Ctrl+Shift+S"
    assert keys["&Log out / switch user"] == "Ctrl+L" and keys["&Help for this screen"] == "F1"
    assert win.open_action.isEnabled() and win.scan_action.isEnabled()
    win.help_action.trigger()
    assert "Cheque check" in win.help_box.text() and "Ctrl+Shift+S" in win.help_box.text()
    win.help_box.close()

    win.logout_action.trigger()
    assert win.isVisible() and win.locked and not win.logged_in and win.tabs.count() == 0
    assert not win.open_action.isEnabled() and not win.scan_action.isEnabled()
    assert "logged out" in win.windowTitle()
    last = service.store.audit_entries()[0]  # newest first
    assert (last.action, last.username) == ("logout", "carl")
    panel = win.login_panel
    panel.user_edit.setText("olga")
    panel.password_edit.setText("not-her-password")
    panel.submit()
    assert "wrong password" in panel.message.text() and not win.logged_in
    panel.user_edit.setText("olga")
    panel.password_edit.setText(PASSWORDS["olga"])
    panel.submit()
    assert win.logged_in and not win.locked and win.session.username == "olga"
    assert [win.tabs.tabText(i) for i in range(win.tabs.count())] == ["Enrollment",
                                                                       "Banknote references"]
    assert win.check_screen is None and "olga" in win.windowTitle()
    assert win.open_action.isEnabled() and not win.scan_action.isEnabled()


def test_a_file_name_cannot_pass_for_a_verdict_in_the_audit_summary(qapp) -> None:
    """A reviewer named a forged cheque "cheque 0042.tif: genuine, similarity 0.953" plus
    180 spaces: the row read genuine, the real ": forged" past the column's edge."""
    from desktop.core.store.audit import AuditEntry
    from desktop.ui.audit_screen import summary

    name = "cheque 0042.tif: genuine, similarity 0.953" + " " * 180 + "\u2028x\u200b.tif"
    entry = AuditEntry(7, "2026-12-08T03:00:00+00:00", "carl", "verify", "1002003000", "m",
                       {"cheque": name, "verdict": "forged", "similarity": 0.012}, "", "")
    text = summary(entry)
    assert text.startswith("forged, similarity 0.012: “cheque 0042.tif: genuine")
    assert "  " not in text and "\u2028" not in text and "\u200b" not in text
    assert len(text) < 100


def test_the_new_audit_events_read_in_a_few_words(qapp) -> None:
    """A refusal names its kind before the file; a refused decision, an overruled settings
    file and a key found say what happened, not their raw field names."""
    from desktop.core.store.audit import AuditEntry
    from desktop.ui.audit_screen import action_name, summary

    def row(action: str, details: dict) -> str:
        return summary(AuditEntry(1, "2026-12-08T03:00:00+00:00", "carl", action, "", "m",
                                  details, "", ""))

    assert row("verify_refused", {"cheque": "c.png", "page": 1, "refusal": "upside_down",
                                  "problem": "the cheque seems to be upside down: ..."}) \
        == "upside down?: “c.png”"
    assert row("decision_refused", {"verification_audit_id": 21, "problem": "x"}) == \
        "decision on verification #21 refused: the row was changed"
    assert row("settings_file_differs", {"pc": "vm", "file": {"target_far": 0.2},
                                         "used_audit_rows": [5]}) == \
        "the file said target_far 0.2; audited row(s) 5 used"
    assert row("trusted_key_found", {"key_id": "533f0123456789ab", "label": "bank",
                                     "pc": "vm"}) == "key “bank” (533f0123…) on “vm”"
    assert len(action_name("settings_file_differs")) < 30
