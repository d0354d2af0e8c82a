"""Reading a model folder's ``manifest.json``: JSON object, required keys, the folder's
signature verified first (:mod:`desktop.core.models.signing`), and writing it back. Shared by
the signature and banknote manifests, which define what their fields mean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from desktop.core.errors import N_, Message, ModelError
from desktop.core.models.keys import TrustedKey, TrustStore
from desktop.core.models.signing import (
    MANIFEST_NAME,
    NOT_AN_OBJECT,
    UNREADABLE,
    verify_model_folder,
)


def _read_json_bytes(folder: Path, what: str) -> tuple[Path, bytes, dict[str, Any]]:
    mpath = folder / MANIFEST_NAME
    try:
        data = mpath.read_bytes()
        raw = json.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise ModelError(folder, Message(N_("no {file} in the {what}"), file=MANIFEST_NAME,
                                         what=what)) from None
    except (OSError, ValueError, RecursionError) as exc:  # JSON, UTF-8, huge integers, nesting
        raise ModelError(mpath, Message(UNREADABLE, detail=exc)) from None
    if not isinstance(raw, dict):
        raise ModelError(mpath, Message(NOT_AN_OBJECT))
    return mpath, data, raw


def _require_keys(mpath: Path, raw: dict[str, Any], required: tuple[str, ...]) -> None:
    missing = [k for k in required if k not in raw]
    if missing:
        raise ModelError(mpath, Message(N_("the manifest lacks {fields}"),
                                        fields=", ".join(missing)))


def read_manifest_json(folder: Path, required: tuple[str, ...], what: str
                       ) -> tuple[Path, dict[str, Any]]:
    """``folder/manifest.json`` as a JSON object holding ``required`` keys, and its path;
    :class:`ModelError` naming the file otherwise (``what`` names the folder's kind).
    The signature is NOT checked: the app loads models through
    :func:`read_signed_manifest`."""
    mpath, _, raw = _read_json_bytes(folder, what)
    _require_keys(mpath, raw, required)
    return mpath, raw


def read_signed_manifest(folder: Path, required: tuple[str, ...], what: str,
                         trust: TrustStore | None = None, verify_hash: bool = True
                         ) -> tuple[Path, dict[str, Any], TrustedKey | None]:
    """Like :func:`read_manifest_json`, after verifying the folder's signature by a trusted
    key and its files list (:func:`desktop.core.models.signing.verify_model_folder`; ``trust``
    defaults to the app's trusted keys). Returns the path, the manifest and its signer."""
    mpath, data, raw = _read_json_bytes(folder, what)
    signer = verify_model_folder(folder, data, raw, trust, check_hashes=verify_hash)
    _require_keys(mpath, raw, required)
    return mpath, raw, signer


def write_manifest(folder: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (sorted keys, UTF-8) and return its path. An old
    ``manifest.sig`` beside it no longer matches: sign the folder again
    (:func:`desktop.core.models.signing.sign_model`)."""
    path = Path(folder) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
