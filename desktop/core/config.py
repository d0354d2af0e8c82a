"""The app's settings: one JSON file in the platform's data folder.

Windows ``%LOCALAPPDATA%\\SigDesk``, macOS ``~/Library/Application Support/SigDesk``, Linux
``~/.local/share/SigDesk``; ``$SIGDESK_HOME`` overrides the folder (tests, portable installs).
The default store (``sigdesk.sqlite``) lives in the same folder; ``store_path`` may instead be
a ``postgresql://user@host/database`` URL (the shared store), never with the password in it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from desktop.core.errors import VerificationError

HOME_ENV = "SIGDESK_HOME"
CONFIG_NAME = "settings.json"
STORE_NAME = "sigdesk.sqlite"


class ConfigError(VerificationError):
    """The settings file cannot be read; the message names it."""


def data_dir() -> Path:
    """The folder for settings and the default store."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("SigDesk", appauthor=False))


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

    def store_location(self) -> str | Path:
        """Where the store is: a ``postgresql://`` URL as written (a Path would fold its
        ``//``), the configured file path, or the data folder's default file."""
        from desktop.core.store import is_postgres_url

        if is_postgres_url(self.store_path):
            return self.store_path
        return Path(self.store_path) if self.store_path else data_dir() / STORE_NAME

    def banknote_model_location(self) -> Path:
        """The banknote model folder: the configured one or the shipped default."""
        from desktop.core.paths import default_banknote_model_dir

        return (Path(self.banknote_model_dir) if self.banknote_model_dir
                else default_banknote_model_dir())


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
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: the settings file cannot be used ({exc})") from None
    return cfg


def save_config(cfg: AppConfig, path: str | Path | None = None) -> Path:
    """Write the settings atomically (a temporary file renamed over the old one)."""
    path = Path(path) if path else config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(cfg), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def as_dict(cfg: AppConfig) -> dict[str, Any]:
    """Plain form (for the audit log of settings changes)."""
    return asdict(cfg)
