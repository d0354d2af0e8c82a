"""Where the app finds its data folder (settings, store, trusted keys) and its shipped models,
in a source checkout and in a PyInstaller bundle."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

HOME_ENV = "SIGDESK_HOME"  # the data folder, instead of the platform's
MODEL_DIR_ENV = "SIGDESK_MODEL_DIR"
BANKNOTE_MODEL_DIR_ENV = "SIGDESK_BANKNOTE_MODEL_DIR"


def data_dir() -> Path:
    """The folder for settings and the default store."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("SigDesk", appauthor=False))


def app_root() -> Path:
    """The folder holding ``exported_models/``: the bundle's own folder when frozen, else the
    source tree's root (the executable's folder is not used: it differs on macOS bundles)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parents[2]


def default_signature_model() -> Path:
    """The signature model folder: ``$SIGDESK_MODEL_DIR`` if set, else the shipped one."""
    override = os.environ.get(MODEL_DIR_ENV)
    return Path(override) if override else shipped_signature_model()


def shipped_signature_model() -> Path:
    """The signature model shipped in the app's own folder, whatever the environment says."""
    return app_root() / "exported_models" / "signature"


def default_banknote_model_dir() -> Path:
    """The banknote model folder: ``$SIGDESK_BANKNOTE_MODEL_DIR`` if set, else the shipped
    ``exported_models/banknote``."""
    override = os.environ.get(BANKNOTE_MODEL_DIR_ENV)
    return Path(override) if override else app_root() / "exported_models" / "banknote"


def default_banknote_model() -> Path:
    """Same as :func:`default_banknote_model_dir` (named like :func:`default_signature_model`)."""
    return default_banknote_model_dir()


def samples_dir() -> Path:
    """The self-test's sample images (``desktop/samples``, bundled at the same place)."""
    return app_root() / "desktop" / "samples"


def app_translations_dir() -> Path:
    """The app's own translations (``desktop/i18n/sigdesk_<language>.qm``, bundled at the same
    place); English is the source language and needs none."""
    return app_root() / "desktop" / "i18n"


def translations_dir() -> Path:
    """Qt's own translations (``qtbase_*.qm``: standard buttons and dialogs), inside PySide6.

    In a bundle that is the bundle's own ``PySide6/Qt/translations`` (PyInstaller's PySide6
    hook copies it); in a source tree, the installed package's. Found through the package's
    location so that the core does not import Qt.
    """
    if getattr(sys, "_MEIPASS", None):
        return app_root() / "PySide6" / "Qt" / "translations"
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return app_root() / "PySide6" / "Qt" / "translations"
    return Path(next(iter(spec.submodule_search_locations))) / "Qt" / "translations"


# ---- private files: the store and the settings are readable by their owner only ----------
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: str | Path) -> Path:
    """Create ``path`` (and any missing parent) readable by its owner only (0700 on POSIX,
    set explicitly so that the umask does not matter); an existing folder is left as it is.
    Returns the path."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix":
        for folder in missing:
            os.chmod(folder, PRIVATE_DIR_MODE)
    return path


def make_private(path: str | Path, mode: int = PRIVATE_FILE_MODE) -> None:
    """Set ``path`` to ``mode`` (owner only) on POSIX when it exists; nothing elsewhere."""
    if os.name == "posix" and os.path.exists(path):
        os.chmod(path, mode)


def create_private_file(path: str | Path) -> None:
    """Create the empty file ``path`` with mode 0600 (POSIX), refusing one that exists
    (:class:`FileExistsError`)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        if os.name == "posix":
            os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)


def this_pc() -> str:
    """The name this PC's audited settings are recorded under (its host name)."""
    import platform

    return platform.node()
