"""Ed25519 signatures over whole model folders: signing one, verifying one before it is used.

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

Who may sign (key ids, the trusted-key folders and when they are trusted) is
:mod:`desktop.core.models.keys`.

This module imports neither Qt nor torch.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop.core.errors import N_, Message, ModelError
from desktop.core.models.keys import (
    TrustedKey,
    TrustStore,
    default_trust,
    demo_key_refused,
    load_private_key,
    machine_keys_dir,
)

UNREADABLE = N_("the manifest cannot be read ({detail})")
NOT_AN_OBJECT = N_("the manifest is not a JSON object")

_VERIFY_LOCK = threading.Lock()

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
SIGNATURE_FORMAT = 1
ALGORITHM = "Ed25519"
# Files an operating system drops into folders by itself; never listed, never read.
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_verified(path: str | Path, sha256: str) -> bytes:
    """A model file's bytes, checked against its signed SHA-256 as they are read: what is
    used is what was checked (a file verified when the model loaded and swapped before it is
    read is refused, naming it)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(path, Message(N_("the file cannot be read ({error})"),
                                       error=str(exc))) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(path, Message(N_("the file's SHA-256 does not match its manifest "
                                          "(the file was changed or damaged)")))
    return data


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
        raise ModelError(manifest_path, Message(N_(
            "the manifest has no files list (field 'files'): sign the folder again with "
            "`python -m training sign`")))
    for rel, digest in listed.items():
        pure = PurePosixPath(str(rel))
        if pure.is_absolute() or ".." in pure.parts or not isinstance(digest, str):
            raise ModelError(manifest_path, Message(N_("the files list has an unusable entry "
                                                       "{entry}"), entry=repr(rel)))
        path = folder / pure
        if not path.is_file():
            raise ModelError(path, Message(N_("the file is missing (the manifest's files list "
                                              "names it)")))
        if check_hashes and sha256_of(path) != digest:
            raise ModelError(path, Message(N_("SHA-256 differs from the manifest's files list "
                                              "(the file was changed or replaced after "
                                              "signing)")))
    extra = sorted(_present_files(folder) - set(listed))
    if extra:
        raise ModelError(folder / extra[0], Message(N_(
            "the file is not in the manifest's signed files list (remove it, or sign the "
            "folder again)")))


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
        raise ModelError(mpath, Message(UNREADABLE, detail=exc)) from None
    if not isinstance(raw, dict):
        raise ModelError(mpath, Message(NOT_AN_OBJECT))
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
        raise ModelError(spath, Message(N_(
            "the model is not signed (manifest.sig is missing): sign it with `python -m "
            "training sign --model FOLDER --key KEY`")))
    try:
        record = json.loads(spath.read_text(encoding="utf-8"))
        kid = str(record["key_id"])
        if record.get("algorithm") != ALGORITHM or record.get("format") != SIGNATURE_FORMAT:
            raise ValueError(f"not an {ALGORITHM} signature of format {SIGNATURE_FORMAT}")
        signature = base64.b64decode(record["signature"], validate=True)
    except (OSError, ValueError, KeyError, TypeError, RecursionError, binascii.Error) as exc:
        raise ModelError(spath, Message(N_("the signature file cannot be read ({detail})"),
                                        detail=exc)) from None
    key = trust.get(kid)
    if key is None:
        ignored = trust.why_not(kid)
        if ignored is not None:
            raise ModelError(spath, Message(N_(
                "key_id {key}: its public key is in {folder}, but keys there are not "
                "trusted: {reason}"), key=kid, folder=ignored.folder, reason=ignored.reason))
        raise ModelError(spath, Message(N_(
            "key_id {key}: signed by a key this app does not trust (the PC's administrator "
            "adds its public key to {folder}: `sigdesk-keys add FILE`)"), key=kid,
            folder=machine_keys_dir()))
    try:
        key.public_key.verify(signature, manifest_bytes)
    except InvalidSignature:
        raise ModelError(mpath, Message(N_(
            "signature does not match (the manifest was changed after signing by key {key})"),
            key=kid)) from None
    if key.demo and (refused := demo_key_refused(folder, trust)) is not None:
        raise ModelError(spath, refused)
    return key


def verify_model_folder(folder: Path, manifest_bytes: bytes, raw: Mapping[str, Any],
                        trust: TrustStore | None = None,
                        check_hashes: bool = True) -> TrustedKey | None:
    """Verify the signature over ``manifest_bytes`` and the folder against ``raw['files']``
    before anything in the manifest is used. Returns the signer (None with
    :data:`UNCHECKED`). ``trust`` defaults to :func:`default_trust`."""
    # One verification at a time in this process: the app loads its two models on two worker
    # threads at once, and two concurrent key loads/verifications through the cryptography
    # package crashed the process twice in stress runs. It costs milliseconds.
    with _VERIFY_LOCK:
        trust = default_trust() if trust is None else trust
        if trust.unchecked:
            return None
        signer = verify_signature(folder, manifest_bytes, trust)
    verify_files(folder, raw.get("files"), folder / MANIFEST_NAME, check_hashes)
    return signer
