"""The branch service's administration desk: reading, verifying and exporting the audit log,
and changing the decision settings (audited first, then in force). A part of
:class:`desktop.core.branch.service.BranchService` (which brings ``require``, ``store``,
``model`` and ``settings``).
"""

from __future__ import annotations

import os
import stat
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

from desktop.core.access.sessions import Session
from desktop.core.branch.decisions import DecisionSettings
from desktop.core.branch.settings_check import settings_details
from desktop.core.csvsafe import SafeDictWriter
from desktop.core.errors import N_, Message, ServiceError
from desktop.core.store.audit import AUDIT_COLUMNS, AuditCheck, AuditEntry, AuditFilter


class AuditDesk:
    """The audit log and the decision settings, for an administrator. Mixed into the branch
    service, which supplies ``require``, ``store``, ``model``, ``model_id`` and ``settings``."""

    def audit_entries(self, session: Session, flt: AuditFilter | None = None) -> list[AuditEntry]:
        """Admin: the audit log, newest first, filtered."""
        self.require(session, "view_audit")
        return self.store.audit_entries(flt)

    def verify_audit(self, session: Session) -> AuditCheck:
        """Admin: walk the hash chain."""
        self.require(session, "view_audit")
        return self.store.verify_audit()

    def export_audit_csv(self, session: Session, path: str | Path,
                         flt: AuditFilter | None = None) -> int:
        """Admin: write the filtered audit log as CSV; returns the number of rows. Cells that
        a spreadsheet would run as a formula (a user name like ``=HYPERLINK(...)`` from a failed
        login) are written as text, see :mod:`desktop.core.csvsafe`.

        The rows go to a hidden file beside ``path`` that replaces it once complete: a folder
        that cannot be written (read-only, no permission, full) raises :class:`ServiceError`
        naming it and the system's reason, with no part-written file left and an earlier
        file of that name as it was."""
        entries = self.audit_entries(session, flt)
        path = Path(path)
        part = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            # Created as open() would make a new file (0666 less the umask), never an
            # existing one (O_EXCL).
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
                    writer = SafeDictWriter(fh, fieldnames=AUDIT_COLUMNS)
                    writer.writeheader()
                    for entry in entries:
                        writer.writerow(entry.as_row())
                if path.exists():  # an export kept private stays private
                    os.chmod(part, stat.S_IMODE(path.stat().st_mode))
                os.replace(part, path)
            except BaseException:
                with suppress(OSError):  # the error being raised says what went wrong
                    part.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise ServiceError(Message(N_("{path}: the audit log cannot be written there "
                                          "({reason})"), path=path,
                                       reason=exc.strerror or exc)) from None
        self.store.append_audit(session.username, "audit_exported",
                                details={"file": path.name, "rows": len(entries)})
        return len(entries)

    def change_settings(self, session: Session, settings: DecisionSettings,
                        extra: dict[str, Any] | None = None) -> None:
        """Admin: change the decision method, security level or signature zone (audited)."""
        self.require(session, "settings")
        self.validate_settings(settings)
        # Audited first: a change the audit log could not record (a locked store) is not in
        # force.
        self.store.append_audit(session.username, "settings_changed", model_id=self.model_id,
                                details={**settings_details(settings), **(extra or {})})
        self.settings = settings

    def validate_settings(self, settings: DecisionSettings) -> None:
        """Refuse a method or security level the loaded model does not offer."""
        if settings.method not in self.model.methods():
            raise ServiceError(Message(N_("the model does not support the {method} method"),
                                       method=repr(settings.method)))
        if settings.target_far is None:
            return
        offered = {round(level["target_far"], 6) for k in self.model.manifest.calibrations
                   for level in self.model.security_levels(k, settings.method)}
        if offered and round(settings.target_far, 6) not in offered:
            levels = ", ".join(f"{f:g}" for f in sorted(offered))
            raise ServiceError(Message(N_("security level {level} is not calibrated for this "
                                          "model (target FARs offered: {levels})"),
                                       level=f"{settings.target_far:g}", levels=levels))
