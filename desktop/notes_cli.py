"""``sigdesk-notes``: enroll a whole currency's reference notes from a folder.

    SIGDESK_PASSWORD=... sigdesk-notes enroll FOLDER --user operator [--series "2013"]

``FOLDER`` holds ``<currency>/<denomination>/<side>/`` folders of pictures (``EUR/20/front/``,
up to 5 pictures a side: flat scans or photos of the note). Every side is enrolled as the
operator's screen enrolls it (found, straightened, near-duplicates refused, audited), on the
store and banknote model of this PC's settings; one line per side says what was stored and
what was left out. Pictures already enrolled are not stored again, so the same folder can be
enrolled again after one bad side is fixed. The password is read from ``$SIGDESK_PASSWORD``
or asked for.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from desktop.core.branch.config import ConfigError, load_config
from desktop.core.errors import VerificationError
from desktop.core.models.runtime import PROVIDER_CHOICES

PASSWORD_ENV = "SIGDESK_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    ap = argparse.ArgumentParser(prog="sigdesk-notes", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    e = sub.add_parser("enroll", help="enroll <currency>/<denomination>/<side>/ folders")
    e.add_argument("folder", type=Path)
    e.add_argument("--user", required=True, help="an operator's user name")
    e.add_argument("--series", default="", help="series label for every side (optional)")
    e.add_argument("--store", default=None, help="the store (default: this PC's settings)")
    e.add_argument("--model", type=Path, default=None,
                   help="banknote model folder (default: this PC's settings)")
    e.add_argument("--provider", choices=PROVIDER_CHOICES, default=None)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0 when every side was enrolled (or had been already: running it again is
    safe), 1 when some were left out, 2 when it cannot start."""
    args = build_parser().parse_args(argv)
    from desktop.core.banknote.model import BanknoteModel
    from desktop.core.branch.service import BranchService
    from desktop.core.store.factory import open_store

    try:
        cfg = load_config()
        store = open_store(args.store or cfg.store_location())  # never creates one
        model = BanknoteModel(args.model or cfg.banknote_model_location(),
                              args.provider or cfg.provider)
        service = BranchService(store, None, banknotes=model)
        password = os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {args.user}: ")
        session = service.login(args.user, password)
        sides = service.notes.enroll_banknote_folder(session, args.folder, args.series)
    except (VerificationError, ConfigError) as exc:
        print(f"sigdesk-notes: {exc}", file=sys.stderr)
        return 2
    for side in sides:
        print(side.summary())
    return 1 if any(s.problem for s in sides) else 0


if __name__ == "__main__":
    raise SystemExit(main())
