"""Ed25519 keys, and the public keys the app trusts model signatures from.

Key ids are the first 16 hex digits of the SHA-256 of the 32-byte raw public key. Trusted keys
are PEM public keys (``*.pub``) in two folders: the ones shipped in ``desktop/trusted_keys``
(the project's public DEMO key) and the ones the PC's administrator added to the machine-wide
folder :func:`machine_keys_dir` (``/etc/sigdesk/trusted_keys``,
``%ProgramData%\\SigDesk\\trusted_keys``), trusted only while no account but an
administrator can change it (:mod:`desktop.core.models.admin_folder`). Keys in the app's data
folder, where earlier versions kept them, are no longer trusted: any program running as the
clerk can write there. Tests and tools pass a :class:`TrustStore` explicitly, or register a
key for their own process (:func:`trust_key_in_this_process`). Signing and verifying a model
folder is :mod:`desktop.core.models.signing`.

This module imports neither Qt nor torch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from desktop.core.errors import N_, Message, ServiceError
from desktop.core.models.admin_folder import (
    PUBLIC_SUFFIX,
    admin_only_problem,
    key_files,
)

log = logging.getLogger(__name__)

KEY_ID_LENGTH = 16
TRUSTED_KEYS_DIR = "trusted_keys"
PASSPHRASE_ENV = "SIGDESK_KEY_PASSPHRASE"
# The project's public demonstration key (training/demo_signing_key/): anyone can sign with
# it, so a model signed by it proves nothing about who made it.
DEMO_KEY_ID = "57d0585bc59fbb80"


# ---- keys ------------------------------------------------------------------------------------
def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's short fingerprint: 16 hex digits of the SHA-256 of its raw 32 bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_LENGTH]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The PEM (SubjectPublicKeyInfo) text of a public key."""
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file; ``ValueError`` saying why when it is not one
    (a private key given by mistake is refused, it must not travel to branch PCs)."""
    path = Path(path)
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        raise ValueError(f"{path} holds a PRIVATE key: give the public key (.pub) instead, "
                         "and keep the private key off this PC")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path} is not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def passphrase_from_env(env: str = PASSPHRASE_ENV) -> bytes | None:
    """The private key's passphrase from the environment variable ``env`` (None if unset)."""
    value = os.environ.get(env, "")
    return value.encode("utf-8") if value else None


def load_private_key(path: str | Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file (``passphrase`` when it is encrypted; by default
    ``$SIGDESK_KEY_PASSPHRASE``). ``ValueError`` saying why when it cannot be used."""
    path = Path(path)
    if passphrase is None:
        passphrase = passphrase_from_env()
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        if passphrase is None:
            raise ValueError(f"{path} is encrypted: set {PASSPHRASE_ENV} to its passphrase"
                             ) from None
        raise ValueError(f"{path} is not encrypted: unset {PASSPHRASE_ENV}") from None
    except ValueError as exc:
        raise ValueError(f"{path} cannot be read as a private key (wrong passphrase or not "
                         f"a PEM key: {exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def generate_key_pair(out_dir: str | Path, name: str = "signing",
                      passphrase: bytes | None = None) -> tuple[Path, Path]:
    """Make a new key pair: ``out_dir/<name>.key`` (PKCS#8 PEM, mode 0600, encrypted with
    ``passphrase`` when given) and ``out_dir/<name>.pub``. Refuses to overwrite either."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out_dir / f"{name}.key", out_dir / f"{name}{PUBLIC_SUFFIX}"
    for path in (private_path, public_path):
        if path.exists():
            raise FileExistsError(f"{path} exists already: not overwritten")
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase
        else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            encryption)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(private_path, stat.S_IRUSR | stat.S_IWUSR)
    public_path.write_bytes(public_key_pem(key.public_key()))
    return private_path, public_path


# ---- trust -----------------------------------------------------------------------------------
# Where a trusted key came from; the windows translate these (desktop/ui/wording.py).
SHIPPED = "shipped with the app"
ADDED_BY_ADMIN = "added by an administrator"
FROM_THIS_PROCESS = "this process"
KEY_ORIGINS = (SHIPPED, ADDED_BY_ADMIN, FROM_THIS_PROCESS)


@dataclass(frozen=True)
class TrustedKey:
    """A public key the app accepts model signatures from."""

    key_id: str
    label: str
    public_key: Ed25519PublicKey = field(repr=False, compare=False)
    origin: str = ""  # one of KEY_ORIGINS

    @property
    def demo(self) -> bool:
        """True for the project's public demonstration key."""
        return self.key_id == DEMO_KEY_ID

    @classmethod
    def from_public_key(cls, public_key: Ed25519PublicKey, label: str,
                        origin: str = "") -> TrustedKey:
        """Wrap a public key with its id and a label."""
        return cls(key_id(public_key), label, public_key, origin)

    @classmethod
    def from_file(cls, path: str | Path, label: str | None = None,
                  origin: str = "") -> TrustedKey:
        """A trusted key from a PEM file; the label defaults to the file's stem."""
        path = Path(path)
        return cls.from_public_key(load_public_key(path), label or path.stem, origin)

    def describe(self) -> str:
        """``signed by DEMO key 57d0585b… (public demo key, not for production)`` or
        ``signed by <label> key 1a2b3c4d…``."""
        if self.demo:
            return (f"signed by DEMO key {self.key_id[:8]}… (a public demo key anyone can "
                    "sign with: not for production)")
        return f"signed by {self.label} key {self.key_id[:8]}…"


@dataclass(frozen=True)
class IgnoredKeys:
    """Public keys found in a folder whose keys are not trusted, and why (a sentence)."""

    folder: Path
    reason: Message
    key_ids: tuple[str, ...]


class TrustStore:
    """A set of trusted keys by key id. ``unchecked`` skips every signature and files-list
    check: only for the training tools reading a folder they have just written. ``ignored``:
    folders of keys found but not trusted, so that a refusal can say why. ``demo_anywhere``:
    accept the public DEMO key's signature on any folder, not only on the models shipped in
    the app's own folder (tests and tools; never the app)."""

    def __init__(self, keys: Iterable[TrustedKey] = (), unchecked: bool = False,
                 ignored: Iterable[IgnoredKeys] = (), demo_anywhere: bool = False) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for key in keys:
            self._keys.setdefault(key.key_id, key)
        self.unchecked = unchecked
        self.ignored = tuple(ignored)
        self.demo_anywhere = demo_anywhere

    @property
    def keys(self) -> tuple[TrustedKey, ...]:
        """The trusted keys, in the order they were added."""
        return tuple(self._keys.values())

    def get(self, kid: str) -> TrustedKey | None:
        """The trusted key with this id, if any."""
        return self._keys.get(kid)

    def why_not(self, kid: str) -> IgnoredKeys | None:
        """The ignored folder holding key ``kid``, if one does."""
        return next((i for i in self.ignored if kid in i.key_ids), None)

    def with_keys(self, *keys: TrustedKey) -> TrustStore:
        """A new store with these keys added."""
        return TrustStore((*self.keys, *keys), self.unchecked, self.ignored,
                          self.demo_anywhere)


UNCHECKED = TrustStore(unchecked=True)
_process_keys: list[TrustedKey] = []
_process_demo_anywhere = False
_warned: set[tuple[Path, str]] = set()


def shipped_keys_dir() -> Path:
    """The public keys shipped with the app (``desktop/trusted_keys``, bundled likewise)."""
    from desktop.core.paths import app_root

    return app_root() / "desktop" / TRUSTED_KEYS_DIR


def machine_keys_dir() -> Path:
    """The public keys the PC's administrator added: ``/etc/sigdesk/trusted_keys`` (Linux),
    ``/Library/Application Support/SigDesk/trusted_keys`` (macOS),
    ``%ProgramData%\\SigDesk\\trusted_keys`` (Windows). Never the data folder, and no
    environment variable moves it: the folder is trusted only when an administrator alone can
    change it, wherever it is."""
    if sys.platform == "win32":
        return _program_data() / "SigDesk" / TRUSTED_KEYS_DIR
    if sys.platform == "darwin":
        return Path("/Library/Application Support/SigDesk") / TRUSTED_KEYS_DIR
    return Path("/etc/sigdesk") / TRUSTED_KEYS_DIR


def _program_data() -> Path:
    """Windows' ProgramData folder from the system (``SHGetKnownFolderPath``), never from the
    ``ProgramData`` environment variable, which each account may set for itself."""
    import ctypes
    from ctypes import wintypes

    class GUID(ctypes.Structure):
        _fields_ = [("Data1", wintypes.DWORD), ("Data2", wintypes.WORD),
                    ("Data3", wintypes.WORD), ("Data4", ctypes.c_ubyte * 8)]

    # FOLDERID_ProgramData, {62AB5D82-FDC1-4DC3-A9DD-070D1D495D97}
    folder_id = GUID(0x62AB5D82, 0xFDC1, 0x4DC3,
                     (ctypes.c_ubyte * 8)(0xA9, 0xDD, 0x07, 0x0D, 0x1D, 0x49, 0x5D, 0x97))
    found = ctypes.c_wchar_p()
    try:
        shell32 = ctypes.WinDLL("shell32")
        if shell32.SHGetKnownFolderPath(ctypes.byref(folder_id), 0, None, ctypes.byref(found)):
            return Path(r"C:\ProgramData")
        try:
            return Path(found.value)
        finally:
            ctypes.WinDLL("ole32").CoTaskMemFree(found)
    except (OSError, AttributeError):  # not Windows after all, or no shell32
        return Path(r"C:\ProgramData")


def data_keys_dir() -> Path:
    """``trusted_keys`` in the app's data folder, where earlier versions kept added keys;
    no longer trusted (:func:`default_trust` reports keys left there)."""
    from desktop.core.paths import data_dir

    return data_dir() / TRUSTED_KEYS_DIR


def read_keys_folder(folder: Path, origin: str) -> list[TrustedKey]:
    """Every ``*.pub`` in ``folder`` (none when it does not exist); a file that is not an
    Ed25519 public key is skipped with a warning in the log."""
    keys = []
    for path in key_files(folder):
        try:
            keys.append(TrustedKey.from_file(path, origin=origin))
        except (OSError, ValueError) as exc:
            log.warning("trusted key %s skipped: %s", path, exc)
    return keys


def trust_key_in_this_process(key: TrustedKey | str | Path) -> TrustedKey:
    """Trust ``key`` (or the public key file) in this process only, nothing written: for
    tests and tools that sign their own models. Returns the key."""
    if not isinstance(key, TrustedKey):
        key = TrustedKey.from_file(key, origin=FROM_THIS_PROCESS)
    if all(k.key_id != key.key_id for k in _process_keys):
        _process_keys.append(key)
    return key


def allow_demo_key_anywhere_in_this_process() -> None:
    """Accept the DEMO key's signature on copies of the shipped models in this process only
    (tests that edit such copies, tools that re-sign candidates); nothing written."""
    global _process_demo_anywhere
    _process_demo_anywhere = True


def shipped_models_dir() -> Path:
    """The models shipped with the app (``exported_models`` in its own folder), the only
    folders the public DEMO key's signature is accepted on."""
    from desktop.core.paths import app_root

    return app_root() / "exported_models"


def demo_key_refused(folder: Path, trust: TrustStore) -> Message | None:
    """Why a DEMO-key signature on ``folder`` is not accepted, or None: anyone can sign with
    that key, so it vouches only for the models in the app's own folder (which only the
    PC's administrator can change in an installed app), never for a copy elsewhere."""
    if trust.demo_anywhere:
        return None
    shipped = shipped_models_dir().resolve()
    if folder.resolve().is_relative_to(shipped):
        return None
    return Message(N_("signed by the public DEMO key, which anyone can sign with: it is "
                      "accepted only on the models shipped in {shipped}; sign this folder "
                      "with your institution's key (`python -m training sign`)"),
                   shipped=shipped)


def _ignored(folder: Path, reason: Message) -> IgnoredKeys | None:
    found = read_keys_folder(folder, "")
    if not found:
        return None
    if (folder, str(reason)) not in _warned:  # once a process: trust is read at every load
        _warned.add((folder, str(reason)))
        log.warning("public keys in %s are not trusted: %s", folder, reason)
    return IgnoredKeys(folder, reason, tuple(k.key_id for k in found))


def default_trust(machine_folder: Path | None = None,
                  admins: Collection[int] | None = None) -> TrustStore:
    """What the app trusts: the shipped keys, the administrator's keys in ``machine_folder``
    (default :func:`machine_keys_dir`) while only an administrator (``admins``, default root)
    can change that folder, and any key trusted for this process. Keys found but not trusted
    (an unsafe machine folder, the data folder) are listed in the store's ``ignored``."""
    machine = machine_keys_dir() if machine_folder is None else machine_folder
    keys = read_keys_folder(shipped_keys_dir(), SHIPPED)
    ignored = []
    if key_files(machine):
        problem = admin_only_problem(machine, admins)
        if problem is None:
            keys += read_keys_folder(machine, ADDED_BY_ADMIN)
        else:
            ignored.append(_ignored(machine, problem))
    ignored.append(_ignored(data_keys_dir(), Message(N_(
        "keys in the app's data folder are no longer trusted, since any program running as "
        "this user can add one there: the PC's administrator moves them to {folder}"),
        folder=machine)))
    return TrustStore([*keys, *_process_keys], ignored=[i for i in ignored if i is not None],
                      demo_anywhere=_process_demo_anywhere)


def add_trusted_key(source: str | Path, label: str | None = None,
                    folder: str | Path | None = None) -> TrustedKey:
    """Copy a public key file into the trusted-keys folder (default :func:`machine_keys_dir`,
    which only an administrator can write) as ``<label>.pub``, readable by every account.
    :class:`ServiceError` when the file is not an Ed25519 public key, the label is unusable,
    the key or label is there already, or the folder cannot be written."""
    folder = Path(folder) if folder else machine_keys_dir()
    source = Path(source)
    label = (label or source.stem).strip()
    if not label or any(c in label for c in '/\\:*?"<>|') or label.startswith("."):
        raise ServiceError(Message(N_("{label} cannot be a key label (letters, digits, - and "
                                      "_)"), label=repr(label)))
    try:
        key = TrustedKey.from_file(source, label, origin=ADDED_BY_ADMIN)
    except (OSError, ValueError) as exc:
        raise ServiceError(Message(N_("the key cannot be added: {detail}"),
                                   detail=exc)) from None
    trusted = TrustStore([*read_keys_folder(shipped_keys_dir(), SHIPPED),
                          *read_keys_folder(folder, ADDED_BY_ADMIN)])
    known = trusted.get(key.key_id)
    if known is not None:
        raise ServiceError(Message(N_("key {key} is trusted already (as {label})"),
                                   key=key.key_id, label=repr(known.label)))
    target = folder / f"{label}{PUBLIC_SUFFIX}"
    if target.exists():
        raise ServiceError(Message(N_("{file} exists already: choose another label"),
                                   file=target))
    try:
        for missing in [*reversed(folder.parents), folder]:
            if not missing.exists():  # created readable by all, writable by its owner only
                missing.mkdir(mode=0o755)
                os.chmod(missing, 0o755)  # whatever the umask
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(public_key_pem(key.public_key))
        os.chmod(target, 0o644)  # readable by the clerks' accounts whatever the umask
    except OSError as exc:
        raise ServiceError(Message(N_("{file} cannot be written ({detail}): run this as the "
                                      "PC's administrator"), file=target, detail=exc)) from None
    return key


def describe_signer(signer: TrustedKey | None) -> str:
    """One line for a person about who signed a loaded model."""
    return signer.describe() if signer is not None else "not signature-checked"

