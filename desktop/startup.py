"""Start-up pieces of the app that need Qt: translations, the ready signal for benchmarks and
installers (``--exit-when-ready``) and the GUI half of ``--self-test``."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QLocale, QTimer, QTranslator, qVersion
from PySide6.QtWidgets import QApplication, QWidget

from desktop.core.branch.config import LANGUAGES
from desktop.core.branch.selftest import SelfTestReport, run_self_test
from desktop.core.paths import (
    app_translations_dir,
    default_banknote_model_dir,
    samples_dir,
    translations_dir,
)


def ui_locale(language: str = "") -> QLocale:
    """The locale a language setting stands for ("" is the system's; unknown ones too)."""
    if language and language in LANGUAGES:
        return QLocale(language)
    return QLocale.system()


def install_translations(app: QApplication, language: str = "") -> list[QTranslator]:
    """Show the app in ``language`` ("en", "zh_CN"; "" for the system's language): the app's
    own words (``desktop/i18n``) and Qt's standard buttons and dialogs, so that a window never
    mixes two languages. A language the app has no translation of falls back to English
    (Qt's buttons too); English is the source language, and its file holds only the plural
    forms ("1 reference", "5 references"). Translators installed by an earlier call are
    removed first. Returns those installed."""
    for old in getattr(app, "_sigdesk_translators", []):
        app.removeTranslator(old)
    locale = ui_locale(language)
    installed: list[QTranslator] = []
    ours = QTranslator(app)
    if locale.language() != QLocale.Language.English and ours.load(
            locale, "sigdesk", "_", str(app_translations_dir())):
        qt = QTranslator(app)
        if qt.load(locale, "qtbase", "_", str(translations_dir())):
            installed.append(qt)
    else:
        locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
        if not ours.load(str(app_translations_dir() / "sigdesk_en.qm")):
            ours = None
    if ours is not None:
        installed.append(ours)
    for translator in installed:
        app.installTranslator(translator)
    app._sigdesk_translators = installed
    QLocale.setDefault(locale)
    return installed


def signal_ready(window: QWidget, ready, failed, what: str, started: float) -> None:
    """``--exit-when-ready``: print ``READY {json}`` and quit once ``ready`` fires (the window
    is shown and its model loaded), or ``FAILED <message>`` and exit 1 on ``failed`` (a
    signal, or None when nothing can fail after the window is up).
    ``started`` is ``time.perf_counter()`` when ``main()`` began."""
    app = QApplication.instance()

    def done(*_args) -> None:
        shown = window.isVisible()
        print("READY " + json.dumps({"window": what, "visible": shown,
                                     "ms_since_start": round(1000 * (time.perf_counter()
                                                                     - started), 1)}),
              flush=True)
        app.exit(0 if shown else 1)

    def fail(message: str) -> None:
        print(f"FAILED {message}", flush=True)
        app.exit(1)

    ready.connect(done)
    if failed is not None:
        failed.connect(fail)


def _wait(signal_ok, signal_bad, seconds: float) -> tuple[bool, str]:
    """Run the event loop until one of two signals fires or the time is up."""
    loop = QEventLoop()
    outcome: list[tuple[bool, str]] = []
    signal_ok.connect(lambda *_: (outcome.append((True, "")), loop.quit()))
    signal_bad.connect(lambda msg: (outcome.append((False, str(msg))), loop.quit()))
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    return outcome[0] if outcome else (False, f"nothing happened within {seconds:.0f} s")


def gui_self_test(report: SelfTestReport, model_dir: Path, provider: str) -> None:
    """The window half of the self-test: Qt's platform plugin, the translations, and the
    comparison window loading the signature model on a worker thread."""
    from desktop.ui.main_window import MainWindow

    app = QApplication.instance()
    report.add("Qt", True, f"platform {app.platformName()}, Qt {qVersion()}")
    chinese, qt_chinese, folder = QTranslator(app), QTranslator(app), translations_dir()
    found = (chinese.load(QLocale("zh_CN"), "sigdesk", "_", str(app_translations_dir()))
             and qt_chinese.load(QLocale("zh_CN"), "qtbase", "_", str(folder)))
    report.add("translations", found, f"the app's Simplified Chinese from "
               f"{app_translations_dir()}, Qt's from {folder}")
    window = MainWindow(model_dir, provider)
    window.show()
    ok, message = (True, "") if window.verifier is not None else _wait(
        window.model_ready, window.error_shown, 120)
    report.add("window", ok and window.isVisible(),
               "the comparison window loaded the signature model" if ok else message)
    window.close()


def self_test(model_dir: Path, provider: str, started: float) -> int:
    """``sigdesk --self-test``: the core checks, then the window; 0 only when all pass."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless on any machine
    report = run_self_test(samples_dir(), model_dir, default_banknote_model_dir(), provider)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from desktop.ui.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector(app)  # the window test loads its model on a worker
    if report.ok:
        gui_self_test(report, model_dir, provider)
    collector.stop()
    app.processEvents()
    report.seconds = time.perf_counter() - started
    print(report.as_text(), flush=True)
    return 0 if report.ok else 1
