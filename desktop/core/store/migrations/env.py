"""Alembic's environment for the store: it runs on the connection the app passes in
(``config.attributes["connection"]``, inside the store's migration transaction and lock;
see :mod:`desktop.core.store.upgrade`), never on a URL of its own.

The next revision: ``versions/0006_<what>.py`` (the id's leading number is the schema version
it makes, written where older apps look for it), ``revision = "0006_<what>"``,
``down_revision`` the current head (``"0005_decisions_cheque_sha256"``), from
``script.py.mako``. Change tables with ``op.batch_alter_table`` so that SQLite gets a plain
ALTER or a move-and-copy (env.py renders batch mode there), update ``schema.py`` to match,
and keep the data: fill a new column from the existing rows in the same revision. A
move-and-copy of a table others point at
(``accounts``, ``audit_log``) fails on SQLite today, inside the store's transaction with
foreign keys on (see the xfail in tests/test_store_revision.py). Prove it with a data test
like tests/test_store_revision.py: a store at the previous revision with rows on both
databases, upgraded; every row and id kept, ``verify_audit`` and ``integrity_check`` ok, the
new head reported, and the older app refusing the new store untouched."""

from __future__ import annotations

from alembic import context

from desktop.core.store.schema import metadata
from desktop.core.store.upgrade import include_object

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the store's migrations run from the app (desktop.core.store.upgrade), "
                       "which passes its connection; there is no URL to connect to here")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite: move-and-copy ALTERs
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
