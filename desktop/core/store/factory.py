"""Opening a store by its location: a ``postgresql://`` URL or an SQLite file."""

from __future__ import annotations

from pathlib import Path

from desktop.core.store.records import (
    POSTGRES_SCHEMES,
    ReferenceStore,
    StoreError,
    is_postgres_url,
    redact_url,
)


def open_store(location: str | Path, create: bool = False,
               migrate: bool = True) -> ReferenceStore:
    """Open the store at ``location``: a ``postgresql://`` URL opens the shared PostgreSQL
    store (:class:`desktop.core.store.backends.PostgresStore`), anything else the SQLite file.

    Nothing is created unless ``create``: a missing file (or a database without the store's
    tables) is a :class:`StoreError` naming it, so that a mistyped ``--store`` path does not
    become a new, empty store. A file that is not a store of this app is refused untouched.
    ``migrate=False`` leaves an older schema as it is (``sigdesk-store check``)."""
    text = str(location)
    if is_postgres_url(text):
        try:
            import psycopg  # noqa: F401 - the driver the PostgreSQL store needs
        except ImportError as exc:
            raise StoreError(f"{redact_url(text)}: the PostgreSQL driver is missing ({exc}); "
                             "install it with pip install 'psycopg[binary]'") from None
        from desktop.core.store.backends import PostgresStore

        return PostgresStore(text, migrate=migrate, create=create)
    if text.split(":/", 1)[0].lower() in POSTGRES_SCHEMES and ":/" in text:
        # Path("postgresql://h/db") collapses the double slash: never make a file of it.
        raise StoreError(f"{text.split(':', 1)[0]}:/...{text.rsplit('@', 1)[-1]}: looks like a "
                         "PostgreSQL URL that lost a '/' (it was read as a file path); write it "
                         "as postgresql://user@host/database")
    from desktop.core.store.backends import SQLiteStore

    return SQLiteStore(text, migrate=migrate, create=create)
