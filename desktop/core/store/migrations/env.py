"""Alembic's environment for the store: it runs on the connection the app passes in
(``config.attributes["connection"]``, inside the store's migration transaction and lock;
see :mod:`desktop.core.store.upgrade`), never on a URL of its own."""

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
