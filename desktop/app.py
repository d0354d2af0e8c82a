"""``sigdesk``: the branch app (login, cheque check, enrollment, audit, settings).

It runs on its embedded defaults: the SQLite store and settings in the platform's data folder
(``$SIGDESK_HOME`` overrides it) and the shipped model. ``sigdesk --compare`` opens the
stand-alone comparison window instead (files only, no store, no login).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from desktop.core.models.runtime import PROVIDER_CHOICES
from desktop.core.paths import default_signature_model


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sigdesk`` console script."""
    started = time.perf_counter()
    parser = argparse.ArgumentParser(prog="sigdesk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true",
                        help="the comparison window: references and a query from files")
    parser.add_argument("--model", type=Path, default=None, help="signature model folder")
    parser.add_argument("--provider", choices=PROVIDER_CHOICES, default=None)
    parser.add_argument("--store", default=None,
                        help="store file or postgresql:// URL (branch app); it must exist "
                        "unless --create")
    parser.add_argument("--create", action="store_true",
                        help="create the --store file (or the URL's tables) when missing")
    parser.add_argument("--reference", nargs="*", default=[], help="(--compare) references")
    parser.add_argument("--query", default=None, help="(--compare) the query")
    parser.add_argument("--language", default=None, choices=["en", "zh_CN"],
                        help="the interface's language (default: the one set in Settings, "
                        "else the system's)")
    parser.add_argument("--self-test", action="store_true",
                        help="check the shipped models on the bundled samples, headless; "
                        "exit status 0 only when every result is right")
    parser.add_argument("--exit-when-ready", action="store_true",
                        help="print READY {json} and quit once the window is ready (with "
                        "--compare: shown and its model loaded; else: the login shown)")
    args, qt_args = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from desktop import startup

    if args.self_test:
        return startup.self_test(args.model or default_signature_model(),
                                 args.provider or "auto", started)

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Signature verification")
    from desktop.ui.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector(app)  # noqa: F841 - alive until the app ends
    from desktop.ui.style import install_focus_style

    install_focus_style(app)  # where the keyboard focus is, visible on every control
    startup.install_translations(app, args.language or "")
    if args.compare:
        from desktop.ui.main_window import MainWindow

        window = MainWindow(args.model or default_signature_model(), args.provider or "auto")
        if args.exit_when_ready:
            startup.signal_ready(window, window.model_ready, window.error_shown, "compare",
                                 started)
        if args.reference:
            window.add_reference_files(args.reference)
        if args.query:
            window.set_query_file(args.query)
        window.show()
        return app.exec()

    from desktop.core.branch.config import (
        AppConfig,
        ConfigError,
        load_config,
        open_configured_store,
    )
    from desktop.core.branch.decisions import DecisionSettings
    from desktop.core.branch.service import BranchService
    from desktop.core.errors import VerificationError
    from desktop.core.signature.cheque import DEFAULT_ZONE, SignatureZone
    from desktop.ui.login import LoginDialog

    try:
        config = load_config()
    except ConfigError as exc:
        QMessageBox.warning(
            None, QCoreApplication.translate("sigdesk", "Settings not read"),
            QCoreApplication.translate("sigdesk", "{problem}\nThe defaults are used; the file "
                                       "is left as it is.").format(problem=exc))
        config = AppConfig()
    if not args.language and config.language:
        startup.install_translations(app, config.language)  # the language set in Settings
    if args.model:
        config.model_dir = str(args.model)
    if args.provider:
        config.provider = args.provider
    try:
        # The first start creates the default store; a --store path only with --create.
        store = open_configured_store(config, args.store, create=args.create, app_start=True)
        zone = SignatureZone.from_dict(config.zone) if config.zone else DEFAULT_ZONE
    except (VerificationError, ValueError) as exc:
        from desktop.ui.wording import error_text

        QMessageBox.critical(None, QCoreApplication.translate("sigdesk", "Cannot start"),
                             error_text(exc))
        return 2
    service = BranchService(store, None, DecisionSettings(config.method, config.target_far, zone))
    login = LoginDialog(service)
    if args.exit_when_ready:
        startup.signal_ready(login, login.shown, None, "login", started)
    if login.exec() != LoginDialog.DialogCode.Accepted or login.session is None:
        return 0
    window = branch_window(service, login.session, config)
    if window is None:
        store.close()
        return 2
    window.show()
    code = app.exec()
    store.close()
    return code


def branch_window(service, session, config):
    """The branch window for a logged-in ``session``, with the decision settings in force:
    the administrator's audited ones overrule an edited ``settings.json`` (the user is told,
    the difference audited, the window given them). None when the store cannot say which
    are in force (the reason shown)."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

    from desktop.core.branch.config import config_path
    from desktop.core.branch.settings_check import settings_in_force
    from desktop.core.errors import VerificationError
    from desktop.ui.branch_window import BranchWindow
    from desktop.ui.wording import error_text, worded

    try:
        in_force = settings_in_force(service, session, config, str(config_path()))
    except VerificationError as exc:
        QMessageBox.critical(None, QCoreApplication.translate("sigdesk", "Cannot start"),
                             error_text(exc))
        return None
    if in_force.notice is not None:
        QMessageBox.warning(None, QCoreApplication.translate("sigdesk", "Settings overruled"),
                            worded(in_force.notice))
    return BranchWindow(service, session, in_force.config)


if __name__ == "__main__":
    raise SystemExit(main())
