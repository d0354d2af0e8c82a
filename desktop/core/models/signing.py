"""Ed25519 signatures over whole model folders, and the public keys the app trusts.

A signed model folder holds ``manifest.json``, a detached ``manifest.sig`` and the files the
manifest lists. The manifest's ``files`` field maps every other file of the folder (relative
POSIX path, subfolders included) to its SHA-256; ``manifest.sig`` is a small JSON object::

    {"format": 1, "algorithm": "Ed25519", "key_id": "1a2b3c4d5e6f7a8b",
     "signed_file": "manifest.json", "signature": "<base64 of 64 bytes>"}

whose signature covers the exact bytes of ``manifest.json``. So the signature protects the
thresholds, the model id and the preprocessing contract, and through the ``files`` list every
graph, background set, centroid table and reference image beside them.

A model is refused (:class:`~desktop.core.errors.ModelError` naming the file) when
``manifest.sig`` is missing or unreadable, its key is not trusted, the signature does not
match the manifest's bytes, a listed file is missing or its SHA-256 differs, or a file is in
the folder that the list does not name (operating-system litter in :data:`IGNORED_NAMES`
excepted). The folder must be exactly what was signed.

Key ids are the first 16 hex digits of the SHA-256 of the 32-byte raw public key. Trusted keys
are PEM public keys (``*.pub``) in two folders: the ones shipped in ``desktop/trusted_keys``
(the project's public DEMO key) and the ones an administrator added to ``trusted_keys`` in
the app's data folder (:func:`admin_keys_dir`). Tests and tools pass a :class:`TrustStore`
explicitly, or register a key for their own process (:func:`trust_key_in_this_process`).

This module imports neither Qt nor torch.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from desktop.core.errors import ModelError, ServiceError

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
SIGNATURE_FORMAT = 1
ALGORITHM = "Ed25519"
KEY_ID_LENGTH = 16
TRUSTED_KEYS_DIR = "trusted_keys"
PUBLIC_SUFFIX = ".pub"
PASSPHRASE_ENV = "SIGDESK_KEY_PASSPHRASE"
# Files an operating system drops into folders by itself; never listed, never read.
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
# The project's public demonstration key (training/demo_signing_key/): anyone can sign with
# it, so a model signed by it proves nothing about who made it.
DEMO_KEY_ID = "57d0585bc59fbb80"


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
@dataclass(frozen=True)
class TrustedKey:
    """A public key the app accepts model signatures from."""

    key_id: str
    label: str
    public_key: Ed25519PublicKey = field(repr=False, compare=False)
    origin: str = ""  # "shipped", "added by an administrator", "this process"...

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

    def short(self) -> str:
        """For the status bar: ``DEMO-signed (not for production)`` or ``signed: <label>``."""
        return "DEMO-signed (not for production)" if self.demo else f"signed: {self.label}"


class TrustStore:
    """A set of trusted keys by key id. ``unchecked`` skips every signature and files-list
    check: only for the training tools reading a folder they have just written."""

    def __init__(self, keys: Iterable[TrustedKey] = (), unchecked: bool = False) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for key in keys:
            self._keys.setdefault(key.key_id, key)
        self.unchecked = unchecked

    @property
    def keys(self) -> tuple[TrustedKey, ...]:
        """The trusted keys, in the order they were added."""
        return tuple(self._keys.values())

    def get(self, kid: str) -> TrustedKey | None:
        """The trusted key with this id, if any."""
        return self._keys.get(kid)

    def with_keys(self, *keys: TrustedKey) -> TrustStore:
        """A new store with these keys added."""
        return TrustStore((*self.keys, *keys), self.unchecked)


UNCHECKED = TrustStore(unchecked=True)
_process_keys: list[TrustedKey] = []


def shipped_keys_dir() -> Path:
    """The public keys shipped with the app (``desktop/trusted_keys``, bundled likewise)."""
    from desktop.core.paths import app_root

    return app_root() / "desktop" / TRUSTED_KEYS_DIR


def admin_keys_dir() -> Path:
    """The public keys an administrator added: ``trusted_keys`` in the data folder."""
    from desktop.core.paths import data_dir

    return data_dir() / TRUSTED_KEYS_DIR


def read_keys_folder(folder: Path, origin: str) -> list[TrustedKey]:
    """Every ``*.pub`` in ``folder`` (none when it does not exist); a file that is not an
    Ed25519 public key is skipped with a warning in the log."""
    keys = []
    if not folder.is_dir():
        return keys
    for path in sorted(folder.glob(f"*{PUBLIC_SUFFIX}")):
        try:
            keys.append(TrustedKey.from_file(path, origin=origin))
        except (OSError, ValueError) as exc:
            log.warning("trusted key %s skipped: %s", path, exc)
    return keys


def trust_key_in_this_process(key: TrustedKey | str | Path) -> TrustedKey:
    """Trust ``key`` (or the public key file) in this process only, nothing written: for
    tests and tools that sign their own models. Returns the key."""
    if not isinstance(key, TrustedKey):
        key = TrustedKey.from_file(key, origin="this process")
    if all(k.key_id != key.key_id for k in _process_keys):
        _process_keys.append(key)
    return key


def default_trust() -> TrustStore:
    """What the app trusts: the shipped keys, the keys an administrator added, and any key
    trusted for this process."""
    return TrustStore([*read_keys_folder(shipped_keys_dir(), "shipped with the app"),
                       *read_keys_folder(admin_keys_dir(), "added by an administrator"),
                       *_process_keys])


def add_trusted_key(source: str | Path, label: str | None = None,
                    folder: str | Path | None = None) -> TrustedKey:
    """Copy a public key file into the trusted-keys folder (default :func:`admin_keys_dir`)
    as ``<label>.pub``. :class:`ServiceError` when the file is not an Ed25519 public key, the
    label is unusable, or the key or label is there already."""
    folder = Path(folder) if folder else admin_keys_dir()
    source = Path(source)
    label = (label or source.stem).strip()
    if not label or any(c in label for c in '/\\:*?"<>|') or label.startswith("."):
        raise ServiceError(f"{label!r} cannot be a key label (letters, digits, - and _)")
    try:
        key = TrustedKey.from_file(source, label, origin="added by an administrator")
    except (OSError, ValueError) as exc:
        raise ServiceError(f"the key cannot be added: {exc}") from None
    trusted = default_trust() if folder == admin_keys_dir() else TrustStore(
        read_keys_folder(folder, ""))
    known = trusted.get(key.key_id)
    if known is not None:
        raise ServiceError(f"key {key.key_id} is trusted already (as {known.label!r})")
    target = folder / f"{label}{PUBLIC_SUFFIX}"
    if target.exists():
        raise ServiceError(f"{target} exists already: choose another label")
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(public_key_pem(key.public_key))
    return key


# ---- the files list --------------------------------------------------------------------------
def list_model_files(folder: str | Path) -> dict[str, str]:
    """Every file of the folder but the manifest, its signature and :data:`IGNORED_NAMES`,
    subfolders included: relative POSIX path -> SHA-256, sorted by path."""
    folder = Path(folder)
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            rel = (Path(dirpath) / name).relative_to(folder).as_posix()
            if rel in (MANIFEST_NAME, SIGNATURE_NAME) or name in IGNORED_NAMES:
                continue
            found[rel] = sha256_of(Path(dirpath) / name)
    return dict(sorted(found.items()))


def _present_files(folder: Path) -> set[str]:
    return {(Path(d) / n).relative_to(folder).as_posix()
            for d, _, names in os.walk(folder) for n in names
            if n not in IGNORED_NAMES} - {MANIFEST_NAME, SIGNATURE_NAME}


def verify_files(folder: Path, listed: Any, manifest_path: Path,
                 check_hashes: bool = True) -> None:
    """Check the folder against the manifest's ``files`` list (see the module docstring)."""
    if not isinstance(listed, Mapping) or not listed:
        raise ModelError(manifest_path, "the manifest has no files list (field 'files'): "
                         "sign the folder again with `python -m training sign`")
    for rel, digest in listed.items():
        pure = PurePosixPath(str(rel))
        if pure.is_absolute() or ".." in pure.parts or not isinstance(digest, str):
            raise ModelError(manifest_path, f"the files list has an unusable entry {rel!r}")
        path = folder / pure
        if not path.is_file():
            raise ModelError(path, "the file is missing (the manifest's files list names it)")
        if check_hashes and sha256_of(path) != digest:
            raise ModelError(path, "SHA-256 differs from the manifest's files list (the file "
                             "was changed or replaced after signing)")
    extra = sorted(_present_files(folder) - set(listed))
    if extra:
        raise ModelError(folder / extra[0], "the file is not in the manifest's signed files "
                         "list (remove it, or sign the folder again)")


# ---- signing and verifying -------------------------------------------------------------------
def write_manifest_bytes(folder: Path, raw: dict[str, Any]) -> bytes:
    """Write ``manifest.json`` the way every exporter does (sorted keys, indent 2, UTF-8,
    newline) and return its bytes."""
    data = (json.dumps(raw, indent=2, sort_keys=True) + "\n").encode("utf-8")
    (folder / MANIFEST_NAME).write_bytes(data)
    return data


def sign_model(folder: str | Path, private_key: Ed25519PrivateKey | str | Path,
               passphrase: bytes | None = None) -> TrustedKey:
    """Refresh the manifest's ``files`` list from the folder, rewrite ``manifest.json`` and
    write ``manifest.sig`` signing its bytes. Returns the signer (labelled ``signer``; the
    app shows its own label for the key). Nothing else in the manifest changes."""
    folder = Path(folder)
    if not isinstance(private_key, Ed25519PrivateKey):
        private_key = load_private_key(private_key, passphrase)
    mpath = folder / MANIFEST_NAME
    try:
        raw = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(mpath, f"the manifest cannot be read ({exc})") from None
    if not isinstance(raw, dict):
        raise ModelError(mpath, "the manifest is not a JSON object")
    (folder / SIGNATURE_NAME).unlink(missing_ok=True)
    raw["files"] = list_model_files(folder)
    data = write_manifest_bytes(folder, raw)
    signer = TrustedKey.from_public_key(private_key.public_key(), "signer")
    record = {"format": SIGNATURE_FORMAT, "algorithm": ALGORITHM, "key_id": signer.key_id,
              "signed_file": MANIFEST_NAME,
              "signature": base64.b64encode(private_key.sign(data)).decode("ascii")}
    (folder / SIGNATURE_NAME).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return signer


def verify_signature(folder: Path, manifest_bytes: bytes, trust: TrustStore) -> TrustedKey:
    """The trusted key whose signature in ``folder/manifest.sig`` matches ``manifest_bytes``;
    :class:`ModelError` naming the file otherwise."""
    spath, mpath = folder / SIGNATURE_NAME, folder / MANIFEST_NAME
    if not spath.is_file():
        raise ModelError(spath, "the model is not signed (manifest.sig is missing): sign it "
                         "with `python -m training sign --model FOLDER --key KEY`")
    try:
        record = json.loads(spath.read_text(encoding="utf-8"))
        kid = str(record["key_id"])
        if record.get("algorithm") != ALGORITHM or record.get("format") != SIGNATURE_FORMAT:
            raise ValueError(f"not an {ALGORITHM} signature of format {SIGNATURE_FORMAT}")
        signature = base64.b64decode(record["signature"], validate=True)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ModelError(spath, f"the signature file cannot be read ({exc})") from None
    key = trust.get(kid)
    if key is None:
        raise ModelError(spath, f"key_id {kid}: signed by a key this app does not trust (an "
                         "administrator can add its public key in Settings)")
    try:
        key.public_key.verify(signature, manifest_bytes)
    except InvalidSignature:
        raise ModelError(mpath, f"signature does not match (the manifest was changed after "
                         f"signing by key {kid})") from None
    return key


def verify_model_folder(folder: Path, manifest_bytes: bytes, raw: Mapping[str, Any],
                        trust: TrustStore | None = None,
                        check_hashes: bool = True) -> TrustedKey | None:
    """Verify the signature over ``manifest_bytes`` and the folder against ``raw['files']``
    before anything in the manifest is used. Returns the signer (None with
    :data:`UNCHECKED`). ``trust`` defaults to :func:`default_trust`."""
    trust = default_trust() if trust is None else trust
    if trust.unchecked:
        return None
    signer = verify_signature(folder, manifest_bytes, trust)
    verify_files(folder, raw.get("files"), folder / MANIFEST_NAME, check_hashes)
    return signer


def describe_signer(signer: TrustedKey | None) -> str:
    """One line for a person about who signed a loaded model."""
    return signer.describe() if signer is not None else "not signature-checked"


def describe_trust(trust: TrustStore | None = None) -> list[str]:
    """One line per trusted key: ``<label> 1a2b3c4d5e6f7a8b (origin)``, DEMO keys marked."""
    trust = default_trust() if trust is None else trust
    return [f"{'DEMO key ' if k.demo else ''}{k.label} {k.key_id} ({k.origin})"
            for k in trust.keys]
