"""Store and settings files: created only when asked, never over a file that is not a store,
and readable by their owner only (POSIX)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from desktop.core.branch.config import AppConfig, open_configured_store, save_config
from desktop.core.store.factory import open_store
from desktop.core.store.records import StoreError
from desktop.store_cli import main

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def loose_umask():
    old = os.umask(0o002)  # a permissive umask: the modes must not depend on it
    yield
    os.umask(old)


def test_a_missing_store_is_not_created_unless_asked(tmp_path: Path, capsys) -> None:
    """Before: open_store() and `sigdesk-store check` made a new empty store at a mistyped
    path (and the app then said "wrong password")."""
    missing = tmp_path / "typo" / "sigdesk.sqlite"
    with pytest.raises(StoreError, match=f"no store at {missing}.*--create"):
        open_store(missing)
    assert not missing.exists() and not missing.parent.exists()
    assert main(["check", str(missing)]) == 2
    assert "no store at" in capsys.readouterr().err and not missing.exists()
    store = open_store(missing, create=True)
    store.close()
    open_store(missing).close()  # it exists now


@pytest.mark.parametrize("content", [b"", b"\x00\x17 random bytes " * 50, "other-sqlite"])
def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path: Path, capsys,
                                                          content) -> None:
    """Before: check reported a 0-byte file as a sound store and turned it into one."""
    path = tmp_path / "thing.sqlite"
    if content == "other-sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('keep me')")
        conn.commit()
        conn.close()
    else:
        path.write_bytes(content)
    before = _digest(path)
    for create in (False, True):
        with pytest.raises(StoreError, match=f"{path}: .*(not a SigDesk store|another "
                                             "application).*nothing was changed"):
            open_store(path, create=create)
    assert main(["check", str(path)]) == 2
    assert "nothing was changed" in capsys.readouterr().err
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.sqlite"]


def test_an_empty_sqlite_database_becomes_a_store_only_with_create(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    sqlite3.connect(path).execute("PRAGMA user_version = 0").close()
    with pytest.raises(StoreError, match="empty SQLite database"):
        open_store(path)
    open_store(path, create=True).close()
    assert open_store(path).count_users() == 0


def test_the_app_creates_only_its_own_default_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path / "home"))
    default = tmp_path / "home" / "sigdesk.sqlite"
    with pytest.raises(StoreError, match="no store at"):  # sigdesk-batch: never creates
        open_configured_store(AppConfig())
    store = open_configured_store(AppConfig(), app_start=True)  # the first start
    assert Path(store.location) == default
    store.close()
    typo = tmp_path / "typo.sqlite"
    for cfg, override in ((AppConfig(), str(typo)), (AppConfig(store_path=str(typo)), None)):
        with pytest.raises(StoreError, match="no store at"):  # sigdesk --store PATH
            open_configured_store(cfg, override, app_start=True)
    assert not typo.exists()
    open_configured_store(AppConfig(), str(typo), create=True, app_start=True).close()
    assert typo.exists()


@posix_only
def test_store_folder_and_settings_are_private(tmp_path: Path, monkeypatch,
                                               loose_umask) -> None:
    """Before: the data folder was 0755 and sigdesk.sqlite and settings.json 0644."""
    home = tmp_path / "SigDesk"
    monkeypatch.setenv("SIGDESK_HOME", str(home))
    store = open_configured_store(AppConfig(), app_start=True)
    store.append_audit("admin", "login")
    path = home / "sigdesk.sqlite"
    assert _mode(home) == 0o700 and _mode(path) == 0o600
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        assert side.exists() and _mode(side) == 0o600, suffix
    store.close()
    settings = save_config(AppConfig(method="distance"))
    assert settings == home / "settings.json" and _mode(settings) == 0o600
    save_config(AppConfig(method="distance"))  # rewriting keeps it private
    assert _mode(settings) == 0o600
    nested = tmp_path / "a" / "b" / "store.sqlite"
    open_store(nested, create=True).close()
    assert _mode(nested) == 0o600 and _mode(nested.parent) == _mode(nested.parent.parent) == 0o700


@posix_only
def test_an_existing_data_folder_is_tightened(tmp_path: Path, monkeypatch,
                                              loose_umask) -> None:
    home = tmp_path / "SigDesk"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    monkeypatch.setenv("SIGDESK_HOME", str(home))
    save_config(AppConfig())
    assert _mode(home) == 0o700


def test_postgresql_database_without_tables_is_not_a_store_unless_asked(pg_url: str) -> None:
    with pytest.raises(StoreError, match="no store at .*no SigDesk tables"):
        open_store(pg_url)
    import psycopg

    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('audit_log')").fetchone()[0] is None
    store = open_store(pg_url, create=True)
    store.close()
    open_store(pg_url).close()
