"""Small builders shared by several test files."""

from __future__ import annotations

import csv
import json
import struct
import zlib
from pathlib import Path


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (no need to allocate the pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# The session's test signing key (set by the ``signing_key`` fixture in conftest.py).
TEST_SIGNING_KEY: Path | None = None


def edit_manifest(folder: Path, change, resign: bool = True) -> None:
    """Apply ``change(raw_dict)`` to ``folder/manifest.json`` in place; then, when the folder
    was signed and ``resign``, sign it again with the test key (refreshing its files list),
    so that the manifest's own checks are what a test meets, not the signature's."""
    path = folder / "manifest.json"
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))
    if resign and (folder / "manifest.sig").is_file() and TEST_SIGNING_KEY is not None:
        from desktop.core.models.signing import sign_model

        sign_model(folder, TEST_SIGNING_KEY)


def notes_command_on(store, monkeypatch, password: str):
    """``desktop.notes_cli`` run against ``store`` with the default settings and
    ``password`` in ``$SIGDESK_PASSWORD``, as an operator's terminal would; returns the
    module, whose ``main`` the test calls."""
    from desktop import notes_cli
    from desktop.core.branch.config import AppConfig

    monkeypatch.setattr(notes_cli, "load_config", lambda: AppConfig())
    monkeypatch.setattr("desktop.core.store.factory.open_store", lambda location: store)
    monkeypatch.setenv("SIGDESK_PASSWORD", password)
    return notes_cli
