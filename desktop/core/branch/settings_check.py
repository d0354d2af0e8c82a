"""Which decision settings are in force: the administrator's, as the audit log recorded them.

``settings.json`` lies in the data folder, which the clerk's own OS account can write, so an
edit there (a looser security level, another method, a signature zone off the signature) or a
damaged file (the shipped defaults) must not quietly change how cheques are judged. Every
change an administrator makes in Settings is audited first (``settings_changed``, with this
PC's name); after each login the newest such row of this PC is compared with the file, and
where they differ the audited settings are used and the difference is written to the audit
log (``settings_file_differs``) and shown. A PC with no audited change yet (a new install,
rows written before the PC's name was recorded) uses its file.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any

from desktop.core.access.auth import role_word
from desktop.core.access.sessions import Session
from desktop.core.branch.decisions import DecisionSettings
from desktop.core.errors import N_, Message, PermissionDenied
from desktop.core.signature.zone import SignatureZone
from desktop.core.store.audit import AuditEntry, AuditFilter

CHANGED_ACTION = "settings_changed"
DIFFERS_ACTION = "settings_file_differs"


def this_pc() -> str:
    """The name this PC's audited settings are recorded under (its host name)."""
    return platform.node()


def settings_details(settings: DecisionSettings) -> dict[str, Any]:
    """The decision settings as an audit row records them."""
    return {"method": settings.method, "target_far": settings.target_far,
            "zone": settings.zone.to_dict(), "pc": this_pc()}


def _from_details(details: dict[str, Any]) -> DecisionSettings:
    far = details["target_far"]
    return DecisionSettings(str(details["method"]), None if far is None else float(far),
                            SignatureZone.from_dict(details["zone"]))


def audited_settings(store, pc: str | None = None) -> tuple[DecisionSettings, AuditEntry] | None:
    """The newest decision settings an administrator set on ``pc`` (default this PC), with
    their audit row; None when none was recorded there."""
    pc = this_pc() if pc is None else pc
    for entry in store.audit_entries(AuditFilter(action=CHANGED_ACTION)):  # newest first
        if entry.details.get("pc") != pc or "method" not in entry.details:
            continue  # another PC's, or an idle-timeout change
        try:
            return _from_details(entry.details), entry
        except (KeyError, TypeError, ValueError):
            continue  # an unreadable row is the audit chain check's to report
    return None


def same_settings(a: DecisionSettings, b: DecisionSettings) -> bool:
    """Equal as far as a verdict can tell (floats to six places)."""
    def key(s: DecisionSettings) -> tuple:
        far = None if s.target_far is None else round(s.target_far, 6)
        return s.method, far, tuple(round(v, 6) for v in s.zone.to_dict().values())
    return key(a) == key(b)


@dataclass(frozen=True)
class SettingsInForce:
    """The decision settings to use, and what to tell the user when the file was overruled."""

    settings: DecisionSettings
    notice: Message | None = None


def settings_in_force(service, session: Session, from_file: DecisionSettings,
                      file_name: str = "settings.json") -> SettingsInForce:
    """The decision settings in force after ``session``'s login: this PC's newest audited
    ones when they differ from ``from_file`` (the difference audited, by ``session``'s
    user), else the file's. The service's own settings are set to them."""
    found = audited_settings(service.store)
    if found is None or same_settings(found[0], from_file):
        service.settings = from_file
        return SettingsInForce(from_file)
    audited, entry = found
    file_details = settings_details(from_file)
    del file_details["pc"]
    service.store.append_audit(session.username, DIFFERS_ACTION, details={
        "pc": this_pc(), "file": file_details, "used_audit_row": entry.id})
    service.settings = audited
    far = "-" if audited.target_far is None else f"{100 * audited.target_far:g}%"
    return SettingsInForce(audited, Message(N_(
        "The decision settings in {file} differ from those an administrator set on this PC "
        "({user}, {when}, audit row {row}): the administrator's are used (method {method}, "
        "security level {far}), and the difference is in the audit log."),
        file=file_name, user=entry.username, when=entry.ts[:16].replace("T", " "),
        row=entry.id, method=audited.method, far=far))


def chosen_settings(service, session: Session, in_force: DecisionSettings,
                    method: str | None = None, target_far: float | None = None,
                    zone: SignatureZone | None = None) -> DecisionSettings:
    """The settings in force with what a command line asked for instead (``None``: as in
    force). Asking for other settings is an administrator's choice, as in Settings; the model
    must offer them. The service's own settings are set to the result."""
    asked = DecisionSettings(method or in_force.method,
                             in_force.target_far if target_far is None else target_far,
                             zone or in_force.zone)
    if not same_settings(asked, in_force) and not session.can("settings"):
        raise PermissionDenied(Message(N_(
            "a {role} may not choose the decision settings (method, security level, zone): "
            "those an administrator set on this PC are used; leave the options out"),
            role=role_word(session.role)))
    service.validate_settings(asked)
    service.settings = asked
    return asked
