"""``sigdesk``: start the desktop app on the shipped model (or one given with --model)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from desktop.core.paths import default_signature_model
from desktop.core.runtime import PROVIDER_CHOICES


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sigdesk`` console script."""
    parser = argparse.ArgumentParser(prog="sigdesk", description=__doc__)
    parser.add_argument("--model", type=Path, default=None, help="signature model folder")
    parser.add_argument("--provider", choices=PROVIDER_CHOICES, default="auto")
    parser.add_argument("--reference", nargs="*", default=[], help="open these references")
    parser.add_argument("--query", default=None, help="open this query")
    args, qt_args = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from PySide6.QtWidgets import QApplication

    from desktop.ui.main_window import MainWindow

    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Signature verification")
    window = MainWindow(args.model or default_signature_model(), args.provider)
    if args.reference:
        window.add_reference_files(args.reference)
    if args.query:
        window.set_query_file(args.query)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
