"""Helpers for running the store tests on both backends (SQLite and PostgreSQL).

The PostgreSQL server comes from ``$SIGDESK_TEST_PG_URL`` (``.ci/postgres.sh`` starts one and
sets it); each test store lives in its own fresh schema, selected with
``options=-csearch_path=<schema>`` in the URL. Without the variable the PostgreSQL cases skip,
unless ``SIGDESK_REQUIRE_PG=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from typing import Any
from urllib.parse import quote

import pytest

PG_URL_ENV = "SIGDESK_TEST_PG_URL"
REQUIRE_PG_ENV = "SIGDESK_REQUIRE_PG"
BACKENDS = ("sqlite", "postgresql")


def pg_unavailable(reason: str) -> None:
    """Skip the test, or fail it when CI requires PostgreSQL."""
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"PostgreSQL is required ({REQUIRE_PG_ENV}=1) but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (run `source .ci/postgres.sh`)")


def server_url() -> str:
    """The test server's URL after checking it answers (or skip / fail)."""
    url = os.environ.get(PG_URL_ENV, "").strip()
    if not url:
        pg_unavailable(f"{PG_URL_ENV} is not set")
    try:
        import psycopg
    except ImportError:
        pg_unavailable("psycopg is not installed")
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        from desktop.core.store.records import redact_url

        pg_unavailable(f"{redact_url(url)} does not answer ({str(exc).strip()[:200]})")
    return url


def with_schema(url: str, schema: str) -> str:
    """``url`` with its search path set to ``schema`` (a libpq ``options`` parameter)."""
    return url + ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={schema}")


def new_schema(url: str) -> str:
    """Create a fresh, empty schema and return its name."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema


def drop_schema(url: str, schema: str) -> None:
    """Drop a test schema and everything in it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def backend_of(store: Any) -> str:
    """``"sqlite"`` or ``"postgresql"``."""
    return store.dialect.name


def raw_sql(store: Any, sql: str, params: tuple = ()) -> list[tuple]:
    """Run SQL on the store's own connection behind its back (to damage it in tests); ``?``
    placeholders work on both backends. Returns the rows as tuples."""
    if backend_of(store) == "postgresql":
        sql = sql.replace("?", "%s")
    with store._lock:
        result = store._db.exec_driver_sql(sql, params)
        return [tuple(r) for r in result.fetchall()] if result.returns_rows else []


def schema_objects(store: Any) -> set[str]:
    """Names of the store's tables and indexes (not the constraint indexes PostgreSQL adds
    for keys, nor the schema_version and alembic_version bookkeeping)."""
    if backend_of(store) == "sqlite":
        rows = raw_sql(store, "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') "
                              "AND name NOT LIKE 'sqlite_%'")
        return {r[0] for r in rows} - {"alembic_version"}
    rows = raw_sql(store, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                          "UNION SELECT indexname FROM pg_indexes WHERE schemaname = "
                          "current_schema() AND indexname LIKE 'idx\\_%%'")
    return {r[0] for r in rows} - {"schema_version", "alembic_version"}
