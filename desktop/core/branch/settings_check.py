"""Which settings are in force: the administrator's, as the audit log recorded them.

``settings.json`` lies in the data folder, which the clerk's own OS account can write, so an
edit there (a looser security level, another method, a signature zone off the signature,
another model folder, a longer idle timeout) or a damaged file (the shipped defaults) must not
quietly change how cheques are judged. Every change an administrator makes in Settings is
audited first (``settings_changed``, with this PC's name); after each login the newest such
rows of this PC (of any PC where this one has none yet) are compared with the file, and
where they differ the audited values are used and the difference is written to the audit
log (``settings_file_differs``) and shown. A store with no audited change yet (a new
install, rows written before the PC's name was recorded) leaves the file in force.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from desktop.core import paths
from desktop.core.access.auth import role_word
from desktop.core.access.sessions import Session
from desktop.core.branch.config import AppConfig
from desktop.core.branch.decisions import DecisionSettings
from desktop.core.errors import N_, Message, PermissionDenied
from desktop.core.signature.zone import DEFAULT_ZONE, SignatureZone
from desktop.core.store.audit import AuditEntry, AuditFilter

CHANGED_ACTION = "settings_changed"
DIFFERS_ACTION = "settings_file_differs"
# The model folders the Settings screen records beside the decision settings.
FOLDERS = ("model_dir", "banknote_model_dir")


def settings_details(settings: DecisionSettings) -> dict[str, Any]:
    """The decision settings as an audit row records them."""
    return {"method": settings.method, "target_far": settings.target_far,
            "zone": settings.zone.to_dict(), "pc": paths.this_pc()}


def decision_settings(config: AppConfig) -> DecisionSettings:
    """The decision settings a settings file holds."""
    zone = SignatureZone.from_dict(config.zone) if config.zone else DEFAULT_ZONE
    return DecisionSettings(config.method, config.target_far, zone)


def _from_details(details: dict[str, Any]) -> DecisionSettings:
    far = details["target_far"]
    return DecisionSettings(str(details["method"]), None if far is None else float(far),
                            SignatureZone.from_dict(details["zone"]))


def _changed_rows(store) -> list[AuditEntry]:
    """The ``settings_changed`` rows, newest first (read once per login)."""
    return store.audit_entries(AuditFilter(action=CHANGED_ACTION))


def _newest(rows: list[AuditEntry], pc: str, field: str) -> AuditEntry | None:
    """Among ``rows`` (newest first), this PC's newest readable one holding ``field``; where
    this PC has none, the newest of any PC. A PC's name is a host name, which a clerk able to
    run the app under another host name (a user namespace) could change: a name with no
    settings of its own must not fall back to the file while the store holds an
    administrator's."""
    anywhere = None
    for entry in rows:
        if field not in entry.details or "pc" not in entry.details or entry.malformed:
            continue
        if entry.details["pc"] == pc:
            return entry
        anywhere = anywhere or entry
    return anywhere


def audited_settings(store, pc: str | None = None, rows: list[AuditEntry] | None = None
                     ) -> tuple[DecisionSettings, AuditEntry] | None:
    """The newest decision settings an administrator set on ``pc`` (default this PC), else on
    any PC, with their audit row; None when none was recorded (or the row cannot be read:
    the audit chain check reports that)."""
    rows = _changed_rows(store) if rows is None else rows
    entry = _newest(rows, paths.this_pc() if pc is None else pc, "method")
    if entry is None:
        return None
    try:
        return _from_details(entry.details), entry
    except (KeyError, TypeError, ValueError):
        return None


def same_settings(a: DecisionSettings, b: DecisionSettings) -> bool:
    """Equal as far as a verdict can tell (floats to six places)."""
    def key(s: DecisionSettings) -> tuple:
        far = None if s.target_far is None else round(s.target_far, 6)
        return s.method, far, tuple(round(v, 6) for v in s.zone.to_dict().values())
    return key(a) == key(b)


@dataclass(frozen=True)
class SettingsInForce:
    """The settings to use (the file's where nothing audited says otherwise), and what to
    tell the user when the file was overruled."""

    config: AppConfig
    settings: DecisionSettings
    notice: Message | None = None


def settings_in_force(service, session: Session, from_file: AppConfig,
                      file_name: str = "settings.json") -> SettingsInForce:
    """The settings in force after ``session``'s login: this PC's newest audited decision
    settings, model folders and idle timeout where they differ from ``from_file``, else the
    file's; a difference is audited (by ``session``'s user). The service's decision settings
    and idle timeout are set to them."""
    pc = paths.this_pc()
    config, settings = from_file, decision_settings(from_file)
    differs: dict[str, Any] = {}
    rows: list[int] = []
    changed = _changed_rows(service.store)
    found = audited_settings(service.store, pc, changed)
    if found is not None:
        audited, entry = found
        if not same_settings(audited, settings):
            for name in ("method", "target_far", "zone"):  # only those that differ
                if not same_settings(replace(settings, **{name: getattr(audited, name)}),
                                     settings):
                    differs[name] = getattr(config, name)
            settings = audited
            config = replace(config, method=audited.method, target_far=audited.target_far,
                             zone=audited.zone.to_dict())
        for name in FOLDERS:
            if name in entry.details and entry.details[name] != getattr(config, name):
                differs[name] = getattr(config, name)
                config = replace(config, **{name: str(entry.details[name])})
        rows += [entry.id] if differs else []
    idle = _newest(changed, pc, "idle_timeout_minutes")
    if idle is not None and idle.details["idle_timeout_minutes"] != config.idle_timeout_minutes:
        differs["idle_timeout_minutes"] = config.idle_timeout_minutes
        config = replace(config, idle_timeout_minutes=int(idle.details["idle_timeout_minutes"]))
        rows.append(idle.id)
    service.settings = settings
    service.idle_timeout = timedelta(minutes=config.idle_timeout_minutes)
    if not differs:
        return SettingsInForce(config, settings)
    service.store.append_audit(session.username, DIFFERS_ACTION, details={
        "pc": pc, "file": differs, "used_audit_rows": rows})
    far = "-" if settings.target_far is None else f"{100 * settings.target_far:g}%"
    return SettingsInForce(config, settings, Message(N_(
        "The settings in {file} differ from those an administrator set on this PC ({names}; "
        "audit rows {rows}): the administrator's are used (method {method}, security level "
        "{far}), and the difference is in the audit log."),
        file=file_name, names=", ".join(sorted(differs)),
        rows=", ".join(str(r) for r in rows), method=settings.method, far=far))


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
