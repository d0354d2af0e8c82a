"""What only the PostgreSQL backend has: URLs and passwords, selection by configuration,
server-side checks, reconnection, and appenders in several connections at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

from desktop.core.branch.config import AppConfig
from desktop.core.store.factory import open_store
from desktop.core.store.records import (
    NewReference,
    StoreError,
    is_postgres_url,
    redact_url,
    url_has_password,
)
from tests.store_backends import raw_sql


def test_urls_are_recognised_and_their_passwords_hidden() -> None:
    url = "postgresql://clerk:s3cret@db.bank.local:5432/sigdesk?sslmode=require&password=s3cret"
    assert is_postgres_url(url) and is_postgres_url("postgres://h/db")
    assert not is_postgres_url("/var/sigdesk/store.sqlite") and not is_postgres_url("C:\\s.db")
    assert redact_url(url) == "postgresql://clerk@db.bank.local:5432/sigdesk?sslmode=require"
    assert url_has_password(url) and not url_has_password(redact_url(url))
    assert redact_url("postgresql:///sigdesk?host=/run/pg") == "postgresql:///sigdesk?host=/run/pg"


def test_the_configuration_selects_the_backend(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path))
    url = "postgresql://clerk@db.bank.local/sigdesk"
    assert AppConfig(store_path=url).store_location() == url  # not folded by Path
    assert AppConfig(store_path="x/s.sqlite").store_location() == Path("x/s.sqlite")
    assert AppConfig().store_location() == tmp_path / "sigdesk.sqlite"
    with pytest.raises(StoreError, match="lost a '/'"):
        open_store(Path(url))  # what Path() makes of a URL: never a file called postgresql:
    assert not (Path.cwd() / "postgresql:").exists()
    sqlite = open_store(tmp_path / "branch.sqlite", create=True)
    assert type(sqlite).__name__ == "SQLiteStore"
    sqlite.close()


def test_open_store_opens_postgresql_urls_and_never_shows_the_password(pg_url: str) -> None:
    store = open_store(pg_url, create=True)
    try:
        assert type(store).__name__ == "PostgresStore"
        password = urlsplit(pg_url).password
        assert password and password not in store.location
        assert store.location == redact_url(pg_url)
    finally:
        store.close()
    bad = pg_url.replace(f":{password}@", ":wrong-password@")
    with pytest.raises(StoreError) as info:
        open_store(bad)
    message = str(info.value)
    host = urlsplit(pg_url).hostname
    assert host in message and "password authentication failed" in message
    assert "wrong-password" not in message and "PGPASSFILE" in message


def test_an_unreachable_server_is_named(pg_server_url: str) -> None:
    with pytest.raises(StoreError, match="127.0.0.1.*port 9.*cannot connect|cannot connect.*"
                                         "127.0.0.1"):
        open_store("postgresql://nobody:pw@127.0.0.1:9/none?connect_timeout=3")


def test_the_password_can_come_from_a_passfile(pg_url: str, tmp_path: Path,
                                               monkeypatch) -> None:
    parts = urlsplit(pg_url)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"{parts.hostname}:{parts.port}:*:{parts.username}:{parts.password}\n")
    passfile.chmod(0o600)  # libpq ignores a passfile others can read
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    store = open_store(redact_url(pg_url), create=True)
    try:
        assert store.count_users() == 0 and store.integrity_check() == "ok"
    finally:
        store.close()


def test_integrity_check_reports_damage(pg_url: str) -> None:
    from desktop.core.store.backends import PostgresStore

    store = PostgresStore(pg_url)
    with store.transaction():
        acc = store.create_account("1", "A", "op")
        (ref,) = store.add_references(
            acc.id, [NewReference(b"png", np.ones(8, np.float32), "m", "r.png")], "op", "e")
        store.append_audit("op", "enroll", "1")
    assert store.integrity_check() == "ok"
    raw_sql(store, "UPDATE reference_signatures SET image_png = ? WHERE id = ?", (b"xx", ref.id))
    raw_sql(store, "UPDATE audit_log SET username = 'mallory'")
    problems = store.integrity_check()
    assert f"reference {ref.id}: the image does not match" in problems
    assert "audit log: row 1 was changed" in problems
    store.close()


def test_a_dropped_connection_is_reopened(pg_url: str) -> None:
    from desktop.core.store.backends import PostgresStore

    store, admin = PostgresStore(pg_url), PostgresStore(pg_url)
    store.append_audit("u", "login")
    pid = raw_sql(store, "SELECT pg_backend_pid()")[0][0]
    raw_sql(admin, "SELECT pg_terminate_backend(?)", (pid,))  # a server restart, say
    time.sleep(0.2)
    with pytest.raises(StoreError, match="connection|terminat"):
        store.append_audit("u", "verify")  # this one is lost, and says so
    assert store.append_audit("u", "verify").id == 2  # the next call reconnects
    assert store.verify_audit().ok and store.verify_audit().rows == 2
    store.close()
    admin.close()


def test_lock_holds_other_connections_until_commit(pg_url: str) -> None:
    from desktop.core.store.backends import PostgresStore

    first, second = PostgresStore(pg_url), PostgresStore(pg_url)
    with pytest.raises(StoreError, match="inside store.transaction"):
        first.lock("account 1")
    order: list[str] = []

    def contender() -> None:
        with second.transaction():
            second.lock("account 1")
            order.append("second")

    with first.transaction():
        first.lock("account 1")
        thread = threading.Thread(target=contender)
        thread.start()
        time.sleep(0.5)
        order.append("first")
    thread.join(10)
    assert order == ["first", "second"]
    first.close()
    second.close()


def test_appenders_in_several_connections_keep_one_chain(pg_url: str) -> None:
    from desktop.core.store.backends import PostgresStore

    stores = [PostgresStore(pg_url) for _ in range(4)]
    ids: list[int] = []

    def append(store: PostgresStore, n: int) -> None:
        for i in range(n):
            ids.append(store.append_audit(f"clerk{n}", "verify", details={"i": i}).id)

    threads = [threading.Thread(target=append, args=(s, 40)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check = stores[0].verify_audit()
    assert check.ok and check.rows == 160 and sorted(ids) == list(range(1, 161))
    entries = stores[0].audit_entries()
    oldest_first = [e.ts for e in reversed(entries)]
    assert oldest_first == sorted(oldest_first)  # the server's clock, read under the lock
    for s in stores:
        s.close()



def test_pcs_opening_a_new_database_at_once_migrate_it_once(pg_url: str) -> None:
    from desktop.core.store.backends import PostgresStore
    from desktop.core.store.upgrade import SCHEMA_VERSION

    opened: list[PostgresStore] = []
    failures: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(PostgresStore(pg_url))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures and len(opened) == 4
    assert {s.schema_version() for s in opened} == {SCHEMA_VERSION}
    assert raw_sql(opened[0], "SELECT COUNT(*) FROM audit_head")[0][0] == 1
    for s in opened:
        s.close()
