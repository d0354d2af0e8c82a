"""How the legacy store fixtures in this folder were made (run once, with the code of commit
2d16830, before the store moved to SQLAlchemy + Alembic; it needs that commit's
``desktop.core.store.sqlite`` / ``pg`` modules, which are gone since):

    PYTHONPATH=. python tests/data/stores/make_fixtures.py tests/data/stores

v3.sqlite: schema version 3 (user_version), v4.sqlite: version 4, v4_pg.sql: a version-4
PostgreSQL store as SQL text (pg_dump --inserts of one schema, the schema name replaced by
``__SCHEMA__``). Each holds users, accounts, active and revoked references, verifications and
their decisions, banknote references (one revoked) and the audit rows of all of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np


def populate(store, supervisor: bool) -> None:
    from desktop.core.store.records import Decision, NewBanknoteReference, NewReference, User

    with store.transaction():
        store.add_user(User("admin", "admin", b"h" * 32, b"s" * 16, "scrypt"))
        store.append_audit("admin", "create_user", details={"user": "admin"})
    for name, role in (("olga", "operator"), ("carl", "clerk"))+ (
            (("sam", "supervisor"),) if supervisor else ()):
        with store.transaction():
            store.add_user(User(name, role, name.encode() * 8, b"t" * 16, "scrypt"))
            store.append_audit("admin", "create_user", details={"user": name})
    store.set_login_state("carl", 2, None)
    for i, (number, holder) in enumerate((("10001", "Ana Pop"), ("10002", "Ion Ionescu"))):
        with store.transaction():
            acc = store.create_account(number, holder, "olga")
            store.append_audit("olga", "create_account", number)
        with store.transaction():
            refs = store.add_references(acc.id, [
                NewReference(bytes([i, j]) * 500, np.arange(8, dtype=np.float32) + j, "m1",
                             f"ref{j}.png") for j in range(3)], "olga", f"enr-{i}")
            store.append_audit("olga", "enroll", number, "m1", {"refs": [r.id for r in refs]})
        with store.transaction():
            store.revoke_reference(refs[0].id, "olga", "smudged")
            store.append_audit("olga", "revoke", number, "m1", {"ref": refs[0].id})
        v = store.append_audit("carl", "verify", number, "m1", {"score": 0.25})
        with store.transaction():
            d = store.add_decision(Decision(v.id, acc.id, "c.png", "0" * 64, "m1", "distance",
                                            0.25, 0.75, "genuine", "accept", "", "carl"))
            store.append_audit("carl", "decision", number, "m1", {"decision_id": d})
    with store.transaction():
        notes = store.add_banknote_references([
            NewBanknoteReference(f"RON-{d}-front", "2005", bytes([d % 256]) * 300,
                                 np.ones(4) * d, "b1", f"n{d}.png") for d in (10, 50, 100)],
            "olga")
        store.append_audit("olga", "enroll_banknote", details={"ids": [n.id for n in notes]})
    with store.transaction():
        store.revoke_banknote_reference(notes[1].id, "olga", "worn")
        store.append_audit("olga", "revoke_banknote", details={"id": notes[1].id})


def main(out: Path) -> None:
    from desktop.core.store.sqlite import SQLiteStore

    for version in (3, 4):
        path = out / f"v{version}.sqlite"
        path.unlink(missing_ok=True)
        store = SQLiteStore(path, migrate=False, create=True)
        store.migrate(0, target=version)
        populate(store, supervisor=version >= 4)
        assert store.verify_audit().ok and store.integrity_check() == "ok"
        store.close()
        for suffix in ("-wal", "-shm"):
            assert not Path(f"{path}{suffix}").exists()
    url = os.environ["SIGDESK_TEST_PG_URL"]
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from desktop.core.store.pg import PostgresStore

    from tests.store_backends import drop_schema, new_schema, with_schema

    schema = new_schema(url)
    try:
        store = PostgresStore(with_schema(url, schema), create=True)
        populate(store, supervisor=True)
        assert store.verify_audit().ok and store.integrity_check() == "ok"
        store.close()
        env = dict(os.environ, PGOPTIONS="")
        dump = subprocess.run(["pg_dump", "--inserts", "--no-owner", "--no-privileges",
                               "--schema", schema, "-d", url], capture_output=True, text=True,
                              check=True, env=env).stdout
        lines = [line for line in dump.splitlines()
                 if not line.startswith(("--", "SET ", "SELECT pg_catalog.set_config"))
                 and not line.startswith("\\")]
        text = "\n".join(lines).replace(schema, "__SCHEMA__")
        (out / "v4_pg.sql").write_text(text.strip() + "\n")
    finally:
        drop_schema(url, schema)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
