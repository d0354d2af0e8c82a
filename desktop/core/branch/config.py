"""The app's settings: one JSON file in the platform's data folder.

Windows ``%LOCALAPPDATA%\\SigDesk``, macOS ``~/Library/Application Support/SigDesk``, Linux
``~/.local/share/SigDesk``; ``$SIGDESK_HOME`` overrides the folder (tests, portable installs).
The default store (``sigdesk.sqlite``) lives in the same folder; ``store_path`` may instead be
a ``postgresql://user@host/database`` URL (the shared store), never with the password in it.

A file written by an earlier version lacks the newer settings (the scanner's, for one): they
take their defaults, so the *Scan* button keeps taking the newest image in the scan folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from desktop.core.errors import VerificationError
from desktop.core.paths import data_dir

CONFIG_NAME = "settings.json"
STORE_NAME = "sigdesk.sqlite"
LANGUAGES = ("", "en", "zh_CN")  # "": the system's language (English when not translated)
SCAN_SOURCES = ("folder", "sane")  # the newest image in a folder; a scanner through SANE
SCANNER_DPIS = (200, 300)  # what cheque imaging uses (see desktop/core/imaging/decode.py)
MAX_DEVICE_NAME = 256  # SANE names are short ("epson2:libusb:001:004", "net:host:test:0")


class ConfigError(VerificationError):
    """The settings file cannot be read; the message names it."""


@dataclass
class AppConfig:
    """Everything the settings screen edits. Empty paths mean the embedded defaults."""

    model_dir: str = ""
    provider: str = "auto"
    method: str = "distance"
    target_far: float = 0.02
    store_path: str = ""
    zone: dict[str, float] = field(default_factory=dict)  # empty: the default template
    scan_folder: str = ""  # where the branch scanner saves its images
    banknote_model_dir: str = ""  # empty: the shipped exported_models/banknote
    idle_timeout_minutes: int = 15  # the window locks and the session ends after this idle
    scan_source: str = "folder"  # "folder": scan_folder's newest image; "sane": a scanner
    scanner_device: str = ""  # a SANE device name; empty: the first scanner SANE finds
    scanner_dpi: int = 300
    scanner_colour: bool = False  # grey unless asked (banknotes may want colour)
    scanner_adf: bool = False  # the document feeder (every sheet in it) instead of the glass
    language: str = ""  # the interface's language, from the next start; "": the system's

    def store_location(self) -> str | Path:
        """Where the store is: a ``postgresql://`` URL as written (a Path would fold its
        ``//``), the configured file path, or the data folder's default file."""
        from desktop.core.store.records import is_postgres_url

        if is_postgres_url(self.store_path):
            return self.store_path
        return Path(self.store_path) if self.store_path else data_dir() / STORE_NAME

    def banknote_model_location(self) -> Path:
        """The banknote model folder: the configured one or the shipped default."""
        from desktop.core.paths import default_banknote_model_dir

        return (Path(self.banknote_model_dir) if self.banknote_model_dir
                else default_banknote_model_dir())


def ensure_data_dir() -> Path:
    """Create the data folder readable by its owner only (0700 on POSIX; an existing data
    folder is tightened to that too: it holds the store and the settings)."""
    from desktop.core.paths import PRIVATE_DIR_MODE, make_private, make_private_dir

    folder = make_private_dir(data_dir())
    make_private(folder, PRIVATE_DIR_MODE)
    return folder


def open_configured_store(cfg: AppConfig, override: str | Path | None = None,
                          create: bool = False, app_start: bool = False) -> Any:
    """Open the store the settings (or ``override``, a ``--store`` argument) name.

    Nothing is created unless ``create`` (``--create``) or, with ``app_start`` (the desktop
    app starting), the store is the settings' own: the default file in the data folder (the
    first start makes it, in a 0700 folder) or a PostgreSQL URL set in the settings (the
    first start makes its tables). A ``--store`` path or a file path set in the settings is
    never created by accident: a typing mistake is an error naming the path."""
    from desktop.core.store.factory import open_store
    from desktop.core.store.records import is_postgres_url

    own = override is None and (not cfg.store_path or is_postgres_url(cfg.store_path))
    if app_start and override is None and not cfg.store_path:
        ensure_data_dir()
    return open_store(override or cfg.store_location(), create=create or (app_start and own))


def config_path() -> Path:
    """The settings file's path."""
    return data_dir() / CONFIG_NAME


def load_config(path: str | Path | None = None) -> AppConfig:
    """Read the settings (defaults when the file does not exist yet).

    Raises :class:`ConfigError` naming the file when it is not valid; the file is left as it
    is so that nothing the user set is lost.
    """
    path = Path(path) if path else config_path()
    if not path.is_file():
        return AppConfig()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        known = {f.name for f in fields(AppConfig)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown settings {', '.join(unknown)}")
        cfg = AppConfig(**data)
        cfg.target_far = float(cfg.target_far)
        cfg.idle_timeout_minutes = int(cfg.idle_timeout_minutes)
        if not 1 <= cfg.idle_timeout_minutes <= 240:
            raise ValueError("idle_timeout_minutes must be 1 to 240")
        check_choices(cfg)
        _check_types(cfg)
    except (OSError, UnicodeDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise ConfigError(f"{path}: the settings file cannot be used ({exc})") from None
    return cfg


def _check_types(cfg: AppConfig) -> None:
    """Refuse a hand-edited value of the wrong JSON type (a number for a path, a list for the
    zone), which would otherwise fail later, at start-up, with a traceback."""
    for name in ("model_dir", "provider", "method", "store_path", "scan_folder",
                 "banknote_model_dir"):
        if not isinstance(getattr(cfg, name), str):
            raise ValueError(f"{name} must be a text, not {_shown(getattr(cfg, name))}")
    if not isinstance(cfg.zone, dict):
        raise ValueError(f"zone must be an object (x, y, w, h), not {_shown(cfg.zone)}")
    if cfg.zone:
        from desktop.core.signature.zone import SignatureZone

        SignatureZone.from_dict(cfg.zone)  # its ValueError names the keys or values
    if not 0.0 < cfg.target_far < 1.0:
        raise ValueError(f"target_far must be between 0 and 1, not {cfg.target_far:g}")


def check_choices(cfg: AppConfig) -> None:
    """Refuse settings that are not one of the choices the settings screen offers (the
    scanner's, the language): raises :class:`ValueError` saying which and why."""
    check_scanner_settings(cfg)
    if not isinstance(cfg.language, str) or cfg.language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(map(repr, LANGUAGES))}, not "
                         f"{_shown(cfg.language)}")


def check_scanner_settings(cfg: AppConfig) -> None:
    """Refuse scanner settings that are not one of the choices the settings screen offers
    (a hand-edited or damaged file): raises :class:`ValueError` saying which and why.

    JSON types are checked as they are: ``"300"`` or ``true`` is not a resolution, ``1`` or
    ``"yes"`` is not a yes/no setting (``bool`` is a subclass of ``int`` in Python)."""
    if not isinstance(cfg.scan_source, str) or cfg.scan_source not in SCAN_SOURCES:
        raise ValueError(f"scan_source must be one of {', '.join(SCAN_SOURCES)}, not "
                         f"{_shown(cfg.scan_source)}")
    name = cfg.scanner_device
    if not isinstance(name, str):
        raise ValueError("scanner_device must be a text (a SANE device name)")
    if len(name) > MAX_DEVICE_NAME:
        raise ValueError(f"scanner_device is {len(name)} characters long (a SANE device name "
                         f"has at most {MAX_DEVICE_NAME})")
    if name != name.strip() or not name.isprintable():
        raise ValueError("scanner_device holds control characters or spaces at its ends, "
                         "which no SANE device name has")
    dpi = cfg.scanner_dpi
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi not in SCANNER_DPIS:
        raise ValueError(f"scanner_dpi must be {' or '.join(map(str, SCANNER_DPIS))}, not "
                         f"{_shown(dpi)}")
    for key in ("scanner_colour", "scanner_adf"):
        if not isinstance(getattr(cfg, key), bool):
            raise ValueError(f"{key} must be true or false, not {_shown(getattr(cfg, key))}")


def _shown(value: Any) -> str:
    """A refused value as the message shows it: its JSON form, cut short."""
    text = json.dumps(value, default=repr)
    return text if len(text) <= 40 else text[:37] + "..."


def save_config(cfg: AppConfig, path: str | Path | None = None) -> Path:
    """Write the settings atomically (a temporary file renamed over the old one), readable
    by the owner only (0600 on POSIX, in a 0700 data folder). Choices that
    :func:`load_config` would refuse (scanner, language) are refused here
    (:class:`ConfigError`), unwritten."""
    from desktop.core.paths import PRIVATE_FILE_MODE, make_private_dir

    path = Path(path) if path else config_path()
    try:
        check_choices(cfg)
    except ValueError as exc:
        raise ConfigError(f"The settings cannot be saved: {exc}") from None
    if path.parent == data_dir():
        ensure_data_dir()
    else:
        make_private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        if os.name == "posix":
            os.fchmod(fh.fileno(), PRIVATE_FILE_MODE)  # whatever the umask or an old tmp
        fh.write(json.dumps(asdict(cfg), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def as_dict(cfg: AppConfig) -> dict[str, Any]:
    """Plain form (for the audit log of settings changes)."""
    return asdict(cfg)
