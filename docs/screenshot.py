"""Screenshot of the clerk's cheque screen with a verdict, for the README.

Builds a throw-away store from the project's own synthetic cheques (no real data), enrolls
two account holders, logs in as a clerk, checks one cheque and saves the window as PNG:

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshot.py docs/images/cheque-check.png

The cheque checked is a genuine cheque of another holder, checked against the first holder's
account (what a forger's cheque looks like to the app), so the verdict shown is the app's
real answer on that cheque with the shipped model.
"""
from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402


def _shrink(path: str) -> None:
    """Re-save as a 256-colour PNG (a screen of greys and a few colours) when Pillow is there."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main(out: str) -> None:
    app = QApplication(sys.argv[:1])
    from desktop.startup import install_translations

    install_translations(app, "en")  # as the app starts on an English PC (plural forms)
    from desktop.core.branch.config import AppConfig
    from desktop.core.branch.service import BranchService
    from desktop.core.store.backends import SQLiteStore
    from desktop.ui.branch_window import BranchWindow
    from training.signature.cheques import generate_cheque_set

    def spin(cond, n: int = 600) -> None:
        for _ in range(n):
            app.processEvents()
            if cond():
                return
            time.sleep(0.05)
        raise SystemExit("timed out waiting for the window")

    tmp = Path(tempfile.mkdtemp(prefix="sigdesk-shot-"))
    root = generate_cheque_set(tmp / "set", n_accounts=2, seed=3)
    truth = list(csv.DictReader(open(root / "truth.csv", encoding="utf-8")))
    accounts = sorted({r["account_number"] for r in truth})

    svc = BranchService(SQLiteStore(tmp / "store.sqlite", create=True), None)
    admin = svc.create_first_admin("admin", "admin-pass-123")
    svc.create_user(admin, "olga", "operator", "operator-pass-1")
    svc.create_user(admin, "carl", "clerk", "clerk-pass-123")
    config = AppConfig(model_dir=str(ROOT / "exported_models" / "signature"), provider="cpu")
    win = BranchWindow(svc, svc.login("carl", "clerk-pass-123"), config)
    win.resize(1280, 820)
    win.show()
    spin(lambda: svc.verifier is not None)

    operator = svc.login("olga", "operator-pass-1")
    for number, name in zip(accounts, ("Irene Okafor", "Tomas Lindqvist"), strict=True):
        svc.create_account(operator, number, name)
        refs = sorted((root / "references" / number).glob("*.png"))
        candidates = svc.load_candidates(operator, refs)
        svc.enroll(operator, number, svc.assess_candidates(operator, candidates))

    screen = win.check_screen
    screen.picker.load(accounts[0])
    spin(lambda: screen.account is not None)
    other = next(r for r in truth if r["account_number"] == accounts[1] and r["kind"] == "genuine")
    screen.open_cheque(str(root / "cheques" / other["file"]))
    spin(lambda: screen.check is not None)
    spin(lambda: not win.runner.busy())
    for _ in range(10):
        app.processEvents()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    image = win.grab().toImage()
    if not image.save(out, "PNG", 0):  # 0: the strongest PNG compression
        raise SystemExit(f"could not write {out}")
    _shrink(out)
    print("saved", out, "verdict:", screen.verdict_label.text())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/images/cheque-check.png")
