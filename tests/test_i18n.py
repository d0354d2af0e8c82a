"""The interface in Simplified Chinese and in English: every visible string is translated,
the translations are complete and compiled, and the language follows the setting (offscreen)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTabWidget,
    QWidget,
)

from desktop.startup import install_translations
from tests.conftest import PASSWORDS

ROOT = Path(__file__).resolve().parents[1]
# Words that stay as they are in a Chinese interface: names of keys, units and products and
# the test users', a test account holder's and the test signing keys' names (codes in
# capitals, such as CPU, PDF or CYR, are not English prose; nor are package names such as
# onnxruntime-gpu[cuda,cudnn]).
KEEP = re.compile(r"\b(SigDesk|English|Ctrl|Shift|Esc|Qt|dpi|admin|olga|carl|Irene|Okafor|"
                  r"demo|test|PostgreSQL|SQLite|Tensorrt|cuDNN|zh_CN)\b|onnxruntime(-gpu)?|"
                  r"\[cuda,cudnn\]|"
                  r"python-sane|\[scanner\]|`sigdesk-keys add FILE`")
PATHISH = re.compile(r"\S*[/\\]\S*|\S+\.(png|jpe?g|tiff?|bmp|pdf|sqlite|csv|pub|pem)\b|"
                     r"\b(signature|banknote)-[0-9a-f]{6,}\b|\*\.\w+|<[^>]+>|&\w+;")


# Names the core's sentences keep in every language: commands (in backticks) and packages to
# install, options, a manifest's field, the Linux group, and the side folders' names a currency
# folder must use.
CORE_NAMES = re.compile(r"“scanner”|scanimage -L|apt install libsane1 sane-utils|`[^`]+`|"
                        r"'files'|manifest\.sig|--create|"
                        r"\b(SigDesk|Linux|Debian|NaN|front|back)\b")


def _english(text: str) -> bool:
    """Whether ``text`` still holds English words once names and paths are set aside."""
    rest = PATHISH.sub(" ", KEEP.sub(" ", text.replace("&", "")))
    return re.search(r"\b[A-Za-z]*[a-z][A-Za-z]*\b", rest) is not None and any(
        len(word) >= 3 for word in re.findall(r"\b[A-Za-z]*[a-z][A-Za-z]*\b", rest))


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) of everything a user can read in ``root``: titles, labels, buttons,
    tabs, menus, placeholders, combo items, table headers and tooltips."""
    out: list[tuple[str, str]] = [("window title", root.windowTitle())]
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root) and w is not root:
            continue
        kind = type(w).__name__
        if w.toolTip():
            out.append((f"{kind} tooltip", w.toolTip()))
        if isinstance(w, QLabel):
            out.append((kind, w.text()))
        elif isinstance(w, QAbstractButton):
            out.append((kind, w.text()))
        elif isinstance(w, QGroupBox):
            out.append((kind, w.title()))
        elif isinstance(w, QLineEdit):
            out.append((f"{kind} placeholder", w.placeholderText()))
        elif isinstance(w, QComboBox):
            out += [(kind, w.itemText(i)) for i in range(w.count())]
        elif isinstance(w, QTabWidget):
            out += [("tab", w.tabText(i)) for i in range(w.count())]
        elif isinstance(w, QTableWidget):
            out += [("table header", w.horizontalHeaderItem(i).text())
                    for i in range(w.columnCount()) if w.horizontalHeaderItem(i)]
    for menu in root.findChildren(QMenu):
        out.append(("menu", menu.title()))
        out += [("menu item", a.text()) for a in menu.actions() if a.text()]
    return [(where, text) for where, text in out if text]


@pytest.fixture()
def chinese(qapp: QApplication):
    """The app's translators for zh_CN installed, removed again after the test."""
    installed = install_translations(qapp, "zh_CN")
    yield installed
    install_translations(qapp, "en")


def test_translations_are_complete_and_compiled() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import update_translations
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert update_translations.check() == []


def test_every_screen_in_chinese_shows_no_english(qtbot, app_parts, chinese, cheque_set,
                                                  tmp_path: Path) -> None:
    from desktop.ui.branch_window import BranchWindow
    from desktop.ui.login import LoginDialog
    from desktop.ui.main_window import MainWindow

    assert len(chinese) == 2  # the app's own words and Qt's buttons: never a mixed window
    service, config = app_parts
    left: list[str] = []
    win = BranchWindow(service, service.login("admin", PASSWORDS["admin"]), config)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_ready, timeout=30000):
        win.show()
    for i in range(win.tabs.count()):
        win.tabs.setCurrentIndex(i)
        qtbot.waitUntil(lambda: win.tabs.currentWidget().isVisible(), timeout=5000)
        left += [f"{win.tabs.tabText(i)} / {where}: {text!r}"
                 for where, text in visible_texts(win) if _english(text)]
    # A cheque checked, with its technical details open: the verdict's words, the rules.
    from tests.test_branch_gui import ACCOUNT, _enroll_account, _truth

    _enroll_account(service, cheque_set)
    check = win.check_screen
    win.tabs.setCurrentWidget(check)
    with qtbot.waitSignal(check.references_loaded, timeout=20000):
        check.picker.load(ACCOUNT)
    for kind in ("genuine", "forged"):
        with qtbot.waitSignal(check.check_done, timeout=60000):
            check.open_cheque(_truth(cheque_set, kind))
        check.details_button.setChecked(True)
        left += [f"cheque checked / {where}: {text!r}"
                 for where, text in visible_texts(win) if _english(text)]
    # A banknote checked: its denomination, reasons and timings are worded too.
    from tests.test_banknote_screen import _capture

    if win.service.notes.model is None:
        qtbot.waitSignal(win.banknote_model_ready, timeout=60000).wait()
    win.tabs.setCurrentWidget(win.banknote_screen)
    with qtbot.waitSignal(win.banknote_screen.check_done, timeout=60000):
        win.banknote_screen.open_note(_capture(tmp_path, "CYR-50-front", "missing_thread"))
    left += [f"banknote checked / {where}: {text!r}"
             for where, text in visible_texts(win) if _english(text)]
    win.help_action.trigger()
    left += [f"help: {text!r}" for text in [win.help_box.text()] if _english(text)]
    win.help_box.close()
    win.logout_action.trigger()  # the log-in panel
    left += [f"logged out / {where}: {text!r}"
             for where, text in visible_texts(win) if _english(text)]
    login = LoginDialog(service)
    qtbot.addWidget(login)
    login.show()
    left += [f"login / {where}: {text!r}" for where, text in visible_texts(login)
             if _english(text)]
    compare = MainWindow(config.model_dir, "cpu")
    qtbot.addWidget(compare)
    with qtbot.waitSignal(compare.model_ready, timeout=30000):
        compare.show()
    left += [f"compare / {where}: {text!r}" for where, text in visible_texts(compare)
             if _english(text)]
    assert sorted(set(left)) == [], "\n".join(sorted(set(left)))


def test_the_language_chosen_in_settings_applies_at_once(qtbot, app_parts, tmp_path,
                                                          monkeypatch) -> None:
    """An admin picks Chinese in Settings and saves: the menus, tabs, status bar and every
    screen are in Chinese without a restart, for the same session."""
    from tests.test_branch_gui import _window

    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path / "home"))
    service, config = app_parts
    win = _window(qtbot, service, config, "admin")
    session = win.session
    settings = win.settings_screen
    assert win.tabs.tabText(0) == "Cheque check"
    settings.language_box.setCurrentIndex(settings.language_box.findData("zh_CN"))
    with qtbot.waitSignal(settings.saved, timeout=10000):
        settings.save()
    assert win.session is session and win.logged_in  # no log-in again
    left: list[str] = []
    for i in range(win.tabs.count()):
        win.tabs.setCurrentIndex(i)
        qtbot.waitUntil(lambda: win.tabs.currentWidget().isVisible(), timeout=5000)
        left += [f"{win.tabs.tabText(i)} / {where}: {text!r}"
                 for where, text in visible_texts(win) if _english(text)]
    win.lock()  # the lock panel was built again too
    left += [f"locked / {where}: {text!r}" for where, text in visible_texts(win)
             if _english(text)]
    assert sorted(set(left)) == [], "\n".join(sorted(set(left)))


def test_english_shows_plurals_and_other_languages_fall_back_to_it(qapp: QApplication) -> None:
    for language in ("en", "de_DE"):  # no German: all English, Qt's buttons included
        installed = install_translations(qapp, language)
        assert len(installed) == 1
        assert QApplication.translate("CheckScreen", "Open cheque…") == "Open cheque…"
        one = QApplication.translate("CheckScreen", "Account {number} · %n reference(s)", "", 1)
        five = QApplication.translate("CheckScreen", "Account {number} · %n reference(s)", "", 5)
        assert (one, five) == ("Account {number} · 1 reference",
                               "Account {number} · 5 references")
    install_translations(qapp, "zh_CN")
    assert QApplication.translate("CheckScreen", "Open cheque…") != "Open cheque…"
    assert QApplication.translate("QPlatformTheme", "Cancel") == "取消"  # Qt's own buttons
    install_translations(qapp, "en")


def _core_templates() -> list[str]:
    """The core's sentences marked ``N_`` (context "" in the .ts)."""
    import xml.etree.ElementTree as ET

    root = ET.parse(ROOT / "desktop" / "i18n" / "sigdesk_zh_CN.ts").getroot()
    return [m.findtext("source", "") for c in root.iter("context") if not c.findtext("name")
            for m in c.iter("message")]


def test_the_cores_messages_are_worded_in_the_users_language(chinese) -> None:
    import string

    from desktop.core.errors import N_, Message
    from desktop.ui.wording import worded

    templates = _core_templates()
    assert len(templates) > 150  # the core's refusals, file problems, reasons and words
    for template in templates:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        values = {name: "42%" for name in names}
        if "side" in values:
            values["side"] = Message(N_("front"))  # a word inside a sentence is worded too
        shown = worded(Message(template, **values))
        shown = CORE_NAMES.sub(" ", shown)
        assert not _english(shown), (template, shown)
    assert "正面" in worded(Message(N_("both pictures show the {side}; the other side was not "
                                     "checked"), side=Message(N_("front"))))
    assert worded("a sentence without a code") == "a sentence without a code"


def test_the_cores_messages_to_a_person_are_all_marked() -> None:
    """Every error the core raises for a person, and every quality finding, is built from a
    marked sentence (a ``Message``), not from a bare string: the window can translate it."""
    import ast

    # the argument that carries the sentence, by what is called
    sentence_at = {"ServiceError": 0, "AuthError": 0, "PermissionDenied": 0,
                   "InputImageError": 1, "ChequeRefused": 1, "flag": 1, "rejected": 1}
    loose = []
    for path in sorted((ROOT / "desktop" / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            at = sentence_at.get(getattr(node.func, "id", getattr(node.func, "attr", "")))
            if at is None or len(node.args) <= at:
                continue
            arg = node.args[at]
            if isinstance(arg, (ast.JoinedStr, ast.BinOp)) or (
                    isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                loose.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not loose, loose


def test_the_cores_fixed_phrases_and_their_gists_are_translated(chinese) -> None:
    """The windows' tables of the core's fixed phrases (why a model runs on the CPU, in full
    and as the status bar's gist; where a trusted key came from) hold exactly the core's, so
    a reworded phrase in the core fails here instead of silently showing English."""
    from desktop.core.models import keys, runtime
    from desktop.ui import wording

    gists = {runtime.ProviderInfo("auto", runtime.CPU, r).reason_gist
             for r in runtime.FIXED_CPU_REASONS}
    assert set(wording.PROVIDER_REASONS) == set(runtime.FIXED_CPU_REASONS) | gists
    assert set(wording.KEY_ORIGINS) == set(keys.KEY_ORIGINS)
    for reason in runtime.FIXED_CPU_REASONS:
        info = runtime.ProviderInfo("auto", runtime.CPU, reason)
        for shown in (wording.provider_status(info), wording.provider_text(info)):
            assert not _english(CORE_NAMES.sub(" ", shown)), shown


def test_in_english_the_worded_messages_are_the_cores_own_sentences(tmp_path: Path) -> None:
    import numpy as np

    from desktop.core.errors import InputImageError
    from desktop.core.imaging.decode import load_page
    from desktop.core.signature.cheque import SignatureZone, extract_signature
    from desktop.ui.wording import error_text, worded

    raised = []
    for attempt in (
        lambda: load_page(tmp_path / "missing.png"),
        lambda: extract_signature(np.full((600, 1400), 250, np.uint8)),  # blank paper
        lambda: extract_signature(np.full((300, 300), 250, np.uint8)),  # not cheque-shaped
        lambda: extract_signature(np.full((600, 1400), 250, np.uint8) - np.eye(
            600, 1400, dtype=np.uint8) * 200, SignatureZone(0.05, 0.05, 0.2, 0.2)),
    ):
        with pytest.raises(InputImageError) as info:
            attempt()
        raised.append(info.value)
    for exc in raised:
        assert getattr(exc.problem, "template", None), exc  # marked: a window words it
        assert worded(exc.problem) == exc.problem and error_text(exc) == str(exc)


def test_a_refusal_of_the_core_reaches_the_window_in_chinese(chinese, branch) -> None:
    """A wrong password, an enrollment finding and a note's side, as the windows show them."""
    import copy
    import pickle

    from desktop.core.errors import AuthError, ServiceError
    from desktop.ui.users_screen import role_name
    from desktop.ui.wording import error_text

    service, sessions = branch
    with pytest.raises(AuthError) as wrong:
        service.login("carl", "not the password")
    assert str(wrong.value) == "unknown user name or wrong password"  # the log's English
    assert error_text(wrong.value) == "用户名不存在或密码错误"
    with pytest.raises(ServiceError) as unknown:
        service.account(sessions["clerk"], "no-such-account")
    assert error_text(unknown.value) == "不存在账户 no-such-account"
    assert role_name("supervisor") == "主管" and role_name("auditor") == "auditor"
    message = unknown.value.args[0]
    for again in (copy.copy(message), pickle.loads(pickle.dumps(message))):
        assert again == message and again.template == message.template
        assert again.values == message.values


def test_the_audit_summary_words_verdicts_and_decisions_in_chinese(chinese) -> None:
    """Stored codes (forged, accept) were shown as they are in the Chinese audit log."""
    from desktop.core.store.audit import AuditEntry
    from desktop.ui.audit_screen import summary

    def row(action: str, details: dict) -> str:
        return summary(AuditEntry(1, "2026-12-08T03:00:00+00:00", "carl", action, "", "m",
                                  details, "", ""))

    assert row("verify", {"cheque": "c.png", "verdict": "forged", "similarity": 0.1}) \
        .startswith("伪造")
    text = row("decision", {"decision": "accept", "verdict": "needs review", "cheque": "c.png"})
    assert "accept" not in text and "needs review" not in text
