"""A demonstration branch: synthetic account holders, their references and a folder of cheques.

``python -m training demo OUT`` writes ``OUT/cheques`` (with ``mapping.csv`` and
``truth.csv``) and a store ``OUT/sigdesk.sqlite`` with three users and every holder enrolled,
so the app and the batch command can be tried without real data. When ``../shared`` is beside
the clone, the real euro notes (one flat picture per side) and Brazilian real notes (two
scans per side) are enrolled too, from ``OUT/notes/<currency>/<denomination>/<side>/``:

    SIGDESK_HOME=OUT sigdesk
    SIGDESK_PASSWORD=... sigdesk-batch OUT/set/cheques OUT/set/mapping.csv --user clerk ...

The users' passwords are printed once; this store is for demonstration only.
"""

from __future__ import annotations

import csv
import secrets
from pathlib import Path

from desktop.core.access.sessions import Session
from desktop.core.branch.config import STORE_NAME
from desktop.core.branch.service import BranchService
from desktop.core.paths import default_signature_model
from desktop.core.signature.verification import SignatureVerifier
from desktop.core.store.backends import SQLiteStore
from training.signature.cheques import generate_cheque_set

# The shared data sets beside a clone (absent on a user's machine: then no real notes).
DEFAULT_NOTES_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banknotes"


def build_demo(out: str | Path, accounts: int = 6, genuine: int = 2, forged: int = 2,
               seed: int = 0, model: str | Path | None = None,
               notes_data: str | Path | None = DEFAULT_NOTES_DATA) -> dict[str, str]:
    """Write the demo data and store; return {user: password}. When ``notes_data`` (the
    shared banknote sets) is there, the real euro and real notes are enrolled too."""
    out = Path(out)
    root = generate_cheque_set(out / "set", n_accounts=accounts, references=5,
                               genuine=genuine, forged=forged, seed=seed)
    store_path = out / STORE_NAME
    if store_path.exists():
        raise FileExistsError(f"{store_path} exists: choose an empty folder")
    service = BranchService(SQLiteStore(store_path),
                            SignatureVerifier(model or default_signature_model(), "cpu"))
    passwords = {name: secrets.token_urlsafe(9) for name in ("admin", "operator", "clerk")}
    admin = service.create_first_admin("admin", passwords["admin"])
    service.create_user(admin, "operator", "operator", passwords["operator"])
    service.create_user(admin, "clerk", "clerk", passwords["clerk"])
    op = service.login("operator", passwords["operator"])
    with open(root / "accounts.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            number = row["account_number"]
            service.create_account(op, number, row["name"])
            refs = sorted((root / "references" / number).glob("*.png"))
            cands = service.assess_candidates(op, service.load_candidates(op, refs), number)
            for cand in cands:
                if not cand.usable:  # as an operator would: leave out what the checks reject
                    print(f"  {number}: left out {cand.name}: {'; '.join(cand.problems)}")
            service.enroll(op, number, [c for c in cands if c.usable])
    if notes_data is not None and Path(notes_data).is_dir():
        _enroll_real_notes(service, op, Path(notes_data), out / "notes")
    service.store.close()
    return passwords


def _enroll_real_notes(service: BranchService, operator: Session, data: Path,
                       folder: Path) -> None:
    """Lay the real euro and real reference notes out by currency, denomination and side,
    and enroll them as an operator would (``sigdesk-notes enroll``)."""
    from desktop.core.banknote.model import BanknoteModel
    from desktop.core.paths import default_banknote_model_dir
    from training.banknote.folders import write_enrollment_folders

    service.notes.model = BanknoteModel(default_banknote_model_dir(), "cpu")
    write_enrollment_folders(data, folder)
    for side in service.notes.enroll_banknote_folder(operator, folder):
        print(f"  notes {side.name}: " + (side.problem or f"{len(side.references)} enrolled"))
