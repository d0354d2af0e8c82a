"""Statements of the store's hot paths (a cheque check's reads and audit rows), written in
SQLAlchemy Core like every query, compiled once per database and run on the driver's own
cursor: no per-call statement building, cache-key or result-processing work. The driver
(psycopg) prepares them on the server after a few runs, as it did the hand-written SQL.

Only for statements whose parameters the drivers take as they are (text, numbers, bytes,
booleans) and whose rows need no conversion beyond what :mod:`desktop.core.store.rows` does.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import sqlalchemy as sa


class Prepared:
    """One statement; :meth:`compiled` gives its SQL and parameter layout for a database."""

    __slots__ = ("stmt", "_compiled")

    def __init__(self, stmt: sa.Executable) -> None:
        self.stmt = stmt
        self._compiled: dict[str, tuple[str, Any, dict[str, Any]]] = {}

    def compiled(self, dialect: sa.Dialect) -> tuple[str, Any, dict[str, Any]]:
        """``(sql, a getter of the positional parameters or None, the literals' values)``."""
        got = self._compiled.get(dialect.name)
        if got is None:
            compiled = self.stmt.compile(dialect=dialect)
            literals = {name: bind.effective_value for name, bind in compiled.binds.items()
                        if not bind.required}
            getter = None
            if compiled.positional:
                names = tuple(compiled.positiontup)
                getter = (lambda values: ()) if not names else (
                    (lambda values, get=itemgetter(*names): (get(values),)) if len(names) == 1
                    else itemgetter(*names))
            got = self._compiled[dialect.name] = (compiled.string, getter, literals)
        return got

    def args(self, dialect: sa.Dialect, params: dict[str, Any]) -> tuple[str, Any]:
        """The SQL and the driver's arguments for ``params``."""
        sql, getter, literals = self.compiled(dialect)
        values = {**literals, **params} if literals else params
        return sql, (values if getter is None else getter(values))
